/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark clean: remove what scans keep between runs. */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/image.h"
#include "bulwark/vulndb.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark clean [OPTIONS]\n"
	"\n"
	"Remove the per-layer scan cache (DIR/layers.db) that `sbom`, `vuln` and\n"
	"`image --scanners` fill, as `trivy clean --scan-cache` does.\n"
	"\n"
	"Options:\n"
	"      --cache-dir DIR  the cache folder (default $XDG_CACHE_HOME/bulwark,\n"
	"                       else ~/.cache/bulwark)\n"
	"  -s, --scan-cache     remove the layer cache (the default)\n"
	"      --vuln-db        remove the advisory database (default path) too\n"
	"  -a, --all            both\n"
	"  -q, --quiet          print nothing\n"
	"  -h, --help           show this help\n";

int cmd_clean(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cache-dir", required_argument, NULL, 1101 }, { "scan-cache", no_argument, NULL, 's' },
		{ "vuln-db", no_argument, NULL, 2001 },		{ "all", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cache_args ca = { 0 };
	bool scan = false, db = false, quiet = false, removed;
	struct bw_error *err = NULL;
	const char *dir;
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "saqh", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		case 's':
			scan = true;
			break;
		case 2001:
			db = true;
			break;
		case 'a':
			scan = db = true;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			if (!cache_args_parse(&ca, c, optarg))
				return cli_usage_error("clean", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("clean", "unexpected argument `%s`", argv[optind]);
	if (!db)
		scan = true;
	dir = cache_args_dir(&ca);
	if (!dir)
		return cli_fail(NULL);
	if (scan) {
		r = bw_layer_cache_clean(dir, &removed, &err);
		if (r == 0 && !quiet)
			printf("%s %s/layers.db\n", removed ? "removed" : "no layer cache at", dir);
	}
	if (r == 0 && db) {
		_cleanup_free_ char *p = bw_vulndb_default_path();
		if (!p) {
			cache_args_done(&ca);
			return cli_fail(NULL);
		}
		removed = access(p, F_OK) == 0;
		if (removed && unlink(p) < 0)
			r = bw_error_set(&err, -errno, "cannot remove `%s`: %m", p);
		else if (!quiet)
			printf("%s %s\n", removed ? "removed" : "no advisory database at", p);
	}
	cache_args_done(&ca);
	return r < 0 ? cli_fail(err) : EXIT_OK;
}
