/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_PKG_INTERNAL_H
#define BW_PKG_INTERNAL_H

/* Private to src/pkg/: the parsers and the helpers they share. */

#include <string.h>

#include "bulwark/limits.h"
#include "bulwark/pkg.h"

/* Appends a package with the given fields copied (NULLs allowed) and
 * returns it (its other fields zero, epoch -1, layer -1), or NULL when out
 * of memory. */
struct bw_pkg *pkg_add(struct bw_pkg_list *l, const char *type, const char *cataloger,
		       const char *name, const char *version, const char *location);
/* Frees the strings of one package (not the package itself). */
void pkg_done(struct bw_pkg *p);
/* Replaces *dst with a copy of the n bytes at s (NUL-terminated). -ENOMEM. */
int pkg_set(char **dst, const char *s, size_t n);
static inline int pkg_sets(char **dst, const char *s)
{
	return s ? pkg_set(dst, s, strlen(s)) : 0;
}
/* Fills in the PURLs of the packages from index `from` on. -ENOMEM. */
int pkg_finish(struct bw_pkg_list *l, size_t from, const struct bw_os *os);

/* Drops the packages from index `from` on that repeat an earlier one's
 * type, name, version and commit (lockfiles list a package per place it is
 * installed). -ENOMEM. */
int pkg_dedupe(struct bw_pkg_list *l, size_t from, struct bw_error **err);

/* The commit a git dependency's resolution pins (npm, yarn, bun
 * notations), pointing into s, or NULL. */
const char *npm_git_commit(const char *s, size_t *ret_n);

/* The parser kind of a lockfile path (relative or absolute), or NULL. */
const char *pkg_lockfile_kind(const char *path);

/* Trims spaces and tabs on both ends of [*s, *s+*n). */
void trim(const char **s, size_t *n);

/* A line cursor over a buffer: next line without its "\n" (and "\r").
 * Returns false at the end. */
struct lines {
	const char *p, *end;
};
bool next_line(struct lines *c, const char **ret, size_t *ret_len);

/* ---------------------------------------------------------------- parsers */
/* Each: data/len is the whole file (NUL-terminated at data[len]); path names
 * it. Appends to out; -errno with *err for input that is not of the kind. */
typedef int (*pkg_parse_fn)(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			    struct bw_error **err);

int parse_dpkg_status(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err);
int parse_dpkg_status_d(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			struct bw_error **err);
int parse_opkg_status(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err);
int parse_apk_installed(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			struct bw_error **err);
int parse_python_metadata(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			  struct bw_error **err);
int parse_requirements(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err);
/* requirements.txt with its `-r` includes read through read (may be NULL). */
int parse_requirements_tree(const char *path, const char *data, size_t len, bw_os_read_fn read, void *ud,
			    struct bw_pkg_list *out, struct bw_error **err);
int parse_npm_package_json(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			   struct bw_error **err);
int parse_npm_manifest(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err);
int parse_npm_package_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			   struct bw_error **err);
int parse_go_buildinfo(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err);
int parse_rpmdb(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_java_archive(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err);
/* lockfiles (lock.c, yamllock.c) */
int parse_pipfile_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_composer_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_nuget_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_dotnet_deps(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_renv_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_swift_resolved(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_conan_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_cargo_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_poetry_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_pdm_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_uv_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_yarn_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_gemfile_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_go_mod(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_gradle_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_mix_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_pnpm_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_pubspec_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_stack_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
int parse_podfile_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err);
/* bun.c, gem.c, rustbin.c */
int parse_bun_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		   struct bw_error **err);
int parse_gemspec(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		  struct bw_error **err);
int parse_rust_binary(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err);

/* The TOML subset of toml.c: called for each table header (key NULL,
 * flag: an array-of-tables header) and each key = value of a table (flag:
 * the value was a string, decoded; otherwise its raw text). A negative
 * return stops the walk. */
typedef int (*toml_fn)(void *ud, const char *table, bool flag, const char *key, const char *val, size_t vlen);
int toml_walk(const char *path, const char *data, size_t len, toml_fn fn, void *ud, struct bw_error **err);

/* ---------------------------------------------------------------- layer records (record.c) */

/* Grows the array *v (of *alloc elements of size bytes) to hold need
 * elements, doubling. -ENOMEM leaves it as it was. */
int vec_grow(void **v, size_t *alloc, size_t need, size_t size);

/* A path's 64-bit hash (FNV-1a with a final mix). */
uint64_t path_hash(const char *s, size_t n);

/* A growable array of 64-bit hashes; sorted and unique after u64v_sort(). */
struct u64v {
	uint64_t *v;
	size_t n, alloc;
};
int u64v_push(struct u64v *v, uint64_t x);
void u64v_sort(struct u64v *v);
bool u64v_has(const struct u64v *v, uint64_t x);

/* Capture kinds are scan.c's enum kind, below this bound. */
#define REC_MAX_KIND 64

/* A file of one layer that a cataloger kept. */
struct rcap {
	char *path;    /* relative, as in the layer */
	uint8_t kind;  /* scan.c's enum kind */
	bool dead;     /* replaced later in its own layer (never stored) */
	char *data;    /* OS files: the bytes; OS symlinks: the target */
	size_t len;
	char *warning; /* why parsing it failed, reported when the file counts */
	uint8_t warn_debug; /* the warning is only worth a debug message */
	struct u64v owned;  /* dpkg .list: hashes of the paths it lists (relative) */
	struct bw_pkg_list pkgs; /* parsed from it, without PURLs' distro or layer */
};

/*
 * What one layer holds for cataloguing, on its own: the kept files, the
 * hash of every entry path (low bit set for directories, so lookups try
 * both), and the hashes of the paths its whiteouts and opaque markers name.
 */
struct layer_rec {
	struct rcap *caps;
	size_t n_caps, alloc_caps;
	struct u64v ents, wh, opq;
};

void rcap_done(struct rcap *c);
void layer_rec_done(struct layer_rec *r);
/* Appends the serialised record to b. -ENOMEM or -E2BIG. */
int layer_rec_encode(const struct layer_rec *rec, struct bw_buf *b);
/* Parses a serialised record (untrusted: a cache file may be damaged).
 * -EBADMSG for anything malformed, -ENOMEM. */
int layer_rec_decode(const void *data, size_t len, struct layer_rec *ret);

/* Go binaries: finds the build info blob in a whole binary (for
 * bw_pkg_parse). Returns the offset of the magic or -1. */
#define GO_BUILDINFO_MAGIC "\xff Go buildinf:"
#define GO_BUILDINFO_MAGIC_LEN 14

/* One rpm header blob (as the databases store it) into a package. */
int rpm_header_blob(const char *path, const uint8_t *b, size_t n, struct bw_pkg_list *out);

/* cargo-auditable data searched for in an executable as it streams
 * (rustbin.c): feed its bytes in order (1: nothing more to learn), then
 * finish: true with the inflated JSON (caller frees; kind "rust-binary"). */
struct rust_probe;
struct rust_probe *rust_probe_new(void);
void rust_probe_free(struct rust_probe *rp);
int rust_probe_feed(struct rust_probe *rp, uint64_t off, const uint8_t *p, size_t n);
bool rust_probe_finish(struct rust_probe *rp, char **ret, size_t *ret_len);

#endif
