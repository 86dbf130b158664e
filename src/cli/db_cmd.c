/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/vulndb.h"
#include "cli/cli.h"
#include "vulndb/bw-datadir.h"

static const char help[] =
	"Usage: bulwark db update [--db PATH] [--db-repository URL] [--ecosystem LIST]\n"
	"       bulwark db import [--db PATH] PATH...\n"
	"       bulwark db info [--db PATH]\n"
	"\n"
	"The advisory database (default $XDG_CACHE_HOME/bulwark/db/bulwark.db). When\n"
	"it does not exist yet, a scan builds it from the offline snapshot shipped\n"
	"with bulwark (Debian 12 advisories).\n"
	"\n"
	"  update   download <URL>/<Ecosystem>/all.zip for each ecosystem (default\n"
	"           Debian, Alpine, PyPI, Go, crates.io, npm, RubyGems) from the OSV\n"
	"           bucket or a mirror, check them and swap a fresh database in\n"
	"  import   build the database from local files: OSV records (.json files,\n"
	"           folders of them, OSV's all.zip files, JSON lines .jsonl and\n"
	"           .jsonl.zst) and Alpine secdb files (<branch>/main.json, or a zip\n"
	"           of them). The new database is built beside the old one and\n"
	"           swapped in when complete.\n"
	"  info     advisories and packages per ecosystem, and the age of the data\n"
	"\n"
	"Options:\n"
	"      --db PATH          the database file\n"
	"      --db-repository URL  update: the base URL (default\n"
	"                         " BW_VULNDB_DEFAULT_URL ")\n"
	"      --ecosystem LIST   update: comma-separated OSV ecosystems to fetch\n"
	"      --timeout SECONDS  update: fail a download that stalls this long (default 60)\n"
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

/* A download progress bar, redrawn at most 10 times a second; only on a
 * terminal (the caller checks). */
static void download_bar(const char *eco, uint64_t now, uint64_t total, void *ud)
{
	static double last;
	double t = now_s(), mib = (double)now / 1048576.0;
	char bar[31];
	int fill;

	(void)ud;
	if (t - last < 0.1 && now != total)
		return;
	last = t;
	fill = total ? (int)((double)now * 30.0 / (double)total) : 0;
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : total ? '.' : ' ';
	bar[30] = '\0';
	if (total)
		fprintf(stderr, "\r%-12.12s [%s] %7.1f / %.1f MiB ", eco, bar, mib, (double)total / 1048576.0);
	else
		fprintf(stderr, "\r%-12.12s [%s] %7.1f MiB ", eco, bar, mib);
	if (now == total && total)
		fputc('\n', stderr);
}

static void print_stats(const struct bw_vulndb_stats *st, const char *db, double secs)
{
	printf("imported %llu advisories (%llu affected packages; %llu skipped, %llu rejected",
	       (unsigned long long)st->records, (unsigned long long)st->affected, (unsigned long long)st->skipped,
	       (unsigned long long)st->rejected);
	if (st->unparsable)
		printf(", %llu with versions that do not parse", (unsigned long long)st->unparsable);
	printf(") into %s in %.1f s\n", db, secs);
}

/* ---------------------------------------------------------------- snapshot */

/* Where the offline snapshot may be: $BULWARK_SNAPSHOT, then beside the
 * binary (installed: ../share/bulwark; in a build folder of the source
 * tree: ../data), then the folders this build was configured with. */
static char *find_snapshot(void)
{
	static const char name[] = "osv-snapshot.jsonl.zst";
	const char *env = getenv("BULWARK_SNAPSHOT");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return access(env, R_OK) == 0 ? strdup(env) : NULL;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			const char *rel[] = { "../share/bulwark", "../data", "../../data" };

			*slash = '\0';
			for (size_t i = 0; i < BW_ARRAY_SIZE(rel); i++) {
				char *p = NULL;

				char *real;

				if (asprintf(&p, "%s/%s/%s", exe, rel[i], name) >= 0 && (real = realpath(p, NULL))) {
					free(p);
					return real;
				}
				free(p);
			}
		}
	}
	{
		const char *dirs[] = { BW_DATADIR, BW_SOURCE_DATADIR };

		for (size_t i = 0; i < BW_ARRAY_SIZE(dirs); i++) {
			char *p = NULL;

			if (asprintf(&p, "%s/%s", dirs[i], name) >= 0 && access(p, R_OK) == 0)
				return p;
			free(p);
		}
	}
	return NULL;
}

int cli_vulndb_path(const char *explicit_path, char **ret)
{
	_cleanup_free_ char *path = NULL, *snap = NULL;
	struct bw_vulndb_stats st = { 0 };
	struct bw_error *err = NULL;
	const char *src[1];

	if (explicit_path) {
		*ret = strdup(explicit_path);
		return *ret ? 0 : EXIT_ERROR;
	}
	path = bw_vulndb_default_path();
	if (!path)
		return EXIT_ERROR;
	if (access(path, F_OK) == 0 || !(snap = find_snapshot())) {
		*ret = TAKE_PTR(path);
		return 0;
	}
	if (!cli.quiet)
		fprintf(stderr, "no advisory database yet: building %s from the offline snapshot %s "
				"(`bulwark db update` fetches current data)\n", path, snap);
	src[0] = snap;
	if (bw_vulndb_import(path, src, 1, NULL, &st, &err) < 0) {
		bw_error_wrap(&err, "offline snapshot `%s`", snap);
		return cli_fail(err);
	}
	*ret = TAKE_PTR(path);
	return 0;
}

int cmd_db(int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 1 },
					      { "db-repository", required_argument, NULL, 2 },
					      { "ecosystem", required_argument, NULL, 3 },
					      { "timeout", required_argument, NULL, 4 },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	_cleanup_free_ char *defpath = NULL;
	struct bw_error *err = NULL;
	const char *db = NULL, *sub, *repo = NULL;
	_cleanup_free_ char *eco_list = NULL;
	_cleanup_free_ const char **ecos = NULL;
	size_t n_ecos = 0;
	long timeout = 0;
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
		else if (c == 2)
			repo = optarg;
		else if (c == 3) {
			char *save = NULL;

			free(eco_list);
			free(ecos);
			eco_list = strdup(optarg);
			ecos = calloc(strlen(optarg) / 2 + 2, sizeof(*ecos));
			if (!eco_list || !ecos)
				return EXIT_ERROR;
			n_ecos = 0;
			for (char *t = strtok_r(eco_list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (!bw_vulndb_ecosystem_supported(t))
					return cli_usage_error("db", "unknown ecosystem `%s` (OSV names such as Debian, "
								     "Alpine, PyPI, Go, crates.io, npm, RubyGems, Maven, NuGet)", t);
				ecos[n_ecos++] = t;
			}
			if (!n_ecos)
				return cli_usage_error("db", "--ecosystem needs at least one name");
		} else if (c == 4) {
			char *end;

			timeout = strtol(optarg, &end, 10);
			if (end == optarg || *end || timeout <= 0 || timeout > 86400)
				return cli_usage_error("db", "bad --timeout `%s` (1 to 86400 seconds)", optarg);
		} else
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
			print_stats(&st, db, now_s() - t0);
		return EXIT_OK;
	}
	if (!strcmp(sub, "update")) {
		bool tty = isatty(STDERR_FILENO) && !cli.quiet;
		struct bw_vulndb_update_opts uo = {
			.sz = sizeof(uo), .base_url = repo, .ecosystems = ecos, .n_ecosystems = n_ecos,
			.timeout = timeout, .download_progress = tty ? download_bar : NULL,
			.progress = progress,
		};
		struct bw_vulndb_stats st = { 0 };
		double t0 = now_s();

		if (optind != argc)
			return cli_usage_error("db", "update takes no arguments");
		r = bw_vulndb_update(db, &uo, &st, &err);
		if (tty)
			fputc('\n', stderr);
		if (r < 0)
			return cli_fail(err);
		if (!cli.quiet)
			print_stats(&st, db, now_s() - t0);
		return EXIT_OK;
	}
	if (repo || ecos || timeout)
		return cli_usage_error("db", "--db-repository, --ecosystem and --timeout are options of `db update`");
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
	return cli_usage_error("db", "unknown subcommand `%s` (update, import, info)", sub);
}
