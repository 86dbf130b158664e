/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>

#include "pkg/internal.h"

/*
 * bun.lock, Bun's text lockfile (lockfileVersion 0 and 1). It is JSONC:
 * JSON plus trailing commas (and, being JSONC, comments), so it is first
 * rewritten to plain JSON (same length bound, strings untouched) and then
 * read with jansson.
 *
 * "packages" maps an install path ("name", "parent/name", an alias) to a
 * tuple whose first element is "NAME@RESOLUTION": a registry version, a git
 * resolution ("github:owner/repo#sha", "git+ssh://...#sha": no version, the
 * commit), a tarball or file ("file:..."), or the project's own code
 * ("workspace:...", "link:..."), which is not a dependency and is skipped.
 * An entry whose tuple does not start with a string is an error naming it;
 * the other entries are still reported.
 */

/* Copies data to plain JSON: comments become spaces, a comma followed only
 * by whitespace/comments before `}` or `]` becomes a space. The output has
 * the same length, so JSON error positions still point into the file. */
static char *jsonc_to_json(const char *data, size_t len)
{
	char *o = malloc(len + 1);
	size_t i = 0;

	if (!o)
		return NULL;
	memcpy(o, data, len);
	o[len] = 0;
	while (i < len) {
		char c = o[i];
		if (c == '"') {
			for (i++; i < len && o[i] != '"'; i++)
				if (o[i] == '\\')
					i++;
			i++;
		} else if (c == '/' && i + 1 < len && o[i + 1] == '/') {
			for (; i < len && o[i] != '\n'; i++)
				o[i] = ' ';
		} else if (c == '/' && i + 1 < len && o[i + 1] == '*') {
			size_t s = i;
			char *e = memmem(o + i + 2, len - i - 2, "*/", 2);
			i = e ? (size_t)(e - o) + 2 : len;
			for (; s < i; s++)
				if (o[s] != '\n')
					o[s] = ' ';
		} else if (c == ',') {
			size_t j = i + 1;
			/* skip whitespace and comments (those are blanked when reached) */
			for (;;) {
				while (j < len && (o[j] == ' ' || o[j] == '\t' || o[j] == '\r' || o[j] == '\n'))
					j++;
				if (j + 1 < len && o[j] == '/' && o[j + 1] == '/') {
					while (j < len && o[j] != '\n')
						j++;
				} else if (j + 1 < len && o[j] == '/' && o[j + 1] == '*') {
					char *e = memmem(o + j + 2, len - j - 2, "*/", 2);
					j = e ? (size_t)(e - o) + 2 : len;
				} else
					break;
			}
			if (j < len && (o[j] == '}' || o[j] == ']'))
				o[i] = ' ';
			i++;
		} else
			i++;
	}
	return o;
}

/* A hex-ish commit after '#' (git resolutions), as bun writes it. */
static bool git_resolution(const char *res)
{
	static const char *const pre[] = { "github:", "gitlab:", "bitbucket:", "git+", "git://", "ssh://" };

	for (size_t i = 0; i < BW_ARRAY_SIZE(pre); i++)
		if (bw_startswith(res, pre[i]))
			return true;
	return strchr(res, '#') != NULL;
}

static int bun_entry(const char *path, const char *key, json_t *tuple, struct bw_pkg_list *out, struct bw_error **err)
{
	const char *spec, *at, *res, *hash;
	struct bw_pkg *p;

	if (!json_is_array(tuple) || !json_is_string(json_array_get(tuple, 0)))
		return bw_error_set(err, -EBADMSG, "%s: package `%s`: the first element of its tuple is not a string",
				    path, key);
	spec = json_string_value(json_array_get(tuple, 0));
	at = *spec ? strchr(spec + 1, '@') : NULL; /* a scope's '@' comes first */
	if (!at || at == spec)
		return bw_error_set(err, -EBADMSG, "%s: package `%s`: `%s` is not NAME@VERSION", path, key, spec);
	res = at + 1;
	if (bw_startswith(res, "workspace:") || bw_startswith(res, "link:"))
		return 0; /* the project's own code */
	p = pkg_add(out, "npm", "javascript-bun-lock", NULL, NULL, path);
	if (!p || pkg_set(&p->name, spec, (size_t)(at - spec)) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	hash = strrchr(res, '#');
	if (git_resolution(res)) {
		if (hash && hash[1] && pkg_sets(&p->commit, hash + 1) < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
	} else if (!bw_startswith(res, "file:") && !strstr(res, "://") && pkg_sets(&p->version, res) < 0) {
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int parse_bun_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	_cleanup_free_ char *js = NULL;
	json_error_t je;
	json_t *root, *pkgs, *v;
	const char *k;
	int r = 0;

	if (len > BW_MAX_PKG_META_SIZE * 8u)
		return bw_error_set(err, -EFBIG, "%s: too large", path);
	js = jsonc_to_json(data, len);
	if (!js)
		return bw_error_set(err, -ENOMEM, "out of memory");
	root = json_loadb(js, len, 0, &je);
	if (!root)
		return bw_error_set(err, -EBADMSG, "%s:%d: not a bun lockfile: %s", path, je.line, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return bw_error_set(err, -EBADMSG, "%s: not a bun lockfile (not an object)", path);
	}
	pkgs = json_object_get(root, "packages");
	json_object_foreach(pkgs, k, v)
	{
		/* A bad entry does not hide the others: the first error is kept
		 * (bw_error_set keeps the first) and reported at the end. */
		int q = bun_entry(path, k, v, out, err);
		if (q == -ENOMEM) {
			r = q;
			break;
		}
		if (q < 0 && r == 0)
			r = q;
	}
	json_decref(root);
	return r;
}
