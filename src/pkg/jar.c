/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <zip.h>

#include "pkg/internal.h"

/*
 * Java archives (jar, war, ear, and the jars nested in them): every
 * META-INF/maven/GROUP/ARTIFACT/pom.properties is a package; an archive
 * without one is named by its META-INF/MANIFEST.MF (Implementation-* or
 * Bundle-* fields), or else by its file name (NAME-VERSION.jar).
 *
 * The archive is read from memory with libzip, which checks the central
 * directory against the local headers (ZIP_CHECKCONS). We cap the entries
 * we look at, the bytes each entry may inflate to (counted as read, not as
 * the header claims), the total inflated per archive, and the nesting.
 */

#define JAR_MAX_DEPTH 4

struct jar_ctx {
	const char *path; /* outermost file, for locations */
	struct bw_pkg_list *out;
	uint64_t inflated; /* across all nesting levels */
	struct bw_error **err;
};

/* Reads entry i whole (at most cap bytes) into a NUL-terminated buffer. */
static int entry_read(struct jar_ctx *j, zip_t *z, zip_uint64_t i, size_t cap, char **ret, size_t *ret_len)
{
	struct bw_buf b = BW_BUF_INIT(cap);
	char chunk[16384];
	zip_file_t *f = zip_fopen_index(z, i, 0);
	zip_int64_t n;
	int r = 0;

	if (!f)
		return -EBADMSG;
	while ((n = zip_fread(f, chunk, sizeof(chunk))) > 0) {
		j->inflated += (uint64_t)n;
		if (j->inflated > BW_MAX_JAR_INFLATE || bw_buf_append(&b, chunk, (size_t)n) < 0) {
			r = -EFBIG;
			break;
		}
	}
	if (n < 0)
		r = -EBADMSG;
	zip_fclose(f);
	if (r == 0 && bw_buf_append(&b, "", 0) < 0)
		r = -ENOMEM;
	if (r < 0) {
		bw_buf_done(&b);
		return r;
	}
	*ret_len = b.len;
	*ret = bw_buf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

/* "key=value" or "Key: value" lines; value of key or NULL (in a copy). */
static char *prop(const char *data, size_t len, const char *key, char sep)
{
	struct lines c = { data, data + len };
	const char *line;
	size_t n, kn = strlen(key);

	while (next_line(&c, &line, &n)) {
		const char *v;
		size_t vn;
		if (n <= kn || memcmp(line, key, kn))
			continue;
		v = line + kn;
		vn = n - kn;
		trim(&v, &vn);
		if (!vn || *v != sep)
			continue;
		v++, vn--;
		trim(&v, &vn);
		if (!vn)
			return NULL;
		/* a manifest value may continue on lines that start with one space */
		return strndup(v, vn);
	}
	return NULL;
}

static int add_maven(struct jar_ctx *j, const char *loc, const char *group, const char *artifact, const char *version,
		     const char *cataloger)
{
	_cleanup_free_ char *name = NULL;
	struct bw_pkg *p;

	if (!artifact || !*artifact || !version || !*version)
		return 0;
	if (asprintf(&name, "%s:%s", group && *group ? group : artifact, artifact) < 0)
		return -ENOMEM;
	p = pkg_add(j->out, "maven", cataloger, name, version, loc);
	return p ? 0 : -ENOMEM;
}

/* NAME-VERSION.jar: the version starts at the last '-' followed by a digit. */
static int from_filename(struct jar_ctx *j, const char *loc, const char *inner)
{
	const char *base = strrchr(inner, '/');
	_cleanup_free_ char *stem = NULL;
	char *dot, *dash = NULL;

	base = base ? base + 1 : inner;
	stem = strdup(base);
	if (!stem)
		return -ENOMEM;
	dot = strrchr(stem, '.');
	if (dot)
		*dot = 0;
	for (char *c = stem; *c; c++)
		if (*c == '-' && c[1] >= '0' && c[1] <= '9')
			dash = c;
	if (!dash || dash == stem)
		return 0;
	*dash = 0;
	return add_maven(j, loc, NULL, stem, dash + 1, "java-archive-filename");
}

static bool is_archive_name(const char *n)
{
	return bw_endswith(n, ".jar") || bw_endswith(n, ".war") || bw_endswith(n, ".ear") ||
	       bw_endswith(n, ".jpi") || bw_endswith(n, ".hpi");
}

static int jar_walk(struct jar_ctx *j, const char *loc, const char *inner, const char *data, size_t len,
		    int depth)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;
	zip_int64_t n;
	size_t from = j->out->n;
	_cleanup_free_ char *manifest = NULL;
	size_t manifest_len = 0;
	int r = 0;

	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (!src) {
		zip_error_fini(&ze);
		return -ENOMEM;
	}
	z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!z) {
		zip_source_free(src);
		zip_error_fini(&ze);
		return -EBADMSG;
	}
	zip_error_fini(&ze);
	n = zip_get_num_entries(z, 0);
	if (n < 0 || (uint64_t)n > BW_MAX_JAR_ENTRIES) {
		zip_discard(z);
		return -EFBIG;
	}
	for (zip_int64_t i = 0; i < n && r == 0; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
		_cleanup_free_ char *d = NULL;
		size_t dn;

		if (!name)
			continue;
		if (bw_startswith(name, "META-INF/maven/") && bw_endswith(name, "/pom.properties")) {
			if (entry_read(j, z, (zip_uint64_t)i, BW_MAX_PKG_META_SIZE, &d, &dn) < 0)
				continue;
			_cleanup_free_ char *g = prop(d, dn, "groupId", '='), *a = prop(d, dn, "artifactId", '='),
					    *v = prop(d, dn, "version", '=');
			r = add_maven(j, loc, g, a, v, "java-archive");
		} else if (!strcmp(name, "META-INF/MANIFEST.MF")) {
			free(manifest);
			manifest = NULL;
			(void)entry_read(j, z, (zip_uint64_t)i, BW_MAX_PKG_META_SIZE, &manifest, &manifest_len);
		} else if (depth < JAR_MAX_DEPTH && is_archive_name(name)) {
			_cleanup_free_ char *nloc = NULL;
			int k = entry_read(j, z, (zip_uint64_t)i, BW_MAX_JAR_SIZE, &d, &dn);
			if (k == -ENOMEM)
				r = k;
			if (k < 0)
				continue;
			if (asprintf(&nloc, "%s:%s", loc, name) < 0) {
				r = -ENOMEM;
				break;
			}
			k = jar_walk(j, nloc, name, d, dn, depth + 1);
			if (k == -ENOMEM)
				r = k;
		}
	}
	zip_discard(z);
	if (r < 0 || j->out->n > from)
		return r;
	/* No pom.properties: the manifest, then the file name. */
	if (manifest) {
		_cleanup_free_ char *t = prop(manifest, manifest_len, "Implementation-Title", ':');
		_cleanup_free_ char *v = prop(manifest, manifest_len, "Implementation-Version", ':');
		_cleanup_free_ char *g = prop(manifest, manifest_len, "Implementation-Vendor-Id", ':');
		if (!t || !v) {
			free(t), free(v);
			t = prop(manifest, manifest_len, "Bundle-SymbolicName", ':');
			v = prop(manifest, manifest_len, "Bundle-Version", ':');
			if (t)
				t[strcspn(t, ";")] = 0; /* "name;singleton:=true" */
		}
		if (t && v && !strchr(t, ' ')) {
			r = add_maven(j, loc, g, t, v, "java-archive-manifest");
			if (r < 0 || j->out->n > from)
				return r;
		}
	}
	return from_filename(j, loc, inner);
}

int parse_java_archive(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	struct jar_ctx j = { path, out, 0, err };
	size_t from = out->n;
	int r = jar_walk(&j, path, path, data, len, 0);

	if (r == -ENOMEM)
		return bw_error_set(err, r, "out of memory");
	if (r == -EFBIG)
		return bw_error_set(err, -EFBIG, "%s: archive over its entry or size limits", path);
	if (r < 0)
		return bw_error_set(err, -EBADMSG, "%s: not a zip archive", path);
	return pkg_dedupe(out, from, err);
}
