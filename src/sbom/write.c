/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "bulwark/limits.h"
#include "bulwark/sbom.h"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * A JSON string of s. Package databases are not bound to UTF-8, and
 * jansson refuses anything else (the field would silently go missing, and
 * with it a field the spec requires), so each byte that starts no
 * well-formed sequence stands for the code point of the same value, as the
 * CLI's JSON printer writes it. NULL only when out of memory.
 */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	_cleanup_free_ char *buf = NULL;
	size_t len, o = 0;

	if (j || !s)
		return j;
	len = strlen(s);
	if (len > SIZE_MAX / 2 - 1 || !(buf = malloc(len * 2 + 1)))
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_seq(p);
		if (n) {
			memcpy(buf + o, p, n);
			o += n;
			p += n;
		} else {
			buf[o++] = (char)(0xc0 | (*p >> 6));
			buf[o++] = (char)(0x80 | (*p & 0x3f));
			p++;
		}
	}
	buf[o] = 0;
	return json_string(buf);
}

/*
 * SBOM writers. Documents are built as jansson trees and dumped with sorted
 * keys off, in the field order the specs list them, so output is stable.
 */

int bw_sbom_format_parse(const char *s, enum bw_sbom_format *ret)
{
	if (!strcmp(s, "table"))
		*ret = BW_SBOM_TABLE;
	else if (!strcmp(s, "json"))
		*ret = BW_SBOM_JSON;
	else if (!strcmp(s, "cyclonedx") || !strcmp(s, "cyclonedx-json"))
		*ret = BW_SBOM_CYCLONEDX;
	else if (!strcmp(s, "spdx-json") || !strcmp(s, "spdx"))
		*ret = BW_SBOM_SPDX_JSON;
	else
		return -EINVAL;
	return 0;
}

static bool is_os_pkg(const struct bw_pkg *p)
{
	return p->type && (!strcmp(p->type, "deb") || !strcmp(p->type, "apk") || !strcmp(p->type, "rpm") ||
			   !strcmp(p->type, "opkg"));
}

static void uuid4(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)((ts.tv_nsec >> (i % 4 * 8)) ^ (ts.tv_sec >> (i % 8)) ^ (i * 37));
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void now_rfc3339(const struct bw_sbom_opts *o, char out[32])
{
	time_t t = time(NULL);
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct tm tm;

	if (o && o->timestamp) {
		snprintf(out, 32, "%s", o->timestamp);
		return;
	}
	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);
		if (!*end && v >= 0)
			t = (time_t)v;
	}
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* json_object_set_new that skips NULL strings. */
static void put_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, jstr(v));
}

/* An image, as opposed to a folder read as one (dir:, fs, rootfs). A
 * docker-archive is an image too, though it has no manifest digest. */
static bool is_image(const struct bw_image *img)
{
	return img && bw_image_ref(img)->transport != BW_TRANSPORT_DIR;
}

static const char *image_name(const struct bw_image *img, const struct bw_sbom_opts *o)
{
	if (o && o->name)
		return o->name;
	if (img && bw_image_ref(img)->name)
		return bw_image_ref(img)->name;
	if (img && bw_image_ref(img)->path)
		return bw_image_ref(img)->path;
	return "unknown";
}

/* pkg:oci/NAME@DIGEST as the PURL spec describes OCI images. */
static char *image_purl(const struct bw_image *img, const char *name)
{
	const char *dg = img ? bw_image_manifest_digest(img) : NULL;
	const struct bw_ref *ref = img ? bw_image_ref(img) : NULL;
	const char *base;
	char *s = NULL;
	char buf[256];
	size_t n = 0;

	if (!dg)
		return NULL;
	base = ref && ref->repository ? ref->repository : name;
	if (strrchr(base, '/'))
		base = strrchr(base, '/') + 1;
	for (const char *c = base; *c && n < sizeof(buf) - 1; c++) {
		if (*c == ':' || *c == '@')
			break;
		buf[n++] = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
	}
	buf[n] = 0;
	if (!n)
		snprintf(buf, sizeof(buf), "image");
	if (asprintf(&s, "pkg:oci/%s@sha256%%3A%s", buf, dg + 7) < 0)
		return NULL;
	return s;
}

static int dump(FILE *f, json_t *doc, struct bw_error **err)
{
	int r = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(doc);
	if (r < 0 || fputc('\n', f) == EOF)
		return bw_error_set(err, -EIO, "cannot write the SBOM: %m");
	return 0;
}

/* ---------------------------------------------------------------- CycloneDX */

static json_t *cdx_properties(const struct bw_pkg *p, const struct bw_image *img)
{
	json_t *props = json_array();

#define PROP(k, v)                                                                     \
	do {                                                                           \
		const char *v_ = (v);                                                          \
		if (v_ && *v_) {                                                       \
			json_t *o_ = json_object();                                    \
			json_object_set_new(o_, "name", jstr(k));               \
			json_object_set_new(o_, "value", jstr(v_));             \
			json_array_append_new(props, o_);                              \
		}                                                                      \
	} while (0)
	PROP("bulwark:package:type", p->type);
	PROP("bulwark:package:cataloger", p->cataloger);
	PROP("bulwark:package:arch", p->arch);
	PROP("bulwark:package:src_name", p->source_name);
	PROP("bulwark:package:src_version", p->source_version);
	PROP("bulwark:package:source_rpm", p->source_rpm);
	if (p->layer >= 0 && img && bw_image_layer(img, (size_t)p->layer)) {
		const struct bw_layer_desc *l = bw_image_layer(img, (size_t)p->layer);
		PROP("bulwark:layer:digest", l->digest);
		PROP("bulwark:layer:diff_id", l->diff_id);
	}
	if (p->epoch >= 0) {
		char e[16];
		snprintf(e, sizeof(e), "%d", p->epoch);
		PROP("bulwark:package:epoch", e);
	}
#undef PROP
	return props;
}

json_t *bw_sbom_cyclonedx(const struct bw_image *img, const struct bw_pkg_result *res,
			  const struct bw_sbom_opts *o)
{
	json_t *doc = json_object(), *meta = json_object(), *tools = json_object(), *tc = json_array();
	json_t *tool = json_object(), *root = json_object(), *comps = json_array(), *deps = json_array();
	json_t *root_dep = json_object(), *root_on = json_array(), *os_dep = NULL, *os_on = NULL;
	const char *name = image_name(img, o);
	char uuid[37], ts[32], serial[64];
	_cleanup_free_ char *ipurl = image_purl(img, name);
	const char *root_ref = ipurl ? ipurl : name;
	char os_ref[128] = "";

	uuid4(uuid);
	now_rfc3339(o, ts);
	snprintf(serial, sizeof(serial), "urn:uuid:%s", uuid);
	json_object_set_new(doc, "$schema", jstr("http://cyclonedx.org/schema/bom-1.6.schema.json"));
	json_object_set_new(doc, "bomFormat", jstr("CycloneDX"));
	json_object_set_new(doc, "specVersion", jstr("1.6"));
	json_object_set_new(doc, "serialNumber", jstr(serial));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(meta, "timestamp", jstr(ts));
	json_object_set_new(tool, "type", jstr("application"));
	json_object_set_new(tool, "name", jstr("bulwark"));
	json_object_set_new(tool, "version", jstr(BW_VERSION));
	json_array_append_new(tc, tool);
	json_object_set_new(tools, "components", tc);
	json_object_set_new(meta, "tools", tools);
	json_object_set_new(root, "bom-ref", jstr(root_ref));
	json_object_set_new(root, "type", jstr(is_image(img) ? "container" : "file"));
	json_object_set_new(root, "name", jstr(name));
	if (ipurl)
		json_object_set_new(root, "purl", jstr(ipurl));
	if (img && bw_image_manifest_digest(img)) {
		json_t *h = json_array(), *ho = json_object();
		json_object_set_new(ho, "alg", jstr("SHA-256"));
		json_object_set_new(ho, "content", jstr(bw_image_manifest_digest(img) + 7));
		json_array_append_new(h, ho);
		json_object_set_new(root, "hashes", h);
	}
	json_object_set_new(meta, "component", root);
	json_object_set_new(doc, "metadata", meta);

	if (res->os.id && *res->os.id) {
		json_t *oc = json_object();
		snprintf(os_ref, sizeof(os_ref), "os:%s@%s", res->os.id,
			 res->os.version_id ? res->os.version_id : "");
		json_object_set_new(oc, "bom-ref", jstr(os_ref));
		json_object_set_new(oc, "type", jstr("operating-system"));
		json_object_set_new(oc, "name", jstr(res->os.id));
		put_str(oc, "version", res->os.version_id);
		put_str(oc, "description", res->os.pretty_name);
		json_array_append_new(comps, oc);
		json_array_append_new(root_on, jstr(os_ref));
		os_dep = json_object();
		os_on = json_array();
	}
	for (size_t i = 0; i < res->pkgs.n; i++) {
		const struct bw_pkg *p = &res->pkgs.v[i];
		json_t *c = json_object();
		char ref[64];

		snprintf(ref, sizeof(ref), "pkg-%zu", i + 1);
		json_object_set_new(c, "bom-ref", jstr(ref));
		json_object_set_new(c, "type", jstr("library"));
		json_object_set_new(c, "name", jstr(p->name ? p->name : ""));
		put_str(c, "version", p->version);
		if (p->license && *p->license) {
			json_t *ls = json_array(), *lo = json_object(), *l = json_object();
			json_object_set_new(l, "name", jstr(p->license));
			json_object_set_new(lo, "license", l);
			json_array_append_new(ls, lo);
			json_object_set_new(c, "licenses", ls);
		}
		put_str(c, "purl", p->purl);
		json_object_set_new(c, "properties", cdx_properties(p, img));
		if (p->location && *p->location) {
			json_t *ev = json_object(), *id = json_object(), *occ = json_array(), *loc = json_object();
			json_object_set_new(loc, "location", jstr(p->location));
			json_array_append_new(occ, loc);
			json_object_set_new(ev, "occurrences", occ);
			(void)id;
			json_decref(id);
			json_object_set_new(c, "evidence", ev);
		}
		json_array_append_new(comps, c);
		if (os_on && is_os_pkg(p))
			json_array_append_new(os_on, jstr(ref));
		else
			json_array_append_new(root_on, jstr(ref));
	}
	json_object_set_new(doc, "components", comps);
	json_object_set_new(root_dep, "ref", jstr(root_ref));
	json_object_set_new(root_dep, "dependsOn", root_on);
	json_array_append_new(deps, root_dep);
	if (os_dep) {
		json_object_set_new(os_dep, "ref", jstr(os_ref));
		json_object_set_new(os_dep, "dependsOn", os_on);
		json_array_append_new(deps, os_dep);
	}
	json_object_set_new(doc, "dependencies", deps);
	return doc;
}

static int write_cyclonedx(FILE *f, const struct bw_image *img, const struct bw_pkg_result *res,
			   const struct bw_sbom_opts *o, struct bw_error **err)
{
	json_t *doc = bw_sbom_cyclonedx(img, res, o);

	if (!doc)
		return bw_error_set(err, -ENOMEM, "cannot build the SBOM: out of memory");
	return dump(f, doc, err);
}

/* ---------------------------------------------------------------- SPDX */

#include "sbom/spdx-ids.h"

/* Bounds on a licence string taken as an SPDX expression; past them it is
 * kept as text under a LicenseRef. */
#define SPDX_EXPR_MAX 1024
#define SPDX_EXPR_DEPTH 16

static int cmp_id(const void *key, const void *elem)
{
	return strcasecmp(key, *(const char *const *)elem);
}

/* The listed id spelt as the list does (ids are case-insensitive, SPDX 2.3
 * annex D.2), or NULL. */
static const char *spdx_id(const char *const *list, size_t n, const char *tok)
{
	const char *const *hit = bsearch(tok, list, n, sizeof(*list), cmp_id);

	return hit ? *hit : NULL;
}

static bool put_tok(char *out, size_t *o, const char *t, size_t n, bool space)
{
	if (*o + n + 2 > SPDX_EXPR_MAX)
		return false;
	if (space && *o && out[*o - 1] != '(')
		out[(*o)++] = ' ';
	memcpy(out + *o, t, n);
	*o += n;
	out[*o] = 0;
	return true;
}

/*
 * s as an SPDX licence expression (SPDX 2.3 annex D) over the SPDX licence
 * list, written to out[SPDX_EXPR_MAX] with each id spelt as the list does
 * and single spaces: ids with an optional "+", "WITH" an exception id,
 * "AND", "OR" and balanced parentheses. False when s is anything else, a
 * LicenseRef included (this document would not declare it).
 */
static bool spdx_expr_canon(const char *s, char *out)
{
	const size_t nlic = sizeof(spdx_license_ids) / sizeof(*spdx_license_ids);
	const size_t nexc = sizeof(spdx_exception_ids) / sizeof(*spdx_exception_ids);
	bool want_operand = true, want_exception = false;
	unsigned depth = 0;
	size_t o = 0;

	out[0] = 0;
	for (const char *p = s; *p;) {
		char tok[128];
		const char *id;
		size_t n;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p == '(') {
			if (!want_operand || want_exception || ++depth > SPDX_EXPR_DEPTH || !put_tok(out, &o, "(", 1, true))
				return false;
			p++;
			continue;
		}
		if (*p == ')') {
			if (want_operand || !depth || !put_tok(out, &o, ")", 1, false))
				return false;
			depth--;
			p++;
			continue;
		}
		n = strcspn(p, " \t()");
		if (n >= sizeof(tok))
			return false;
		memcpy(tok, p, n);
		tok[n] = 0;
		p += n;
		if (want_exception) {
			if (!(id = spdx_id(spdx_exception_ids, nexc, tok)) || !put_tok(out, &o, id, strlen(id), true))
				return false;
			want_exception = false;
		} else if (want_operand) {
			bool plus = false;
			if (!(id = spdx_id(spdx_license_ids, nlic, tok)) && n > 1 && tok[n - 1] == '+') {
				tok[n - 1] = 0;
				id = spdx_id(spdx_license_ids, nlic, tok);
				plus = true;
			}
			if (!id || !put_tok(out, &o, id, strlen(id), true) || (plus && !put_tok(out, &o, "+", 1, false)))
				return false;
			want_operand = false;
		} else if (!strcmp(tok, "WITH")) {
			/* Only right after a licence id: "(A OR B) WITH X" is not one. */
			if (o == 0 || out[o - 1] == ')' || !put_tok(out, &o, tok, n, true))
				return false;
			want_exception = true;
		} else if (!strcmp(tok, "AND") || !strcmp(tok, "OR")) {
			if (!put_tok(out, &o, tok, n, true))
				return false;
			want_operand = true;
		} else {
			return false;
		}
	}
	return !want_operand && !want_exception && !depth;
}

/*
 * The licence as an SPDX licence expression: its canonical form when it
 * is one over the SPDX licence list, else a LicenseRef- of its own (SPDX
 * 2.3 clause 10.1), declared once in extracted (hasExtractedLicensingInfos)
 * with the text as found. seen maps each such text to its id, and each id
 * to true, so two texts whose ids would be spelt alike get distinct ones.
 * Returns a new JSON string; NULL when out of memory.
 */
static json_t *spdx_license(json_t *seen, json_t *extracted, const char *lic)
{
	char id[96], canon[SPDX_EXPR_MAX];
	size_t n = 0;
	json_t *text, *e, *known;
	const char *key;

	if (!lic || !*lic)
		return jstr("NOASSERTION");
	if (spdx_expr_canon(lic, canon))
		return jstr(canon);
	text = jstr(lic);
	if (!text)
		return NULL;
	key = json_string_value(text);
	known = json_object_get(seen, key);
	if (known) {
		json_decref(text);
		return json_incref(known);
	}
	n = (size_t)snprintf(id, sizeof(id), "LicenseRef-");
	for (const char *c = lic; *c && n < 64; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.';
		if (ok || (n > 11 && id[n - 1] != '-'))
			id[n++] = ok ? *c : '-';
	}
	while (n > 11 && id[n - 1] == '-')
		n--;
	id[n] = 0;
	if (n == 11)
		n = (size_t)snprintf(id, sizeof(id), "LicenseRef-unnamed");
	for (unsigned k = 2; json_object_get(seen, id); k++)
		snprintf(id + n, sizeof(id) - n, "-variant-%u", k);
	e = json_object();
	if (!e || json_object_set_new(seen, id, json_true()) < 0 || json_object_set_new(seen, key, jstr(id)) < 0) {
		json_decref(e);
		json_decref(text);
		return NULL;
	}
	json_object_set_new(e, "licenseId", jstr(id));
	json_object_set_new(e, "extractedText", json_incref(text));
	json_object_set_new(e, "name", text);
	json_array_append_new(extracted, e);
	return jstr(id);
}

static void spdx_rel(json_t *rels, const char *a, const char *type, const char *b)
{
	json_t *r = json_object();

	json_object_set_new(r, "spdxElementId", jstr(a));
	json_object_set_new(r, "relationshipType", jstr(type));
	json_object_set_new(r, "relatedSpdxElement", jstr(b));
	json_array_append_new(rels, r);
}

static int write_spdx(FILE *f, const struct bw_image *img, const struct bw_pkg_result *res,
		      const struct bw_sbom_opts *o, struct bw_error **err)
{
	json_t *doc = json_object(), *ci = json_object(), *creators = json_array(), *pkgs = json_array();
	json_t *rels = json_array(), *root = json_object(), *extracted = json_array();
	json_t *seen = json_object();
	const char *name = image_name(img, o);
	char uuid[37], ts[32], ns[512];
	_cleanup_free_ char *ipurl = image_purl(img, name);
	bool have_os = res->os.id && *res->os.id;

	uuid4(uuid);
	now_rfc3339(o, ts);
	json_object_set_new(doc, "spdxVersion", jstr("SPDX-2.3"));
	json_object_set_new(doc, "dataLicense", jstr("CC0-1.0"));
	json_object_set_new(doc, "SPDXID", jstr("SPDXRef-DOCUMENT"));
	json_object_set_new(doc, "name", jstr(name));
	snprintf(ns, sizeof(ns), "https://bulwark.invalid/spdx/%s", uuid);
	json_object_set_new(doc, "documentNamespace", jstr(ns));
	json_array_append_new(creators, jstr("Tool: bulwark-" BW_VERSION));
	json_object_set_new(ci, "creators", creators);
	json_object_set_new(ci, "created", jstr(ts));
	json_object_set_new(doc, "creationInfo", ci);

	json_object_set_new(root, "name", jstr(name));
	json_object_set_new(root, "SPDXID", jstr("SPDXRef-Image"));
	/* The manifest digest names an image; a docker-archive has only its
	 * config digest, the image id docker shows. */
	if (is_image(img))
		put_str(root, "versionInfo",
			bw_image_manifest_digest(img) ? bw_image_manifest_digest(img) : bw_image_config_digest(img));
	json_object_set_new(root, "downloadLocation", jstr("NOASSERTION"));
	json_object_set_new(root, "filesAnalyzed", json_false());
	json_object_set_new(root, "primaryPackagePurpose",
			    jstr(is_image(img) ? "CONTAINER" : "SOURCE"));
	if (ipurl) {
		json_t *er = json_array(), *e = json_object();
		json_object_set_new(e, "referenceCategory", jstr("PACKAGE-MANAGER"));
		json_object_set_new(e, "referenceType", jstr("purl"));
		json_object_set_new(e, "referenceLocator", jstr(ipurl));
		json_array_append_new(er, e);
		json_object_set_new(root, "externalRefs", er);
	}
	json_array_append_new(pkgs, root);
	json_object_set_new(doc, "documentDescribes", json_pack("[s]", "SPDXRef-Image"));
	spdx_rel(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
	if (have_os) {
		json_t *op = json_object();
		json_object_set_new(op, "name", jstr(res->os.id));
		json_object_set_new(op, "SPDXID", jstr("SPDXRef-OperatingSystem"));
		put_str(op, "versionInfo", res->os.version_id);
		json_object_set_new(op, "downloadLocation", jstr("NOASSERTION"));
		json_object_set_new(op, "filesAnalyzed", json_false());
		json_object_set_new(op, "primaryPackagePurpose", jstr("OPERATING_SYSTEM"));
		json_array_append_new(pkgs, op);
		spdx_rel(rels, "SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem");
	}
	for (size_t i = 0; i < res->pkgs.n; i++) {
		const struct bw_pkg *p = &res->pkgs.v[i];
		json_t *sp = json_object();
		char id[64];
		json_t *lic = spdx_license(seen, extracted, p->license);

		snprintf(id, sizeof(id), "SPDXRef-Package-%zu", i + 1);
		json_object_set_new(sp, "name", jstr(p->name ? p->name : ""));
		json_object_set_new(sp, "SPDXID", jstr(id));
		put_str(sp, "versionInfo", p->version);
		json_object_set_new(sp, "downloadLocation", jstr("NOASSERTION"));
		json_object_set_new(sp, "filesAnalyzed", json_false());
		json_object_set_new(sp, "licenseConcluded", jstr("NOASSERTION"));
		json_object_set_new(sp, "licenseDeclared", lic ? lic : jstr("NOASSERTION"));
		json_object_set_new(sp, "copyrightText", jstr("NOASSERTION"));
		if ((p->location && *p->location) || (is_os_pkg(p) && p->source_name)) {
			/* Trivy's words for the source package, which scanners of
			 * this SBOM match advisories by. */
			char si[BW_MAX_PATH * 2];
			int n = 0;

			if (is_os_pkg(p) && p->source_name && *p->source_name)
				n = snprintf(si, sizeof(si), "built package from: %s %s%s", p->source_name,
					     p->source_version ? p->source_version : p->version ? p->version : "",
					     p->location && *p->location ? "; " : "");
			if (p->location && *p->location && n >= 0 && (size_t)n < sizeof(si))
				snprintf(si + n, sizeof(si) - (size_t)n, "found by %s in %s",
					 p->cataloger ? p->cataloger : "bulwark", p->location);
			json_object_set_new(sp, "sourceInfo", jstr(si));
		}
		if (p->purl) {
			json_t *er = json_array(), *e = json_object();
			json_object_set_new(e, "referenceCategory", jstr("PACKAGE-MANAGER"));
			json_object_set_new(e, "referenceType", jstr("purl"));
			json_object_set_new(e, "referenceLocator", jstr(p->purl));
			json_array_append_new(er, e);
			json_object_set_new(sp, "externalRefs", er);
		}
		json_object_set_new(sp, "primaryPackagePurpose", jstr("LIBRARY"));
		json_array_append_new(pkgs, sp);
		spdx_rel(rels, have_os && is_os_pkg(p) ? "SPDXRef-OperatingSystem" : "SPDXRef-Image", "CONTAINS",
			 id);
	}
	json_object_set_new(doc, "packages", pkgs);
	if (json_array_size(extracted))
		json_object_set_new(doc, "hasExtractedLicensingInfos", extracted);
	else
		json_decref(extracted);
	json_decref(seen);
	json_object_set_new(doc, "relationships", rels);
	return dump(f, doc, err);
}

/* ---------------------------------------------------------------- native */

static int write_json(FILE *f, const struct bw_image *img, const struct bw_pkg_result *res,
		      const struct bw_sbom_opts *o, struct bw_error **err)
{
	json_t *doc = json_object(), *os = json_object(), *arr = json_array();

	json_object_set_new(doc, "image", jstr(image_name(img, o)));
	if (img && bw_image_manifest_digest(img))
		json_object_set_new(doc, "manifest_digest", jstr(bw_image_manifest_digest(img)));
	put_str(os, "id", res->os.id);
	put_str(os, "version_id", res->os.version_id);
	put_str(os, "version", res->os.version);
	put_str(os, "version_codename", res->os.version_codename);
	put_str(os, "name", res->os.name);
	put_str(os, "pretty_name", res->os.pretty_name);
	put_str(os, "id_like", res->os.id_like);
	put_str(os, "family", res->os.family);
	json_object_set_new(doc, "os", os);
	json_object_set_new(doc, "count", json_integer((json_int_t)res->pkgs.n));
	for (size_t i = 0; i < res->pkgs.n; i++) {
		const struct bw_pkg *p = &res->pkgs.v[i];
		json_t *j = json_object();
		put_str(j, "name", p->name);
		put_str(j, "version", p->version);
		put_str(j, "release", p->release);
		if (p->epoch >= 0)
			json_object_set_new(j, "epoch", json_integer(p->epoch));
		put_str(j, "arch", p->arch);
		put_str(j, "type", p->type);
		put_str(j, "purl", p->purl);
		put_str(j, "source_name", p->source_name);
		put_str(j, "source_version", p->source_version);
		put_str(j, "source_rpm", p->source_rpm);
		put_str(j, "license", p->license);
		put_str(j, "cataloger", p->cataloger);
		if (p->owner)
			put_str(j, "owner", p->owner);
		put_str(j, "location", p->location);
		if (p->layer >= 0) {
			json_object_set_new(j, "layer", json_integer(p->layer + 1));
			if (img && bw_image_layer(img, (size_t)p->layer))
				put_str(j, "layer_digest", bw_image_layer(img, (size_t)p->layer)->digest);
		}
		if (p->dev)
			json_object_set_new(j, "dev", json_true());
		json_array_append_new(arr, j);
	}
	json_object_set_new(doc, "packages", arr);
	return dump(f, doc, err);
}

static int write_table(FILE *f, const struct bw_pkg_result *res, struct bw_error **err)
{
	size_t wn = 4, wv = 7;

	for (size_t i = 0; i < res->pkgs.n; i++) {
		const struct bw_pkg *p = &res->pkgs.v[i];
		size_t a = p->name ? strlen(p->name) : 0, b = p->version ? strlen(p->version) : 0;
		if (a > wn)
			wn = a < 60 ? a : 60;
		if (b > wv)
			wv = b < 40 ? b : 40;
	}
	if (res->os.id)
		fprintf(f, "OS: %s\n\n", res->os.pretty_name ? res->os.pretty_name : res->os.id);
	fprintf(f, "%-*s  %-*s  %s\n", (int)wn, "NAME", (int)wv, "VERSION", "TYPE");
	for (size_t i = 0; i < res->pkgs.n; i++) {
		const struct bw_pkg *p = &res->pkgs.v[i];
		fprintf(f, "%-*s  %-*s  %s\n", (int)wn, p->name ? p->name : "", (int)wv,
			p->version ? p->version : "", p->type ? p->type : "");
	}
	if (ferror(f))
		return bw_error_set(err, -EIO, "cannot write the table: %m");
	return 0;
}

int bw_sbom_write(FILE *f, enum bw_sbom_format fmt, const struct bw_image *img,
		  const struct bw_pkg_result *res, const struct bw_sbom_opts *opts, struct bw_error **err)
{
	switch (fmt) {
	case BW_SBOM_CYCLONEDX:
		return write_cyclonedx(f, img, res, opts, err);
	case BW_SBOM_SPDX_JSON:
		return write_spdx(f, img, res, opts, err);
	case BW_SBOM_JSON:
		return write_json(f, img, res, opts, err);
	case BW_SBOM_TABLE:
		return write_table(f, res, err);
	}
	return bw_error_set(err, -EINVAL, "unknown SBOM format");
}
