/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>

#include "pkg/internal.h"

/*
 * Node: an installed package's package.json (node_modules/NAME/package.json)
 * and package-lock.json / npm-shrinkwrap.json (v1 nested "dependencies",
 * v2/v3 "packages" keyed by node_modules path).
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
		const char *ver = jstr(v, "version");
		struct bw_pkg *p;
		int r;

		if (!json_is_object(v))
			continue;
		if (ver && *ver) {
			/* git and file dependencies have no registry version. */
			if (bw_startswith(ver, "file:") || strstr(ver, "://") || bw_startswith(ver, "git+") ||
			    bw_startswith(ver, "github:"))
				ver = NULL;
			else if (bw_startswith(ver, "npm:")) {
				/* alias: "npm:real-name@1.2.3" */
				const char *at = strrchr(ver, '@');
				ver = at && at > ver + 4 ? at + 1 : ver;
			}
			p = pkg_add(out, "npm", "npm-package-lock", k, ver, path);
			if (!p)
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
			const char *nm = k, *ver, *s;
			struct bw_pkg *p;

			if (!*k || !json_is_object(v) || json_is_true(json_object_get(v, "link")))
				continue;
			while ((s = strstr(nm, "node_modules/")))
				nm = s + 13;
			if (nm == k)
				continue; /* a workspace folder, not an installed package */
			ver = jstr(v, "version");
			if (!ver || !*ver)
				continue;
			if (jstr(v, "name") && bw_startswith(k, "node_modules/") == false)
				nm = jstr(v, "name");
			p = pkg_add(out, "npm", "npm-package-lock", nm, ver, path);
			if (!p) {
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
