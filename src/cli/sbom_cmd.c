/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwark/pkg.h"
#include "bulwark/sbom.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark sbom [OPTIONS] REF\n"
	"       bulwark sbom [OPTIONS] SBOM.json\n"
	"\n"
	"Given a CycloneDX (1.4-1.6) or SPDX (2.2, 2.3) JSON document, scan the\n"
	"packages it lists for vulnerabilities, as `trivy sbom` does: the options\n"
	"are those of `bulwark vuln` (see `bulwark vuln --help`).\n"
	"\n"
	"Given an image reference, list every package in the image (OS packages from dpkg, opkg and apk;\n"
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
	"       bulwark rootfs [OPTIONS] DIR\n"
	"\n"
	"List the packages of a project folder (fs) or of an unpacked root file\n"
	"system (rootfs): OS package databases, lockfiles and manifests\n"
	"(package-lock.json, yarn.lock, pnpm-lock.yaml, requirements.txt,\n"
	"Pipfile.lock, poetry.lock, pdm.lock, uv.lock, Cargo.lock, Gemfile.lock,\n"
	"composer.lock, go.mod, packages.lock.json, *.deps.json, ...), installed\n"
	"packages (node_modules, site-packages) and Go binaries, as `bulwark sbom`\n"
	"lists an image's. Nothing outside DIR is read.\n"
	"\n"
	"Options: as `bulwark sbom` (-f, -o, -q, -d, -h). With --scanners vuln,\n"
	"find their vulnerabilities instead, with the options of `bulwark vuln`.\n";

/* The value of --scanners, and the first positional argument. */
static void scan_args(int argc, char **argv, const char **ret_scanners, const char **ret_pos)
{
	*ret_scanners = NULL;
	*ret_pos = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scanners") && i + 1 < argc)
			*ret_scanners = argv[++i];
		else if (bw_startswith(argv[i], "--scanners="))
			*ret_scanners = argv[i] + 11;
		else if (!strcmp(argv[i], "--"))
			break;
		else if (argv[i][0] == '-' && argv[i][1] && cli_opt_takes_value(argv[i]) && i + 1 < argc)
			i++;
		else if (argv[i][0] != '-' && !*ret_pos)
			*ret_pos = argv[i];
	}
}

/* A regular file that starts as a CycloneDX or SPDX JSON document. */
static bool is_sbom_file(const char *path)
{
	char buf[65536];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && bw_sbom_is_document(buf, (size_t)n);
}

static int sbom_main(int argc, char **argv, bool fs, const char *cmd)
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
	const char *scanners, *pos;
	FILE *f;
	int c, r;

	scan_args(argc, argv, &scanners, &pos);
	if (fs && scanners && strstr(scanners, "vuln"))
		return cli_vuln_scan(argc, argv, CLI_SRC_DIR, cmd);
	if (!fs && pos && is_sbom_file(pos))
		return cli_vuln_scan(argc, argv, CLI_SRC_SBOM, cmd);

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
				return cli_usage_error(cmd, "unknown scanners `%s` (none, pkg%s)", optarg,
						       fs ? ", vuln" : "");
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
		return cli_usage_error(cmd, fs ? "expected one folder" : "expected one image reference or SBOM file");
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
	return sbom_main(argc, argv, false, "sbom");
}

int cmd_fs(int argc, char **argv)
{
	return sbom_main(argc, argv, true, "fs");
}

int cmd_rootfs(int argc, char **argv)
{
	return sbom_main(argc, argv, true, "rootfs");
}
