/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "bulwark/vulndb.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark db import [--db PATH] PATH...\n"
	"       bulwark db info [--db PATH]\n"
	"\n"
	"The advisory database (default $XDG_CACHE_HOME/bulwark/db/bulwark.db).\n"
	"\n"
	"  import   build the database from OSV records: .json files, folders of them,\n"
	"           and the per-ecosystem all.zip files OSV publishes. The new database\n"
	"           is built beside the old one and swapped in when complete.\n"
	"  info     advisories and packages per ecosystem, and the age of the data\n"
	"\n"
	"Options:\n"
	"      --db PATH          the database file\n"
	"  -q, --quiet            print only errors\n"
	"  -h, --help             show this help\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(const char *source, uint64_t records, void *ud)
{
	(void)ud;
	if (isatty(STDERR_FILENO) && !cli.quiet)
		fprintf(stderr, "\r%-60.60s %10llu records", source, (unsigned long long)records);
}

int cmd_db(int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 1 },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_free_ char *defpath = NULL;
	struct bw_error *err = NULL;
	const char *db = NULL, *sub;
	int c, r;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	sub = argv[1];
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (c == 'q')
			cli.quiet = true;
		else if (c == 1)
			db = optarg;
		else
			return cli_usage_error("db", "unknown option `%s`", argv[optind - 1]);
	}
	cli_setup_logging();
	if (!db) {
		defpath = bw_vulndb_default_path();
		if (!defpath)
			return EXIT_ERROR;
		db = defpath;
	}
	if (!strcmp(sub, "import")) {
		struct bw_vulndb_import_opts io = { .sz = sizeof(io), .progress = progress };
		struct bw_vulndb_stats st = { 0 };
		double t0 = now_s();

		if (optind >= argc)
			return cli_usage_error("db", "import needs at least one PATH");
		r = bw_vulndb_import(db, (const char *const *)argv + optind, (size_t)(argc - optind), &io, &st,
				     &err);
		if (isatty(STDERR_FILENO) && !cli.quiet)
			fputc('\n', stderr);
		if (r < 0)
			return cli_fail(err);
		if (!cli.quiet)
			printf("imported %llu advisories (%llu affected packages; %llu skipped, %llu rejected) into %s in %.1f s\n",
			       (unsigned long long)st.records, (unsigned long long)st.affected,
			       (unsigned long long)st.skipped, (unsigned long long)st.rejected, db, now_s() - t0);
		return EXIT_OK;
	}
	if (!strcmp(sub, "info")) {
		struct bw_vulndb_info info;

		if (optind != argc)
			return cli_usage_error("db", "info takes no arguments");
		r = bw_vulndb_info(db, &info, &err);
		if (r < 0)
			return cli_fail(err);
		printf("Database      %s\n", db);
		printf("Advisories    %llu\n", (unsigned long long)info.records);
		printf("Built         %s\n", info.built ? info.built : "-");
		printf("Newest record %s\n", info.newest_modified ? info.newest_modified : "-");
		printf("\n%-24s %10s %10s\n", "ECOSYSTEM", "ADVISORIES", "PACKAGES");
		for (size_t i = 0; i < info.n_ecosystems; i++)
			printf("%-24s %10llu %10llu\n", info.ecosystems[i].ecosystem,
			       (unsigned long long)info.ecosystems[i].advisories,
			       (unsigned long long)info.ecosystems[i].packages);
		bw_vulndb_info_done(&info);
		return EXIT_OK;
	}
	return cli_usage_error("db", "unknown subcommand `%s` (import, info)", sub);
}
