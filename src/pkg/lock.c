/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>

#include "pkg/internal.h"

/*
 * Lockfiles and manifests of project folders: each names exact versions.
 * JSON ones through jansson (Pipfile.lock, composer.lock and installed.json,
 * packages.lock.json, *.deps.json, renv.lock, Package.resolved,
 * conan.lock), TOML ones through toml_walk() (Cargo.lock, poetry.lock,
 * pdm.lock, uv.lock), line formats by hand (yarn.lock v1 and berry,
 * Gemfile.lock, go.mod, gradle.lockfile, mix.lock). Versions are reported as
 * the lockfile writes them, except where the ecosystem's PURL drops a
 * prefix (go.mod's `v`, Pipfile's `==`).
 */

static struct bw_pkg *add_n(struct bw_pkg_list *out, const char *type, const char *cataloger, const char *path,
			    const char *name, size_t nn, const char *ver, size_t vn)
{
	struct bw_pkg *p = pkg_add(out, type, cataloger, NULL, NULL, path);

	if (!p)
		return NULL;
	if (pkg_set(&p->name, name, nn) < 0 || (ver && pkg_set(&p->version, ver, vn) < 0)) {
		pkg_done(p);
		out->n--;
		return NULL;
	}
	return p;
}

static struct bw_pkg *add_s(struct bw_pkg_list *out, const char *type, const char *cataloger, const char *path,
			    const char *name, const char *ver)
{
	return add_n(out, type, cataloger, path, name, strlen(name), ver, ver ? strlen(ver) : 0);
}

#define NOMEM(err) bw_error_set(err, -ENOMEM, "out of memory")

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *jload(const char *path, const char *data, size_t len, struct bw_error **err)
{
	json_error_t je;
	json_t *root;

	if (len > BW_MAX_PKG_META_SIZE * 8u) {
		bw_error_set(err, -EFBIG, "%s: too large", path);
		return NULL;
	}
	root = json_loadb(data, len, 0, &je);
	if (!root) {
		bw_error_set(err, -EBADMSG, "%s:%d: not JSON: %s", path, je.line, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		bw_error_set(err, -EBADMSG, "%s: not a JSON object", path);
		return NULL;
	}
	return root;
}

/* ---------------------------------------------------------------- JSON */

int parse_pipfile_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	static const char *const groups[] = { "default", "develop" };
	json_t *root = jload(path, data, len, err);
	size_t from = out->n;
	int r = 0;

	if (!root)
		return -EBADMSG;
	for (size_t g = 0; g < 2 && r == 0; g++) {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(root, groups[g]), k, v)
		{
			const char *ver = jstr(v, "version");
			struct bw_pkg *p;
			if (!ver)
				continue;
			ver += strspn(ver, "=<>~! ");
			if (!*ver)
				continue;
			p = add_s(out, "pypi", "pipfile-lock", path, k, ver);
			if (!p) {
				r = NOMEM(err);
				break;
			}
			p->dev = g == 1;
		}
	}
	json_decref(root);
	return r ? r : pkg_dedupe(out, from, err);
}

/* composer.lock ("packages", "packages-dev") and vendor/composer/installed.json
 * (an array, or {"packages": [...]} since Composer 2). */
int parse_composer_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			struct bw_error **err)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je), *lists[2] = { NULL, NULL };
	int r = 0;

	if (!root || !(json_is_object(root) || json_is_array(root))) {
		json_decref(root);
		return bw_error_set(err, -EBADMSG, "%s: not a composer lockfile", path);
	}
	if (json_is_array(root))
		lists[0] = root;
	else {
		lists[0] = json_object_get(root, "packages");
		lists[1] = json_object_get(root, "packages-dev");
	}
	for (size_t g = 0; g < 2 && r == 0; g++) {
		size_t i;
		json_t *v;
		json_array_foreach(lists[g], i, v)
		{
			const char *n = jstr(v, "name"), *ver = jstr(v, "version");
			struct bw_pkg *p;
			json_t *lic = json_object_get(v, "license");
			if (!n || !ver)
				continue;
			p = add_s(out, "composer", "php-composer-lock", path, n, ver);
			if (!p) {
				r = NOMEM(err);
				break;
			}
			p->dev = g == 1;
			if (json_is_array(lic) && json_is_string(json_array_get(lic, 0)) &&
			    pkg_sets(&p->license, json_string_value(json_array_get(lic, 0))) < 0)
				r = NOMEM(err);
		}
	}
	json_decref(root);
	return r;
}

/* NuGet packages.lock.json: dependencies by target framework. */
int parse_nuget_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		     struct bw_error **err)
{
	json_t *root = jload(path, data, len, err), *fw, *v;
	const char *f, *k;
	size_t from = out->n;
	int r = 0;

	if (!root)
		return -EBADMSG;
	json_object_foreach(json_object_get(root, "dependencies"), f, fw)
	{
		json_object_foreach(fw, k, v)
		{
			const char *ver = jstr(v, "resolved"), *t = jstr(v, "type");
			if (!ver || (t && !strcmp(t, "Project")))
				continue;
			if (!add_s(out, "nuget", "dotnet-packages-lock", path, k, ver)) {
				r = NOMEM(err);
				goto out;
			}
		}
	}
out:
	json_decref(root);
	return r ? r : pkg_dedupe(out, from, err);
}

/* .NET *.deps.json: "libraries" keyed NAME/VERSION, type package or project. */
int parse_dotnet_deps(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err)
{
	json_t *root = jload(path, data, len, err), *v;
	const char *k;
	int r = 0;

	if (!root)
		return -EBADMSG;
	json_object_foreach(json_object_get(root, "libraries"), k, v)
	{
		const char *t = jstr(v, "type"), *sl = strchr(k, '/');
		if (!t || strcmp(t, "package") || !sl || sl == k || !sl[1])
			continue;
		if (!add_n(out, "nuget", "dotnet-deps", path, k, (size_t)(sl - k), sl + 1, strlen(sl + 1))) {
			r = NOMEM(err);
			break;
		}
	}
	json_decref(root);
	return r;
}

int parse_renv_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		    struct bw_error **err)
{
	json_t *root = jload(path, data, len, err), *v;
	const char *k;
	int r = 0;

	if (!root)
		return -EBADMSG;
	json_object_foreach(json_object_get(root, "Packages"), k, v)
	{
		const char *n = jstr(v, "Package"), *ver = jstr(v, "Version"), *src = jstr(v, "Source");
		/* renv records where a package came from: only repository packages have a registry version */
		if (!n || !ver || (src && strcmp(src, "Repository")) || !jstr(v, "Repository"))
			continue;
		if (!add_s(out, "cran", "r-renv-lock", path, n, ver)) {
			r = NOMEM(err);
			break;
		}
	}
	json_decref(root);
	return r;
}

/* SwiftPM Package.resolved v1 (object.pins, repositoryURL) and v2/v3
 * (pins, location): the name is the URL without scheme and `.git`. */
int parse_swift_resolved(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			 struct bw_error **err)
{
	json_t *root = jload(path, data, len, err), *pins, *v;
	size_t i;
	int r = 0;

	if (!root)
		return -EBADMSG;
	pins = json_object_get(root, "pins");
	if (!pins)
		pins = json_object_get(json_object_get(root, "object"), "pins");
	if (!json_is_array(pins)) {
		json_decref(root);
		return bw_error_set(err, -EBADMSG, "%s: no pins", path);
	}
	json_array_foreach(pins, i, v)
	{
		const char *u = jstr(v, "location"), *ver = jstr(json_object_get(v, "state"), "version"), *s;
		size_t n;
		if (!u)
			u = jstr(v, "repositoryURL");
		if (!u || !ver)
			continue;
		if ((s = strstr(u, "://")))
			u = s + 3;
		n = strlen(u);
		if (n > 4 && !strcmp(u + n - 4, ".git"))
			n -= 4;
		if (!add_n(out, "swift", "swift-package-resolved", path, u, n, ver, strlen(ver))) {
			r = NOMEM(err);
			break;
		}
	}
	json_decref(root);
	return r;
}

/* A conan reference: name/version[@user/channel][#rev][:package_id]. */
static int conan_ref(struct bw_pkg_list *out, const char *path, const char *ref, bool dev, struct bw_error **err)
{
	size_t n = strcspn(ref, "@#:");
	const char *sl = memchr(ref, '/', n);
	struct bw_pkg *p;

	if (!sl || sl == ref || (size_t)(sl - ref) + 1 >= n)
		return 0;
	p = add_n(out, "conan", "conan-lock", path, ref, (size_t)(sl - ref), sl + 1, n - (size_t)(sl - ref) - 1);
	if (!p)
		return NOMEM(err);
	p->dev = dev;
	return 0;
}

int parse_conan_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		     struct bw_error **err)
{
	json_t *root = jload(path, data, len, err), *nodes, *v;
	const char *k;
	size_t i;
	int r = 0;

	if (!root)
		return -EBADMSG;
	nodes = json_object_get(json_object_get(root, "graph_lock"), "nodes");
	if (json_is_object(nodes)) {
		json_object_foreach(nodes, k, v)
		{
			const char *ref = jstr(v, "ref");
			if (!ref)
				ref = jstr(v, "pref");
			if (!ref || json_object_get(v, "path"))
				continue; /* the consumer's own conanfile */
			r = conan_ref(out, path, ref, false, err);
			if (r < 0)
				break;
		}
	} else {
		static const char *const lists[] = { "requires", "build_requires", "python_requires" };
		for (size_t l = 0; l < 3 && r == 0; l++)
			json_array_foreach(json_object_get(root, lists[l]), i, v)
			{
				if (json_is_string(v) && (r = conan_ref(out, path, json_string_value(v), l == 1, err)) < 0)
					break;
			}
	}
	json_decref(root);
	return r;
}

/* ---------------------------------------------------------------- TOML */

enum toml_kind { TK_CARGO, TK_POETRY, TK_PDM, TK_UV };

struct toml_lock {
	enum toml_kind kind;
	const char *path;
	struct bw_pkg_list *out;
	bool in_pkg; /* inside a [[package]] */
	char *name, *version, *commit;
	bool dev, skip;
};

static int toml_emit(struct toml_lock *t)
{
	static const char *const type[] = { "cargo", "pypi", "pypi", "pypi" };
	static const char *const cat[] = { "rust-cargo-lock", "python-poetry-lock", "python-pdm-lock", "python-uv-lock" };
	int r = 0;

	if (t->in_pkg && t->name && t->version && !t->skip) {
		struct bw_pkg *p = add_s(t->out, type[t->kind], cat[t->kind], t->path, t->name, t->version);
		if (!p)
			r = -ENOMEM;
		else {
			p->dev = t->dev;
			p->commit = TAKE_PTR(t->commit);
		}
	}
	free(t->name);
	free(t->version);
	free(t->commit);
	t->name = t->version = t->commit = NULL;
	t->dev = t->skip = false;
	return r;
}

static int toml_lock_fn(void *ud, const char *table, bool flag, const char *key, const char *val, size_t vlen)
{
	struct toml_lock *t = ud;

	if (!key) {
		/* a table header: [[package]] starts a package, others may end one */
		if (flag && !strcmp(table, "package")) {
			int r = toml_emit(t);
			t->in_pkg = true;
			return r;
		}
		if (!bw_startswith(table, "package.")) {
			int r = toml_emit(t);
			t->in_pkg = false;
			return r;
		}
		return 0;
	}
	if (!t->in_pkg || strcmp(table, "package"))
		return 0;
	if (flag && !strcmp(key, "name"))
		return pkg_set(&t->name, val, vlen);
	if (flag && !strcmp(key, "version"))
		return pkg_set(&t->version, val, vlen);
	if (t->kind == TK_POETRY && flag && !strcmp(key, "category"))
		t->dev = !strcmp(val, "dev");
	if (t->kind == TK_PDM && !strcmp(key, "groups"))
		t->dev = strstr(val, "\"default\"") == NULL && strstr(val, "'default'") == NULL;
	if (t->kind == TK_UV && !strcmp(key, "source"))
		t->skip = strstr(val, "virtual") || strstr(val, "editable");
	/* a git source pins a commit: Cargo "git+URL#SHA", uv { git = "URL#SHA" } */
	if ((t->kind == TK_UV || t->kind == TK_CARGO) && !strcmp(key, "source") && memmem(val, vlen, "git", 3)) {
		const char *h = memrchr(val, '#', vlen), *e = val + vlen, *c;
		for (c = h ? h + 1 : e; c < e && isxdigit((unsigned char)*c); c++)
			;
		if (h && c - h - 1 >= 7)
			return pkg_set(&t->commit, h + 1, (size_t)(c - h - 1));
	}
	return 0;
}

static int parse_toml_lock(enum toml_kind kind, const char *path, const char *data, size_t len,
			   struct bw_pkg_list *out, struct bw_error **err)
{
	struct toml_lock t = { .kind = kind, .path = path, .out = out };
	int r = toml_walk(path, data, len, toml_lock_fn, &t, err);

	if (r == 0 && toml_emit(&t) < 0)
		r = NOMEM(err);
	free(t.name);
	free(t.version);
	free(t.commit);
	return r;
}

int parse_cargo_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	return parse_toml_lock(TK_CARGO, path, data, len, out, err);
}

int parse_poetry_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	return parse_toml_lock(TK_POETRY, path, data, len, out, err);
}

int parse_pdm_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	return parse_toml_lock(TK_PDM, path, data, len, out, err);
}

int parse_uv_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	return parse_toml_lock(TK_UV, path, data, len, out, err);
}

/* ---------------------------------------------------------------- yarn */

/* Unquotes a yarn token in place (v1 writes "a b", berry writes a: b). */
static void unquote(const char **s, size_t *n)
{
	trim(s, n);
	if (*n >= 2 && (**s == '"' || **s == '\'') && (*s)[*n - 1] == **s) {
		(*s)++;
		*n -= 2;
	}
}

/* The package name of one yarn key spec: "name@range", "@scope/name@range",
 * "alias@npm:real@range" (the real name counts). */
static bool yarn_spec_name(const char *s, size_t n, const char **ret, size_t *ret_n)
{
	const char *at;

	trim(&s, &n);
	if (n && (*s == '"' || *s == '\''))
		s++, n--;
	if (n && (s[n - 1] == '"' || s[n - 1] == '\''))
		n--;
	at = n > 1 ? memchr(s + 1, '@', n - 1) : NULL;
	if (!at) {
		/* a bare name (no range) */
		*ret = s;
		*ret_n = n;
		return n > 0;
	}
	/* alias@npm:real@range */
	if ((size_t)(s + n - at) > 5 && !memcmp(at + 1, "npm:", 4)) {
		const char *r = at + 5, *e = s + n;
		const char *at2 = e - r > 1 ? memchr(r + 1, '@', (size_t)(e - r - 1)) : NULL;
		if (at2 && at2 > r) {
			*ret = r;
			*ret_n = (size_t)(at2 - r);
			return true;
		}
	}
	*ret = s;
	*ret_n = (size_t)(at - s);
	return true;
}

int parse_yarn_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line, *name = NULL;
	size_t n, name_n = 0, lineno = 0, from = out->n;
	bool in_entry = false, local = false;
	const char *key = NULL;
	size_t key_n = 0;

	while (next_line(&c, &line, &n)) {
		lineno++;
		if (!n || line[0] == '#')
			continue;
		if (line[0] != ' ') {
			/* an entry key: "spec, spec:" */
			if (line[n - 1] != ':')
				return bw_error_set(err, -EBADMSG, "%s:%zu: not a yarn.lock entry", path, lineno);
			key = line;
			key_n = n - 1;
			in_entry = true;
			name = NULL;
			local = false;
			if (key_n == 10 && !memcmp(key, "__metadata", 10)) {
				in_entry = false;
				continue;
			}
			/* the first spec names the package */
			const char *comma = memchr(key, ',', key_n);
			size_t first = comma ? (size_t)(comma - key) : key_n;
			if (!yarn_spec_name(key, first, &name, &name_n))
				in_entry = false;
			else {
				/* berry workspaces and the root project: "name@workspace:." */
				local = memmem(key, key_n, "@workspace:.\"", 13) != NULL || (memmem(key, key_n, "@workspace:.", 12) &&
						 key[key_n - 1] == '.');
			}
			continue;
		}
		if (!in_entry || n < 3 || line[1] != ' ' || line[2] == ' ')
			continue;
		const char *f = line + 2, *v;
		size_t fn = n - 2, vn;
		/* v1: `version "1.2.3"`; berry: `version: 1.2.3`; either may quote the field name */
		bool q = fn > 9 && !memcmp(f, "\"version\"", 9);
		if (q)
			f++, fn--;
		if (fn <= 8 || memcmp(f, "version", 7) || (q ? f[7] != '"' : false))
			continue;
		v = f + 7 + q;
		vn = fn - 7 - q;
		if (*v == ':')
			v++, vn--;
		else if (*v != ' ')
			continue;
		unquote(&v, &vn);
		if (!vn || local)
			continue;
		if (!add_n(out, "npm", "javascript-yarn-lock", path, name, name_n, v, vn))
			return NOMEM(err);
		in_entry = false;
	}
	return pkg_dedupe(out, from, err);
}

/* ---------------------------------------------------------------- Gemfile.lock */

int parse_gemfile_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line;
	size_t n, from = out->n;
	bool in_specs = false, in_gemsec = false;

	while (next_line(&c, &line, &n)) {
		if (n && line[0] != ' ') {
			in_gemsec = (n == 3 && !memcmp(line, "GEM", 3)) || (n == 3 && !memcmp(line, "GIT", 3)) ||
				    (n == 4 && !memcmp(line, "PATH", 4)) || (n == 7 && !memcmp(line, "PLUGIN ", 7));
			in_specs = false;
			continue;
		}
		if (!in_gemsec)
			continue;
		if (n == 8 && !memcmp(line, "  specs:", 8)) {
			in_specs = true;
			continue;
		}
		if (!in_specs || n < 5 || memcmp(line, "    ", 4) || line[4] == ' ')
			continue;
		/* "    name (version[-platform])" */
		const char *s = line + 4, *sp = memchr(s, ' ', n - 4), *close;
		if (!sp || sp + 1 >= line + n || sp[1] != '(' ||
		    !(close = memchr(sp, ')', (size_t)(line + n - sp))))
			continue;
		const char *v = sp + 2;
		/* "1.13.3-x86_64-linux": gem versions have no '-', a platform follows it */
		size_t vn = strcspn(v, "-)");
		if (v + vn > close)
			vn = (size_t)(close - v);
		if (!vn)
			continue;
		if (!add_n(out, "gem", "ruby-gemfile-lock", path, s, (size_t)(sp - s), v, vn))
			return NOMEM(err);
	}
	return pkg_dedupe(out, from, err);
}

/* ---------------------------------------------------------------- go.mod */

struct gomod_req {
	char *path, *ver;
};

struct gomod_rep {
	char *old, *oldver, *new, *newver;
};

static bool gomod_word(const char **s, const char *end, const char **w, size_t *wn)
{
	while (*s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
	if (*s >= end || (end - *s >= 2 && (*s)[0] == '/' && (*s)[1] == '/'))
		return false;
	if (**s == '"' || **s == '`') {
		char q = **s;
		const char *e = memchr(*s + 1, q, (size_t)(end - *s - 1));
		if (!e)
			return false;
		*w = *s + 1;
		*wn = (size_t)(e - *s - 1);
		*s = e + 1;
		return true;
	}
	*w = *s;
	while (*s < end && **s != ' ' && **s != '\t')
		(*s)++;
	*wn = (size_t)(*s - *w);
	return true;
}

static char *vstrip(const char *v, size_t n)
{
	if (n && v[0] == 'v')
		v++, n--;
	return strndup(v, n);
}

int parse_go_mod(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line;
	size_t n, lineno = 0, nreq = 0, nrep = 0, areq = 0, arep = 0, from = out->n;
	struct gomod_req *req = NULL;
	struct gomod_rep *rep = NULL;
	char *gover = NULL, *toolchain = NULL;
	int block = 0; /* 1 require, 2 replace, 3 other */
	int r = 0;

	while (r == 0 && next_line(&c, &line, &n)) {
		const char *s = line, *end = line + n, *w, *args[6];
		size_t wn, argn[6], na = 0;
		int verb = block;

		lineno++;
		if (!gomod_word(&s, end, &w, &wn))
			continue;
		if (block && wn == 1 && *w == ')') {
			block = 0;
			continue;
		}
		if (!block) {
			if (wn == 7 && !memcmp(w, "require", 7))
				verb = 1;
			else if (wn == 7 && !memcmp(w, "replace", 7))
				verb = 2;
			else if ((wn == 6 && !memcmp(w, "module", 6)) || (wn == 2 && !memcmp(w, "go", 2)) ||
				 (wn == 9 && !memcmp(w, "toolchain", 9)) || (wn == 7 && !memcmp(w, "exclude", 7)) ||
				 (wn == 7 && !memcmp(w, "retract", 7)) || (wn == 6 && !memcmp(w, "godebug", 6)) ||
				 (wn == 4 && !memcmp(w, "tool", 4)) || (wn == 6 && !memcmp(w, "ignore", 6)))
				verb = 3;
			else {
				r = bw_error_set(err, -EBADMSG, "%s:%zu: unknown directive `%.*s`", path, lineno,
						 (int)(wn > 64 ? 64 : wn), w);
				break;
			}
			if (wn == 2 && !memcmp(w, "go", 2) && gomod_word(&s, end, &w, &wn)) {
				free(gover);
				gover = strndup(w, wn);
				continue;
			}
			if (wn == 9 && !memcmp(w, "toolchain", 9) && gomod_word(&s, end, &w, &wn)) {
				free(toolchain);
				toolchain = strndup(w, wn);
				continue;
			}
			if (!gomod_word(&s, end, &w, &wn))
				continue;
			if (wn == 1 && *w == '(') {
				block = verb;
				continue;
			}
		}
		args[na] = w;
		argn[na++] = wn;
		while (na < 6 && gomod_word(&s, end, &args[na], &argn[na]))
			na++;
		if (verb == 1 && na >= 2) {
			if (nreq == areq) {
				size_t a = areq ? areq * 2 : 32;
				void *v = nreq < BW_MAX_PKGS ? realloc(req, a * sizeof(*req)) : NULL;
				if (!v) {
					r = NOMEM(err);
					break;
				}
				req = v;
				areq = a;
			}
			req[nreq].path = strndup(args[0], argn[0]);
			req[nreq].ver = strndup(args[1], argn[1]);
			nreq++;
			if (!req[nreq - 1].path || !req[nreq - 1].ver)
				r = NOMEM(err);
		} else if (verb == 2) {
			/* old [v] => new [v] */
			size_t arrow = 1 + (na > 1 && strncmp(args[1], "=>", 2) != 0);
			if (arrow >= na || argn[arrow] != 2 || memcmp(args[arrow], "=>", 2) || arrow + 1 >= na)
				continue;
			if (nrep == arep) {
				size_t a = arep ? arep * 2 : 16;
				void *v = nrep < BW_MAX_PKGS ? realloc(rep, a * sizeof(*rep)) : NULL;
				if (!v) {
					r = NOMEM(err);
					break;
				}
				rep = v;
				arep = a;
			}
			struct gomod_rep *x = &rep[nrep++];
			*x = (struct gomod_rep){ strndup(args[0], argn[0]), arrow == 2 ? strndup(args[1], argn[1]) : NULL,
						 strndup(args[arrow + 1], argn[arrow + 1]),
						 arrow + 2 < na ? strndup(args[arrow + 2], argn[arrow + 2]) : NULL };
			if (!x->old || !x->new)
				r = NOMEM(err);
		}
	}
	for (size_t i = 0; r == 0 && i < nreq; i++) {
		const char *p = req[i].path, *v = req[i].ver;
		for (size_t k = nrep; k-- > 0;) {
			if (strcmp(rep[k].old, p) || (rep[k].oldver && strcmp(rep[k].oldver, v)))
				continue;
			p = rep[k].new;
			v = rep[k].newver ? rep[k].newver : "";
			break;
		}
		_cleanup_free_ char *vv = vstrip(v, strlen(v));
		if (!vv || !add_s(out, "golang", "go-mod", path, p, vv))
			r = NOMEM(err);
	}
	if (r == 0 && (toolchain || gover)) {
		const char *t = toolchain && bw_startswith(toolchain, "go") ? toolchain + 2 : gover;
		size_t tn = t ? strcspn(t, "-+") : 0;
		if (t && tn && !add_n(out, "golang", "go-mod", path, "stdlib", 6, t, tn))
			r = NOMEM(err);
	}
	for (size_t i = 0; i < nreq; i++)
		free(req[i].path), free(req[i].ver);
	for (size_t i = 0; i < nrep; i++)
		free(rep[i].old), free(rep[i].oldver), free(rep[i].new), free(rep[i].newver);
	free(req);
	free(rep);
	free(gover);
	free(toolchain);
	return r < 0 ? r : pkg_dedupe(out, from, err);
}

/* ---------------------------------------------------------------- small ones */

/* gradle.lockfile: "group:artifact:version=configurations". */
int parse_gradle_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line;
	size_t n;

	while (next_line(&c, &line, &n)) {
		trim(&line, &n);
		if (!n || line[0] == '#' || (n >= 6 && !memcmp(line, "empty=", 6)))
			continue;
		const char *eq = memchr(line, '=', n);
		size_t m = eq ? (size_t)(eq - line) : n;
		const char *c1 = memchr(line, ':', m), *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(line + m - c1 - 1)) : NULL;
		if (!c1 || !c2 || c2 + 1 >= line + m || memchr(c2 + 1, ':', (size_t)(line + m - c2 - 1)))
			continue;
		if (!add_n(out, "maven", "java-gradle-lockfile", path, line, (size_t)(c2 - line), c2 + 1,
			   (size_t)(line + m - c2 - 1)))
			return NOMEM(err);
	}
	return 0;
}

/* mix.lock: `"name": {:hex, :name, "version", ...}`. */
int parse_mix_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line;
	size_t n;

	while (next_line(&c, &line, &n)) {
		const char *e = line + n, *q1, *q2, *h, *v1, *v2;
		trim(&line, &n);
		e = line + n;
		if (n < 4 || line[0] != '"' || !(q1 = memchr(line + 1, '"', n - 1)))
			continue;
		h = memmem(q1, (size_t)(e - q1), "{:hex, :", 8);
		if (!h)
			continue;
		q2 = memchr(h + 8, ',', (size_t)(e - h - 8));
		if (!q2 || !(v1 = memchr(q2, '"', (size_t)(e - q2))) || !(v2 = memchr(v1 + 1, '"', (size_t)(e - v1 - 1))))
			continue;
		if (!add_n(out, "hex", "elixir-mix-lock", path, h + 8, (size_t)(q2 - h - 8), v1 + 1,
			   (size_t)(v2 - v1 - 1)))
			return NOMEM(err);
	}
	return 0;
}
