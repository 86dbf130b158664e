/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_IMAGE_INTERNAL_H
#define BW_IMAGE_INTERNAL_H

/* Private to src/image/: the pieces that sources, the layer reader and the
 * merged file system share. */

#include <jansson.h>

#include "bulwark/image.h"
#include "bulwark/limits.h"

/* Media types we know. */
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* Consumes a blob's bytes as they arrive. 0 or -errno with *err set. */
typedef int (*blob_write_fn)(void *ud, const void *p, size_t n, struct bw_error **err);

struct source_ops {
	/* Fetches a manifest or index by tag or digest. *ret_media_type may be
	 * NULL when the source has no out-of-band type (then the JSON's own
	 * mediaType field decides). The caller verifies digests. */
	int (*get_manifest)(struct bw_image *img, const char *tag_or_digest, char **ret,
			    size_t *ret_len, char **ret_media_type, struct bw_error **err);
	/* Fetches a small blob (a config) of at most cap bytes. */
	int (*get_blob)(struct bw_image *img, const char *digest, size_t cap, char **ret,
			size_t *ret_len, struct bw_error **err);
	/* Streams a layer blob, as stored, into write(). The caller verifies the
	 * digest and size, so sources only move bytes. Called from several
	 * threads at once for different layers. */
	int (*stream_blob)(struct bw_image *img, const struct bw_layer_desc *layer,
			   blob_write_fn write, void *ud, struct bw_error **err);
	/* Instead of stream_blob, for sources on local files: where the layer
	 * blob lies (a new descriptor the caller closes, an offset, and the
	 * length, -1 for up to the end of the file), so the reader can map it
	 * instead of copying it through read(). */
	int (*blob_fd)(struct bw_image *img, const struct bw_layer_desc *layer, int *ret_fd,
		       uint64_t *ret_offset, int64_t *ret_len, struct bw_error **err);
	/* Frees img->priv. */
	void (*done)(struct bw_image *img);
};

/* How a layer's integrity is checked while it streams. */
enum layer_verify {
	VERIFY_BLOB = 0, /* sha256 of the stored bytes == layer->digest */
	VERIFY_DIFF_ID,	 /* sha256 of the uncompressed tar == layer->diff_id */
};

struct bw_image {
	struct bw_ref ref;
	struct bw_image_opts opts;
	char *index_digest; /* the index the manifest was chosen from, if any */
	char *manifest_digest;
	char *manifest_media_type;
	char *manifest_json;
	char *config_digest;
	int64_t config_size;
	char *config_json;
	char *platform;
	struct bw_layer_desc *layers;
	enum layer_verify *verify;
	size_t n_layers;
	const struct source_ops *ops;
	void *priv;
};

/* ------------------------------------------------ manifest.c */

/* Resolves tag_or_digest through ops->get_manifest: an index is narrowed to
 * the requested platform (and an index inside it, to BW_MAX_INDEX_DEPTH),
 * every fetched document is checked against the digest that named it, then
 * the manifest's config is fetched, verified and parsed. Fills img's
 * manifest, config, platform and layers. size is what the descriptor that
 * named tag_or_digest declares (-1 when unknown): every document must have
 * exactly the size its descriptor declares. */
int image_resolve(struct bw_image *img, const char *tag_or_digest, int64_t size, struct bw_error **err);

/* Parses a manifest (OCI or Docker v2 schema 2) into img. */
int image_parse_manifest(struct bw_image *img, const char *json, size_t len, struct bw_error **err);
/* Parses img->config_json: platform and diff_ids (attached to layers). */
int image_parse_config(struct bw_image *img, struct bw_error **err);

/* Picks one manifest from an index for platform ("os/arch[/variant]", NULL
 * for this host's). If tag is not NULL, only entries annotated
 * org.opencontainers.image.ref.name == tag qualify (OCI layouts). */
int index_select(const char *json, size_t len, const char *what, const char *tag,
		 const char *platform, char **ret_digest, char **ret_media_type, int64_t *ret_size,
		 struct bw_error **err);

/* This host's platform as "linux/amd64" etc. */
const char *host_platform(void);

/* ------------------------------------------------ sources */
int registry_open(struct bw_image *img, struct bw_error **err);
int layout_open(struct bw_image *img, struct bw_error **err);
int archive_open(struct bw_image *img, struct bw_error **err); /* docker- and oci-archive */

/* Loads a registry's credentials for host from (in order) the
 * REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json and
 * ~/.docker/config.json (plain `auth` entries). 0 and NULLs when none. */
int registry_credentials(const char *host, char **ret_user, char **ret_pass, struct bw_error **err);

/* ------------------------------------------------ decompress.c */

/*
 * A layer stream: the stored bytes of a layer go in through
 * layer_stream_write() (a blob_write_fn); they are counted and hashed, the
 * compression is recognised by its magic bytes (gzip through isa-l, zstd,
 * or none), and the tar inside is pushed into the tar reader. Decompressed
 * bytes are counted against BW_MAX_LAYER_UNCOMPRESSED and the ratio cap.
 */
struct layer_stream;
struct tar_reader;

enum compression { COMP_UNKNOWN = 0, COMP_NONE, COMP_GZIP, COMP_ZSTD };

/* stable_input: the buffers written stay valid until layer_stream_release()
 * (or the stream's end), so the hasher reads them in place, uncopied. */
struct layer_stream *layer_stream_new(struct tar_reader *tar, int64_t expected_size,
				      bool hash_uncompressed, bool stable_input);
/* With stable input: returns once no buffer written so far is still in use. */
void layer_stream_release(struct layer_stream *ls);
struct layer_stream *layer_stream_free(struct layer_stream *ls);
int layer_stream_write(void *ls, const void *p, size_t n, struct bw_error **err);
/* Ends the stream: checks the decompressor and the tar reader finished and
 * the byte count equals the expected size, and gives the digests. */
int layer_stream_finish(struct layer_stream *ls, char ret_raw_digest[72],
			char ret_diff_digest[72], struct bw_error **err);
uint64_t layer_stream_raw_bytes(const struct layer_stream *ls);
uint64_t layer_stream_tar_bytes(const struct layer_stream *ls);
enum compression layer_stream_compression(const struct layer_stream *ls);

/* ------------------------------------------------ fs.c */

/*
 * A layer index: every entry of one layer as the tar reader saw it, kept
 * compactly until the layer can be merged (layers finish out of order).
 */
struct layer_index;
struct tar_entry;

struct layer_index *layer_index_new(void);
struct layer_index *layer_index_free(struct layer_index *li);
int layer_index_add(struct layer_index *li, const struct tar_entry *e, struct bw_error **err);
size_t layer_index_count(const struct layer_index *li);

struct bw_fs *fs_new(void);
/* Merges a layer on top of fs: whiteouts first (they only hide lower
 * layers), then the entries in archive order. */
int fs_apply_layer(struct bw_fs *fs, const struct layer_index *li, int layer, bool whiteouts,
		   struct bw_error **err);

/* ------------------------------------------------ dirsrc.c */
/* Fills fs from an unpacked root file system, without following symlinks
 * and without leaving it for proc, sys and other pseudo file systems. */
int dir_read_fs(const char *root, struct bw_fs *fs, struct bw_error **err);

/* ------------------------------------------------ visit.c */
/* Runs a content hook over the regular files of fs, read from root (a dir:
 * source) without leaving it, as one layer numbered -1. */
int dir_visit(const char *root, struct bw_fs *fs, const struct bw_content_hook *hook,
	      struct bw_error **err);

/* ------------------------------------------------ layout.c */

/* Opens name below dirfd without leaving it (openat2 RESOLVE_BENEATH, no
 * magic links), read-only. -errno. */
int open_beneath(int dirfd, const char *name);
/* Pushes fd's bytes from offset, len of them (-1: to EOF), into write(). */
int stream_fd(int fd, const char *what, uint64_t offset, int64_t len, blob_write_fn write, void *ud,
	      struct bw_error **err);
/* "blobs/sha256/<hex>" for a digest; -EINVAL for a malformed digest. */
int blob_path(const char *digest, char out[96]);

/* ------------------------------------------------ json helpers */
const char *json_str(json_t *obj, const char *key);

/* ------------------------------------------------ registry.c: a client for sign/ */

/* A registry connection apart from an image, to read and write what sits
 * beside it (signatures). push asks the token server for push access too.
 * registry_get_manifest() returns -ENOENT without setting *err when the tag
 * or digest does not exist; the others fail like the image source does. */
struct registry;
int registry_client_open(const struct bw_ref *ref, const struct bw_image_opts *opts, bool push,
			 struct registry **ret, struct bw_error **err);
struct registry *registry_client_free(struct registry *reg);
int registry_get_manifest(struct registry *reg, const char *tag_or_digest, char **ret,
			  size_t *ret_len, char **ret_media_type, struct bw_error **err);
int registry_get_blob(struct registry *reg, const char *digest, size_t cap, char **ret,
		      size_t *ret_len, struct bw_error **err);
/* Uploads a blob unless the registry has it (POST, then one PUT). */
int registry_put_blob(struct registry *reg, const char *digest, const void *p, size_t n,
		      struct bw_error **err);
int registry_put_manifest(struct registry *reg, const char *tag, const char *media_type,
			  const void *p, size_t n, struct bw_error **err);

#endif
