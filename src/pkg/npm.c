/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>

#include "bulwark/version.h"

#include "pkg/internal.h"

/*
 * Node: an installed package's package.json (node_modules/NAME/package.json)
 * and package-lock.json / npm-shrinkwrap.json (v1 nested "dependencies",
 * v2/v3 "packages" keyed by node_modules path), and a project's package.json
 * with its dependencies (npm-manifest).
 */

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *load(const char *path, const char *data, size_t len, struct bw_error **err)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES * 0, &je);

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

int parse_npm_package_json(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			   struct bw_error **err)
{
	json_t *root = load(path, data, len, err);
	const char *name, *ver, *lic;
	json_t *engines;
	struct bw_pkg *p;
	int r = 0;

	if (!root)
		return -EBADMSG;
	name = jstr(root, "name");
	ver = jstr(root, "version");
	engines = json_object_get(root, "engines");
	/* VS Code extensions and Unity packages share the file name. */
	if (!name || !*name || !ver || !*ver || (json_is_object(engines) && json_object_get(engines, "vscode")) ||
	    json_object_get(root, "unity") || json_object_get(root, "contributes"))
		goto out;
	p = pkg_add(out, "npm", "npm-package", name, ver, path);
	if (!p) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	lic = jstr(root, "license");
	if (!lic && json_is_object(json_object_get(root, "license")))
		lic = jstr(json_object_get(root, "license"), "type");
	if (lic && pkg_sets(&p->license, lic) < 0)
		r = bw_error_set(err, -ENOMEM, "out of memory");
out:
	json_decref(root);
	return r;
}

/*
 * The commit a git resolution pins, or NULL: "git+ssh://...#SHA",
 * "git://...#SHA", "https://host/x.git#SHA", "github:o/r#SHA" (also gitlab:,
 * bitbucket:), "...#commit=SHA", a codeload tarball URL, or a github.com /
 * gitlab.com / bitbucket.org URL's fragment. Points into s.
 */
const char *npm_git_commit(const char *s, size_t *ret_n)
{
	static const char *const schemes[] = { "git://", "git+ssh://", "git+https://", "ssh://", "github:", "gitlab:", "bitbucket:" };
	static const char *const hosts[] = { "://github.com/", "://gitlab.com/", "://bitbucket.org/" };
	const char *h = strrchr(s, '#'), *c = NULL;
	bool git = false;

	for (size_t i = 0; i < BW_ARRAY_SIZE(schemes); i++)
		git |= bw_startswith(s, schemes[i]);
	if (h && (git || (bw_startswith(s, "https://") && h - s > 4 && !memcmp(h - 4, ".git", 4))))
		c = h + 1;
	if (h && !c && (bw_startswith(h, "#commit=") || bw_startswith(h, "#commit:")))
		c = h + 8;
	if (!c && bw_startswith(s, "https://codeload.github.com/")) {
		const char *t = strstr(s, "/tar.gz/");
		c = t ? t + 8 : NULL;
	}
	if (!c && h) {
		for (size_t i = 0; i < BW_ARRAY_SIZE(hosts); i++)
			if (strstr(s, hosts[i]) && !memchr(s, '?', (size_t)(h - s)))
				c = h + 1;
	}
	if (bw_startswith(c ? c : "", "commit="))
		c += 7;
	if (!c)
		return NULL;
	*ret_n = strspn(c, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ_.-");
	return *ret_n && !c[*ret_n] ? c : NULL;
}

static int set_commit(struct bw_pkg *p, const char *res)
{
	size_t n;
	const char *c = res ? npm_git_commit(res, &n) : NULL;

	return c ? pkg_set(&p->commit, c, n) : 0;
}

/* v1: nested "dependencies" keyed by name. An alias's version is
 * "npm:REAL@VERSION" (the real name counts); a git dependency's version is
 * its resolution, which gives a commit and no version. */
static int lock_v1(const char *path, json_t *deps, int depth, struct bw_pkg_list *out, struct bw_error **err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(deps))
		return 0;
	if (depth > 64)
		return bw_error_set(err, -ELOOP, "%s: dependencies nested too deep", path);
	json_object_foreach(deps, k, v)
	{
		const char *ver = jstr(v, "version"), *name = k;
		size_t name_n = strlen(k), cn;
		struct bw_pkg *p;
		int r;

		if (!json_is_object(v))
			continue;
		if (ver && *ver) {
			const char *commit = npm_git_commit(ver, &cn);
			if (bw_startswith(ver, "npm:")) {
				const char *real = ver + 4, *at = strrchr(real, '@');
				if (at && at > real) {
					name = real;
					name_n = (size_t)(at - real);
					ver = at + 1;
				}
			}
			p = pkg_add(out, "npm", "npm-package-lock", NULL, NULL, path);
			if (!p || pkg_set(&p->name, name, name_n) < 0)
				return bw_error_set(err, -ENOMEM, "out of memory");
			/* git, file and URL dependencies have no registry version */
			if (!commit && !bw_startswith(ver, "file:") && !strstr(ver, "://") && !bw_startswith(ver, "git+") &&
			    !bw_startswith(ver, "github:") && !bw_startswith(ver, "gitlab:") && !bw_startswith(ver, "bitbucket:") &&
			    pkg_sets(&p->version, ver) < 0)
				return bw_error_set(err, -ENOMEM, "out of memory");
			if (commit && pkg_set(&p->commit, commit, cn) < 0)
				return bw_error_set(err, -ENOMEM, "out of memory");
			p->dev = json_is_true(json_object_get(v, "dev"));
		}
		r = lock_v1(path, json_object_get(v, "dependencies"), depth + 1, out, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int parse_npm_package_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			   struct bw_error **err)
{
	json_t *root = load(path, data, len, err);
	json_t *pkgs, *v;
	const char *k;
	size_t from = out->n;
	int r = 0;

	if (!root)
		return -EBADMSG;
	pkgs = json_object_get(root, "packages");
	if (json_is_object(pkgs)) {
		json_object_foreach(pkgs, k, v)
		{
			const char *nm = k, *ver, *s, *res;
			struct bw_pkg *p;
			size_t cn;

			if (!*k || !json_is_object(v) || json_is_true(json_object_get(v, "link")))
				continue;
			while ((s = strstr(nm, "node_modules/")))
				nm = s + 13;
			if (nm == k)
				continue; /* a workspace folder, not an installed package */
			ver = jstr(v, "version");
			res = jstr(v, "resolved");
			/* a git dependency may have no version, only its commit */
			if ((!ver || !*ver) && !(res && npm_git_commit(res, &cn)))
				continue;
			/* an alias's entry names the real package */
			if (jstr(v, "name") && *jstr(v, "name"))
				nm = jstr(v, "name");
			p = pkg_add(out, "npm", "npm-package-lock", nm, ver && *ver ? ver : NULL, path);
			if (!p || set_commit(p, res) < 0) {
				r = bw_error_set(err, -ENOMEM, "out of memory");
				break;
			}
			p->dev = json_is_true(json_object_get(v, "dev"));
		}
	} else {
		r = lock_v1(path, json_object_get(root, "dependencies"), 0, out, err);
	}
	json_decref(root);
	if (r == 0)
		r = pkg_dedupe(out, from, err);
	return r;
}

/*
 * The lowest version an npm range allows (node-semver's minVersion): it is
 * 0.0.0 (or 0.0.0-0), or one of the range's own bounds (`>=V`, `^V`, `~V`,
 * `V`, `V - W`, `V.x`: V with x as 0), or the next patch after a `>V` bound
 * (V-pre.0 after a prerelease). Each candidate is checked with
 * bw_npm_range_satisfies and the smallest one kept. Writes it to buf;
 * false when the range is not a valid npm range or allows nothing.
 */
static bool npm_min_version(const char *range, char *buf, size_t bufsz)
{
	char best[160] = "";
	const char *s = range;
	bool ok;

	if (strlen(range) > 256)
		return false;
	if (bw_npm_range_satisfies(range, "0.0.0", 0, &ok) < 0)
		return false;
	if (ok) {
		snprintf(buf, bufsz, "0.0.0");
		return true;
	}
	if (bw_npm_range_satisfies(range, "0.0.0-0", BW_SEMVER_INCLUDE_PRERELEASE, &ok) == 0 && ok &&
	    bw_npm_range_satisfies(range, "0.0.0-0", 0, &ok) == 0 && ok) {
		snprintf(buf, bufsz, "0.0.0-0");
		return true;
	}
	while (*s) {
		char cand[2][160];
		uint64_t part[3] = { 0, 0, 0 };
		size_t np = 0, pre_n = 0;
		const char *pre = NULL;

		char prev = s > range ? s[-1] : ' ';
		/* a version starts at a digit that does not continue a word or a version */
		if (!isdigit((unsigned char)*s) || (isalnum((unsigned char)prev) && prev != 'v' && prev != 'V') ||
		    prev == '.' || prev == '-' || prev == '+') {
			s++;
			continue;
		}
		/* MAJOR[.MINOR[.PATCH]] with x, X or * for a missing part, then -PRE */
		while (np < 3) {
			char *e;
			if (*s == 'x' || *s == 'X' || *s == '*') {
				s++;
			} else {
				unsigned long long v = strtoull(s, &e, 10);
				if (e == s || v > 1000000000000ull)
					break;
				part[np] = v;
				s = e;
			}
			np++;
			if (*s != '.' || np == 3)
				break;
			s++;
		}
		if (*s == '-') {
			pre = ++s;
			pre_n = strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-");
			s += pre_n;
		}
		s += strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-");
		if (pre && pre_n < 64) {
			snprintf(cand[0], sizeof(cand[0]), "%llu.%llu.%llu-%.*s", (unsigned long long)part[0],
				 (unsigned long long)part[1], (unsigned long long)part[2], (int)pre_n, pre);
			snprintf(cand[1], sizeof(cand[1]), "%.100s.0", cand[0]);
		} else {
			snprintf(cand[0], sizeof(cand[0]), "%llu.%llu.%llu", (unsigned long long)part[0],
				 (unsigned long long)part[1], (unsigned long long)part[2]);
			snprintf(cand[1], sizeof(cand[1]), "%llu.%llu.%llu", (unsigned long long)part[0],
				 (unsigned long long)part[1], (unsigned long long)part[2] + 1);
		}
		for (int i = 0; i < 2; i++) {
			int cmp;
			if (bw_npm_range_satisfies(range, cand[i], BW_SEMVER_INCLUDE_PRERELEASE, &ok) < 0 || !ok)
				continue;
			if (!*best || (bw_semver_compare(cand[i], best, 0, &cmp) == 0 && cmp < 0))
				memcpy(best, cand[i], sizeof(best));
		}
	}
	if (!*best)
		return false;
	snprintf(buf, bufsz, "%s", best);
	return true;
}

/*
 * A project's package.json as a package source: the package itself (as
 * parse_npm_package_json) and each of its `dependencies` at the lowest
 * version its range allows. Ranges that are not npm ranges (git, file,
 * URLs, tags) are skipped; so are devDependencies.
 */
int parse_npm_manifest(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	size_t from = out->n;
	int r = parse_npm_package_json(path, data, len, out, err);
	json_t *root, *v;
	const char *k;

	if (r < 0 || out->n == from)
		return r; /* not JSON, no name/version, or not an npm package */
	root = load(path, data, len, err);
	if (!root)
		return -EBADMSG;
	json_object_foreach(json_object_get(root, "dependencies"), k, v)
	{
		char ver[160];
		if (!json_is_string(v) || !npm_min_version(json_string_value(v), ver, sizeof(ver)))
			continue;
		if (!pkg_add(out, "npm", "npm-package-json", k, ver, path)) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	json_decref(root);
	return r;
}
