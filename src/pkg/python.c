/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>

#include "pkg/internal.h"

/*
 * Python: core metadata (.dist-info/METADATA, .egg-info/PKG-INFO, or an
 * .egg-info file), email-header style. Only the header block counts (the
 * body after the first blank line is the description); field names are
 * case-insensitive; the first Name and Version win.
 */
int parse_python_metadata(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			  struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line, *name = NULL, *ver = NULL, *lic = NULL;
	size_t n, name_n = 0, ver_n = 0, lic_n = 0;
	struct bw_pkg *p;

	while (next_line(&c, &line, &n)) {
		const char *colon, *v;
		size_t kn, vn;

		if (n == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		colon = memchr(line, ':', n);
		if (!colon)
			continue;
		kn = (size_t)(colon - line);
		v = colon + 1;
		vn = n - kn - 1;
		trim(&v, &vn);
		if (kn == 4 && !strncasecmp(line, "Name", 4) && !name) {
			name = v;
			name_n = vn;
		} else if (kn == 7 && !strncasecmp(line, "Version", 7) && !ver) {
			ver = v;
			ver_n = vn;
		} else if (kn == 7 && !strncasecmp(line, "License", 7) && !lic && vn < 200) {
			lic = v;
			lic_n = vn;
		} else if (kn == 18 && !strncasecmp(line, "License-Expression", 18)) {
			lic = v;
			lic_n = vn;
		}
	}
	if (!name || !name_n || !ver || !ver_n)
		return bw_error_set(err, -EBADMSG, "%s: no Name and Version in the metadata", path);
	p = pkg_add(out, "pypi", "python-metadata", NULL, NULL, path);
	if (!p || pkg_set(&p->name, name, name_n) < 0 || pkg_set(&p->version, ver, ver_n) < 0 ||
	    (lic && lic_n && strcasecmp(lic, "UNKNOWN") && pkg_set(&p->license, lic, lic_n) < 0))
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/*
 * requirements.txt: one requirement per logical line (a trailing backslash
 * continues it); comments start with " #"; options (-r, -e, --index-url)
 * are skipped; per-requirement options ("--hash=...") and environment
 * markers (";") are cut off. A version is reported for a single pin-like
 * comparison; wildcards and environment variables give none.
 */
static int req_line(const char *path, char *s, struct bw_pkg_list *out, struct bw_error **err)
{
	char *h, *name, *op, *ver = NULL;
	size_t nn;
	struct bw_pkg *p;

	/* Comments: "#" at the start or after whitespace. */
	for (h = s; *h; h++)
		if (*h == '#' && (h == s || h[-1] == ' ' || h[-1] == '\t')) {
			*h = 0;
			break;
		}
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '-')
		return 0;
	/* Per-requirement options start with " -". */
	for (h = s; *h; h++)
		if ((*h == ' ' || *h == '\t') && h[1] == '-') {
			*h = 0;
			break;
		}
	h = strchr(s, ';');
	if (h)
		*h = 0;
	if (strstr(s, "://") || strchr(s, '@') || strchr(s, '/'))
		return 0; /* URLs, paths, PEP 508 direct references */
	name = s;
	nn = strcspn(name, "=<>!~[ \t(");
	if (nn == 0)
		return 0;
	op = name + nn;
	while (*op == ' ' || *op == '\t')
		op++;
	if (*op == '[') {
		char *e = strchr(op, ']');
		op = e ? e + 1 : op + strlen(op);
	}
	while (*op == ' ' || *op == '\t')
		op++;
	if (*op) {
		size_t on = strspn(op, "=<>!~");
		if (on == 0 || !strncmp(op, "!=", 2))
			on = 0;
		if (on) {
			ver = op + on;
			while (*ver == ' ' || *ver == '\t')
				ver++;
			/* Several constraints pin nothing. */
			bool several = strchr(ver, ',') != NULL;
			size_t vn = strlen(ver);
			while (vn && (ver[vn - 1] == ' ' || ver[vn - 1] == '\t' || ver[vn - 1] == '\r'))
				ver[--vn] = 0;
			if (vn == 0 || strstr(ver, "${"))
				return 0;
			if (several || strchr(ver, '*'))
				ver = NULL;
		}
	}
	p = pkg_add(out, "pypi", "python-requirements", NULL, ver, path);
	if (!p || pkg_set(&p->name, name, nn) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int parse_requirements(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	struct lines c = { data, data + len };
	struct bw_buf b = BW_BUF_INIT(BW_MAX_PKG_FIELD);
	const char *line;
	size_t n;
	int r = 0;

	while (r == 0 && next_line(&c, &line, &n)) {
		bool cont = n && line[n - 1] == '\\';
		r = bw_buf_append(&b, line, cont ? n - 1 : n);
		if (r < 0) {
			r = bw_error_set(err, r, "%s: requirement line too long", path);
			break;
		}
		if (cont)
			continue;
		if (b.data)
			r = req_line(path, b.data, out, err);
		bw_buf_reset(&b);
	}
	if (r == 0 && b.data && b.len)
		r = req_line(path, b.data, out, err);
	bw_buf_done(&b);
	return r;
}
