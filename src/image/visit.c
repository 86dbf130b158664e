/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <string.h>

#include "image/internal.h"

/*
 * The content hook for dir: sources. Layers stream their files to the hook
 * as they are read (image.c); an unpacked root file system has no stream, so
 * once the tree is known its regular files are offered to the hook in walk
 * order and the wanted ones are read from disk, each opened beneath the root
 * so nothing outside it is ever read.
 */

#define VISIT_CHUNK (128u << 10)

struct visit {
	int rootfd;
	const struct bw_content_hook *hook;
	void *state;
	uint8_t *buf;
	struct bw_error **err;
};

static int visit_file(const struct bw_file *f, void *ud)
{
	struct visit *v = ud;
	const char *rel = f->path + 1;
	bool deliver = true;
	int fd, r = 0;

	if (!*rel)
		return 0;
	if (v->hook->sz >= offsetof(struct bw_content_hook, entry) + sizeof(v->hook->entry) &&
	    v->hook->entry) {
		struct bw_file e = *f;
		e.path = rel;
		r = v->hook->entry(v->state, &e, v->err);
		if (r < 0)
			return r;
	}
	if (f->type != BW_FT_REG || f->hardlink)
		return 0;
	if (!v->hook->file_begin(v->state, rel, f->size, f->mode))
		return 0;
	fd = open_beneath(v->rootfd, rel);
	if (fd < 0) {
		/* Gone or unreadable since the walk: the hook sees an empty file. */
		bw_log(BW_LOG_WARN, "cannot open `%s`: %s, ignoring", f->path, strerror(-fd));
		return v->hook->file_end(v->state, v->err);
	}
	for (uint64_t left = f->size; deliver && left > 0;) {
		ssize_t n = read(fd, v->buf, left < VISIT_CHUNK ? (size_t)left : VISIT_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shorter than it was when walked */
		r = v->hook->file_data(v->state, v->buf, (size_t)n, v->err);
		if (r < 0)
			break;
		deliver = r != 1;
		left -= (uint64_t)n;
	}
	close(fd);
	if (r < 0)
		return bw_error_wrap(v->err, "`%s`", f->path);
	return v->hook->file_end(v->state, v->err);
}

int dir_visit(const char *root, struct bw_fs *fs, const struct bw_content_hook *hook,
	      struct bw_error **err)
{
	struct visit v = { .hook = hook, .err = err };
	int r;

	v.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.rootfd < 0)
		return bw_error_set(err, -errno, "cannot open `%s`: %m", root);
	v.buf = malloc(VISIT_CHUNK);
	if (!v.buf) {
		close(v.rootfd);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	r = hook->layer_begin(hook->userdata, -1, &v.state, err);
	if (r == 0) {
		r = bw_fs_walk(fs, "/", visit_file, &v, err);
		hook->layer_end(v.state, r >= 0);
	}
	free(v.buf);
	close(v.rootfd);
	return r;
}
