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
/* Replaces *dst with a copy of the n bytes at s (NUL-terminated). -ENOMEM. */
int pkg_set(char **dst, const char *s, size_t n);
static inline int pkg_sets(char **dst, const char *s)
{
	return s ? pkg_set(dst, s, strlen(s)) : 0;
}
/* Fills in the PURLs of the packages from index `from` on. -ENOMEM. */
int pkg_finish(struct bw_pkg_list *l, size_t from, const struct bw_os *os);

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
int parse_npm_package_json(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			   struct bw_error **err);
int parse_npm_package_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			   struct bw_error **err);
int parse_go_buildinfo(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err);

/* Go binaries: finds the build info blob in a whole binary (for
 * bw_pkg_parse). Returns the offset of the magic or -1. */
#define GO_BUILDINFO_MAGIC "\xff Go buildinf:"
#define GO_BUILDINFO_MAGIC_LEN 14

#endif
