/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_IMAGE_H
#define BULWARK_IMAGE_H

/*
 * image: open a container image from any source, read its manifest and
 * config, and build the merged file system its layers describe, the way a
 * runtime would see it, without writing anything to the host.
 *
 * Sources, named by a reference string:
 *   docker-archive:PATH[:REF]   `docker save` tarball
 *   oci-archive:PATH[:TAG]      tarball of an OCI image layout
 *   oci:DIR[:TAG|@DIGEST]       OCI image layout directory
 *   dir:ROOTFS                  an unpacked root file system
 *   [HOST[:PORT]/]REPO[:TAG|@DIGEST]   a registry (Distribution API)
 * A bare path to a tar file or a layout directory is detected by content.
 */

#include "bulwark/core.h"

enum bw_transport {
	BW_TRANSPORT_REGISTRY = 0,
	BW_TRANSPORT_DOCKER_ARCHIVE,
	BW_TRANSPORT_OCI_ARCHIVE,
	BW_TRANSPORT_OCI_LAYOUT,
	BW_TRANSPORT_DIR,
};

/* A parsed reference. All strings are owned by the struct. */
struct bw_ref {
	enum bw_transport transport;
	char *path;	  /* archives, layouts, dir */
	char *registry;	  /* registry host[:port], e.g. "docker.io" */
	char *repository; /* e.g. "library/alpine" */
	char *tag;	  /* NULL when none was given (and no default applies) */
	char *digest;	  /* "sha256:..." or NULL */
	char *name;	  /* canonical form, e.g. "docker.io/library/alpine:latest" */
};

/* Parses s. Registry references are normalised as docker does
 * (`alpine` -> docker.io/library/alpine:latest). */
BW_API int bw_ref_parse(const char *s, struct bw_ref *ret, struct bw_error **err);
BW_API void bw_ref_done(struct bw_ref *ref);

struct bw_image_opts {
	size_t sz;		/* sizeof(struct bw_image_opts) */
	const char *platform;	/* "os/arch[/variant]"; NULL = this host's */
	bool insecure;		/* registries: plain HTTP and unverified TLS allowed */
	const char *username;	/* registries: overrides the auth files */
	const char *password;
	unsigned timeout_sec;	/* registries: a request that stalls this long fails; 0 = 60 */
	unsigned threads;	/* layers read at once; 0 = number of CPUs */
};

struct bw_image;

struct bw_layer_desc {
	char *digest;	  /* digest of the blob as stored (compressed) */
	char *media_type;
	int64_t size;	  /* bytes of the blob; -1 when the source does not say */
	char *diff_id;	  /* digest of the uncompressed tar (from the config), or NULL */
};

BW_API int bw_image_open(const char *ref, const struct bw_image_opts *opts, struct bw_image **ret,
			 struct bw_error **err);
BW_API struct bw_image *bw_image_free(struct bw_image *img);

/* Accessors. Strings are owned by the image; NULL when the source has none
 * (a dir: source has no manifest, config or layers). */
BW_API const struct bw_ref *bw_image_ref(const struct bw_image *img);
BW_API const char *bw_image_manifest_digest(const struct bw_image *img);
/* The index (manifest list) the platform's manifest was chosen from. */
BW_API const char *bw_image_index_digest(const struct bw_image *img);
BW_API const char *bw_image_manifest_media_type(const struct bw_image *img);
BW_API const char *bw_image_manifest_json(const struct bw_image *img);
BW_API const char *bw_image_config_digest(const struct bw_image *img);
BW_API const char *bw_image_config_json(const struct bw_image *img);
/* "os/arch[/variant]" from the config or the index entry that was chosen. */
BW_API const char *bw_image_platform(const struct bw_image *img);
BW_API size_t bw_image_layer_count(const struct bw_image *img);
BW_API const struct bw_layer_desc *bw_image_layer(const struct bw_image *img, size_t i);

/* ---------------------------------------------------------------- merged fs */

enum bw_ftype {
	BW_FT_REG = 0,
	BW_FT_DIR,
	BW_FT_SYMLINK,
	BW_FT_CHAR,
	BW_FT_BLOCK,
	BW_FT_FIFO,
	BW_FT_SOCK,
};

BW_API const char *bw_ftype_name(enum bw_ftype t);

/* One file of the merged file system. Strings live as long as the bw_fs. */
struct bw_file {
	const char *path;  /* absolute, "/" for the root */
	enum bw_ftype type;
	uint32_t mode;	   /* permission bits incl. setuid/setgid/sticky */
	uint32_t uid, gid;
	uint64_t size;	   /* regular files; 0 otherwise */
	int64_t mtime;
	const char *link;  /* symlink target; for a hard link, the path it links to */
	bool hardlink;
	uint32_t devmajor, devminor;
	int layer;	   /* index of the layer that last set it; -1 for dir: */
};

struct bw_fs;

/* Reads every layer (in parallel, one streaming pass each) and merges them
 * in order with OCI whiteouts; for dir: walks the directory without
 * following symlinks. */
BW_API int bw_image_read_fs(struct bw_image *img, struct bw_fs **ret, struct bw_error **err);
BW_API struct bw_fs *bw_fs_free(struct bw_fs *fs);
BW_API size_t bw_fs_count(const struct bw_fs *fs);

/* Calls fn for every file under prefix ("/" for all), parents before
 * children, siblings in byte order of their names. A non-zero return from
 * fn stops the walk and is returned. */
typedef int (*bw_fs_walk_fn)(const struct bw_file *f, void *userdata);
BW_API int bw_fs_walk(const struct bw_fs *fs, const char *prefix, bw_fs_walk_fn fn, void *userdata,
		      struct bw_error **err);

/*
 * A content hook: catalogers see the bytes of the regular files they ask
 * for while each layer streams, in the same single pass, in the worker
 * threads (each layer on one thread; several layers at once, so per-layer
 * state must not be shared without a lock). For a dir: source the files are
 * read from the directory after it is walked, with layer -1.
 *
 * Order per layer: layer_begin, then for each regular file file_begin and,
 * when it returned true, file_data (in pieces) and file_end, then
 * layer_end. Paths are normalised, relative to the image root (no leading
 * "/"). Hard links, symlinks and whiteouts are not reported: the hook
 * decides afterwards, against the merged file system (the file's path
 * resolves to a regular file whose layer is the one that delivered it),
 * which of the copies it saw are the ones that count.
 */
struct bw_content_hook {
	size_t sz; /* sizeof(struct bw_content_hook) */
	void *userdata;
	/* *ret_state is passed to the per-file calls of this layer. */
	int (*layer_begin)(void *userdata, int layer, void **ret_state, struct bw_error **err);
	bool (*file_begin)(void *state, const char *path, uint64_t size, uint32_t mode);
	/* Return 1 to stop receiving this file's data (file_end still follows). */
	int (*file_data)(void *state, const void *p, size_t n, struct bw_error **err);
	int (*file_end)(void *state, struct bw_error **err);
	/* ok is false when the layer failed or was cancelled. */
	void (*layer_end)(void *state, bool ok);
	/* Optional (NULL: not called): every entry of the layer in archive
	 * order, whiteouts (".wh." names) included, before file_begin for a
	 * regular file. f->path is relative like the other paths; f->layer is
	 * the layer; for dir: sources every file of the walk but the root. */
	int (*entry)(void *state, const struct bw_file *f, struct bw_error **err);
};

/* bw_image_read_fs() with a content hook (NULL: none). An error from the
 * hook fails the read like a bad layer. */
BW_API int bw_image_read_fs_hook(struct bw_image *img, const struct bw_content_hook *hook,
				 struct bw_fs **ret, struct bw_error **err);

/*
 * Reads only the layers of img whose want[i] is true (every layer when want
 * is NULL), in parallel, through hook, without building the merged file
 * system: for a hook that keeps per-layer results itself (a cache of them).
 * A dir: source is walked as one layer numbered -1 (want is ignored).
 */
BW_API int bw_image_read_layers(struct bw_image *img, const bool *want, const struct bw_content_hook *hook,
				struct bw_error **err);

/* ---------------------------------------------------------------- layer cache */

/*
 * Per-layer results, kept in one SQLite file DIR/layers.db and keyed by an
 * analyzer name, the layer's diff_id and its blob digest (so a config that
 * claims another layer's diff_id cannot plant results for it), with the
 * analyzer's version: an entry of another version is a miss. Safe for
 * concurrent scans (WAL journal, busy timeout). A damaged file is replaced
 * with a warning; a damaged entry reads as missing, with a warning.
 */
struct bw_layer_cache;

/* $XDG_CACHE_HOME/bulwark, else ~/.cache/bulwark; NULL when out of memory. */
BW_API char *bw_layer_cache_default_dir(void);
/* Opens (creating it and dir when missing) the cache in dir. */
BW_API int bw_layer_cache_open(const char *dir, struct bw_layer_cache **ret, struct bw_error **err);
BW_API struct bw_layer_cache *bw_layer_cache_free(struct bw_layer_cache *c);
BW_API const char *bw_layer_cache_path(const struct bw_layer_cache *c);
/* 0 with a malloc'd copy (NUL-terminated past ret_len) of what was stored
 * for layer l, or -ENOENT (also for a layer without a diff_id). */
BW_API int bw_layer_cache_get(struct bw_layer_cache *c, const char *analyzer, const char *version,
			      const struct bw_layer_desc *l, void **ret, size_t *ret_len, struct bw_error **err);
/* Stores data for layer l, replacing what was there (a layer without a
 * diff_id is not stored). -EIO with *err when the file cannot be written. */
BW_API int bw_layer_cache_put(struct bw_layer_cache *c, const char *analyzer, const char *version,
			      const struct bw_layer_desc *l, const void *data, size_t len, struct bw_error **err);
/* Removes the cache file of dir; *ret_removed tells whether there was one. */
BW_API int bw_layer_cache_clean(const char *dir, bool *ret_removed, struct bw_error **err);

/* Looks path up inside the image: symlinks in its directories are followed
 * inside the image (an absolute target starts at the image root, `..` stops
 * at the root), and so is a final symlink when follow is true. -ENOENT,
 * -ENOTDIR or -ELOOP with a message naming the path. *ret's strings point
 * into fs, except path, which is the resolved path in a buffer of the fs
 * that the next lookup overwrites. */
BW_API int bw_fs_lookup(struct bw_fs *fs, const char *path, bool follow, struct bw_file *ret,
			struct bw_error **err);

#endif
