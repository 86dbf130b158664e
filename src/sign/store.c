/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where signatures live: beside the image, in its registry repository or in
 * its OCI layout. In a layout, a tag is an index.json entry annotated
 * org.opencontainers.image.ref.name, as umoci and skopeo write them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image/internal.h"
#include "sign/internal.h"

#define REF_NAME "org.opencontainers.image.ref.name"

struct sig_store {
	struct registry *reg; /* a registry, or */
	int dirfd;	      /* an OCI layout */
	char *path;
};

struct sig_store *sig_store_free(struct sig_store *s)
{
	if (!s)
		return NULL;
	registry_client_free(s->reg);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->path);
	free(s);
	return NULL;
}

int sig_store_open(const struct bw_ref *ref, const struct bw_image_opts *opts, bool push,
		   struct sig_store **ret, struct bw_error **err)
{
	struct sig_store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return bw_error_set(err, -ENOMEM, "out of memory");
	s->dirfd = -1;
	if (ref->transport == BW_TRANSPORT_REGISTRY) {
		r = registry_client_open(ref, opts, push, &s->reg, err);
		if (r < 0) {
			sig_store_free(s);
			return r;
		}
	} else if (ref->transport == BW_TRANSPORT_OCI_LAYOUT) {
		s->path = strdup(ref->path);
		s->dirfd = open(ref->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (!s->path || s->dirfd < 0) {
			r = s->path ? -errno : -ENOMEM;
			sig_store_free(s);
			return bw_error_set(err, r, "cannot open OCI layout `%s`: %s", ref->path,
					    strerror(-r));
		}
	} else {
		sig_store_free(s);
		return bw_error_set(err, -EOPNOTSUPP,
				    "signatures are stored in a registry or an OCI layout (oci:DIR), "
				    "not in `%s`",
				    ref->name);
	}
	*ret = s;
	return 0;
}

/* ---------------------------------------------------------------- layout */

static int layout_read(struct sig_store *s, const char *name, size_t cap, char **ret,
		       size_t *ret_len, struct bw_error **err)
{
	_cleanup_close_ int fd = open_beneath(s->dirfd, name);

	if (fd < 0)
		return bw_error_set(err, fd, "OCI layout `%s`: cannot open `%s`: %s", s->path, name,
				    strerror(-fd));
	return bw_read_fd(fd, name, cap, ret, ret_len, err);
}

/* Writes name below the layout atomically: a temporary file, then rename. */
static int layout_write(struct sig_store *s, const char *name, const void *p, size_t n,
			struct bw_error **err)
{
	char tmp[160];
	const char *c = p;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", name, (int)getpid());
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return bw_error_set(err, -errno, "OCI layout `%s`: cannot create `%s`: %s", s->path,
				    tmp, strerror(errno));
	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			close(fd);
			unlinkat(s->dirfd, tmp, 0);
			return bw_error_set(err, -e, "OCI layout `%s`: cannot write `%s`: %s",
					    s->path, tmp, strerror(e));
		}
		c += w;
		n -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || renameat(s->dirfd, tmp, s->dirfd, name) < 0) {
		int e = errno;

		unlinkat(s->dirfd, tmp, 0);
		return bw_error_set(err, -e, "OCI layout `%s`: cannot write `%s`: %s", s->path,
				    name, strerror(e));
	}
	return 0;
}

static int layout_index(struct sig_store *s, json_t **ret, struct bw_error **err)
{
	_cleanup_free_ char *data = NULL;
	json_error_t jerr;
	json_t *j;
	size_t len;
	int r;

	r = layout_read(s, "index.json", BW_MAX_INDEX_SIZE, &data, &len, err);
	if (r < 0)
		return r;
	j = json_loadb(data, len, 0, &jerr);
	if (!json_is_object(j) || !json_is_array(json_object_get(j, "manifests"))) {
		json_decref(j);
		return bw_error_set(err, -EBADMSG, "OCI layout `%s`: index.json is not an index",
				    s->path);
	}
	*ret = j;
	return 0;
}

/* ---------------------------------------------------------------- ops */

int sig_store_get_manifest(struct sig_store *s, const char *tag, char **ret, size_t *ret_len,
			   struct bw_error **err)
{
	_cleanup_json_ json_t *idx = NULL;
	json_t *m;
	size_t i;
	char path[96];
	int r;

	if (s->reg) {
		_cleanup_free_ char *mt = NULL;

		return registry_get_manifest(s->reg, tag, ret, ret_len, &mt, err);
	}
	r = layout_index(s, &idx, err);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(idx, "manifests"), i, m) {
		const char *name = json_str(json_object_get(m, "annotations"), REF_NAME);
		const char *digest = json_str(m, "digest");
		char got[72];

		if (!name || strcmp(name, tag))
			continue;
		if (!digest || blob_path(digest, path) < 0)
			return bw_error_set(err, -EBADMSG, "OCI layout `%s`: bad digest for `%s`",
					    s->path, tag);
		r = layout_read(s, path, BW_MAX_MANIFEST_SIZE, ret, ret_len, err);
		if (r < 0)
			return r;
		bw_sha256_digest(*ret, *ret_len, got);
		if (strcmp(got, digest)) {
			free(*ret);
			*ret = NULL;
			return bw_error_set(err, -EBADMSG,
					    "OCI layout `%s`: manifest `%s` does not match its "
					    "digest",
					    s->path, tag);
		}
		return 0;
	}
	return -ENOENT;
}

int sig_store_get_blob(struct sig_store *s, const char *digest, size_t cap, char **ret,
		       size_t *ret_len, struct bw_error **err)
{
	char path[96];

	if (s->reg)
		return registry_get_blob(s->reg, digest, cap, ret, ret_len, err);
	if (blob_path(digest, path) < 0)
		return bw_error_set(err, -EBADMSG, "bad digest `%s`", digest);
	return layout_read(s, path, cap, ret, ret_len, err);
}

int sig_store_put_blob(struct sig_store *s, const char *digest, const void *p, size_t n,
		       struct bw_error **err)
{
	char path[96];

	if (s->reg)
		return registry_put_blob(s->reg, digest, p, n, err);
	if (blob_path(digest, path) < 0)
		return bw_error_set(err, -EINVAL, "bad digest `%s`", digest);
	if (faccessat(s->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	return layout_write(s, path, p, n, err);
}

int sig_store_put_manifest(struct sig_store *s, const char *tag, const char *media_type,
			   const void *p, size_t n, struct bw_error **err)
{
	_cleanup_json_ json_t *idx = NULL;
	_cleanup_free_ char *out = NULL;
	json_t *list, *m, *desc;
	char digest[72];
	size_t i;
	int r;

	if (s->reg)
		return registry_put_manifest(s->reg, tag, media_type, p, n, err);
	bw_sha256_digest(p, n, digest);
	r = sig_store_put_blob(s, digest, p, n, err);
	if (r < 0)
		return r;
	r = layout_index(s, &idx, err);
	if (r < 0)
		return r;
	list = json_object_get(idx, "manifests");
	for (i = 0; i < json_array_size(list);) {
		const char *name;

		m = json_array_get(list, i);
		name = json_str(json_object_get(m, "annotations"), REF_NAME);
		if (name && !strcmp(name, tag))
			json_array_remove(list, i);
		else
			i++;
	}
	desc = json_pack("{s:s,s:s,s:I,s:{s:s}}", "mediaType", media_type, "digest", digest,
			 "size", (json_int_t)n, "annotations", REF_NAME, tag);
	if (!desc || json_array_append_new(list, desc) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	out = json_dumps(idx, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!out)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return layout_write(s, "index.json", out, strlen(out), err);
}
