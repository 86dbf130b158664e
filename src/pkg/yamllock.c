/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>

#include "bulwark/yaml.h"
#include "pkg/internal.h"

/*
 * YAML lockfiles, read with the library's bounded YAML loader:
 * pnpm-lock.yaml (lockfileVersion 5.x `/name/version_peers`, 6.x
 * `/name@version(peers)`, 9.x `name@version`), pubspec.lock (Dart),
 * stack.yaml.lock (Haskell) and Podfile.lock (CocoaPods).
 */

static int load_doc(const char *path, const char *data, size_t len, struct bw_yaml_file **f,
		    const struct bw_yaml_node **root, struct bw_error **err)
{
	int r = bw_yaml_parse(path, data, len, f, err);

	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	*root = bw_yaml_file_ndocs(*f) ? bw_yaml_file_doc(*f, 0) : NULL;
	if (!*root || (*root)->type != BW_YAML_MAP) {
		*f = bw_yaml_file_free(*f);
		return bw_error_set(err, -EBADMSG, "%s: not a YAML mapping", path);
	}
	return 0;
}

static bool starts_digit(const char *s, size_t n)
{
	return n && s[0] >= '0' && s[0] <= '9';
}

/* Name and version from a pnpm dependency path; false when it has none. */
static int pnpm_key(const char *k, double ver, const char **name, size_t *nn, const char **v, size_t *vn)
{
	size_t n = strlen(k);

	*name = *v = NULL;
	*nn = *vn = 0;
	if (bw_startswith(k, "file:"))
		return 0;
	if (ver >= 9.0) {
		const char *at = n > 1 ? memchr(k + 1, '@', n - 1) : NULL;
		if (!at)
			return 0;
		*name = k;
		*nn = (size_t)(at - k);
		*v = at + 1;
		*vn = strcspn(at + 1, "(");
		return 0;
	}
	const char *sl = strchr(k, '/');
	if (!sl)
		return -EBADMSG;
	const char *s = sl + 1, *e;
	if (ver >= 6.0) {
		/* [host]/name@version(peers) or /@scope/name@version(peers) */
		size_t m = strcspn(s, "(");
		const char *at = m > 1 ? memrchr(s + 1, '@', m - 1) : NULL;
		if (!at)
			return 0;
		*name = s;
		*nn = (size_t)(at - s);
		*v = at + 1;
		*vn = (size_t)(s + m - at - 1);
	} else {
		/* [host]/name/version_peers or [host]/@scope/name/version_peers */
		e = strchr(s, '/');
		if (s[0] == '@' && e)
			e = strchr(e + 1, '/');
		*name = s;
		*nn = e ? (size_t)(e - s) : strlen(s);
		if (e) {
			*v = e + 1;
			*vn = strcspn(e + 1, "/_(");
		}
	}
	if (!starts_digit(*v, *vn))
		*v = NULL, *vn = 0;
	return 0;
}

int parse_pnpm_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	struct bw_yaml_file *f = NULL;
	const struct bw_yaml_node *root, *pkgs;
	const char *lv;
	double ver = 5.0;
	size_t from = out->n;
	int r;

	r = load_doc(path, data, len, &f, &root, err);
	if (r < 0)
		return r;
	lv = bw_yaml_str(bw_yaml_get(root, "lockfileVersion"));
	if (lv)
		ver = strtod(lv, NULL);
	pkgs = bw_yaml_get(root, "packages");
	for (uint32_t i = 0; r == 0 && pkgs && pkgs->type == BW_YAML_MAP && i < pkgs->n; i++) {
		const char *k = bw_yaml_str(pkgs->kids[2 * i]), *name, *v, *s;
		const struct bw_yaml_node *val = pkgs->kids[2 * i + 1];
		size_t nn, vn;
		struct bw_pkg *p;

		if (!k)
			continue;
		r = pnpm_key(k, ver, &name, &nn, &v, &vn);
		if (r < 0) {
			r = bw_error_set(err, -EBADMSG, "%s: invalid dependency path `%s`", path, k);
			break;
		}
		if ((s = bw_yaml_str(bw_yaml_get(val, "name"))))
			name = s, nn = strlen(s);
		if ((s = bw_yaml_str(bw_yaml_get(val, "version"))))
			v = s, vn = strlen(s);
		if (!name || !nn || !v || !vn)
			continue;
		p = pkg_add(out, "npm", "javascript-pnpm-lock", NULL, NULL, path);
		if (!p || pkg_set(&p->name, name, nn) < 0 || pkg_set(&p->version, v, vn) < 0) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		p->dev = bw_yaml_bool(bw_yaml_get(val, "dev")) == 1;
	}
	bw_yaml_file_free(f);
	return r < 0 ? r : pkg_dedupe(out, from, err);
}

int parse_pubspec_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	struct bw_yaml_file *f = NULL;
	const struct bw_yaml_node *root, *pkgs;
	int r = load_doc(path, data, len, &f, &root, err);

	if (r < 0)
		return r;
	pkgs = bw_yaml_get(root, "packages");
	for (uint32_t i = 0; pkgs && pkgs->type == BW_YAML_MAP && i < pkgs->n; i++) {
		const char *name = bw_yaml_str(pkgs->kids[2 * i]);
		const struct bw_yaml_node *val = pkgs->kids[2 * i + 1];
		const char *v = bw_yaml_str(bw_yaml_get(val, "version"));
		const char *dep = bw_yaml_str(bw_yaml_get(val, "dependency"));
		struct bw_pkg *p;

		if (!name || !v)
			continue;
		p = pkg_add(out, "pub", "dart-pubspec-lock", name, v, path);
		if (!p) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		p->dev = dep && strstr(dep, "dev");
	}
	bw_yaml_file_free(f);
	return r;
}

int parse_stack_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		     struct bw_error **err)
{
	struct bw_yaml_file *f = NULL;
	const struct bw_yaml_node *root, *pkgs;
	int r = load_doc(path, data, len, &f, &root, err);

	if (r < 0)
		return r;
	pkgs = bw_yaml_get(root, "packages");
	for (uint32_t i = 0; i < bw_yaml_count(pkgs); i++) {
		const char *h = bw_yaml_str(bw_yaml_path(bw_yaml_item(pkgs, i), "original.hackage"));
		size_t n;
		const char *dash;

		if (!h)
			continue;
		n = strcspn(h, "@");
		dash = n ? memrchr(h, '-', n) : NULL;
		if (!dash || dash == h || !starts_digit(dash + 1, (size_t)(h + n - dash - 1)))
			continue;
		struct bw_pkg *p = pkg_add(out, "hackage", "haskell-stack-lock", NULL, NULL, path);
		if (!p || pkg_set(&p->name, h, (size_t)(dash - h)) < 0 ||
		    pkg_set(&p->version, dash + 1, (size_t)(h + n - dash - 1)) < 0) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	bw_yaml_file_free(f);
	return r;
}

/* Podfile.lock PODS: "Name (1.2.3)" or {"Name (1.2.3)": [deps]}. */
int parse_podfile_lock(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	struct bw_yaml_file *f = NULL;
	const struct bw_yaml_node *root, *pods;
	size_t from = out->n;
	int r = load_doc(path, data, len, &f, &root, err);

	if (r < 0)
		return r;
	pods = bw_yaml_get(root, "PODS");
	if (!pods || pods->type != BW_YAML_SEQ) {
		bw_yaml_file_free(f);
		return bw_error_set(err, -EBADMSG, "%s: no PODS list", path);
	}
	for (uint32_t i = 0; i < pods->n; i++) {
		const struct bw_yaml_node *it = pods->kids[i];
		const char *s = it->type == BW_YAML_MAP && it->n ? bw_yaml_str(it->kids[0]) : bw_yaml_str(it);
		const char *sp, *close;

		if (!s || !(sp = strstr(s, " (")) || !(close = strchr(sp, ')')) || sp == s)
			continue;
		struct bw_pkg *p = pkg_add(out, "cocoapods", "swift-podfile-lock", NULL, NULL, path);
		if (!p || pkg_set(&p->name, s, (size_t)(sp - s)) < 0 ||
		    pkg_set(&p->version, sp + 2, (size_t)(close - sp - 2)) < 0) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	bw_yaml_file_free(f);
	return r < 0 ? r : pkg_dedupe(out, from, err);
}
