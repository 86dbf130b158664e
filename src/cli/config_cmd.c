/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark config PATH...: check Kubernetes manifests and Dockerfiles. */
#include <getopt.h>
#include <string.h>
#include <strings.h>

#include "bulwark/config.h"
#include "bulwark/rbac.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark config [OPTIONS] PATH...\n"
	"\n"
	"Check Kubernetes manifests (YAML or JSON, multi-document, Lists; every\n"
	"workload kind's pod template), RBAC objects and Dockerfiles for\n"
	"misconfiguration: the Pod Security Standards, hygiene and least-privilege\n"
	"checks, risky RBAC rules and hadolint-style Dockerfile rules. Directories are\n"
	"walked for *.yaml, *.yml, *.json, Dockerfile, *.Dockerfile, Containerfile.\n"
	"\n"
	"Options:\n"
	"  -f, --format FORMAT     table (default), json, sarif or junit\n"
	"  -o, --output FILE       write the report to FILE instead of stdout\n"
	"  -s, --severity LIST     report only these severities (comma-separated:\n"
	"                          UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL; default all)\n"
	"      --exit-code N       exit with N when a reported finding remains (default 0)\n"
	"      --pss-level LEVEL   Pod Security Standards level: privileged, baseline or\n"
	"                          restricted (default: restricted, or what a Namespace's\n"
	"                          pod-security.kubernetes.io/enforce label says)\n"
	"      --ignorefile FILE   check ids to skip, one a line, optionally with a path\n"
	"                          glob (default: .bulwarkignore when present)\n"
	"      --controls-config FILE  control inputs in Kubescape's controls-inputs format\n"
	"                          (sensitive names and values, floating tags, resource\n"
	"                          bounds, allowed registries, ...); replaces the defaults\n"
	"      --skip-check ID     skip a check (repeatable)\n"
	"      --image REF         also check an image's config (USER, EXPOSE, secrets in\n"
	"                          ENV, HEALTHCHECK, its history) as the Dockerfile it\n"
	"                          amounts to (repeatable; with --platform, --insecure,\n"
	"                          --username, --password, --timeout for registries)\n"
	"  -q, --quiet             print only errors\n"
	"  -d, --debug             print debug messages\n"
	"  -h, --help              show this help\n"
	"\n"
	"Objects and pod templates can skip checks with the annotation\n"
	"`bulwark.dev/ignore: ID,ID`; Dockerfiles with `# hadolint ignore=ID` or\n"
	"`# bulwark.dev/ignore: ID` on the line before an instruction.\n"
	"Run `bulwark explain ID` for what a check means and how to fix it.\n"
	"\n"
	"Exit codes: 0 ok (or findings without --exit-code), N (--exit-code) when a\n"
	"finding is reported, 2 usage, 3 when an input could not be read or parsed\n"
	"(the other inputs are still checked and reported).\n";

enum format { FMT_TABLE, FMT_JSON, FMT_SARIF, FMT_JUNIT };

struct config_args {
	struct image_args out; /* output file handling */
	enum format format;
	bool sev[BW_SEV_CRITICAL + 1];
	int exit_code;
	char **skip;
	size_t nskip;
};

static bool keep(const struct config_args *a, const struct bw_finding *f)
{
	if (!a->sev[f->check->severity])
		return false;
	for (size_t i = 0; i < a->nskip; i++)
		if (!strcasecmp(a->skip[i], f->check->id))
			return false;
	return true;
}

static const char *sev_color(enum bw_severity s)
{
	switch (s) {
	case BW_SEV_CRITICAL:
		return "\033[1;31m";
	case BW_SEV_HIGH:
		return "\033[31m";
	case BW_SEV_MEDIUM:
		return "\033[33m";
	case BW_SEV_LOW:
		return "\033[34m";
	default:
		return "";
	}
}

static void print_object(FILE *f, const struct bw_finding *x)
{
	if (x->kind) {
		fprintf(f, "%s/", x->kind);
		if (x->namespace)
			fprintf(f, "%s/", x->namespace);
		fprintf(f, "%s", x->name ? x->name : "?");
		if (x->container)
			fprintf(f, " container %s", x->container);
	}
}

static void write_table(FILE *f, const struct config_args *a, const struct bw_config_scan *s,
			size_t shown)
{
	const char *last = NULL;
	size_t counts[BW_SEV_CRITICAL + 1] = { 0 };
	bool color = cli.color && f == stdout;

	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++) {
		const struct bw_finding *x = bw_config_scan_finding(s, i);
		if (!keep(a, x))
			continue;
		counts[x->check->severity]++;
		if (!last || strcmp(last, x->file)) {
			fprintf(f, "%s%s%s\n", color ? "\033[1m" : "", x->file, color ? "\033[0m" : "");
			last = x->file;
		}
		fprintf(f, "  %u:%u  %s%-8s%s  %-32s ", x->line, x->col,
			color ? sev_color(x->check->severity) : "", bw_severity_name(x->check->severity),
			color ? "\033[0m" : "", x->check->id);
		print_object(f, x);
		fprintf(f, "%s%s\n", x->kind ? ": " : "", x->message);
	}
	fprintf(f, "%s%zu finding%s (CRITICAL: %zu, HIGH: %zu, MEDIUM: %zu, LOW: %zu) in %zu file%s, "
		"%zu object%s\n",
		shown ? "\n" : "", shown, shown == 1 ? "" : "s", counts[BW_SEV_CRITICAL],
		counts[BW_SEV_HIGH], counts[BW_SEV_MEDIUM], counts[BW_SEV_LOW],
		bw_config_scan_nfiles(s), bw_config_scan_nfiles(s) == 1 ? "" : "s",
		bw_config_scan_nobjects(s), bw_config_scan_nobjects(s) == 1 ? "" : "s");
}

static void json_kv(FILE *f, const char *k, const char *v, bool comma)
{
	json_put_string(f, k);
	fputs(": ", f);
	if (v)
		json_put_string(f, v);
	else
		fputs("null", f);
	if (comma)
		fputs(", ", f);
}

static void write_json(FILE *f, const struct config_args *a, const struct bw_config_scan *s)
{
	bool first = true;

	fprintf(f, "{\n  \"files\": %zu,\n  \"objects\": %zu,\n  \"errors\": [",
		bw_config_scan_nfiles(s), bw_config_scan_nobjects(s));
	for (size_t i = 0; i < bw_config_scan_nfile_errors(s); i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		json_put_string(f, bw_config_scan_file_error(s, i));
	}
	fputs(bw_config_scan_nfile_errors(s) ? "\n  ],\n  \"findings\": [" : "],\n  \"findings\": [",
	      f);
	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++) {
		const struct bw_finding *x = bw_config_scan_finding(s, i);
		if (!keep(a, x))
			continue;
		fputs(first ? "\n    {" : ",\n    {", f);
		first = false;
		json_kv(f, "id", x->check->id, true);
		json_kv(f, "severity", bw_severity_name(x->check->severity), true);
		json_kv(f, "title", x->check->title, true);
		json_kv(f, "message", x->message, true);
		json_kv(f, "file", x->file, true);
		fprintf(f, "\"line\": %u, \"column\": %u, ", x->line, x->col);
		json_kv(f, "kind", x->kind, true);
		json_kv(f, "namespace", x->namespace, true);
		json_kv(f, "name", x->name, true);
		json_kv(f, "container", x->container, false);
		fputs("}", f);
	}
	fputs(first ? "]\n}\n" : "\n  ]\n}\n", f);
}

static const char *sarif_level(enum bw_severity s)
{
	return s >= BW_SEV_HIGH ? "error" : s == BW_SEV_MEDIUM ? "warning" : "note";
}

static const char *sarif_score(enum bw_severity s)
{
	switch (s) {
	case BW_SEV_CRITICAL:
		return "9.5";
	case BW_SEV_HIGH:
		return "8.0";
	case BW_SEV_MEDIUM:
		return "5.5";
	case BW_SEV_LOW:
		return "2.0";
	default:
		return "0.0";
	}
}

/* SARIF 2.1.0: one run, the rules that produced results, one result per
 * finding with its physical location. */
static void write_sarif(FILE *f, const struct config_args *a, const struct bw_config_scan *s)
{
	const struct bw_check_info **rules = NULL;
	size_t nrules = 0;
	bool first = true;

	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++) {
		const struct bw_finding *x = bw_config_scan_finding(s, i);
		size_t j;
		if (!keep(a, x))
			continue;
		for (j = 0; j < nrules && rules[j] != x->check; j++)
			;
		if (j == nrules) {
			const struct bw_check_info **nr = realloc(rules, (nrules + 1) * sizeof(*nr));
			if (!nr)
				abort();
			rules = nr;
			rules[nrules++] = x->check;
		}
	}
	fputs("{\n  \"version\": \"2.1.0\",\n"
	      "  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
	      "  \"runs\": [\n    {\n      \"tool\": {\n        \"driver\": {\n"
	      "          \"name\": \"bulwark\",\n          \"informationUri\": "
	      "\"https://github.com/bulwark-dev/bulwark\",\n",
	      f);
	fprintf(f, "          \"version\": \"%s\",\n          \"rules\": [", BW_VERSION);
	for (size_t j = 0; j < nrules; j++) {
		const struct bw_check_info *c = rules[j];
		fputs(j ? ",\n            {" : "\n            {", f);
		json_kv(f, "id", c->id, true);
		json_kv(f, "name", c->id, true);
		fputs("\"shortDescription\": {", f);
		json_kv(f, "text", c->title, false);
		fputs("}, \"fullDescription\": {", f);
		json_kv(f, "text", c->why, false);
		fputs("}, \"help\": {", f);
		json_kv(f, "text", c->fix, false);
		fprintf(f, "}, \"defaultConfiguration\": {\"level\": \"%s\"}, "
			"\"properties\": {\"security-severity\": \"%s\", \"tags\": [\"security\", ",
			sarif_level(c->severity), sarif_score(c->severity));
		json_put_string(f, c->domain);
		fputs("]}}", f);
	}
	fputs(nrules ? "\n          ]\n" : "]\n", f);
	fputs("        }\n      },\n      \"results\": [", f);
	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++) {
		const struct bw_finding *x = bw_config_scan_finding(s, i);
		size_t j;
		if (!keep(a, x))
			continue;
		for (j = 0; j < nrules && rules[j] != x->check; j++)
			;
		fputs(first ? "\n        {" : ",\n        {", f);
		first = false;
		json_kv(f, "ruleId", x->check->id, false);
		fprintf(f, ", \"ruleIndex\": %zu, \"level\": \"%s\", \"message\": {", j,
			sarif_level(x->check->severity));
		json_kv(f, "text", x->message, false);
		fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {", f);
		json_kv(f, "uri", x->file, false);
		fputs("}", f);
		if (x->line)
			fprintf(f, ", \"region\": {\"startLine\": %u, \"startColumn\": %u}", x->line,
				x->col ? x->col : 1);
		fputs("}", f);
		if (x->kind) {
			fputs(", \"logicalLocations\": [{", f);
			char fq[1024];
			snprintf(fq, sizeof(fq), "%s/%s%s%s%s%s", x->kind,
				 x->namespace ? x->namespace : "", x->namespace ? "/" : "",
				 x->name ? x->name : "", x->container ? "/" : "",
				 x->container ? x->container : "");
			json_kv(f, "fullyQualifiedName", fq, true);
			json_kv(f, "kind", "object", false);
			fputs("}]", f);
		}
		fputs("}]}", f);
	}
	fputs(first ? "]\n    }\n  ]\n}\n" : "\n      ]\n    }\n  ]\n}\n", f);
	free(rules);
}

static void xml_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

/* JUnit: one testsuite per input file, one failed testcase per finding
 * (as Trivy's junit template does), a passing one for a clean file. */
static void write_junit(FILE *f, const struct config_args *a, const struct bw_config_scan *s)
{
	size_t total = 0;

	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++)
		total += keep(a, bw_config_scan_finding(s, i));
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites name=\"bulwark config\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
		total, total, bw_config_scan_nfile_errors(s));
	for (size_t i = 0; i < bw_config_scan_nfindings(s);) {
		const struct bw_finding *x = bw_config_scan_finding(s, i);
		size_t j, n = 0;
		for (j = i; j < bw_config_scan_nfindings(s) &&
			    !strcmp(bw_config_scan_finding(s, j)->file, x->file);
		     j++)
			n += keep(a, bw_config_scan_finding(s, j));
		if (n) {
			fputs("  <testsuite name=\"", f);
			xml_put(f, x->file);
			fprintf(f, "\" tests=\"%zu\" failures=\"%zu\">\n", n, n);
			for (size_t k = i; k < j; k++) {
				const struct bw_finding *y = bw_config_scan_finding(s, k);
				char where[64];
				if (!keep(a, y))
					continue;
				fputs("    <testcase classname=\"", f);
				xml_put(f, y->file);
				fputs("\" name=\"[", f);
				xml_put(f, bw_severity_name(y->check->severity));
				fputs("] ", f);
				xml_put(f, y->check->id);
				fputs(": ", f);
				xml_put(f, y->check->title);
				fputs("\">\n      <failure message=\"", f);
				xml_put(f, y->message);
				fputs("\" type=\"", f);
				xml_put(f, bw_severity_name(y->check->severity));
				snprintf(where, sizeof(where), ":%u:%u", y->line, y->col);
				fputs("\">", f);
				xml_put(f, y->file);
				xml_put(f, where);
				if (y->kind) {
					fputs(" ", f);
					xml_put(f, y->kind);
					fputs("/", f);
					xml_put(f, y->name ? y->name : "");
				}
				fputs(": ", f);
				xml_put(f, y->check->fix);
				fputs("</failure>\n    </testcase>\n", f);
			}
			fputs("  </testsuite>\n", f);
		}
		i = j;
	}
	if (bw_config_scan_nfile_errors(s)) {
		fprintf(f, "  <testsuite name=\"inputs\" tests=\"%zu\" errors=\"%zu\">\n",
			bw_config_scan_nfile_errors(s), bw_config_scan_nfile_errors(s));
		for (size_t i = 0; i < bw_config_scan_nfile_errors(s); i++) {
			fputs("    <testcase classname=\"input\" name=\"parse\">\n      <error message=\"",
			      f);
			xml_put(f, bw_config_scan_file_error(s, i));
			fputs("\"/>\n    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
}

static int parse_severities(struct config_args *a, const char *list)
{
	_cleanup_free_ char *dup = strdup(list);
	char *save = NULL;

	if (!dup)
		return -ENOMEM;
	memset(a->sev, 0, sizeof(a->sev));
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum bw_severity s;
		if (bw_severity_parse(t, &s) < 0)
			return -EINVAL;
		a->sev[s] = true;
	}
	return 0;
}

int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "severity", required_argument, NULL, 's' },
		{ "exit-code", required_argument, NULL, 1001 },
		{ "pss-level", required_argument, NULL, 1002 },
		{ "ignorefile", required_argument, NULL, 1003 },
		{ "skip-check", required_argument, NULL, 1004 },
		{ "controls-config", required_argument, NULL, 1005 },
		{ "image", required_argument, NULL, 2001 },
		{ "platform", required_argument, NULL, 2002 },
		{ "insecure", no_argument, NULL, 2003 },
		{ "username", required_argument, NULL, 2004 },
		{ "password", required_argument, NULL, 2005 },
		{ "timeout", required_argument, NULL, 2006 },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_args a = { 0 };
	struct bw_config_opts copts = { .size = sizeof(copts) };
	struct bw_image_opts iopts = { .sz = sizeof(iopts) };
	_cleanup_free_ const char **images = calloc((size_t)argc + 1, sizeof(char *));
	size_t nimages = 0;
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;
	const char *ignorefile = NULL, *controls = NULL;
	struct bw_k8s_set set;
	FILE *f;
	size_t shown = 0;
	int c, r, rc = EXIT_OK;

	for (int i = 0; i <= BW_SEV_CRITICAL; i++)
		a.sev[i] = true;
	while ((c = getopt_long(argc, argv, "+f:o:s:qdh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "table"))
				a.format = FMT_TABLE;
			else if (!strcmp(optarg, "json"))
				a.format = FMT_JSON;
			else if (!strcmp(optarg, "sarif"))
				a.format = FMT_SARIF;
			else if (!strcmp(optarg, "junit"))
				a.format = FMT_JUNIT;
			else
				return cli_usage_error("config",
						       "unknown format `%s` (table, json, sarif, junit)",
						       optarg);
			break;
		case 'o':
			a.out.output = optarg;
			break;
		case 's':
			if (parse_severities(&a, optarg) < 0)
				return cli_usage_error("config", "bad --severity `%s`", optarg);
			break;
		case 2001:
			if (!images)
				return EXIT_ERROR;
			images[nimages++] = optarg;
			break;
		case 2002:
			iopts.platform = optarg;
			break;
		case 2003:
			iopts.insecure = true;
			break;
		case 2004:
			iopts.username = optarg;
			break;
		case 2005:
			iopts.password = optarg;
			break;
		case 2006: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || (*end && strcmp(end, "s")) || v <= 0 || v > 86400)
				return cli_usage_error("config", "bad --timeout `%s` (seconds)", optarg);
			iopts.timeout_sec = (unsigned)v;
			break;
		}
		case 1001: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 0 || v > 255)
				return cli_usage_error("config", "bad --exit-code `%s` (0 to 255)",
						       optarg);
			a.exit_code = (int)v;
			break;
		}
		case 1002:
			if (bw_pss_level_parse(optarg, &copts.pss_level) < 0)
				return cli_usage_error(
					"config",
					"bad --pss-level `%s` (privileged, baseline or restricted)",
					optarg);
			copts.pss_level_forced = true;
			break;
		case 1005:
			controls = optarg;
			break;
		case 1003:
			ignorefile = optarg;
			break;
		case 1004: {
			char **ns = realloc(a.skip, (a.nskip + 1) * sizeof(*ns));
			if (!ns)
				return EXIT_ERROR;
			a.skip = ns;
			a.skip[a.nskip++] = optarg;
			break;
		}
		case 'q':
			cli.quiet = true;
			break;
		case 'd':
			cli.debug = true;
			break;
		case 'h':
			fputs(help, stdout);
			free(a.skip);
			return EXIT_OK;
		default:
			free(a.skip);
			return cli_usage_error("config", "unknown option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (optind >= argc && !nimages) {
		free(a.skip);
		return cli_usage_error("config", "no PATH given");
	}
	if (bw_config_scan_new(&copts, &s, &err) < 0)
		goto fail;
	if (!ignorefile && access(".bulwarkignore", R_OK) == 0)
		ignorefile = ".bulwarkignore";
	if (ignorefile && bw_config_scan_load_ignore_file(s, ignorefile, &err) < 0)
		goto fail;
	if (controls && bw_config_scan_load_controls(s, controls, &err) < 0)
		goto fail;
	for (int i = optind; i < argc; i++) {
		if (bw_config_scan_add_path(s, argv[i], &err) < 0) {
			if (err && err->code == -ENOMEM)
				goto fail;
			/* A missing path is an input error; go on with the others. */
			fprintf(stderr, "error: %s\n", err && err->msg ? err->msg : "cannot read input");
			err = bw_error_free(err);
			rc = EXIT_INPUT;
		}
	}
	/* Images: their config, as the Dockerfile it amounts to. */
	for (size_t i = 0; i < nimages; i++) {
		struct bw_image *img = NULL;
		_cleanup_free_ char *df = NULL, *name = NULL;
		size_t len = 0;

		if (bw_image_open(images[i], &iopts, &img, &err) < 0 ||
		    (bw_image_config_json(img) &&
		     bw_config_image_dockerfile(bw_image_config_json(img), &df, &len, &err) < 0)) {
			bw_error_wrap(&err, "image `%s`", images[i]);
			fprintf(stderr, "error: %s\n", err && err->msg ? err->msg : "cannot read image");
			rc = err ? cli_exit_code(err->code) : EXIT_INPUT;
			err = bw_error_free(err);
			bw_image_free(img);
			continue;
		}
		if (!df) {
			bw_image_free(img);
			continue; /* dir: has no config */
		}
		if (asprintf(&name, "%s (image config)", bw_image_ref(img)->name) < 0)
			name = NULL;
		bw_image_free(img);
		if (!name || bw_config_scan_add_buffer(s, name, df, len, &err) < 0)
			goto fail;
	}
	if (bw_config_scan_run(s, &err) < 0)
		goto fail;
	bw_config_scan_k8s(s, &set);
	if (bw_rbac_check(&set, &err) < 0)
		goto fail;
	bw_config_scan_sort(s);
	for (size_t i = 0; i < bw_config_scan_nfile_errors(s); i++) {
		fprintf(stderr, "error: %s\n", bw_config_scan_file_error(s, i));
		rc = EXIT_INPUT;
	}
	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++)
		shown += keep(&a, bw_config_scan_finding(s, i));

	f = output_open(&a.out, &err);
	if (!f)
		goto fail;
	switch (a.format) {
	case FMT_TABLE:
		write_table(f, &a, s, shown);
		break;
	case FMT_JSON:
		write_json(f, &a, s);
		break;
	case FMT_SARIF:
		write_sarif(f, &a, s);
		break;
	case FMT_JUNIT:
		write_junit(f, &a, s);
		break;
	}
	r = output_close(f, &a.out, &err);
	if (r < 0)
		goto fail;
	bw_config_scan_free(s);
	free(a.skip);
	if (rc == EXIT_OK && shown && a.exit_code)
		rc = a.exit_code;
	return rc;
fail:
	bw_config_scan_free(s);
	free(a.skip);
	return cli_fail(err);
}
