/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>

#include "pkg/internal.h"

/* ---------------------------------------------------------------- lists */

int pkg_set(char **dst, const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		return -ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

struct bw_pkg *pkg_add(struct bw_pkg_list *l, const char *type, const char *cataloger,
		       const char *name, const char *version, const char *location)
{
	struct bw_pkg *p;

	if (l->n >= BW_MAX_PKGS)
		return NULL;
	if (l->n == l->alloc) {
		size_t a = l->alloc ? l->alloc * 2 : 64;
		struct bw_pkg *v = realloc(l->v, a * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->alloc = a;
	}
	p = &l->v[l->n];
	*p = (struct bw_pkg){ .epoch = -1, .layer = -1 };
	if (pkg_sets(&p->type, type) < 0 || pkg_sets(&p->cataloger, cataloger) < 0 ||
	    pkg_sets(&p->name, name) < 0 || pkg_sets(&p->version, version) < 0 ||
	    pkg_sets(&p->location, location) < 0) {
		free(p->type);
		free(p->cataloger);
		free(p->name);
		free(p->version);
		free(p->location);
		return NULL;
	}
	l->n++;
	return p;
}

void pkg_done(struct bw_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->release);
	free(p->arch);
	free(p->source_name);
	free(p->source_version);
	free(p->source_rpm);
	free(p->license);
	free(p->commit);
	free(p->status);
	free(p->purl);
	free(p->type);
	free(p->cataloger);
	free(p->location);
	free(p->owner);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
}

void bw_pkg_list_done(struct bw_pkg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		pkg_done(&l->v[i]);
	free(l->v);
	*l = (struct bw_pkg_list){ 0 };
}

void bw_os_done(struct bw_os *os)
{
	free(os->id);
	free(os->version_id);
	free(os->version);
	free(os->version_codename);
	free(os->name);
	free(os->pretty_name);
	free(os->id_like);
	free(os->family);
	free(os->family_version);
	*os = (struct bw_os){ 0 };
}

void bw_pkg_result_done(struct bw_pkg_result *r)
{
	bw_os_done(&r->os);
	bw_pkg_list_done(&r->pkgs);
	r->warnings = 0;
}

int pkg_dedupe(struct bw_pkg_list *l, size_t from, struct bw_error **err)
{
	struct bw_map *seen = bw_map_new();
	struct bw_buf key = BW_BUF_INIT(BW_MAX_PKG_FIELD * 3 + 8);
	size_t w = from;
	int r = 0;

	if (!seen)
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = from; i < l->n; i++) {
		struct bw_pkg *p = &l->v[i];
		void *at;

		bw_buf_reset(&key);
		if (r == 0)
			r = bw_buf_printf(&key, "%s\n%s\n%s\n%s", p->type ? p->type : "", p->name ? p->name : "",
					  p->version ? p->version : "", p->commit ? p->commit : "");
		at = r == 0 ? bw_map_get(seen, key.data) : NULL;
		if (at) {
			/* A dev copy and a prod copy: it is a prod dependency. */
			struct bw_pkg *first = &l->v[(uintptr_t)at - 1];
			first->dev = first->dev && p->dev;
			pkg_done(p);
			continue;
		}
		l->v[w] = *p;
		if (r == 0)
			r = bw_map_put(seen, key.data, (void *)(uintptr_t)(w + 1));
		w++;
	}
	l->n = w;
	bw_buf_done(&key);
	bw_map_free(seen);
	return r < 0 ? bw_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* ---------------------------------------------------------------- text */

void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

bool next_line(struct lines *c, const char **ret, size_t *ret_len)
{
	const char *nl;
	size_t n;

	if (c->p >= c->end)
		return false;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	n = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
	*ret = c->p;
	c->p += n + (nl ? 1 : 0);
	if (n && (*ret)[n - 1] == '\r')
		n--;
	*ret_len = n;
	return true;
}

/* ---------------------------------------------------------------- purl */

/* Percent-encodes s into b (the PURL spec: unreserved characters stay;
 * keep_slash keeps '/' for golang-style namespaces). */
static int purl_enc(struct bw_buf *b, const char *s, bool keep_slash)
{
	int r = 0;

	for (; *s && r == 0; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || (keep_slash && c == '/'))
			r = bw_buf_append(b, s, 1);
		else
			r = bw_buf_printf(b, "%%%02X", c);
	}
	return r;
}

static bool is_os_type(const char *t)
{
	return !strcmp(t, "deb") || !strcmp(t, "apk") || !strcmp(t, "rpm");
}

char *bw_pkg_purl(const struct bw_pkg *p, const struct bw_os *os)
{
	struct bw_buf b = BW_BUF_INIT(BW_MAX_PATH * 4);
	_cleanup_free_ char *name = NULL;
	const char *type = p->type ? p->type : "generic";
	const char *ns = NULL, *nm;
	char sep = '?';
	int r;

	if (!p->name)
		return NULL;
	name = strdup(p->name);
	if (!name)
		return NULL;
	nm = name;
	if (!strcmp(type, "pypi")) {
		/* PEP 503 normalisation, as the PURL spec asks for pypi. */
		for (char *c = name; *c; c++)
			*c = *c == '_' || *c == '.' ? '-' : (char)tolower((unsigned char)*c);
	} else if (!strcmp(type, "npm") || !strcmp(type, "composer") || !strcmp(type, "golang") ||
		   !strcmp(type, "maven")) {
		char *sl = strrchr(name, !strcmp(type, "maven") ? ':' : '/');
		if (sl) {
			*sl = 0;
			ns = name;
			nm = sl + 1;
		}
	} else if (is_os_type(type)) {
		ns = os && os->id && *os->id ? os->id : !strcmp(type, "deb") ? "debian" : NULL;
	}
	r = bw_buf_printf(&b, "pkg:%s/", type);
	if (r == 0 && ns) {
		r = purl_enc(&b, ns, !strcmp(type, "golang"));
		if (r == 0)
			r = bw_buf_puts(&b, "/");
	}
	if (r == 0)
		r = purl_enc(&b, nm, false);
	if (r == 0 && p->version && *p->version) {
		r = bw_buf_puts(&b, "@");
		if (r == 0)
			r = purl_enc(&b, p->version, false);
		if (r == 0 && p->release && *p->release) {
			r = bw_buf_puts(&b, "-");
			if (r == 0)
				r = purl_enc(&b, p->release, false);
		}
	}
	/* Qualifiers in lexical order of their keys, as the spec requires. */
	if (r == 0 && is_os_type(type)) {
		if (p->arch && *p->arch) {
			r = bw_buf_printf(&b, "%carch=", sep);
			sep = '&';
			if (r == 0)
				r = purl_enc(&b, p->arch, false);
		}
		if (r == 0 && os && os->id && *os->id) {
			r = bw_buf_printf(&b, "%cdistro=", sep);
			sep = '&';
			if (r == 0)
				r = purl_enc(&b, os->id, false);
			if (r == 0 && os->version_id && *os->version_id) {
				r = bw_buf_puts(&b, "-");
				if (r == 0)
					r = purl_enc(&b, os->version_id, false);
			}
		}
		if (r == 0 && !strcmp(type, "rpm") && p->epoch >= 0) {
			r = bw_buf_printf(&b, "%cepoch=%d", sep, p->epoch);
			sep = '&';
		}
		if (r == 0 && p->source_name && *p->source_name && strcmp(p->source_name, p->name)) {
			r = bw_buf_printf(&b, "%cupstream=", sep);
			if (r == 0)
				r = purl_enc(&b, p->source_name, false);
		}
	}
	if (r < 0) {
		bw_buf_done(&b);
		return NULL;
	}
	return bw_buf_steal(&b);
}

int pkg_finish(struct bw_pkg_list *l, size_t from, const struct bw_os *os)
{
	for (size_t i = from; i < l->n; i++) {
		char *u = bw_pkg_purl(&l->v[i], os);
		if (!u)
			return -ENOMEM;
		free(l->v[i].purl);
		l->v[i].purl = u;
	}
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

static const struct {
	const char *kind;
	pkg_parse_fn fn;
} parsers[] = {
	{ "dpkg", parse_dpkg_status },
	{ "dpkg-status.d", parse_dpkg_status_d },
	{ "opkg", parse_opkg_status },
	{ "apk", parse_apk_installed },
	{ "python-metadata", parse_python_metadata },
	{ "requirements.txt", parse_requirements },
	{ "npm-package.json", parse_npm_package_json },
	{ "npm-package-lock", parse_npm_package_lock },
	{ "npm-manifest", parse_npm_manifest },
	{ "go-binary", parse_go_buildinfo },
	{ "rpm", parse_rpmdb },
	{ "java-archive", parse_java_archive },
	{ "Pipfile.lock", parse_pipfile_lock },
	{ "composer.lock", parse_composer_lock },
	{ "packages.lock.json", parse_nuget_lock },
	{ "dotnet-deps.json", parse_dotnet_deps },
	{ "renv.lock", parse_renv_lock },
	{ "Package.resolved", parse_swift_resolved },
	{ "conan.lock", parse_conan_lock },
	{ "Cargo.lock", parse_cargo_lock },
	{ "poetry.lock", parse_poetry_lock },
	{ "pdm.lock", parse_pdm_lock },
	{ "uv.lock", parse_uv_lock },
	{ "yarn.lock", parse_yarn_lock },
	{ "Gemfile.lock", parse_gemfile_lock },
	{ "go.mod", parse_go_mod },
	{ "gradle.lockfile", parse_gradle_lock },
	{ "mix.lock", parse_mix_lock },
	{ "pnpm-lock.yaml", parse_pnpm_lock },
	{ "pubspec.lock", parse_pubspec_lock },
	{ "stack.yaml.lock", parse_stack_lock },
	{ "Podfile.lock", parse_podfile_lock },
	{ "bun.lock", parse_bun_lock },
	{ "rust-binary", parse_rust_binary },
	{ "gemspec", parse_gemspec },
};

const char *const *bw_pkg_kinds(void)
{
	static const char *kinds[BW_ARRAY_SIZE(parsers) + 1];

	for (size_t i = 0; i < BW_ARRAY_SIZE(parsers); i++)
		kinds[i] = parsers[i].kind;
	return kinds;
}

int bw_pkg_parse_tree(const char *kind, const char *path, const char *data, size_t len,
		      const struct bw_os *os, bw_os_read_fn read, void *userdata, struct bw_pkg_list *out,
		      struct bw_error **err)
{
	size_t from = out->n;
	int r;

	for (size_t i = 0; i < BW_ARRAY_SIZE(parsers); i++) {
		if (strcmp(parsers[i].kind, kind))
			continue;
		if (parsers[i].fn == parse_requirements)
			r = parse_requirements_tree(path, data, len, read, userdata, out, err);
		else
			r = parsers[i].fn(path, data, len, out, err);
		/* On a parse error what was found before the bad part is kept. */
		if (pkg_finish(out, from, os) < 0 && r >= 0)
			r = bw_error_set(err, -ENOMEM, "out of memory");
		return r;
	}
	return bw_error_set(err, -EOPNOTSUPP, "unknown package file kind `%s`", kind);
}

int bw_pkg_parse(const char *kind, const char *path, const char *data, size_t len,
		 const struct bw_os *os, struct bw_pkg_list *out, struct bw_error **err)
{
	return bw_pkg_parse_tree(kind, path, data, len, os, NULL, NULL, out, err);
}
