/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image/internal.h"
#include "image/tar.h"

/*
 * docker-archive and oci-archive: a tar file whose members are blobs. The
 * members are indexed once by reading headers only (seeking over data), so
 * each layer can then be read in parallel straight from its offset.
 */

struct member {
	uint64_t offset;
	uint64_t size;
};

struct archive {
	int fd;
	struct bw_map *members; /* normalised name -> struct member */
	struct member *all;
	size_t n_all;
	/* docker-archive: layer i is member layer_names[i] */
	char **layer_names;
};

static int index_members(struct archive *a, const char *path, struct bw_error **err)
{
	uint64_t off = 0, fsize;
	struct stat st;
	_cleanup_free_ char *long_name = NULL, *pax = NULL;
	size_t pax_len = 0;
	int r;

	if (fstat(a->fd, &st) < 0)
		return bw_error_set(err, -errno, "cannot stat `%s`: %s", path, strerror(errno));
	fsize = (uint64_t)st.st_size;
	a->all = calloc(1024, sizeof(*a->all));
	size_t alloc = 1024;
	if (!a->all)
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (;;) {
		uint8_t blk[TAR_BLOCK];
		char name_buf[257], link_buf[101];
		char norm[BW_MAX_PATH + 1];
		struct tar_entry e;
		ssize_t n = pread(a->fd, blk, sizeof(blk), (off_t)off);

		if (n == 0)
			break; /* no end-of-archive blocks: tolerated */
		if (n != (ssize_t)sizeof(blk))
			return bw_error_set(err, -EPIPE, "truncated tar header at offset %llu",
					    (unsigned long long)off);
		r = tar_header_decode(blk, name_buf, link_buf, &e, err);
		if (r < 0)
			return bw_error_wrap(err, "offset %llu", (unsigned long long)off);
		if (r == 1)
			break;
		off += TAR_BLOCK;
		if (e.size > fsize || off + e.size > fsize)
			return bw_error_set(err, -EPIPE, "member `%s` claims %llu bytes, past the end of the file",
					    name_buf, (unsigned long long)e.size);
		if (e.type == TAR_GNU_LONGNAME || e.type == TAR_PAX) {
			_cleanup_free_ char *data = NULL;
			if (e.size > BW_MAX_PAX_SIZE)
				return bw_error_set(err, -E2BIG, "extended header too large at offset %llu",
						    (unsigned long long)off);
			data = malloc(e.size + 1);
			if (!data)
				return bw_error_set(err, -ENOMEM, "out of memory");
			if (pread(a->fd, data, e.size, (off_t)off) != (ssize_t)e.size)
				return bw_error_set(err, -EPIPE, "truncated extended header");
			data[e.size] = 0;
			if (e.type == TAR_GNU_LONGNAME) {
				free(long_name);
				long_name = TAKE_PTR(data);
			} else {
				free(pax);
				pax_len = e.size;
				pax = TAKE_PTR(data);
			}
		} else if (e.type == TAR_REG) {
			_cleanup_free_ char *pax_path = NULL, *pax_link = NULL;
			const char *name = long_name ? long_name : name_buf;
			if (pax) {
				r = tar_pax_apply(pax, pax_len, &e, &pax_path, &pax_link, err);
				if (r < 0)
					return r;
				if (pax_path)
					name = pax_path;
			}
			if (strlen(name) > BW_MAX_PATH)
				return bw_error_set(err, -ENAMETOOLONG, "member name too long");
			strcpy(norm, name);
			r = tar_name_normalise(norm, err);
			if (r < 0)
				return r;
			if (a->n_all == alloc) {
				if (alloc >= BW_MAX_ARCHIVE_MEMBERS)
					return bw_error_set(err, -E2BIG, "more than %u members", BW_MAX_ARCHIVE_MEMBERS);
				struct member *p = realloc(a->all, alloc * 2 * sizeof(*p));
				if (!p)
					return bw_error_set(err, -ENOMEM, "out of memory");
				/* The map holds indexes, not pointers, so moving is fine. */
				a->all = p;
				alloc *= 2;
			}
			a->all[a->n_all] = (struct member){ .offset = off, .size = e.size };
			if (bw_map_put(a->members, norm, (void *)(uintptr_t)(a->n_all + 1)) < 0)
				return bw_error_set(err, -ENOMEM, "out of memory");
			a->n_all++;
		}
		if (e.type != TAR_GNU_LONGNAME && e.type != TAR_PAX && e.type != TAR_GNU_LONGLINK &&
		    e.type != TAR_PAX_GLOBAL) {
			free(long_name);
			long_name = NULL;
			free(pax);
			pax = NULL;
		}
		off += (e.size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	}
	return 0;
}

static const struct member *find(struct archive *a, const char *name)
{
	uintptr_t v = (uintptr_t)bw_map_get(a->members, name);

	return v ? &a->all[v - 1] : NULL;
}

static int read_member(struct bw_image *img, const char *name, size_t cap, char **ret, size_t *ret_len,
		       struct bw_error **err)
{
	struct archive *a = img->priv;
	const struct member *m = find(a, name);
	char *buf;

	if (!m)
		return bw_error_set(err, -ENOENT, "`%s` is missing from the archive", name);
	if (m->size > cap)
		return bw_error_set(err, -EFBIG, "`%s` is %llu bytes, over the limit of %zu", name,
				    (unsigned long long)m->size, cap);
	buf = malloc(m->size + 1);
	if (!buf)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (pread(a->fd, buf, m->size, (off_t)m->offset) != (ssize_t)m->size) {
		free(buf);
		return bw_error_set(err, -EPIPE, "cannot read `%s` from the archive", name);
	}
	buf[m->size] = 0;
	*ret = buf;
	*ret_len = m->size;
	return 0;
}

static int a_get_manifest(struct bw_image *img, const char *digest, char **ret, size_t *ret_len,
			  char **ret_media_type, struct bw_error **err)
{
	char path[96];

	if (blob_path(digest, path) < 0)
		return bw_error_set(err, -EINVAL, "bad digest `%s`", digest);
	*ret_media_type = NULL;
	return read_member(img, path, BW_MAX_MANIFEST_SIZE, ret, ret_len, err);
}

static int a_get_blob(struct bw_image *img, const char *digest, size_t cap, char **ret, size_t *ret_len,
		      struct bw_error **err)
{
	char path[96];

	if (blob_path(digest, path) < 0)
		return bw_error_set(err, -EINVAL, "bad digest `%s`", digest);
	return read_member(img, path, cap, ret, ret_len, err);
}

/* The archive member that holds a layer. */
static int layer_member(struct bw_image *img, const struct bw_layer_desc *layer, const struct member **ret,
			char path[96], const char **ret_name, struct bw_error **err)
{
	struct archive *a = img->priv;
	const char *name = path;

	if (a->layer_names) {
		size_t i = (size_t)(layer - img->layers);
		name = a->layer_names[i];
	} else if (blob_path(layer->digest, path) < 0) {
		return bw_error_set(err, -EINVAL, "bad digest `%s`", layer->digest);
	}
	*ret = find(a, name);
	if (!*ret)
		return bw_error_set(err, -ENOENT, "`%s` is missing from the archive", name);
	*ret_name = name;
	return 0;
}

static int a_blob_fd(struct bw_image *img, const struct bw_layer_desc *layer, int *ret_fd, uint64_t *ret_offset,
		     int64_t *ret_len, struct bw_error **err)
{
	struct archive *a = img->priv;
	const struct member *m = NULL;
	const char *name = NULL;
	char path[96];
	int r = layer_member(img, layer, &m, path, &name, err);

	if (r < 0)
		return r;
	*ret_fd = fcntl(a->fd, F_DUPFD_CLOEXEC, 3);
	if (*ret_fd < 0)
		return bw_error_set(err, -errno, "cannot read `%s`: %s", name, strerror(errno));
	*ret_offset = m->offset;
	*ret_len = (int64_t)m->size;
	return 0;
}

static void a_done(struct bw_image *img)
{
	struct archive *a = img->priv;

	if (a) {
		if (a->fd >= 0)
			close(a->fd);
		bw_map_free(a->members);
		free(a->all);
		for (size_t i = 0; a->layer_names && i < img->n_layers + 1; i++)
			free(a->layer_names[i]);
		free(a->layer_names);
		free(a);
	}
	img->priv = NULL;
}

static const struct source_ops archive_ops = {
	.get_manifest = a_get_manifest,
	.get_blob = a_get_blob,
	.blob_fd = a_blob_fd,
	.done = a_done,
};

/* "docker.io/library/x:tag" and "x:tag" name the same image. */
static bool same_repo_tag(const char *a, const char *b)
{
	struct bw_ref ra = { 0 }, rb = { 0 };
	bool same = false;

	if (bw_ref_parse(a, &ra, NULL) == 0 && bw_ref_parse(b, &rb, NULL) == 0 &&
	    ra.transport == BW_TRANSPORT_REGISTRY && rb.transport == BW_TRANSPORT_REGISTRY)
		same = !strcmp(ra.name, rb.name);
	bw_ref_done(&ra);
	bw_ref_done(&rb);
	return same || !strcmp(a, b);
}

/* A member name that is itself a digest ("<hex>.json", "blobs/sha256/<hex>"),
 * as newer docker and skopeo write them: the digest it promises. */
static bool name_digest(const char *name, const char *suffix, char out[72])
{
	const char *base = strrchr(name, '/');
	size_t n;

	base = base ? base + 1 : name;
	n = strlen(base);
	if (suffix && bw_endswith(base, suffix))
		n -= strlen(suffix);
	if (n != 64)
		return false;
	snprintf(out, 72, "sha256:%.64s", base);
	return bw_digest_valid(out);
}

static int docker_archive_load(struct bw_image *img, struct bw_error **err)
{
	struct archive *a = img->priv;
	_cleanup_free_ char *man = NULL, *cfg = NULL;
	size_t len, cfg_len, i;
	json_t *root = NULL, *entry = NULL, *e, *layers, *l;
	json_error_t je;
	struct bw_buf tags = BW_BUF_INIT(4096);
	int r;

	r = read_member(img, "manifest.json", BW_MAX_ARCHIVE_MANIFEST_SIZE, &man, &len, err);
	if (r < 0)
		return r;
	root = json_loadb(man, len, 0, &je);
	if (!json_is_array(root) || json_array_size(root) == 0) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "manifest.json is not a non-empty JSON array%s%s",
				    root ? "" : ": ", root ? "" : je.text);
	}
	json_array_foreach(root, i, e)
	{
		json_t *rt = json_object_get(e, "RepoTags"), *t;
		size_t j;
		if (!img->ref.tag && json_array_size(root) == 1)
			entry = e;
		json_array_foreach(rt, j, t)
		{
			const char *s = json_string_value(t);
			if (!s)
				continue;
			bw_buf_printf(&tags, "%s%s", tags.len ? ", " : "", s);
			if (img->ref.tag && same_repo_tag(s, img->ref.tag))
				entry = e;
		}
	}
	if (!entry) {
		if (img->ref.tag)
			r = bw_error_set(err, -ENOENT, "archive has no image `%s` (it has: %s)", img->ref.tag,
					 tags.len ? tags.data : "untagged images");
		else
			r = bw_error_set(err, -EINVAL, "archive holds %zu images; name one with :REF (%s)",
					 json_array_size(root), tags.len ? tags.data : "untagged");
		bw_buf_done(&tags);
		json_decref(root);
		return r;
	}
	bw_buf_done(&tags);

	const char *config = json_str(entry, "Config");
	layers = json_object_get(entry, "Layers");
	if (!config || !json_is_array(layers)) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "manifest.json entry lacks Config or Layers");
	}
	if (json_array_size(layers) > BW_MAX_LAYERS) {
		json_decref(root);
		return bw_error_set(err, -E2BIG, "manifest.json lists more than %d layers", BW_MAX_LAYERS);
	}
	char norm[BW_MAX_PATH + 1];
	snprintf(norm, sizeof(norm), "%s", config);
	r = tar_name_normalise(norm, err);
	if (r == 0)
		r = read_member(img, norm, BW_MAX_CONFIG_SIZE, &cfg, &cfg_len, err);
	if (r < 0) {
		json_decref(root);
		return bw_error_wrap(err, "config");
	}
	char digest[72], want[72];
	bw_sha256_digest(cfg, cfg_len, digest);
	if (name_digest(norm, ".json", want) && strcmp(want, digest)) {
		json_decref(root);
		return bw_error_set(err, -EBADMSG, "config `%s`: content has digest %s (corrupt or tampered)", norm,
				    digest);
	}
	img->config_digest = strdup(digest);
	img->config_json = TAKE_PTR(cfg);

	size_t nl = json_array_size(layers);
	img->layers = calloc(nl + 1, sizeof(*img->layers));
	img->verify = calloc(nl + 1, sizeof(*img->verify));
	a->layer_names = calloc(nl + 1, sizeof(*a->layer_names));
	if (!img->layers || !img->verify || !a->layer_names || !img->config_digest) {
		json_decref(root);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	json_array_foreach(layers, i, l)
	{
		const char *name = json_string_value(l);
		const struct member *m;
		if (!name) {
			json_decref(root);
			return bw_error_set(err, -EINVAL, "manifest.json: layer %zu is not a string", i + 1);
		}
		snprintf(norm, sizeof(norm), "%s", name);
		r = tar_name_normalise(norm, err);
		if (r < 0) {
			json_decref(root);
			return r;
		}
		m = find(a, norm);
		if (!m) {
			json_decref(root);
			return bw_error_set(err, -ENOENT, "layer %zu (`%s`) is missing from the archive", i + 1, norm);
		}
		a->layer_names[i] = strdup(norm);
		img->layers[i].size = (int64_t)m->size;
		img->layers[i].media_type = strdup("application/vnd.docker.image.rootfs.diff.tar");
		if (name_digest(norm, NULL, digest) || name_digest(norm, ".tar", digest)) {
			img->layers[i].digest = strdup(digest);
			img->verify[i] = VERIFY_BLOB;
		} else {
			img->verify[i] = VERIFY_DIFF_ID;
		}
		img->n_layers++;
	}
	json_decref(root);
	r = image_parse_config(img, err);
	if (r < 0)
		return r;
	/* Layers named by an opaque id carry no digest of their own: they are
	 * known by their diff_id, which the stream is checked against. */
	for (i = 0; i < img->n_layers; i++) {
		if (!img->layers[i].digest) {
			img->layers[i].digest = strdup(img->layers[i].diff_id);
			if (!img->layers[i].digest)
				return bw_error_set(err, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

int archive_open(struct bw_image *img, struct bw_error **err)
{
	struct archive *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return bw_error_set(err, -ENOMEM, "out of memory");
	img->priv = a;
	img->ops = &archive_ops;
	a->members = bw_map_new();
	if (!a->members)
		return bw_error_set(err, -ENOMEM, "out of memory");
	a->fd = open(img->ref.path, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0)
		return bw_error_set(err, -errno, "cannot open `%s`: %s", img->ref.path, strerror(errno));
	r = index_members(a, img->ref.path, err);
	if (r < 0)
		return bw_error_wrap(err, "`%s` is not a readable tar archive", img->ref.path);

	if (img->ref.transport == BW_TRANSPORT_DOCKER_ARCHIVE)
		return docker_archive_load(img, err);

	/* oci-archive: an OCI layout inside a tar. */
	_cleanup_free_ char *index = NULL, *digest = NULL, *mt = NULL;
	size_t len;
	int64_t size = -1;
	if (!find(a, "oci-layout"))
		return bw_error_set(err, -EINVAL, "`%s` is not an oci-archive: no oci-layout member", img->ref.path);
	r = read_member(img, "index.json", BW_MAX_INDEX_SIZE, &index, &len, err);
	if (r < 0)
		return r;
	r = index_select(index, len, "index.json", img->ref.tag, img->opts.platform, &digest, &mt, &size, err);
	if (r < 0)
		return r;
	return image_resolve(img, digest, size, err);
}
