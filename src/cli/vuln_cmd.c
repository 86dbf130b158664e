/* SPDX-License-Identifier: Apache-2.0 */
/* `bulwark vuln REF` (and `bulwark image REF --scanners vuln`): the image's
 * packages matched against the advisory database. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/limits.h"
#include "bulwark/match.h"
#include "bulwark/pkg.h"
#include "bulwark/report.h"
#include "bulwark/sbom.h"
#include "bulwark/vulndb.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark vuln [OPTIONS] REF\n"
	"       bulwark image --scanners vuln [OPTIONS] REF\n"
	"       bulwark fs|rootfs --scanners vuln [OPTIONS] DIR\n"
	"       bulwark sbom [OPTIONS] SBOM.json\n"
	"\n"
	"Find the known vulnerabilities of an image's packages (or a folder's, or\n"
	"those a CycloneDX or SPDX JSON SBOM lists): Debian and Alpine packages by\n"
	"source package and release, rpm distributions by source RPM, language\n"
	"packages by ecosystem and normalised name. Each finding gives the\n"
	"advisory, the package, the installed and fixed versions, the status\n"
	"(fixed, affected: no fix yet, end-of-life) and the severity with its\n"
	"source (malicious packages are CRITICAL; else the distro's rating, the\n"
	"advisory's own, the CVSS v3 score, then the CVSS v4 score).\n"
	"\n"
	"Options:\n"
	"  -f, --format FORMAT    table (default), json, sarif (SARIF 2.1.0),\n"
	"                         cyclonedx (CycloneDX 1.6 BOM with vulnerabilities)\n"
	"                         or junit (one testsuite per target, a failed\n"
	"                         testcase per finding)\n"
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
	"      --vex FILE         an OpenVEX document (repeatable): findings its\n"
	"                         not_affected and fixed statements cover are left\n"
	"                         out (json and cyclonedx list them as suppressed)\n"
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

		if (!bw_finding_has_id(f, r->id))
			continue;
		if (!r->path || (f->location && bw_startswith(f->location, r->path)) || !strcmp(r->path, f->package))
			return true;
	}
	return false;
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
					"run `bulwark db update` for current data\n",
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

/* What a scan reads: an image, a folder (dir:), or an SBOM document. */
struct scan_input {
	struct bw_image *img;
	struct bw_pkg_result res;
	char *subject; /* the SBOM's subject PURL, or NULL */
	char *imgpurl; /* pkg:oci/NAME@sha256%3A... for images */
};

static void scan_input_done(struct scan_input *in)
{
	bw_pkg_result_done(&in->res);
	bw_image_free(in->img);
	free(in->subject);
	free(in->imgpurl);
}

static int read_input(const char *ref, enum cli_vuln_source src, struct image_args *a,
		      const struct bw_pkg_scan_opts *po, struct scan_input *in, struct bw_error **err)
{
	_cleanup_free_ char *data = NULL, *dirref = NULL;
	size_t len;
	int r;

	if (src == CLI_SRC_SBOM) {
		r = bw_read_file(ref, BW_MAX_SBOM_SIZE, &data, &len, err);
		if (r == 0)
			r = bw_sbom_read(ref, data, len, &in->res, &in->subject, err);
		return r;
	}
	if (src == CLI_SRC_DIR) {
		if (asprintf(&dirref, "dir:%s", ref) < 0)
			return -ENOMEM;
		ref = dirref;
	}
	r = bw_image_open(ref, &a->opts, &in->img, err);
	if (r == 0)
		r = bw_pkg_scan_image_opts(in->img, po, &in->res, err);
	if (r < 0) {
		bw_error_wrap(err, "%s `%s`", src == CLI_SRC_DIR ? "folder" : "image", ref);
		return r;
	}
	if (bw_image_manifest_digest(in->img)) {
		const char *name = bw_image_ref(in->img)->repository, *sl;
		name = name ? name : "image";
		sl = strrchr(name, '/');
		if (asprintf(&in->imgpurl, "pkg:oci/%s@sha256%%3A%s", sl ? sl + 1 : name,
			     bw_image_manifest_digest(in->img) + 7) < 0)
			in->imgpurl = NULL;
	}
	return 0;
}

static int load_vex(struct bw_vex *vex, const char *path)
{
	_cleanup_free_ char *data = NULL;
	struct bw_error *err = NULL;
	size_t len;
	int r;

	r = bw_read_file(path, BW_MAX_VEX_SIZE, &data, &len, &err);
	if (r < 0)
		bw_error_wrap(&err, "VEX `%s`", path);
	else
		r = bw_vex_load(vex, path, data, len, &err);
	return r < 0 ? cli_fail(err) : 0;
}

int cli_vuln_scan(int argc, char **argv, enum cli_vuln_source src, const char *cmd)
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
					      { "vex", required_argument, NULL, 2007 },
					      { NULL, 0, NULL, 0 } };
	struct image_args a = { .opts = { .sz = sizeof(struct bw_image_opts) }, .format = "table" };
	struct bw_match_opts mo = { .sz = sizeof(mo) };
	struct cache_args ca = { 0 };
	struct bw_pkg_scan_opts po = { .sz = sizeof(po) };
	struct scan_input in = { 0 };
	struct bw_findings fs = { 0 };
	struct ignores ig = { 0 };
	struct bw_error *err = NULL;
	struct bw_vulndb *db = NULL;
	struct bw_vex *vex = bw_vex_new();
	bool want[BW_VSEV_COUNT];
	_cleanup_free_ char *defdb = NULL, *eco = NULL;
	_cleanup_free_ struct bw_report_entry *shown = NULL, *sup = NULL;
	const char *dbpath = NULL, *ignorefile = NULL, *ref;
	enum bw_report_format fmt = BW_REPORT_TABLE;
	int exit_code = 0, c, r, rc = EXIT_OK;
	size_t n = 0, n_sup = 0;
	FILE *f;

	if (!vex)
		return EXIT_ERROR;
	for (size_t i = 0; i < BW_VSEV_COUNT; i++)
		want[i] = true;
	while ((c = getopt_long(argc, argv, "f:o:s:qdh", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			rc = EXIT_OK;
			goto out;
		case 'f':
			if (bw_report_format_parse(optarg, &fmt) < 0) {
				rc = cli_usage_error(cmd, "unknown format `%s` (table, json, sarif, cyclonedx, junit)",
						     optarg);
				goto out;
			}
			continue;
		case 's':
			if (parse_severities(optarg, want) < 0) {
				rc = cli_usage_error(cmd, "bad --severity `%s`", optarg);
				goto out;
			}
			continue;
		case 2001:
			if (!strstr(optarg, "vuln")) {
				rc = cli_usage_error(cmd, "unknown scanners `%s` (vuln)", optarg);
				goto out;
			}
			continue;
		case 2002:
			dbpath = optarg;
			continue;
		case 2003: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 0 || v > 255) {
				rc = cli_usage_error(cmd, "bad --exit-code `%s` (0 to 255)", optarg);
				goto out;
			}
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
		case 2007:
			/* Loaded at once: a bad document is an error before any scan. */
			rc = load_vex(vex, optarg);
			if (rc)
				goto out;
			continue;
		default:
			break;
		}
		if (cache_args_parse(&ca, c, optarg))
			continue;
		r = image_args_parse(&a, c, optarg, cmd);
		if (r <= 0) {
			rc = r < 0 ? -r : cli_usage_error(cmd, "unknown option `%s`", argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 1) {
		rc = cli_usage_error(cmd, src == CLI_SRC_DIR    ? "expected one folder" :
					  src == CLI_SRC_SBOM ? "expected one SBOM file" :
								"expected one image reference");
		goto out;
	}
	cli_setup_logging();
	ref = argv[optind];

	rc = ignores_load(ignorefile ? ignorefile : ".bulwarkignore", ignorefile != NULL, &ig);
	if (rc)
		goto out;
	rc = cli_vulndb_path(dbpath, &defdb);
	if (rc)
		goto out;
	dbpath = defdb;
	/* The database first: a missing one should fail before a long image read. */
	r = bw_vulndb_open(dbpath, &db, &err);
	if (r < 0) {
		rc = cli_fail(err);
		goto out;
	}
	warn_if_stale(dbpath);
	po.cache_dir = cache_args_dir(&ca);
	r = read_input(ref, src, &a, &po, &in, &err);
	if (r == 0) {
		r = bw_match_packages(db, &in.res, &mo, &fs, &err);
		if (r < 0)
			bw_error_wrap(&err, "%s", ref);
	}
	if (r < 0) {
		rc = cli_fail(err);
		goto out;
	}
	shown = calloc(fs.n ? fs.n : 1, sizeof(*shown));
	sup = calloc(fs.n ? fs.n : 1, sizeof(*sup));
	if (!shown || !sup) {
		rc = EXIT_ERROR;
		goto out;
	}
	{
		const char *targets[] = { ref, in.img ? bw_image_manifest_digest(in.img) : NULL, in.imgpurl,
					  in.subject, in.img ? bw_image_ref(in.img)->name : NULL };

		for (size_t i = 0; i < fs.n; i++) {
			const struct bw_vex_statement *st;

			if (!want[fs.v[i].severity] || ignored(&ig, &fs.v[i]))
				continue;
			st = bw_vex_find(vex, &fs.v[i], targets, BW_ARRAY_SIZE(targets));
			if (bw_vex_suppresses(st))
				sup[n_sup++] = (struct bw_report_entry){ .finding = &fs.v[i], .vex = st };
			else
				shown[n++] = (struct bw_report_entry){ .finding = &fs.v[i] };
		}
	}
	eco = bw_match_os_ecosystem(&in.res.os);

	f = output_open(&a, &err);
	if (!f) {
		rc = cli_fail(err);
		goto out;
	}
	{
		const struct bw_report rep = { .sz = sizeof(rep),
					       .target = ref,
					       .os = &in.res.os,
					       .ecosystem = eco,
					       .image = in.img,
					       .pkgs = &in.res,
					       .shown = shown,
					       .n_shown = n,
					       .suppressed = sup,
					       .n_suppressed = n_sup };

		r = bw_report_write(f, fmt, &rep, &err);
	}
	if (r < 0) {
		output_close(f, &a, NULL);
		rc = cli_fail(err);
		goto out;
	}
	if (output_close(f, &a, &err) < 0) {
		rc = cli_fail(err);
		goto out;
	}
	if (n && exit_code)
		rc = exit_code;
out:
	cache_args_done(&ca);
	bw_findings_done(&fs);
	scan_input_done(&in);
	bw_vulndb_close(db);
	bw_vex_free(vex);
	ignores_done(&ig);
	return rc;
}

int cmd_vuln(int argc, char **argv)
{
	return cli_vuln_scan(argc, argv, CLI_SRC_IMAGE, "vuln");
}
