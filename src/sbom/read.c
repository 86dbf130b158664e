/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/limits.h"
#include "bulwark/sbom.h"

/*
 * SBOM reader: the packages of a CycloneDX or SPDX JSON document, from
 * their PURLs (type, namespace, name, version; arch, distro, epoch and
 * upstream qualifiers), with the source package from the properties
 * bulwark and Trivy write (CycloneDX) or Trivy's "built package from:"
 * sourceInfo (SPDX). The document is untrusted: its size, nesting and
 * package count are capped.
 */

#define MAX_NEST 32

struct reader {
	const char *path;
	struct bw_pkg_result *res;
	char *os_id, *os_version; /* from an operating-system component */
	struct bw_error **err;
};

static const char *str_of(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

static void pct_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char h[3] = { s[1], s[2], 0 };
			*o++ = (char)strtol(h, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

char *bw_purl_qualifier(const struct bw_purl *p, const char *key)
{
	size_t klen = strlen(key);

	for (const char *q = p->quals; q && *q;) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);

		if (eq && (size_t)(eq - q) == klen && !strncasecmp(q, key, klen)) {
			char *v = strndup(eq + 1, n - klen - 1);
			if (v)
				pct_decode(v);
			return v;
		}
		q += n;
		if (*q)
			q++;
	}
	return NULL;
}

void bw_purl_done(struct bw_purl *p)
{
	free(p->buf);
	*p = (struct bw_purl){ 0 };
}

int bw_purl_parse(const char *s, struct bw_purl *ret)
{
	struct bw_purl p = { 0 };
	char *x, *sl;

	if (!s || strncasecmp(s, "pkg:", 4))
		return -EINVAL;
	p.buf = strdup(s + 4);
	if (!p.buf)
		return -ENOMEM;
	x = p.buf;
	while (*x == '/')
		x++;
	if (strchr(x, '#'))
		*strchr(x, '#') = 0;
	if ((p.quals = strchr(x, '?')))
		*p.quals++ = 0;
	sl = strchr(x, '/');
	if (!sl || sl == x) {
		bw_purl_done(&p);
		return -EINVAL;
	}
	*sl = 0;
	p.type = x;
	for (char *c = x; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	x = sl + 1;
	if ((p.version = strrchr(x, '@')))
		*p.version++ = 0;
	while (*x && x[strlen(x) - 1] == '/')
		x[strlen(x) - 1] = 0;
	if ((sl = strrchr(x, '/'))) {
		*sl = 0;
		p.ns = x;
		p.name = sl + 1;
		pct_decode(p.ns);
	} else {
		p.name = x;
	}
	pct_decode(p.name);
	if (p.version)
		pct_decode(p.version);
	if (!*p.name) {
		bw_purl_done(&p);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

static bool is_os_type(const char *t)
{
	return !strcmp(t, "deb") || !strcmp(t, "apk") || !strcmp(t, "rpm");
}

/* A Debian binNMU version ("1.0.9-2+b6") without its "+bN": the source
 * package's version. */
static char *strip_binnmu(const char *v)
{
	const char *b = strstr(v, "+b");
	size_t n = strlen(v);

	if (b) {
		const char *d = b + 2;
		while (isdigit((unsigned char)*d))
			d++;
		if (d > b + 2 && !*d)
			n = (size_t)(b - v);
	}
	return strndup(v, n);
}

/* Fills p from a PURL; -EINVAL when purl is not one. */
static int pkg_from_purl(const char *purl, struct bw_pkg *p, char **ret_distro)
{
	_cleanup_free_ char *epoch = NULL;
	struct bw_purl u;
	const char *ns, *version;
	int r;

	r = bw_purl_parse(purl, &u);
	if (r < 0)
		return r;
	ns = u.ns;
	version = u.version;
	if (ns && *ns && (!strcmp(u.type, "npm") || !strcmp(u.type, "golang") || !strcmp(u.type, "composer")))
		r = asprintf(&p->name, "%s/%s", ns, u.name);
	else if (ns && *ns && !strcmp(u.type, "maven"))
		r = asprintf(&p->name, "%s:%s", ns, u.name);
	else
		r = (p->name = strdup(u.name)) ? 0 : -1;
	p->type = strdup(u.type);
	p->purl = strdup(purl);
	epoch = bw_purl_qualifier(&u, "epoch");
	if (r >= 0 && version && *version) {
		if (epoch && !strcmp(u.type, "deb") && !strchr(version, ':'))
			r = asprintf(&p->version, "%s:%s", epoch, version);
		else
			r = (p->version = strdup(version)) ? 0 : -1;
	}
	if (r < 0 || !p->type || !p->purl) {
		bw_purl_done(&u);
		return -ENOMEM;
	}
	if (epoch && !strcmp(u.type, "rpm")) {
		char *end;
		long e = strtol(epoch, &end, 10);
		if (!*end && e >= 0 && e < 1000000)
			p->epoch = (int)e;
	}
	p->arch = bw_purl_qualifier(&u, "arch");
	if (is_os_type(u.type)) {
		char *up = bw_purl_qualifier(&u, "upstream");
		if (up && strchr(up, '@')) {
			/* upstream=NAME@VERSION when the versions differ. */
			p->source_version = strdup(strchr(up, '@') + 1);
			*strchr(up, '@') = 0;
		}
		p->source_name = up;
		*ret_distro = bw_purl_qualifier(&u, "distro");
		if (*ret_distro && ns && *ns && !strchr(*ret_distro, '-')) {
			/* Trivy writes distro=3.19.1 with the id as the namespace. */
			char *d = NULL;
			if (asprintf(&d, "%s-%s", ns, *ret_distro) < 0) {
				bw_purl_done(&u);
				return -ENOMEM;
			}
			free(*ret_distro);
			*ret_distro = d;
		}
	}
	bw_purl_done(&u);
	return 0;
}

static void set_str(char **dst, const char *v)
{
	if (v && *v && !*dst)
		*dst = strdup(v);
}

/* Source package facts in CycloneDX properties: bulwark's and Trivy's. */
static void cdx_props(json_t *props, struct bw_pkg *p)
{
	const char *src_release = NULL, *src_epoch = NULL;
	_cleanup_free_ char *srcver = NULL;
	size_t i;
	json_t *e;

	json_array_foreach(props, i, e) {
		const char *k = str_of(e, "name"), *v = str_of(e, "value");
		if (!k || !v)
			continue;
		if (!strcmp(k, "bulwark:package:src_name") || !strcmp(k, "aquasecurity:trivy:SrcName"))
			set_str(&p->source_name, v);
		else if (!strcmp(k, "bulwark:package:src_version"))
			set_str(&p->source_version, v);
		else if (!strcmp(k, "aquasecurity:trivy:SrcVersion"))
			set_str(&srcver, v);
		else if (!strcmp(k, "aquasecurity:trivy:SrcRelease"))
			src_release = v;
		else if (!strcmp(k, "aquasecurity:trivy:SrcEpoch"))
			src_epoch = v;
	}
	if (srcver && !p->source_version) {
		/* Trivy splits the version as rpm does: [epoch:]version[-release]. */
		if (asprintf(&p->source_version, "%s%s%s%s%s", src_epoch && strcmp(src_epoch, "0") ? src_epoch : "",
			     src_epoch && strcmp(src_epoch, "0") ? ":" : "", srcver, src_release ? "-" : "",
			     src_release ? src_release : "") < 0)
			p->source_version = NULL;
	}
}

/* Trivy's SPDX sourceInfo: "built package from: NAME VERSION". */
static void spdx_source_info(const char *si, struct bw_pkg *p)
{
	const char *s = si ? strstr(si, "built package from: ") : NULL;
	size_t n;

	if (!s)
		return;
	s += 20;
	n = strcspn(s, " ;");
	if (!p->source_name && n)
		p->source_name = strndup(s, n);
	s += n;
	if (*s == ' ' && !p->source_version) {
		s++;
		n = strcspn(s, " ;");
		if (n)
			p->source_version = strndup(s, n);
	}
}

static int add_pkg(struct reader *rd, struct bw_pkg *p, const char *distro)
{
	struct bw_pkg_list *l = &rd->res->pkgs;

	if (!p->source_name && p->version && !strcmp(p->type, "deb"))
		p->source_name = strdup(p->name);
	if (p->source_name && !p->source_version && p->version && !strcmp(p->type, "deb"))
		p->source_version = strip_binnmu(p->version);
	if (distro && !rd->res->os.id) {
		const char *dash = strrchr(distro, '-');
		if (dash && dash > distro) {
			rd->res->os.id = strndup(distro, (size_t)(dash - distro));
			rd->res->os.version_id = strdup(dash + 1);
		}
	}
	if (l->n >= BW_MAX_PKGS)
		return bw_error_set(rd->err, -E2BIG, "SBOM `%s`: more than %u packages", rd->path, BW_MAX_PKGS);
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 64;
		struct bw_pkg *nv = realloc(l->v, na * sizeof(*nv));
		if (!nv)
			return bw_error_set(rd->err, -ENOMEM, "SBOM `%s`: out of memory", rd->path);
		l->v = nv;
		l->alloc = na;
	}
	p->cataloger = strdup("sbom");
	l->v[l->n++] = *p;
	*p = (struct bw_pkg){ 0 };
	return 0;
}

static void pkg_free_fields(struct bw_pkg *p)
{
	struct bw_pkg_list l = { .v = p, .n = 1, .alloc = 1 };
	struct bw_pkg *copy = malloc(sizeof(*copy));

	/* bw_pkg_list_done frees the fields and the array: hand it a copy. */
	if (!copy) {
		free(p->name);
		free(p->version);
		free(p->purl);
		free(p->type);
		return;
	}
	*copy = *p;
	l.v = copy;
	bw_pkg_list_done(&l);
	*p = (struct bw_pkg){ 0 };
}

/* One package from a PURL and what the document says beside it. */
static int take_purl(struct reader *rd, const char *purl, json_t *cdx_component, const char *source_info,
		     const char *location)
{
	struct bw_pkg p = { .epoch = -1, .layer = -1 };
	_cleanup_free_ char *distro = NULL;
	int r;

	r = pkg_from_purl(purl, &p, &distro);
	if (r == -EINVAL) {
		pkg_free_fields(&p);
		bw_log(BW_LOG_WARN, "SBOM `%s`: `%.200s` is not a package URL, skipped", rd->path, purl);
		return 0;
	}
	if (r < 0) {
		pkg_free_fields(&p);
		return bw_error_set(rd->err, r, "SBOM `%s`: out of memory", rd->path);
	}
	if (cdx_component)
		cdx_props(json_object_get(cdx_component, "properties"), &p);
	spdx_source_info(source_info, &p);
	if (location)
		p.location = strdup(location);
	r = add_pkg(rd, &p, distro);
	pkg_free_fields(&p);
	return r;
}

/* ---------------------------------------------------------------- CycloneDX */

static int cdx_components(struct reader *rd, json_t *comps, int depth)
{
	size_t i;
	json_t *c;
	int r = 0;

	if (depth > MAX_NEST)
		return bw_error_set(rd->err, -E2BIG, "SBOM `%s`: components nested deeper than %d", rd->path, MAX_NEST);
	if (comps && !json_is_array(comps))
		return bw_error_set(rd->err, -EBADMSG, "SBOM `%s`: components is not an array", rd->path);
	json_array_foreach(comps, i, c) {
		const char *type = str_of(c, "type"), *purl = str_of(c, "purl");
		json_t *occ = json_array_get(json_object_get(json_object_get(c, "evidence"), "occurrences"), 0);

		if (!json_is_object(c))
			return bw_error_set(rd->err, -EBADMSG, "SBOM `%s`: component %zu is not an object", rd->path, i + 1);
		if (type && !strcmp(type, "operating-system")) {
			set_str(&rd->os_id, str_of(c, "name"));
			set_str(&rd->os_version, str_of(c, "version"));
		} else if (purl) {
			r = take_purl(rd, purl, c, NULL, str_of(occ, "location"));
		}
		if (r == 0)
			r = cdx_components(rd, json_object_get(c, "components"), depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_cyclonedx(struct reader *rd, json_t *doc, char **ret_subject)
{
	const char *spec = str_of(doc, "specVersion");
	json_t *root = json_object_get(json_object_get(doc, "metadata"), "component");
	int r;

	if (!spec || strncmp(spec, "1.", 2))
		return bw_error_set(rd->err, -EBADMSG, "SBOM `%s`: CycloneDX without a 1.x specVersion", rd->path);
	if (ret_subject) {
		const char *s = str_of(root, "purl");
		*ret_subject = s ? strdup(s) : NULL;
	}
	/* The root's own nested components (some tools put the OS there). */
	r = cdx_components(rd, json_object_get(root, "components"), 1);
	if (r == 0)
		r = cdx_components(rd, json_object_get(doc, "components"), 0);
	return r;
}

/* ---------------------------------------------------------------- SPDX */

static int read_spdx(struct reader *rd, json_t *doc, char **ret_subject)
{
	const char *ver = str_of(doc, "spdxVersion"), *described = NULL;
	json_t *pkgs = json_object_get(doc, "packages"), *p;
	size_t i;
	int r = 0;

	if (!ver || strncmp(ver, "SPDX-2.", 7))
		return bw_error_set(rd->err, -EBADMSG, "SBOM `%s`: `%s` is not SPDX 2.x JSON", rd->path,
				    ver ? ver : "(no spdxVersion)");
	if (pkgs && !json_is_array(pkgs))
		return bw_error_set(rd->err, -EBADMSG, "SBOM `%s`: packages is not an array", rd->path);
	described = json_string_value(json_array_get(json_object_get(doc, "documentDescribes"), 0));
	json_array_foreach(pkgs, i, p) {
		const char *purpose = str_of(p, "primaryPackagePurpose"), *purl = NULL, *id = str_of(p, "SPDXID");
		size_t k;
		json_t *e;

		if (!json_is_object(p))
			return bw_error_set(rd->err, -EBADMSG, "SBOM `%s`: package %zu is not an object", rd->path, i + 1);
		json_array_foreach(json_object_get(p, "externalRefs"), k, e) {
			const char *t = str_of(e, "referenceType");
			if (t && !strcmp(t, "purl") && !purl)
				purl = str_of(e, "referenceLocator");
		}
		if (described && id && !strcmp(described, id)) {
			/* The document's subject (the image): not a package. */
			if (ret_subject && !*ret_subject && purl)
				*ret_subject = strdup(purl);
			continue;
		}
		/* OPERATING_SYSTEM is SPDX 2.3's word; Trivy (and bulwark
		 * before it followed the schema) wrote OPERATING-SYSTEM. */
		if (purpose && (!strcmp(purpose, "OPERATING_SYSTEM") || !strcmp(purpose, "OPERATING-SYSTEM"))) {
			set_str(&rd->os_id, str_of(p, "name"));
			set_str(&rd->os_version, str_of(p, "versionInfo"));
			continue;
		}
		if (purl)
			r = take_purl(rd, purl, NULL, str_of(p, "sourceInfo"), NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---------------------------------------------------------------- entry */

bool bw_sbom_is_document(const char *data, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	if (i >= len || data[i] != '{')
		return false;
	/* The first 64 KiB name the format in any document a tool writes. */
	len = len - i < 65536 ? len - i : 65536;
	return memmem(data + i, len, "\"bomFormat\"", 11) || memmem(data + i, len, "\"spdxVersion\"", 13);
}

int bw_sbom_read(const char *path, const char *data, size_t len, struct bw_pkg_result *ret, char **ret_subject,
		 struct bw_error **err)
{
	struct bw_pkg_result res = { 0 };
	struct reader rd = { .path = path, .res = &res, .err = err };
	_cleanup_free_ char *subject = NULL;
	json_error_t je;
	json_t *doc;
	const char *fmt;
	int r;

	if (len > BW_MAX_SBOM_SIZE)
		return bw_error_set(err, -EFBIG, "SBOM `%s`: larger than %u MiB", path, BW_MAX_SBOM_SIZE >> 20);
	doc = json_loadb(data, len, 0, &je);
	if (!doc)
		return bw_error_set(err, -EBADMSG, "SBOM `%s`: line %d, column %d: %s", path, je.line, je.column,
				    je.text);
	fmt = str_of(doc, "bomFormat");
	if (fmt && !strcmp(fmt, "CycloneDX"))
		r = read_cyclonedx(&rd, doc, &subject);
	else if (json_object_get(doc, "spdxVersion"))
		r = read_spdx(&rd, doc, &subject);
	else
		r = bw_error_set(err, -EBADMSG, "SBOM `%s`: neither CycloneDX (bomFormat) nor SPDX (spdxVersion) JSON",
				 path);
	if (!subject && r == 0 && str_of(doc, "name"))
		subject = strdup(str_of(doc, "name"));
	json_decref(doc);
	/* An operating-system component wins over PURL distro qualifiers. */
	if (r == 0 && rd.os_id) {
		free(res.os.id);
		free(res.os.version_id);
		res.os.id = TAKE_PTR(rd.os_id);
		res.os.version_id = TAKE_PTR(rd.os_version);
	}
	free(rd.os_id);
	free(rd.os_version);
	if (r == 0 && res.os.id) {
		for (char *c = res.os.id; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		res.os.family = strdup(res.os.id);
	}
	if (r < 0) {
		bw_pkg_result_done(&res);
		return r;
	}
	*ret = res;
	if (ret_subject)
		*ret_subject = TAKE_PTR(subject);
	return 0;
}
