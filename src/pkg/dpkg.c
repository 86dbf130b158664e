/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "pkg/internal.h"

/*
 * dpkg (and opkg) status files: RFC 822-style stanzas separated by blank
 * lines, "Field: value" with continuation lines that start with a space or
 * tab. Only the fields we report are kept; the rest (descriptions, conffile
 * lists) are skipped without copying. The distroless status.d/ holds one
 * stanza file per package and no Status field.
 */

struct stanza {
	const char *pkg, *ver, *arch, *src, *status;
	size_t pkg_n, ver_n, arch_n, src_n, status_n;
	bool any;
};

enum status_mode {
	STATUS_REQUIRED, /* dpkg status: only "... installed" */
	STATUS_OPTIONAL, /* status.d: no Status field at all */
};

static bool installed(const struct stanza *s, enum status_mode m)
{
	const char *w;
	size_t n = s->status_n;

	if (!s->status)
		return m == STATUS_OPTIONAL;
	/* "want flag status": the last word is what is on disk. */
	w = s->status + n;
	while (w > s->status && w[-1] != ' ')
		w--;
	n = (size_t)(s->status + s->status_n - w);
	return n == 9 && !memcmp(w, "installed", 9);
}

static int emit(const struct stanza *s, enum status_mode m, const char *cataloger, const char *path,
		struct bw_pkg_list *out, struct bw_error **err)
{
	struct bw_pkg *p;
	const char *paren;
	int r = 0;

	if (!s->pkg || !s->pkg_n || !s->ver || !s->ver_n || !installed(s, m))
		return 0;
	p = pkg_add(out, "deb", cataloger, NULL, NULL, path);
	if (!p)
		return bw_error_set(err, -ENOMEM, "%s: too many packages or out of memory", path);
	r = pkg_set(&p->name, s->pkg, s->pkg_n);
	if (r == 0)
		r = pkg_set(&p->version, s->ver, s->ver_n);
	if (r == 0 && s->arch)
		r = pkg_set(&p->arch, s->arch, s->arch_n);
	if (r == 0 && s->status)
		r = pkg_set(&p->status, s->status, s->status_n);
	if (r == 0) {
		const char *colon = memchr(s->ver, ':', s->ver_n);
		if (colon) {
			long e = 0;
			for (const char *c = s->ver; c < colon && e < 1000000; c++)
				e = *c >= '0' && *c <= '9' ? e * 10 + (*c - '0') : 1000000;
			p->epoch = e < 1000000 ? (int)e : -1;
		}
	}
	/* Source: "name" or "name (version)"; without a version the source
	 * version is the binary's, as dpkg-query ${source:Version} says. */
	if (r == 0 && s->src && s->src_n) {
		const char *sv = s->src;
		size_t sn = s->src_n;
		paren = memchr(sv, '(', sn);
		if (paren) {
			const char *ve = memchr(paren, ')', (size_t)(sv + sn - paren));
			const char *vs = paren + 1;
			size_t vn = ve ? (size_t)(ve - vs) : (size_t)(sv + sn - vs);
			trim(&vs, &vn);
			r = pkg_set(&p->source_version, vs, vn);
			sn = (size_t)(paren - sv);
		}
		trim(&sv, &sn);
		if (r == 0)
			r = pkg_set(&p->source_name, sv, sn);
	} else if (r == 0) {
		r = pkg_set(&p->source_name, s->pkg, s->pkg_n);
	}
	if (r == 0 && !p->source_version)
		r = pkg_set(&p->source_version, s->ver, s->ver_n);
	if (r < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int parse_stanzas(const char *path, const char *data, size_t len, enum status_mode m,
			 const char *cataloger, struct bw_pkg_list *out, struct bw_error **err)
{
	struct lines c = { data, data + len };
	struct stanza s = { 0 };
	const char *line;
	size_t n, lineno = 0;
	int r;

	while (next_line(&c, &line, &n)) {
		const char *colon, *v;
		size_t kn, vn;

		lineno++;
		if (n == 0 || (n == 1 && line[0] == '\r')) {
			if (s.any) {
				r = emit(&s, m, cataloger, path, out, err);
				if (r < 0)
					return r;
			}
			s = (struct stanza){ 0 };
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!s.any)
				return bw_error_set(err, -EBADMSG, "%s:%zu: continuation line outside a stanza",
						    path, lineno);
			continue;
		}
		colon = memchr(line, ':', n);
		if (!colon)
			return bw_error_set(err, -EBADMSG, "%s:%zu: not a `Field: value` line", path, lineno);
		kn = (size_t)(colon - line);
		v = colon + 1;
		vn = n - kn - 1;
		trim(&v, &vn);
		s.any = true;
#define FIELD(k, ptr, len)                                          \
	if (kn == sizeof(k) - 1 && !strncasecmp(line, k, kn)) { \
		s.ptr = v;                                          \
		s.len = vn;                                         \
		continue;                                           \
	}
		FIELD("Package", pkg, pkg_n);
		FIELD("Version", ver, ver_n);
		FIELD("Architecture", arch, arch_n);
		FIELD("Source", src, src_n);
		FIELD("Status", status, status_n);
#undef FIELD
	}
	if (s.any)
		return emit(&s, m, cataloger, path, out, err);
	return 0;
}

int parse_dpkg_status(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err)
{
	return parse_stanzas(path, data, len, STATUS_REQUIRED, "dpkg", out, err);
}

int parse_dpkg_status_d(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			struct bw_error **err)
{
	/* Sibling <name>.md5sums files are not stanzas. */
	if (bw_endswith(path, ".md5sums"))
		return 0;
	return parse_stanzas(path, data, len, STATUS_OPTIONAL, "dpkg", out, err);
}

int parse_opkg_status(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err)
{
	size_t from = out->n;
	int r = parse_stanzas(path, data, len, STATUS_REQUIRED, "opkg", out, err);

	for (size_t i = from; r == 0 && i < out->n; i++) {
		free(out->v[i].type);
		out->v[i].type = strdup("opkg");
		if (!out->v[i].type)
			r = bw_error_set(err, -ENOMEM, "out of memory");
	}
	return r;
}
