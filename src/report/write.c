/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/report.h"
#include "bulwark/sbom.h"

/*
 * Vulnerability report writers. JSON documents are built as jansson trees
 * and dumped in insertion order, so output is stable.
 */

int bw_report_format_parse(const char *s, enum bw_report_format *ret)
{
	static const struct {
		const char *name;
		enum bw_report_format fmt;
	} map[] = {
		{ "table", BW_REPORT_TABLE },	  { "json", BW_REPORT_JSON },
		{ "sarif", BW_REPORT_SARIF },	  { "cyclonedx", BW_REPORT_CYCLONEDX },
		{ "cyclonedx-json", BW_REPORT_CYCLONEDX }, { "junit", BW_REPORT_JUNIT },
	};

	for (size_t i = 0; i < BW_ARRAY_SIZE(map); i++)
		if (!strcmp(s, map[i].name)) {
			*ret = map[i].fmt;
			return 0;
		}
	return -EINVAL;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int dump(FILE *f, json_t *doc, struct bw_error **err)
{
	int r;

	if (!doc)
		return bw_error_set(err, -ENOMEM, "cannot build the report: out of memory");
	r = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (r < 0 || fputc('\n', f) == EOF || ferror(f))
		return bw_error_set(err, -EIO, "cannot write the report: %m");
	return 0;
}

static bool is_os_type(const char *t)
{
	return t && (!strcmp(t, "deb") || !strcmp(t, "apk") || !strcmp(t, "rpm"));
}

/* ---------------------------------------------------------------- JSON */

/* A CVSS score as a one-decimal number, or null when there is none. */
static json_t *score_json(const char *vector, int score10)
{
	return vector && score10 >= 0 ? json_real(score10 / 10.0) : json_null();
}

static json_t *finding_json(const struct bw_finding *x)
{
	json_t *o = json_object(), *al = x->aliases ? json_loads(x->aliases, 0, NULL) : NULL;

	json_object_set_new(o, "id", json_string(x->id));
	json_object_set_new(o, "aliases", json_is_array(al) ? al : (json_decref(al), json_array()));
	json_object_set_new(o, "package", jstr(x->package));
	json_object_set_new(o, "advisory_package", jstr(x->advisory_package));
	json_object_set_new(o, "ecosystem", jstr(x->ecosystem));
	json_object_set_new(o, "type", jstr(x->type));
	json_object_set_new(o, "installed_version", jstr(x->installed));
	json_object_set_new(o, "matched_version", jstr(x->matched_version));
	json_object_set_new(o, "fixed_version", jstr(x->fixed));
	json_object_set_new(o, "status", json_string(bw_match_status_name(x->status)));
	json_object_set_new(o, "severity", json_string(bw_vuln_severity_name(x->severity)));
	json_object_set_new(o, "severity_source", jstr(x->severity_source));
	json_object_set_new(o, "cvss", jstr(x->cvss));
	json_object_set_new(o, "cvss_score", score_json(x->cvss, x->cvss_score10));
	json_object_set_new(o, "cvss4", jstr(x->cvss4));
	json_object_set_new(o, "cvss4_score", score_json(x->cvss4, x->cvss4_score10));
	json_object_set_new(o, "title", jstr(x->summary));
	json_object_set_new(o, "purl", jstr(x->purl));
	json_object_set_new(o, "location", jstr(x->location));
	json_object_set_new(o, "layer", json_integer(x->layer));
	return o;
}

static json_t *vex_json(const struct bw_vex_statement *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "status", json_string(s->status));
	json_object_set_new(o, "justification", jstr(s->justification));
	json_object_set_new(o, "document", json_string(s->document));
	json_object_set_new(o, "statement", json_integer(s->line));
	return o;
}

static int write_json(FILE *f, const struct bw_report *r, struct bw_error **err)
{
	json_t *doc = json_object(), *os = json_object(), *arr = json_array(), *sup = json_array();
	json_t *sum = json_object();
	size_t counts[BW_VSEV_COUNT] = { 0 };

	json_object_set_new(doc, "schema", json_string("bulwark-vuln/1"));
	json_object_set_new(doc, "target", jstr(r->target));
	json_object_set_new(os, "id", jstr(r->os ? r->os->id : NULL));
	json_object_set_new(os, "version_id", jstr(r->os ? r->os->version_id : NULL));
	json_object_set_new(os, "ecosystem", jstr(r->ecosystem));
	json_object_set_new(doc, "os", os);
	for (size_t i = 0; i < r->n_shown; i++) {
		counts[r->shown[i].finding->severity]++;
		json_array_append_new(arr, finding_json(r->shown[i].finding));
	}
	json_object_set_new(doc, "findings", arr);
	for (size_t i = 0; i < r->n_suppressed; i++) {
		json_t *o = finding_json(r->suppressed[i].finding);
		if (r->suppressed[i].vex)
			json_object_set_new(o, "vex", vex_json(r->suppressed[i].vex));
		json_array_append_new(sup, o);
	}
	json_object_set_new(doc, "suppressed", sup);
	for (int s = BW_VSEV_COUNT - 1; s >= 0; s--)
		json_object_set_new(sum, bw_vuln_severity_name((enum bw_vuln_severity)s), json_integer((json_int_t)counts[s]));
	json_object_set_new(doc, "summary", sum);
	return dump(f, doc, err);
}

/* ---------------------------------------------------------------- table */

static int write_table(FILE *f, const struct bw_report *r, struct bw_error **err)
{
	size_t counts[BW_VSEV_COUNT] = { 0 };
	const struct bw_os *os = r->os;

	for (size_t i = 0; i < r->n_shown; i++)
		counts[r->shown[i].finding->severity]++;
	fprintf(f, "%s (%s %s)\n", r->target ? r->target : "", os && os->id ? os->id : "unknown",
		os && os->version_id ? os->version_id : "");
	fprintf(f, "Total: %zu (", r->n_shown);
	for (int s = BW_VSEV_COUNT - 1; s >= 0; s--)
		fprintf(f, "%s: %zu%s", bw_vuln_severity_name((enum bw_vuln_severity)s), counts[s], s ? ", " : ")\n");
	if (r->n_suppressed)
		fprintf(f, "Suppressed by VEX: %zu\n", r->n_suppressed);
	fputc('\n', f);
	if (r->n_shown)
		fprintf(f, "%-28s %-20s %-10s %-11s %-30s %s\n", "PACKAGE", "VULNERABILITY", "SEVERITY", "STATUS",
			"INSTALLED", "FIXED");
	for (size_t i = 0; i < r->n_shown; i++) {
		const struct bw_finding *x = r->shown[i].finding;

		fprintf(f, "%-28s %-20s %-10s %-11s %-30s %s\n", x->package, x->id, bw_vuln_severity_name(x->severity),
			bw_match_status_name(x->status), x->installed ? x->installed : "", x->fixed ? x->fixed : "");
	}
	if (ferror(f))
		return bw_error_set(err, -EIO, "cannot write the report: %m");
	return 0;
}

/* ---------------------------------------------------------------- SARIF */

static const char *sarif_level(enum bw_vuln_severity s)
{
	return s >= BW_VSEV_HIGH ? "error" : s == BW_VSEV_MEDIUM ? "warning" : "note";
}

/* GitHub code scanning reads properties.security-severity as a CVSS-like
 * score: over 9 critical, 7 high, 4 medium, above 0 low. */
static const char *sarif_score(enum bw_vuln_severity s)
{
	static const char *score[BW_VSEV_COUNT] = { "0.0", "0.0", "2.0", "5.5", "8.0", "9.5" };
	return score[s];
}

/* A file path as a URI reference: unreserved characters and '/' stay,
 * everything else is percent-encoded; no leading '/'. */
static char *uri_ref(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *o, *out = malloc(n * 3 + 1);

	if (!out)
		return NULL;
	while (*path == '/')
		path++;
	o = out;
	for (; *path; path++) {
		unsigned char c = (unsigned char)*path;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c)) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = 0;
	return out;
}

static json_t *sarif_rule(const struct bw_finding *x)
{
	json_t *rule = json_object(), *props = json_object(), *tags = json_array(), *help = json_object();
	const char *title = x->summary && *x->summary ? x->summary : x->id;
	char *text = NULL;

	json_object_set_new(rule, "id", json_string(x->id));
	json_object_set_new(rule, "name", json_string("OsPackageVulnerability"));
	json_object_set_new(rule, "shortDescription", json_pack("{s:s}", "text", title));
	json_object_set_new(rule, "fullDescription", json_pack("{s:s}", "text", title));
	json_object_set_new(rule, "defaultConfiguration", json_pack("{s:s}", "level", sarif_level(x->severity)));
	if (asprintf(&text, "Vulnerability %s\nSeverity: %s\nPackage: %s\nFixed Version: %s", x->id,
		     bw_vuln_severity_name(x->severity), x->package, x->fixed ? x->fixed : "none") >= 0) {
		json_object_set_new(help, "text", json_string(text));
		free(text);
	}
	json_object_set_new(rule, "help", help);
	json_array_append_new(tags, json_string("vulnerability"));
	json_array_append_new(tags, json_string("security"));
	json_array_append_new(tags, json_string(bw_vuln_severity_name(x->severity)));
	json_object_set_new(props, "precision", json_string("very-high"));
	json_object_set_new(props, "security-severity", json_string(sarif_score(x->severity)));
	if (x->cvss) {
		json_object_set_new(props, "cvssv3_vector", json_string(x->cvss));
		json_object_set_new(props, "cvssv3_baseScore", score_json(x->cvss, x->cvss_score10));
	}
	if (x->cvss4) {
		json_object_set_new(props, "cvssv40_vector", json_string(x->cvss4));
		json_object_set_new(props, "cvssv40_score", score_json(x->cvss4, x->cvss4_score10));
	}
	json_object_set_new(props, "tags", tags);
	json_object_set_new(rule, "properties", props);
	return rule;
}

/* SARIF 2.1.0: one rule per advisory id, one result per finding, located
 * at the package database file (or the scanned target). */
static int write_sarif(FILE *f, const struct bw_report *r, struct bw_error **err)
{
	json_t *doc = json_object(), *run = json_object(), *driver = json_object(), *rules = json_array();
	json_t *results = json_array(), *runs = json_array();
	struct bw_map *index = bw_map_new();

	if (!index) {
		json_decref(doc);
		return bw_error_set(err, -ENOMEM, "cannot build the report: out of memory");
	}
	json_object_set_new(doc, "$schema", json_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_set_new(doc, "version", json_string("2.1.0"));
	json_object_set_new(driver, "name", json_string("bulwark"));
	json_object_set_new(driver, "version", json_string(BW_VERSION));
	json_object_set_new(driver, "informationUri", json_string("https://github.com/bulwark"));
	for (size_t i = 0; i < r->n_shown; i++) {
		const struct bw_finding *x = r->shown[i].finding;
		json_t *res = json_object(), *loc = json_object(), *phys = json_object(), *art = json_object();
		const char *where = x->location && *x->location ? x->location : r->target ? r->target : "unknown";
		_cleanup_free_ char *uri = uri_ref(where);
		char *msg = NULL;
		uintptr_t idx;

		if (!bw_map_has(index, x->id)) {
			bw_map_put(index, x->id, (void *)(uintptr_t)(json_array_size(rules) + 1));
			json_array_append_new(rules, sarif_rule(x));
		}
		idx = (uintptr_t)bw_map_get(index, x->id) - 1;
		json_object_set_new(res, "ruleId", json_string(x->id));
		json_object_set_new(res, "ruleIndex", json_integer((json_int_t)idx));
		json_object_set_new(res, "level", json_string(sarif_level(x->severity)));
		if (asprintf(&msg, "Package: %s\nInstalled Version: %s\nVulnerability %s\nSeverity: %s\nStatus: %s\n"
				   "Fixed Version: %s",
			     x->package, x->installed ? x->installed : "?", x->id, bw_vuln_severity_name(x->severity),
			     bw_match_status_name(x->status), x->fixed ? x->fixed : "none") >= 0) {
			json_object_set_new(res, "message", json_pack("{s:s}", "text", msg));
			free(msg);
		}
		json_object_set_new(art, "uri", json_string(uri && *uri ? uri : "unknown"));
		json_object_set_new(phys, "artifactLocation", art);
		json_object_set_new(phys, "region", json_pack("{s:i,s:i,s:i,s:i}", "startLine", 1, "startColumn", 1,
							      "endLine", 1, "endColumn", 1));
		json_object_set_new(loc, "physicalLocation", phys);
		json_object_set_new(loc, "message", json_pack("{s:s}", "text", where));
		json_object_set_new(res, "locations", json_pack("[o]", loc));
		json_array_append_new(results, res);
	}
	bw_map_free(index);
	json_object_set_new(driver, "rules", rules);
	json_object_set_new(run, "tool", json_pack("{s:o}", "driver", driver));
	json_object_set_new(run, "results", results);
	json_object_set_new(run, "columnKind", json_string("utf16CodeUnits"));
	json_array_append_new(runs, run);
	json_object_set_new(doc, "runs", runs);
	return dump(f, doc, err);
}

/* ---------------------------------------------------------------- JUnit */

static void xml_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* XML 1.0 allows no control characters but tab, LF and CR. */
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				fputc('?', f);
			else
				fputc(c, f);
		}
	}
}

/* The JUnit testsuite a finding belongs to: the OS packages of the target,
 * or the file a language package was found in. */
static const char *suite_of(const struct bw_finding *x)
{
	return is_os_type(x->type) ? NULL : x->location ? x->location : "";
}

static bool same_suite(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* As Trivy's junit template: one testsuite per target (the image's OS
 * packages, each language package file), one testcase per finding, failed,
 * named "[SEVERITY] ID" with the package and version as its class. */
static int write_junit(FILE *f, const struct bw_report *r, struct bw_error **err)
{
	const char **suites = calloc(r->n_shown + 1, sizeof(*suites));
	size_t n_suites = 1;

	if (!suites)
		return bw_error_set(err, -ENOMEM, "cannot build the report: out of memory");
	suites[0] = NULL; /* the OS packages: always there, as Trivy's OS result is */
	for (size_t i = 0; i < r->n_shown; i++) {
		const char *s = suite_of(r->shown[i].finding);
		size_t k = 0;
		while (k < n_suites && !same_suite(suites[k], s))
			k++;
		if (k == n_suites)
			suites[n_suites++] = s;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bulwark\">\n", f);
	for (size_t k = 0; k < n_suites; k++) {
		size_t n = 0;

		for (size_t i = 0; i < r->n_shown; i++)
			n += same_suite(suite_of(r->shown[i].finding), suites[k]);
		fprintf(f, "  <testsuite tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\" name=\"", n, n);
		if (suites[k]) {
			xml_put(f, suites[k]);
		} else {
			xml_put(f, r->target);
			if (r->os && r->os->id) {
				fputs(" (", f);
				xml_put(f, r->os->id);
				fputc(' ', f);
				xml_put(f, r->os->version_id);
				fputc(')', f);
			}
		}
		fputs("\">\n    <properties>\n      <property name=\"type\" value=\"", f);
		xml_put(f, suites[k] ? "lang-pkgs" : r->os && r->os->id ? r->os->id : "os-pkgs");
		fputs("\"></property>\n    </properties>\n", f);
		for (size_t i = 0; i < r->n_shown; i++) {
			const struct bw_finding *x = r->shown[i].finding;

			if (!same_suite(suite_of(x), suites[k]))
				continue;
			fputs("    <testcase classname=\"", f);
			xml_put(f, x->package);
			fputc('-', f);
			xml_put(f, x->installed);
			fprintf(f, "\" name=\"[%s] ", bw_vuln_severity_name(x->severity));
			xml_put(f, x->id);
			fputs("\" time=\"0\">\n      <failure message=\"", f);
			xml_put(f, x->summary && *x->summary ? x->summary : x->id);
			fputs("\" type=\"description\">", f);
			xml_put(f, x->package);
			fputs(" ", f);
			xml_put(f, x->installed);
			fputs(": ", f);
			xml_put(f, x->id);
			fprintf(f, " (%s, %s)", bw_vuln_severity_name(x->severity), bw_match_status_name(x->status));
			if (x->fixed) {
				fputs(", fixed in ", f);
				xml_put(f, x->fixed);
			}
			fputs("</failure>\n    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	free(suites);
	if (ferror(f))
		return bw_error_set(err, -EIO, "cannot write the report: %m");
	return 0;
}

/* ---------------------------------------------------------------- CycloneDX */

static const char *cdx_severity(enum bw_vuln_severity s)
{
	static const char *names[BW_VSEV_COUNT] = { "unknown", "info", "low", "medium", "high", "critical" };
	return names[s];
}

/* The advisory's source: the distro tracker or OSV. */
static json_t *cdx_source(const struct bw_finding *x, const char *id)
{
	const char *eco = x->ecosystem ? x->ecosystem : "";
	const char *name = "osv", *base = "https://osv.dev/vulnerability/";
	char *url = NULL;
	json_t *o = json_object();

	if (bw_startswith(eco, "Debian") && bw_startswith(id, "CVE-"))
		name = "debian", base = "https://security-tracker.debian.org/tracker/";
	else if (bw_startswith(eco, "Ubuntu") && bw_startswith(id, "CVE-"))
		name = "ubuntu", base = "https://ubuntu.com/security/";
	else if (bw_startswith(id, "CVE-") && strcmp(id, x->id))
		name = "nvd", base = "https://nvd.nist.gov/vuln/detail/";
	json_object_set_new(o, "name", json_string(name));
	if (asprintf(&url, "%s%s", base, id) >= 0) {
		json_object_set_new(o, "url", json_string(url));
		free(url);
	}
	return o;
}

static const char *cvss_method(const char *vector)
{
	if (bw_startswith(vector, "CVSS:3.1/"))
		return "CVSSv31";
	if (bw_startswith(vector, "CVSS:3.0/"))
		return "CVSSv3";
	if (bw_startswith(vector, "CVSS:4.0/"))
		return "CVSSv4";
	return "CVSSv2";
}

/* One CycloneDX rating for a CVSS vector: source, score, severity, method
 * ("CVSSv3", "CVSSv31", "CVSSv4"), vector. */
static json_t *cdx_cvss_rating(const struct bw_finding *x, const char *vector, int score10)
{
	json_t *o = json_object();
	const char *sev = "unknown";

	json_object_set_new(o, "source", cdx_source(x, x->id));
	if (score10 >= 0) {
		json_object_set_new(o, "score", json_real(score10 / 10.0));
		sev = score10 > 0 ? cdx_severity(bw_cvss_severity(score10)) : "none";
	}
	json_object_set_new(o, "severity", json_string(sev));
	json_object_set_new(o, "method", json_string(cvss_method(vector)));
	json_object_set_new(o, "vector", json_string(vector));
	return o;
}

static json_t *cdx_ratings(const struct bw_finding *x)
{
	json_t *ratings = json_array();
	const char *src = x->severity_source;

	if (src && strcmp(src, "cvss") && strcmp(src, "cvss4")) {
		json_t *o = json_object();
		json_object_set_new(o, "source", json_pack("{s:s}", "name", src));
		json_object_set_new(o, "severity", json_string(cdx_severity(x->severity)));
		json_object_set_new(o, "method", json_string("other"));
		json_array_append_new(ratings, o);
	}
	if (x->cvss && *x->cvss)
		json_array_append_new(ratings, cdx_cvss_rating(x, x->cvss, x->cvss_score10));
	if (x->cvss4 && *x->cvss4)
		json_array_append_new(ratings, cdx_cvss_rating(x, x->cvss4, x->cvss4_score10));
	if (!json_array_size(ratings))
		json_array_append_new(ratings, json_pack("{s:s}", "severity", cdx_severity(x->severity)));
	return ratings;
}

/* OpenVEX justifications in CycloneDX's words. */
static const char *cdx_justification(const char *j)
{
	static const char *const map[][2] = {
		{ "component_not_present", "code_not_present" },
		{ "vulnerable_code_not_present", "code_not_present" },
		{ "vulnerable_code_not_in_execute_path", "code_not_reachable" },
		{ "vulnerable_code_cannot_be_controlled_by_adversary", "requires_environment" },
		{ "inline_mitigations_already_exist", "protected_by_mitigating_control" },
	};

	for (size_t i = 0; j && i < BW_ARRAY_SIZE(map); i++)
		if (!strcmp(j, map[i][0]))
			return map[i][1];
	return NULL;
}

/* Adds {ref, versions: [installed]} to v's affects, once per ref. */
static void cdx_add_affect(json_t *v, const struct bw_finding *x, const struct bw_vex_statement *vex, const char *ref)
{
	json_t *affects = json_object_get(v, "affects"), *aff, *ver, *e;
	size_t i;

	json_array_foreach(affects, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "ref")), ref))
			return;
	aff = json_object();
	ver = json_object();
	json_object_set_new(aff, "ref", json_string(ref));
	json_object_set_new(ver, "version", json_string(x->installed ? x->installed : ""));
	json_object_set_new(ver, "status", json_string(vex ? "unaffected" : "affected"));
	json_object_set_new(aff, "versions", json_pack("[o]", ver));
	json_array_append_new(affects, aff);
}

static json_t *cdx_vuln(const struct bw_finding *x, const struct bw_vex_statement *vex, const char *ref)
{
	json_t *v = json_object(), *refs = json_array(), *al = x->aliases ? json_loads(x->aliases, 0, NULL) : NULL;
	json_t *props = json_array(), *e;
	char *rec = NULL;
	size_t i;

	json_object_set_new(v, "id", json_string(x->id));
	json_object_set_new(v, "source", cdx_source(x, x->id));
	json_array_foreach(al, i, e) {
		if (!json_is_string(e) || !strcmp(json_string_value(e), x->id))
			continue;
		json_array_append_new(refs, json_pack("{s:s,s:o}", "id", json_string_value(e), "source",
						      cdx_source(x, json_string_value(e))));
	}
	json_decref(al);
	if (json_array_size(refs))
		json_object_set_new(v, "references", refs);
	else
		json_decref(refs);
	json_object_set_new(v, "ratings", cdx_ratings(x));
	if (x->summary && *x->summary)
		json_object_set_new(v, "description", json_string(x->summary));
	if (x->fixed && asprintf(&rec, "Upgrade %s to version %s or later", x->package, x->fixed) >= 0) {
		json_object_set_new(v, "recommendation", json_string(rec));
		free(rec);
	}
	if (vex) {
		json_t *an = json_object();
		const char *j = cdx_justification(vex->justification);
		char *detail = NULL;

		json_object_set_new(an, "state", json_string(!strcmp(vex->status, "fixed") ? "resolved" : "not_affected"));
		if (j)
			json_object_set_new(an, "justification", json_string(j));
		if (asprintf(&detail, "OpenVEX %s, statement %d: %s", vex->document, vex->line, vex->status) >= 0) {
			json_object_set_new(an, "detail", json_string(detail));
			free(detail);
		}
		json_object_set_new(v, "analysis", an);
	}
	json_object_set_new(v, "affects", json_array());
	cdx_add_affect(v, x, vex, ref);
	json_array_append_new(props, json_pack("{s:s,s:s}", "name", "bulwark:status", "value",
					       bw_match_status_name(x->status)));
	if (x->fixed)
		json_array_append_new(props, json_pack("{s:s,s:s}", "name", "bulwark:fixed_version", "value", x->fixed));
	if (x->ecosystem)
		json_array_append_new(props, json_pack("{s:s,s:s}", "name", "bulwark:ecosystem", "value", x->ecosystem));
	json_object_set_new(v, "properties", props);
	return v;
}

/* The bom-ref of x's package in doc's components, adding a component when
 * the package is not there (findings of a package list not given). */
static const char *cdx_ref(json_t *comps, struct bw_map *by_purl, const struct bw_finding *x)
{
	char key[8192];
	const char *ref;
	json_t *c;

	snprintf(key, sizeof(key), "%s", x->purl ? x->purl : x->package);
	ref = bw_map_get(by_purl, key);
	if (ref)
		return ref;
	snprintf(key, sizeof(key), "vuln-pkg-%zu", json_array_size(comps) + 1);
	c = json_object();
	json_object_set_new(c, "bom-ref", json_string(key));
	json_object_set_new(c, "type", json_string("library"));
	json_object_set_new(c, "name", json_string(x->package));
	if (x->installed)
		json_object_set_new(c, "version", json_string(x->installed));
	if (x->purl)
		json_object_set_new(c, "purl", json_string(x->purl));
	json_array_append_new(comps, c);
	ref = json_string_value(json_object_get(c, "bom-ref"));
	bw_map_put(by_purl, x->purl ? x->purl : x->package, (void *)ref);
	return ref;
}

static int write_cyclonedx(FILE *f, const struct bw_report *r, struct bw_error **err)
{
	static const struct bw_pkg_result none = { 0 };
	struct bw_sbom_opts so = { .sz = sizeof(so), .name = r->target, .timestamp = r->timestamp };
	json_t *doc = bw_sbom_cyclonedx(r->image, r->pkgs ? r->pkgs : &none, &so), *comps, *vulns, *c;
	struct bw_map *by_purl = bw_map_new(), *by_id;
	size_t i;

	if (!doc || !by_purl) {
		json_decref(doc);
		bw_map_free(by_purl);
		return bw_error_set(err, -ENOMEM, "cannot build the report: out of memory");
	}
	comps = json_object_get(doc, "components");
	json_array_foreach(comps, i, c) {
		const char *purl = json_string_value(json_object_get(c, "purl"));
		const char *ref = json_string_value(json_object_get(c, "bom-ref"));
		if (purl && ref && !bw_map_has(by_purl, purl))
			bw_map_put(by_purl, purl, (void *)ref);
	}
	vulns = json_array();
	by_id = bw_map_new();
	for (i = 0; by_id && i < r->n_shown + r->n_suppressed; i++) {
		const struct bw_report_entry *e = i < r->n_shown ? &r->shown[i] : &r->suppressed[i - r->n_shown];
		const char *ref = cdx_ref(comps, by_purl, e->finding);
		char key[1024];
		json_t *v;

		/* One vulnerability per advisory (and VEX statement), affecting
		 * each of its packages once. */
		snprintf(key, sizeof(key), "%s\x1f%s:%d", e->finding->id, e->vex ? e->vex->document : "",
			 e->vex ? e->vex->line : 0);
		v = bw_map_get(by_id, key);
		if (!v) {
			v = cdx_vuln(e->finding, e->vex, ref);
			json_array_append_new(vulns, v);
			bw_map_put(by_id, key, v);
		} else {
			cdx_add_affect(v, e->finding, e->vex, ref);
		}
	}
	json_object_set_new(doc, "vulnerabilities", vulns);
	bw_map_free(by_purl);
	if (!by_id) {
		json_decref(doc);
		return bw_error_set(err, -ENOMEM, "cannot build the report: out of memory");
	}
	bw_map_free(by_id);
	return dump(f, doc, err);
}

int bw_report_write(FILE *f, enum bw_report_format fmt, const struct bw_report *r, struct bw_error **err)
{
	switch (fmt) {
	case BW_REPORT_TABLE:
		return write_table(f, r, err);
	case BW_REPORT_JSON:
		return write_json(f, r, err);
	case BW_REPORT_SARIF:
		return write_sarif(f, r, err);
	case BW_REPORT_JUNIT:
		return write_junit(f, r, err);
	case BW_REPORT_CYCLONEDX:
		return write_cyclonedx(f, r, err);
	}
	return bw_error_set(err, -EINVAL, "unknown report format");
}
