/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark image inspect [OPTIONS] REF\n"
	"\n"
	"Show an image's reference, digests, platform, layers (digest, size, media\n"
	"type), config (user, env, entrypoint, cmd, working dir, exposed ports,\n"
	"volumes, labels, healthcheck) and history.\n"
	"\n"
	"Options:\n" IMAGE_OPTIONS_HELP;

static const char *transport_name(enum bw_transport t)
{
	static const char *n[] = { "registry", "docker-archive", "oci-archive", "oci", "dir" };
	return n[t];
}

/* The parts of the config users look at, under the names docker inspect
 * uses, in a new object. */
static json_t *config_summary(json_t *cfg)
{
	json_t *c = json_object_get(cfg, "config"), *out = json_object();
	static const char *keys[] = { "User", "Env", "Entrypoint", "Cmd", "WorkingDir", "ExposedPorts",
				      "Volumes", "Labels", "Healthcheck", "StopSignal", "OnBuild", "Shell" };

	for (size_t i = 0; i < BW_ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(c, keys[i]);
		if (v && !json_is_null(v))
			json_object_set(out, keys[i], v);
	}
	return out;
}

static json_t *inspect_json(struct bw_image *img, json_t *cfg)
{
	const struct bw_ref *ref = bw_image_ref(img);
	json_t *o = json_object(), *layers = json_array();
	uint64_t total = 0;

	json_object_set_new(o, "reference", json_string(ref->name));
	json_object_set_new(o, "transport", json_string(transport_name(ref->transport)));
#define OPT_STR(k, v)                                          \
	do {                                                   \
		const char *_v = (v);                          \
		json_object_set_new(o, k, _v ? json_string(_v) : json_null()); \
	} while (0)
	OPT_STR("platform", bw_image_platform(img));
	OPT_STR("index_digest", bw_image_index_digest(img));
	OPT_STR("manifest_digest", bw_image_manifest_digest(img));
	OPT_STR("manifest_media_type", bw_image_manifest_media_type(img));
	OPT_STR("config_digest", bw_image_config_digest(img));
	OPT_STR("created", cfg ? json_string_value(json_object_get(cfg, "created")) : NULL);
	OPT_STR("author", cfg ? json_string_value(json_object_get(cfg, "author")) : NULL);
#undef OPT_STR
	for (size_t i = 0; i < bw_image_layer_count(img); i++) {
		const struct bw_layer_desc *l = bw_image_layer(img, i);
		json_t *lj = json_object();
		json_object_set_new(lj, "digest", json_string(l->digest));
		json_object_set_new(lj, "size", json_integer(l->size));
		json_object_set_new(lj, "media_type", json_string(l->media_type));
		json_object_set_new(lj, "diff_id", l->diff_id ? json_string(l->diff_id) : json_null());
		json_array_append_new(layers, lj);
		total += l->size > 0 ? (uint64_t)l->size : 0;
	}
	json_object_set_new(o, "size", json_integer((json_int_t)total));
	json_object_set_new(o, "layers", layers);
	json_object_set_new(o, "config", cfg ? config_summary(cfg) : json_object());
	json_t *hist = cfg ? json_object_get(cfg, "history") : NULL;
	json_object_set_new(o, "history", json_is_array(hist) ? json_incref(hist) : json_array());
	return o;
}

static void print_kv(FILE *f, const char *k, const char *v)
{
	if (cli.color)
		fprintf(f, "\033[1m%-13s\033[0m %s\n", k, v && *v ? v : "-");
	else
		fprintf(f, "%-13s %s\n", k, v && *v ? v : "-");
}

/* A JSON array of strings as one line, or an object's keys. */
static void print_list(FILE *f, const char *k, json_t *v, const char *sep)
{
	struct bw_buf b = BW_BUF_INIT(1 << 20);
	size_t i;
	json_t *e;
	const char *key;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			bw_buf_printf(&b, "%s%s", i ? sep : "", json_is_string(e) ? json_string_value(e) : "?");
	} else if (json_is_object(v)) {
		i = 0;
		json_object_foreach(v, key, e)
			bw_buf_printf(&b, "%s%s", i++ ? sep : "", key);
	}
	print_kv(f, k, b.data);
	bw_buf_done(&b);
}

static void inspect_table(FILE *f, json_t *o)
{
	json_t *c = json_object_get(o, "config"), *layers = json_object_get(o, "layers"), *e;
	json_t *hist = json_object_get(o, "history");
	char hs[32];
	size_t i;
	const char *key;

	print_kv(f, "Reference", json_string_value(json_object_get(o, "reference")));
	print_kv(f, "Transport", json_string_value(json_object_get(o, "transport")));
	print_kv(f, "Platform", json_string_value(json_object_get(o, "platform")));
	if (json_is_string(json_object_get(o, "index_digest")))
		print_kv(f, "Index", json_string_value(json_object_get(o, "index_digest")));
	print_kv(f, "Digest", json_string_value(json_object_get(o, "manifest_digest")));
	print_kv(f, "Media type", json_string_value(json_object_get(o, "manifest_media_type")));
	print_kv(f, "Config", json_string_value(json_object_get(o, "config_digest")));
	print_kv(f, "Created", json_string_value(json_object_get(o, "created")));
	print_kv(f, "Author", json_string_value(json_object_get(o, "author")));
	print_kv(f, "User", json_string_value(json_object_get(c, "User")));
	print_list(f, "Entrypoint", json_object_get(c, "Entrypoint"), " ");
	print_list(f, "Cmd", json_object_get(c, "Cmd"), " ");
	print_kv(f, "WorkingDir", json_string_value(json_object_get(c, "WorkingDir")));
	print_list(f, "ExposedPorts", json_object_get(c, "ExposedPorts"), ", ");
	print_list(f, "Volumes", json_object_get(c, "Volumes"), ", ");
	json_t *hc = json_object_get(c, "Healthcheck");
	print_list(f, "Healthcheck", json_object_get(hc, "Test"), " ");
	json_t *env = json_object_get(c, "Env");
	if (json_array_size(env) == 0)
		print_kv(f, "Env", NULL);
	json_array_foreach(env, i, e)
		print_kv(f, i ? "" : "Env", json_string_value(e));
	json_t *labels = json_object_get(c, "Labels");
	if (json_object_size(labels) == 0)
		print_kv(f, "Labels", NULL);
	i = 0;
	json_object_foreach(labels, key, e)
	{
		char line[4096];
		snprintf(line, sizeof(line), "%s=%s", key, json_is_string(e) ? json_string_value(e) : "");
		print_kv(f, i++ ? "" : "Labels", line);
	}

	bw_human_size((uint64_t)json_integer_value(json_object_get(o, "size")), hs);
	fprintf(f, "\nLayers (%zu, %s):\n", json_array_size(layers), hs);
	json_array_foreach(layers, i, e)
	{
		bw_human_size((uint64_t)json_integer_value(json_object_get(e, "size")), hs);
		fprintf(f, "  %2zu  %s  %10s  %s\n", i + 1, json_string_value(json_object_get(e, "digest")), hs,
			json_string_value(json_object_get(e, "media_type")));
	}
	if (json_array_size(hist)) {
		fprintf(f, "\nHistory (%zu):\n", json_array_size(hist));
		json_array_foreach(hist, i, e)
		{
			const char *by = json_string_value(json_object_get(e, "created_by"));
			bool empty = json_is_true(json_object_get(e, "empty_layer"));
			fprintf(f, "  %2zu  %-20s  %s%s\n", i + 1,
				json_string_value(json_object_get(e, "created")) ?: "-", by ? by : "-",
				empty ? "  (no layer)" : "");
		}
	}
}

int cmd_image_inspect(int argc, char **argv)
{
	static const struct option opts[] = { IMAGE_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
	struct image_args a = { .opts = { .sz = sizeof(struct bw_image_opts) }, .format = "table" };
	struct bw_error *err = NULL;
	struct bw_image *img = NULL;
	json_t *cfg = NULL, *o;
	FILE *f;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:o:qdh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		r = image_args_parse(&a, c, optarg, "image inspect");
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("image inspect", "unknown option `%s`", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cli_usage_error("image inspect", "expected one image reference");
	cli_setup_logging();

	r = bw_image_open(argv[optind], &a.opts, &img, &err);
	if (r < 0) {
		bw_error_wrap(&err, "image `%s`", argv[optind]);
		return cli_fail(err);
	}
	if (bw_image_config_json(img))
		cfg = json_loads(bw_image_config_json(img), 0, NULL);
	o = inspect_json(img, cfg);
	f = output_open(&a, &err);
	if (!f) {
		json_decref(o);
		json_decref(cfg);
		bw_image_free(img);
		return cli_fail(err);
	}
	if (!strcmp(a.format, "json")) {
		json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', f);
	} else {
		inspect_table(f, o);
	}
	json_decref(o);
	json_decref(cfg);
	bw_image_free(img);
	if (output_close(f, &a, &err) < 0)
		return cli_fail(err);
	return EXIT_OK;
}

static const char image_help[] =
	"Usage: bulwark image COMMAND [OPTIONS] REF\n"
	"       bulwark image [OPTIONS] REF\n"
	"\n"
	"Commands:\n"
	"  inspect REF            digest, platform, layers, config and history\n"
	"  files REF [PATH...]    the merged file system as a container sees it\n"
	"\n"
	"Without a command, scan the image as Trivy does, with --scanners LIST:\n"
	"  pkg or none (default)  its packages: the options of `bulwark sbom`\n"
	"                         (-f table|json|cyclonedx|spdx-json)\n"
	"  vuln                   its known vulnerabilities: the options of\n"
	"                         `bulwark vuln` (-f table|json|sarif|cyclonedx|junit,\n"
	"                         --db, --severity, --exit-code, --vex, --ignorefile)\n"
	"  config                 its config as a Dockerfile: the options of\n"
	"                         `bulwark config` (-f table|json|sarif|junit,\n"
	"                         --severity, --exit-code)\n"
	"\n"
	"Run `bulwark image COMMAND --help` for its options.\n";

/* Options of `bulwark image REF` (and sbom, fs, rootfs) scans that take a
 * value. */
bool cli_opt_takes_value(const char *opt)
{
	static const char *with[] = { "-f", "--format", "-o", "--output", "-s", "--severity", "--exit-code",
				      "--platform", "--username", "--password", "--timeout", "--threads",
				      "--ignorefile", "--skip-check", "--pss-level", "--scanners", "--db",
				      "--vex" };

	for (size_t i = 0; i < BW_ARRAY_SIZE(with); i++)
		if (!strcmp(opt, with[i]))
			return true;
	return false;
}

/* `bulwark image [OPTIONS] REF`: hands the scan to the command that does
 * it, as `bulwark sbom` (packages) or `bulwark config --image` (config). */
static int image_scan(int argc, char **argv)
{
	_cleanup_free_ char **nargv = calloc((size_t)argc + 3, sizeof(char *));
	const char *scanners = "pkg";
	int n = 1, ref = -1;

	if (!nargv)
		return EXIT_ERROR;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scanners") && i + 1 < argc)
			scanners = argv[++i];
		else if (bw_startswith(argv[i], "--scanners="))
			scanners = argv[i] + 11;
		else if (argv[i][0] == '-' && argv[i][1] && cli_opt_takes_value(argv[i]) && i + 1 < argc) {
			nargv[n++] = argv[i];
			nargv[n++] = argv[++i];
		} else if (argv[i][0] != '-' && ref < 0)
			ref = n, nargv[n++] = argv[i];
		else
			nargv[n++] = argv[i];
	}
	if (strstr(scanners, "secret"))
		return cli_usage_error("image", "scanner `%s` is not available yet (pkg, none, config, vuln)", scanners);
	if (strstr(scanners, "vuln")) {
		/* The other arguments go through unchanged, REF included. */
		nargv[0] = (char *)"vuln";
		optind = 0;
		return cmd_vuln(n, nargv);
	}
	if (strstr(scanners, "config")) {
		if (ref >= 0) {
			/* REF becomes --image REF. */
			memmove(nargv + ref + 1, nargv + ref, (size_t)(n - ref) * sizeof(char *));
			nargv[ref] = (char *)"--image";
			n++;
		}
		nargv[0] = (char *)"config";
		optind = 0;
		return cmd_config(n, nargv);
	}
	nargv[0] = (char *)"sbom";
	optind = 0;
	return cmd_sbom(n, nargv);
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		fputs(image_help, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(image_help, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "inspect"))
		return cmd_image_inspect(argc - 1, argv + 1);
	if (!strcmp(argv[1], "files"))
		return cmd_image_files(argc - 1, argv + 1);
	return image_scan(argc, argv);
}
