/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "image/internal.h"

#define READ_CHUNK (1u << 20)

int open_beneath(int dirfd, const char *name)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* Older kernels: refuse symlinks in the last component at least;
		 * names we build never contain `..`. */
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	return fd < 0 ? -errno : (int)fd;
}

int blob_path(const char *digest, char out[96])
{
	if (!bw_digest_valid(digest))
		return -EINVAL;
	snprintf(out, 96, "blobs/sha256/%s", digest + 7);
	return 0;
}

int stream_fd(int fd, const char *what, uint64_t offset, int64_t len, blob_write_fn write, void *ud,
	      struct bw_error **err)
{
	_cleanup_free_ uint8_t *buf = malloc(READ_CHUNK);
	uint64_t left = len < 0 ? UINT64_MAX : (uint64_t)len;
	int r;

	if (!buf)
		return bw_error_set(err, -ENOMEM, "out of memory");
	posix_fadvise(fd, (off_t)offset, len < 0 ? 0 : len, POSIX_FADV_SEQUENTIAL);
	while (left > 0) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bw_error_set(err, -errno, "cannot read %s: %s", what, strerror(errno));
		}
		if (n == 0) {
			if (len >= 0)
				return bw_error_set(err, -EPIPE, "%s ends early (file truncated)", what);
			break;
		}
		r = write(ud, buf, (size_t)n, err);
		if (r < 0)
			return r;
		offset += (uint64_t)n;
		left -= (uint64_t)n;
	}
	return 0;
}

struct layout {
	int dirfd;
};

static int read_beneath(int dirfd, const char *name, size_t cap, char **ret, size_t *ret_len,
			struct bw_error **err)
{
	_cleanup_close_ int fd = open_beneath(dirfd, name);

	if (fd < 0)
		return bw_error_set(err, fd, "cannot open `%s` in the layout: %s", name, strerror(-fd));
	return bw_read_fd(fd, name, cap, ret, ret_len, err);
}

static int l_get_manifest(struct bw_image *img, const char *digest, char **ret, size_t *ret_len,
			  char **ret_media_type, struct bw_error **err)
{
	struct layout *l = img->priv;
	char path[96];

	if (blob_path(digest, path) < 0)
		return bw_error_set(err, -EINVAL, "bad digest `%s`", digest);
	*ret_media_type = NULL;
	return read_beneath(l->dirfd, path, BW_MAX_MANIFEST_SIZE, ret, ret_len, err);
}

static int l_get_blob(struct bw_image *img, const char *digest, size_t cap, char **ret, size_t *ret_len,
		      struct bw_error **err)
{
	struct layout *l = img->priv;
	char path[96];

	if (blob_path(digest, path) < 0)
		return bw_error_set(err, -EINVAL, "bad digest `%s`", digest);
	return read_beneath(l->dirfd, path, cap, ret, ret_len, err);
}

static int l_blob_fd(struct bw_image *img, const struct bw_layer_desc *layer, int *ret_fd, uint64_t *ret_offset,
		     int64_t *ret_len, struct bw_error **err)
{
	struct layout *l = img->priv;
	char path[96];
	int fd;

	if (blob_path(layer->digest, path) < 0)
		return bw_error_set(err, -EINVAL, "bad digest `%s`", layer->digest);
	fd = open_beneath(l->dirfd, path);
	if (fd < 0)
		return bw_error_set(err, fd, "blob missing from the layout (`%s`): %s", path, strerror(-fd));
	*ret_fd = fd;
	*ret_offset = 0;
	*ret_len = -1;
	return 0;
}

static void l_done(struct bw_image *img)
{
	struct layout *l = img->priv;

	if (l) {
		if (l->dirfd >= 0)
			close(l->dirfd);
		free(l);
	}
	img->priv = NULL;
}

static const struct source_ops layout_ops = {
	.get_manifest = l_get_manifest,
	.get_blob = l_get_blob,
	.blob_fd = l_blob_fd,
	.done = l_done,
};

int layout_open(struct bw_image *img, struct bw_error **err)
{
	struct layout *l = calloc(1, sizeof(*l));
	_cleanup_free_ char *index = NULL, *digest = NULL, *mt = NULL, *marker = NULL;
	size_t len;
	int64_t size = -1;
	int r;

	if (!l)
		return bw_error_set(err, -ENOMEM, "out of memory");
	img->priv = l;
	img->ops = &layout_ops;
	l->dirfd = open(img->ref.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0)
		return bw_error_set(err, -errno, "cannot open OCI layout `%s`: %s", img->ref.path, strerror(errno));
	r = read_beneath(l->dirfd, "oci-layout", 4096, &marker, &len, err);
	if (r < 0)
		return bw_error_wrap(err, "`%s` is not an OCI image layout", img->ref.path);
	r = read_beneath(l->dirfd, "index.json", BW_MAX_INDEX_SIZE, &index, &len, err);
	if (r < 0)
		return r;
	if (img->ref.digest)
		return image_resolve(img, img->ref.digest, -1, err);
	r = index_select(index, len, "index.json", img->ref.tag, img->opts.platform, &digest, &mt, &size, err);
	if (r < 0)
		return r;
	return image_resolve(img, digest, size, err);
}
