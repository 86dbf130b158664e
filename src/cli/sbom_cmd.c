/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <string.h>

#include "bulwark/pkg.h"
#include "bulwark/sbom.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark sbom [OPTIONS] REF\n"
	"\n"
	"List every package in an image (OS packages from dpkg, opkg and apk;\n"
	"Python, Node and Go binaries), found in one pass over its layers, as a\n"
	"software bill of materials. Only files of the merged file system count:\n"
	"a package a later layer deletes is not reported.\n"
	"\n"
	"Options:\n"
	"  -f, --format FORMAT    table (default), json, cyclonedx (CycloneDX 1.6 JSON)\n"
	"                         or spdx-json (SPDX 2.3 JSON)\n"
	"      --scanners LIST    accepted for Trivy compatibility (`none` or `pkg`)\n"
	"  -o, --output FILE      write the report to FILE instead of stdout\n"
	"      --platform OS/ARCH[/VARIANT]  pick this platform from a multi-platform image\n"
	"      --insecure         allow plain HTTP and unverified TLS for registries\n"
	"      --username USER    registry user\n"
	"      --password PASS    registry password\n"
	"      --timeout SECONDS  fail a registry request that stalls this long (default 60)\n"
	"      --threads N        layers read at once (default: number of CPUs)\n"
	CACHE_OPTIONS_HELP
	"  -q, --quiet            print only errors\n"
	"  -d, --debug            print debug messages\n"
	"  -h, --help             show this help\n"
	"\n"
	"A package database that is corrupt or too large is skipped with a warning\n"
	"naming its file and layer; the exit status stays 0. A language package whose\n"
	"files an OS package installed (a python3-* deb's dist-info) is listed once,\n"
	"as that OS package. Each layer's results are cached (see --cache-dir), so a\n"
	"rescan, or a scan of an image sharing base layers, reads only new layers.\n";

static const char fs_help[] =
	"Usage: bulwark fs [OPTIONS] DIR\n"
	"\n"
	"List the packages of a project folder: lockfiles and manifests (package-lock.json,\n"
	"yarn.lock, pnpm-lock.yaml, requirements.txt, Pipfile.lock, poetry.lock, pdm.lock,\n"
	"uv.lock, Cargo.lock, Gemfile.lock, composer.lock, go.mod, packages.lock.json,\n"
	"*.deps.json, ...), installed packages (node_modules, site-packages) and Go\n"
	"binaries, as `bulwark sbom` lists an image's. Nothing outside DIR is read.\n"
	"\n"
	"Options: as `bulwark sbom` (-f, -o, -q, -d, -h).\n";

static int sbom_main(int argc, char **argv, bool fs)
{
	static const struct option opts[] = { IMAGE_LONG_OPTIONS, { "scanners", required_argument, NULL, 2001 },
					      CACHE_LONG_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cache_args ca = { 0 };
	struct bw_pkg_scan_opts po = { .sz = sizeof(po) };
	struct image_args a = { .opts = { .sz = sizeof(struct bw_image_opts) }, .format = "table" };
	struct bw_sbom_opts so = { .sz = sizeof(so) };
	enum bw_sbom_format fmt = BW_SBOM_TABLE;
	struct bw_pkg_result res = { 0 };
	struct bw_error *err = NULL;
	struct bw_image *img = NULL;
	const char *ref;
	_cleanup_free_ char *dirref = NULL;
	FILE *f;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:o:qdh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(fs ? fs_help : help, stdout);
			return EXIT_OK;
		}
		if (c == 'f') {
			if (bw_sbom_format_parse(optarg, &fmt) < 0)
				return cli_usage_error("sbom", "unknown format `%s` (table, json, cyclonedx, spdx-json)",
						       optarg);
			continue;
		}
		if (c == 2001) {
			if (strcmp(optarg, "none") && strcmp(optarg, "pkg"))
				return cli_usage_error("sbom", "unknown scanners `%s` (none)", optarg);
			continue;
		}
		if (cache_args_parse(&ca, c, optarg))
			continue;
		r = image_args_parse(&a, c, optarg, "sbom");
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("sbom", "unknown option `%s`", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cli_usage_error(fs ? "fs" : "sbom", fs ? "expected one folder" : "expected one image reference");
	cli_setup_logging();
	ref = argv[optind];
	so.name = ref;
	if (fs) {
		/* A project folder is read like an unpacked root file system. */
		if (asprintf(&dirref, "dir:%s", ref) < 0)
			return cli_fail(NULL);
		ref = dirref;
	}

	po.cache_dir = cache_args_dir(&ca);
	r = bw_image_open(ref, &a.opts, &img, &err);
	if (r == 0)
		r = bw_pkg_scan_image_opts(img, &po, &res, &err);
	cache_args_done(&ca);
	if (r < 0) {
		bw_error_wrap(&err, "image `%s`", ref);
		bw_image_free(img);
		return cli_fail(err);
	}
	f = output_open(&a, &err);
	if (!f) {
		bw_pkg_result_done(&res);
		bw_image_free(img);
		return cli_fail(err);
	}
	r = bw_sbom_write(f, fmt, img, &res, &so, &err);
	bw_pkg_result_done(&res);
	bw_image_free(img);
	if (r < 0) {
		output_close(f, &a, NULL);
		return cli_fail(err);
	}
	if (output_close(f, &a, &err) < 0)
		return cli_fail(err);
	return EXIT_OK;
}

int cmd_sbom(int argc, char **argv)
{
	return sbom_main(argc, argv, false);
}

int cmd_fs(int argc, char **argv)
{
	return sbom_main(argc, argv, true);
}
