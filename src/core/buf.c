/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bulwark/core.h"

static int buf_reserve(struct bw_buf *b, size_t extra)
{
	size_t need, n;
	char *p;

	if (__builtin_add_overflow(b->len, extra, &need) || need > b->cap)
		return -E2BIG;
	if (need < b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n <= need) {
		if (__builtin_mul_overflow(n, 2, &n))
			return -E2BIG;
	}
	if (n > b->cap + 1)
		n = b->cap + 1;
	p = realloc(b->data, n);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->alloc = n;
	return 0;
}

int bw_buf_append(struct bw_buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int bw_buf_puts(struct bw_buf *b, const char *s)
{
	return bw_buf_append(b, s, strlen(s));
}

int bw_buf_printf(struct bw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void bw_buf_reset(struct bw_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

void bw_buf_done(struct bw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

char *bw_buf_steal(struct bw_buf *b)
{
	char *p = b->data;

	if (!p)
		p = strdup("");
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}

int bw_read_fd(int fd, const char *name, size_t cap, char **ret, size_t *ret_len,
	       struct bw_error **err)
{
	struct bw_buf b = BW_BUF_INIT(cap);
	char chunk[65536];
	int r;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			bw_buf_done(&b);
			return bw_error_set(err, r, "cannot read `%s`: %s", name, strerror(-r));
		}
		if (n == 0)
			break;
		r = bw_buf_append(&b, chunk, (size_t)n);
		if (r < 0) {
			bw_buf_done(&b);
			if (r == -E2BIG)
				return bw_error_set(err, -EFBIG, "`%s` is larger than the limit of %zu bytes",
						    name, cap);
			return bw_error_set(err, r, "cannot read `%s`: %s", name, strerror(-r));
		}
	}
	*ret_len = b.len;
	*ret = bw_buf_steal(&b);
	if (!*ret)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int bw_read_file(const char *path, size_t cap, char **ret, size_t *ret_len, struct bw_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return bw_error_set(err, -errno, "cannot open `%s`: %s", path, strerror(errno));
	return bw_read_fd(fd, path, cap, ret, ret_len, err);
}
