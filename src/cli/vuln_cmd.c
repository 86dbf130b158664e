/* SPDX-License-Identifier: Apache-2.0 */
/* `bulwark vuln REF` (and `bulwark image REF --scanners vuln`): the image's
 * packages matched against the advisory database. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/match.h"
#include "bulwark/pkg.h"
#include "bulwark/vulndb.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark vuln [OPTIONS] REF\n"
	"       bulwark image --scanners vuln [OPTIONS] REF\n"
	"\n"
	"Find the known vulnerabilities of an image's packages: Debian and Alpine\n"
	"packages by source package and release, language packages by ecosystem\n"
	"and normalised name. Each finding gives the advisory, the package, the\n"
	"installed and fixed versions, the status (fixed, affected: no fix yet,\n"
	"end-of-life) and the severity with its source (the distro's rating\n"
	"first, then CVSS).\n"
	"\n"
	"Options:\n"
	"  -f, --format FORMAT    table (default), json or sarif (SARIF 2.1.0)\n"
	"  -o, --output FILE      write the report to FILE instead of stdout\n"
	"      --db PATH          the advisory database (default: the one\n"
	"                         `bulwark db import` writes)\n"
	"  -s, --severity LIST    report only these severities (comma-separated:\n"
	"                         UNKNOWN,NEGLIGIBLE,LOW,MEDIUM,HIGH,CRITICAL)\n"
	"      --exit-code N      exit with N when anything is reported (default 0)\n"
	"      --ignore-unfixed   leave out vulnerabilities without a fixed version\n"
	"      --ignorefile FILE  advisory ids to leave out, one a line: `ID\n"
	"                         [exp:YYYY-MM-DD] [PATH]` (default .bulwarkignore\n"
	"                         when it exists); `#` starts a comment\n"
	"      --include-kernel-headers  report kernel advisories against\n"
	"                         linux-libc-dev and kernel headers even when the\n"
	"                         image ships no kernel\n"
	"      --platform OS/ARCH[/VARIANT]  pick this platform from a multi-platform image\n"
	"      --insecure         allow plain HTTP and unverified TLS for registries\n"
	"      --username USER    registry user\n"
	"      --password PASS    registry password\n"
	"      --timeout SECONDS  fail a registry request that stalls this long (default 60)\n"
	"      --threads N        layers read at once (default: number of CPUs)\n"
	CACHE_OPTIONS_HELP
	"  -q, --quiet            print only errors\n"
	"  -d, --debug            print debug messages\n"
	"  -h, --help             show this help\n";

enum { FMT_TABLE, FMT_JSON, FMT_SARIF };

/* ---------------------------------------------------------------- ignorefile */

struct ignore_rule {
	char *id;
	char *path; /* or NULL */
};

struct ignores {
	struct ignore_rule *v;
	size_t n;
};

static void ignores_done(struct ignores *ig)
{
	for (size_t i = 0; i < ig->n; i++) {
		free(ig->v[i].id);
		free(ig->v[i].path);
	}
	free(ig->v);
}

/* Reads FILE; rules whose exp: date has passed are dropped. Exit code on error. */
static int ignores_load(const char *path, bool required, struct ignores *ig)
{
	_cleanup_free_ char *data = NULL;
	struct bw_error *err = NULL;
	char today[16], *save = NULL, *line;
	time_t now = time(NULL);
	struct tm tm;
	size_t len;
	int r;

	r = bw_read_file(path, 4u << 20, &data, &len, &err);
	if (r < 0) {
		if (!required && r == -ENOENT) {
			bw_error_free(err);
			return 0;
		}
		bw_error_wrap(&err, "ignorefile `%s`", path);
		return cli_fail(err);
	}
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok, *s2 = NULL, *id = NULL, *p = NULL;
		bool expired = false;
		struct ignore_rule *nv;

		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		for (tok = strtok_r(line, " \t\r", &s2); tok; tok = strtok_r(NULL, " \t\r", &s2)) {
			if (!id)
				id = tok;
			else if (bw_startswith(tok, "exp:"))
				expired = strcmp(today, tok + 4) > 0;
			else if (!p)
				p = tok;
		}
		if (!id || expired)
			continue;
		nv = realloc(ig->v, (ig->n + 1) * sizeof(*nv));
		if (!nv)
			return EXIT_ERROR;
		ig->v = nv;
		nv[ig->n].id = strdup(id);
		nv[ig->n].path = p ? strdup(p) : NULL;
		ig->n++;
	}
	return 0;
}

static bool ignored(const struct ignores *ig, const struct bw_finding *f)
{
	for (size_t i = 0; i < ig->n; i++) {
		const struct ignore_rule *r = &ig->v[i];
		bool id_ok = !strcmp(r->id, f->id);

		if (!id_ok && f->aliases) {
			/* Aliases are a JSON array of strings: look for "ID". */
			size_t n = strlen(r->id);
			const char *s = f->aliases;

			while ((s = strstr(s, r->id))) {
				if (s > f->aliases && s[-1] == '"' && s[n] == '"') {
					id_ok = true;
					break;
				}
				s += n;
			}
		}
		if (!id_ok)
			continue;
		if (!r->path || (f->location && bw_startswith(f->location, r->path)) || !strcmp(r->path, f->package))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------- output */

static void put_kv(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "\"%s\":", k);
	if (v)
		json_put_string(f, v);
	else
		fputs("null", f);
	if (comma)
		fputc(',', f);
}

static void write_json(FILE *f, const char *ref, const struct bw_pkg_result *res, const char *eco,
		       const struct bw_finding *const *v, size_t n)
{
	size_t counts[BW_VSEV_COUNT] = { 0 };

	fputs("{\"schema\":\"bulwark-vuln/1\",", f);
	put_kv(f, "target", ref, true);
	fputs("\"os\":{", f);
	put_kv(f, "id", res->os.id, true);
	put_kv(f, "version_id", res->os.version_id, true);
	put_kv(f, "ecosystem", eco, false);
	fputs("},\"findings\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct bw_finding *x = v[i];

		counts[x->severity]++;
		fputs(i ? ",{" : "{", f);
		put_kv(f, "id", x->id, true);
		fprintf(f, "\"aliases\":%s,", x->aliases ? x->aliases : "[]");
		put_kv(f, "package", x->package, true);
		put_kv(f, "advisory_package", x->advisory_package, true);
		put_kv(f, "ecosystem", x->ecosystem, true);
		put_kv(f, "type", x->type, true);
		put_kv(f, "installed_version", x->installed, true);
		put_kv(f, "matched_version", x->matched_version, true);
		put_kv(f, "fixed_version", x->fixed, true);
		put_kv(f, "status", bw_match_status_name(x->status), true);
		put_kv(f, "severity", bw_vuln_severity_name(x->severity), true);
		put_kv(f, "severity_source", x->severity_source, true);
		put_kv(f, "cvss", x->cvss, true);
		put_kv(f, "title", x->summary, true);
		put_kv(f, "purl", x->purl, true);
		put_kv(f, "location", x->location, true);
		fprintf(f, "\"layer\":%d}", x->layer);
	}
	fputs("],\"summary\":{", f);
	for (int s = BW_VSEV_COUNT - 1; s >= 0; s--)
		fprintf(f, "\"%s\":%zu%s", bw_vuln_severity_name((enum bw_vuln_severity)s), counts[s], s ? "," : "");
	fputs("}}\n", f);
}

static const char *sarif_level(enum bw_vuln_severity s)
{
	return s >= BW_VSEV_HIGH ? "error" : s == BW_VSEV_MEDIUM ? "warning" : "note";
}

/* SARIF 2.1.0: one rule per advisory id, one result per finding, located at
 * the package database file. */
static void write_sarif(FILE *f, const struct bw_finding *const *v, size_t n)
{
	struct bw_map *seen = bw_map_new();
	bool first = true;

	fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
	      "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"bulwark\",\"version\":\"" BW_VERSION "\","
	      "\"informationUri\":\"https://github.com/bulwark\",\"rules\":[",
	      f);
	for (size_t i = 0; i < n; i++) {
		const struct bw_finding *x = v[i];

		if (seen && bw_map_has(seen, x->id))
			continue;
		if (seen)
			bw_map_put(seen, x->id, (void *)x);
		fputs(first ? "{" : ",{", f);
		first = false;
		put_kv(f, "id", x->id, true);
		fputs("\"shortDescription\":{\"text\":", f);
		json_put_string(f, x->summary && *x->summary ? x->summary : x->id);
		fputs("},\"properties\":{\"security-severity\":", f);
		fprintf(f, "\"%s\"", x->severity == BW_VSEV_CRITICAL ? "9.5" : x->severity == BW_VSEV_HIGH ? "8.0" :
				     x->severity == BW_VSEV_MEDIUM ? "5.5" : x->severity == BW_VSEV_LOW ? "2.0" : "0.0");
		fputs(",\"tags\":[\"vulnerability\",\"security\",", f);
		json_put_string(f, bw_vuln_severity_name(x->severity));
		fputs("]}}", f);
	}
	fputs("]}},\"results\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct bw_finding *x = v[i];
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s %s: %s (%s), installed %s, fixed %s", x->package, x->id,
			 bw_vuln_severity_name(x->severity), bw_match_status_name(x->status),
			 x->installed ? x->installed : "?", x->fixed ? x->fixed : "none");
		fputs(i ? ",{" : "{", f);
		put_kv(f, "ruleId", x->id, true);
		fprintf(f, "\"level\":\"%s\",\"message\":{\"text\":", sarif_level(x->severity));
		json_put_string(f, msg);
		fputs("},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", f);
		json_put_string(f, x->location && x->location[0] == '/' ? x->location + 1 :
				   x->location ? x->location : "unknown");
		fputs("},\"region\":{\"startLine\":1}}}]}", f);
	}
	fputs("]}]}\n", f);
	bw_map_free(seen);
}

static void write_table(FILE *f, const char *ref, const struct bw_pkg_result *res,
			const struct bw_finding *const *v, size_t n)
{
	size_t counts[BW_VSEV_COUNT] = { 0 };

	for (size_t i = 0; i < n; i++)
		counts[v[i]->severity]++;
	fprintf(f, "%s (%s %s)\n", ref, res->os.id ? res->os.id : "unknown",
		res->os.version_id ? res->os.version_id : "");
	fprintf(f, "Total: %zu (", n);
	for (int s = BW_VSEV_COUNT - 1; s >= 0; s--)
		fprintf(f, "%s: %zu%s", bw_vuln_severity_name((enum bw_vuln_severity)s), counts[s], s ? ", " : ")\n\n");
	if (!n)
		return;
	fprintf(f, "%-28s %-20s %-10s %-11s %-30s %s\n", "PACKAGE", "VULNERABILITY", "SEVERITY", "STATUS",
		"INSTALLED", "FIXED");
	for (size_t i = 0; i < n; i++) {
		const struct bw_finding *x = v[i];

		fprintf(f, "%-28s %-20s %-10s %-11s %-30s %s\n", x->package, x->id, bw_vuln_severity_name(x->severity),
			bw_match_status_name(x->status), x->installed ? x->installed : "",
			x->fixed ? x->fixed : "");
	}
}

/* ---------------------------------------------------------------- command */

/* Warns when the newest advisory of the database is older than 7 days. */
static void warn_if_stale(const char *dbpath)
{
	struct bw_vulndb_info info = { 0 };
	struct bw_error *err = NULL;
	struct tm tm = { 0 };

	if (cli.quiet || bw_vulndb_info(dbpath, &info, &err) < 0) {
		bw_error_free(err);
		return;
	}
	if (info.newest_modified && strptime(info.newest_modified, "%Y-%m-%d", &tm)) {
		time_t t = timegm(&tm), now = time(NULL);

		if (t != (time_t)-1 && now - t > 7 * 86400)
			fprintf(stderr, "warning: the advisory data is %lld days old (newest record %.10s); "
					"run `bulwark db import` with fresh data\n",
				(long long)((now - t) / 86400), info.newest_modified);
	}
	bw_vulndb_info_done(&info);
}

static int parse_severities(const char *list, bool want[BW_VSEV_COUNT])
{
	_cleanup_free_ char *s = strdup(list);
	char *save = NULL;

	if (!s)
		return -ENOMEM;
	memset(want, 0, BW_VSEV_COUNT * sizeof(bool));
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum bw_vuln_severity sv;

		if (bw_vuln_severity_parse(t, &sv) < 0)
			return -EINVAL;
		want[sv] = true;
	}
	return 0;
}

int cmd_vuln(int argc, char **argv)
{
	static const struct option opts[] = { IMAGE_LONG_OPTIONS,
					      { "scanners", required_argument, NULL, 2001 },
					      { "db", required_argument, NULL, 2002 },
					      { "severity", required_argument, NULL, 's' },
					      { "exit-code", required_argument, NULL, 2003 },
					      { "ignore-unfixed", no_argument, NULL, 2004 },
					      { "ignorefile", required_argument, NULL, 2005 },
					      { "include-kernel-headers", no_argument, NULL, 2006 },
					      CACHE_LONG_OPTIONS,
					      { NULL, 0, NULL, 0 } };
	struct cache_args ca = { 0 };
	struct bw_pkg_scan_opts po = { .sz = sizeof(po) };
	struct image_args a = { .opts = { .sz = sizeof(struct bw_image_opts) }, .format = "table" };
	struct bw_match_opts mo = { .sz = sizeof(mo) };
	struct bw_pkg_result res = { 0 };
	struct bw_findings fs = { 0 };
	struct ignores ig = { 0 };
	struct bw_error *err = NULL;
	struct bw_image *img = NULL;
	struct bw_vulndb *db = NULL;
	bool want[BW_VSEV_COUNT];
	_cleanup_free_ char *defdb = NULL, *eco = NULL;
	_cleanup_free_ const struct bw_finding **shown = NULL;
	const char *dbpath = NULL, *ignorefile = NULL, *ref;
	int fmt = FMT_TABLE, exit_code = 0, c, r, rc = EXIT_OK;
	size_t n = 0;
	FILE *f;

	for (size_t i = 0; i < BW_VSEV_COUNT; i++)
		want[i] = true;
	while ((c = getopt_long(argc, argv, "f:o:s:qdh", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		case 'f':
			if (!strcmp(optarg, "table"))
				fmt = FMT_TABLE;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "sarif"))
				fmt = FMT_SARIF;
			else
				return cli_usage_error("vuln", "unknown format `%s` (table, json, sarif)", optarg);
			continue;
		case 's':
			if (parse_severities(optarg, want) < 0)
				return cli_usage_error("vuln", "bad --severity `%s`", optarg);
			continue;
		case 2001:
			if (!strstr(optarg, "vuln"))
				return cli_usage_error("vuln", "unknown scanners `%s` (vuln)", optarg);
			continue;
		case 2002:
			dbpath = optarg;
			continue;
		case 2003: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 0 || v > 255)
				return cli_usage_error("vuln", "bad --exit-code `%s` (0 to 255)", optarg);
			exit_code = (int)v;
			continue;
		}
		case 2004:
			mo.ignore_unfixed = true;
			continue;
		case 2005:
			ignorefile = optarg;
			continue;
		case 2006:
			mo.include_kernel_headers = true;
			continue;
		default:
			break;
		}
		if (cache_args_parse(&ca, c, optarg))
			continue;
		r = image_args_parse(&a, c, optarg, "vuln");
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("vuln", "unknown option `%s`", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cli_usage_error("vuln", "expected one image reference");
	cli_setup_logging();
	ref = argv[optind];

	r = ignores_load(ignorefile ? ignorefile : ".bulwarkignore", ignorefile != NULL, &ig);
	if (r)
		return r;
	if (!dbpath) {
		defdb = bw_vulndb_default_path();
		if (!defdb) {
			ignores_done(&ig);
			return cli_fail(NULL);
		}
		dbpath = defdb;
	}
	/* The database first: a missing one should fail before a long image read. */
	r = bw_vulndb_open(dbpath, &db, &err);
	if (r < 0) {
		ignores_done(&ig);
		return cli_fail(err);
	}
	warn_if_stale(dbpath);
	po.cache_dir = cache_args_dir(&ca);
	r = bw_image_open(ref, &a.opts, &img, &err);
	if (r == 0)
		r = bw_pkg_scan_image_opts(img, &po, &res, &err);
	cache_args_done(&ca);
	if (r < 0) {
		bw_error_wrap(&err, "image `%s`", ref);
		rc = cli_fail(err);
		goto out;
	}
	r = bw_match_packages(db, &res, &mo, &fs, &err);
	if (r < 0) {
		bw_error_wrap(&err, "image `%s`", ref);
		rc = cli_fail(err);
		goto out;
	}
	shown = calloc(fs.n ? fs.n : 1, sizeof(*shown));
	if (!shown) {
		rc = EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < fs.n; i++)
		if (want[fs.v[i].severity] && !ignored(&ig, &fs.v[i]))
			shown[n++] = &fs.v[i];
	eco = bw_match_os_ecosystem(&res.os);

	f = output_open(&a, &err);
	if (!f) {
		rc = cli_fail(err);
		goto out;
	}
	if (fmt == FMT_JSON)
		write_json(f, ref, &res, eco, shown, n);
	else if (fmt == FMT_SARIF)
		write_sarif(f, shown, n);
	else
		write_table(f, ref, &res, shown, n);
	if (output_close(f, &a, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	if (n && exit_code)
		rc = exit_code;
out:
	bw_findings_done(&fs);
	bw_pkg_result_done(&res);
	bw_image_free(img);
	bw_vulndb_close(db);
	ignores_done(&ig);
	return rc;
}
