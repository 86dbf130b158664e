/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "pkg/internal.h"

/*
 * apk's lib/apk/db/installed: one "K:value" per line, single-letter keys,
 * a blank line between packages. P name, V version, A arch, o origin (the
 * source package), L licence, c build commit; F a folder and R a file in
 * the last F folder: the files the package owns.
 */

struct apk_rec {
	const char *v[128];
	size_t n[128];
	bool any;
	const char *dir; /* the last F: folder */
	size_t dir_n;
	char **files;
	size_t n_files, alloc_files;
};

static void apk_rec_done(struct apk_rec *a)
{
	for (size_t i = 0; i < a->n_files; i++)
		free(a->files[i]);
	free(a->files);
	*a = (struct apk_rec){ 0 };
}

/* R:name in the last F:dir -> "/dir/name". */
static int apk_file(struct apk_rec *a, const char *name, size_t n)
{
	char *f;

	if (!a->dir || !n || a->dir_n + n + 2 > BW_MAX_PATH)
		return 0;
	if (vec_grow((void **)&a->files, &a->alloc_files, a->n_files + 1, sizeof(*a->files)) < 0 ||
	    asprintf(&f, "/%.*s%s%.*s", (int)a->dir_n, a->dir, a->dir_n ? "/" : "", (int)n, name) < 0)
		return -ENOMEM;
	a->files[a->n_files++] = f;
	return 0;
}

static int apk_emit(struct apk_rec *a, const char *path, struct bw_pkg_list *out,
		    struct bw_error **err)
{
	struct bw_pkg *p;
	int r = 0;

	if (!a->v['P'] || !a->n['P'] || !a->v['V'] || !a->n['V'])
		return 0;
	p = pkg_add(out, "apk", "apk", NULL, NULL, path);
	if (!p)
		return bw_error_set(err, -ENOMEM, "%s: too many packages or out of memory", path);
	r = pkg_set(&p->name, a->v['P'], a->n['P']);
	if (r == 0)
		r = pkg_set(&p->version, a->v['V'], a->n['V']);
	if (r == 0 && a->v['A'])
		r = pkg_set(&p->arch, a->v['A'], a->n['A']);
	if (r == 0 && a->v['o'])
		r = pkg_set(&p->source_name, a->v['o'], a->n['o']);
	if (r == 0 && a->v['o'])
		r = pkg_set(&p->source_version, a->v['V'], a->n['V']);
	if (r == 0 && a->v['L'])
		r = pkg_set(&p->license, a->v['L'], a->n['L']);
	if (r == 0 && a->v['c'])
		r = pkg_set(&p->commit, a->v['c'], a->n['c']);
	if (r == 0 && a->n_files) {
		p->files = TAKE_PTR(a->files);
		p->n_files = a->n_files;
		a->n_files = a->alloc_files = 0;
	}
	if (r < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int parse_apk_installed(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			struct bw_error **err)
{
	struct lines c = { data, data + len };
	struct apk_rec a = { 0 };
	const char *line;
	size_t n, lineno = 0;
	int r;

	while (next_line(&c, &line, &n)) {
		unsigned char k;

		lineno++;
		if (n == 0) {
			r = a.any ? apk_emit(&a, path, out, err) : 0;
			apk_rec_done(&a);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 2 || line[1] != ':' || (unsigned char)line[0] >= 128) {
			apk_rec_done(&a);
			return bw_error_set(err, -EBADMSG, "%s:%zu: not a `K:value` line", path, lineno);
		}
		k = (unsigned char)line[0];
		if (k == 'F') {
			a.dir = line + 2;
			a.dir_n = n - 2;
		} else if (k == 'R' && apk_file(&a, line + 2, n - 2) < 0) {
			apk_rec_done(&a);
			return bw_error_set(err, -ENOMEM, "out of memory");
		}
		/* A package's first value wins (F:/R: repeat, P: does not). */
		if (!a.v[k]) {
			a.v[k] = line + 2;
			a.n[k] = n - 2;
		}
		a.any = true;
	}
	r = a.any ? apk_emit(&a, path, out, err) : 0;
	apk_rec_done(&a);
	return r;
}
