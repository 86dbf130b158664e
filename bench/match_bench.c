/* SPDX-License-Identifier: Apache-2.0 */
/* Times the matching step alone: the packages of an image (cataloged once,
 * untimed) matched against an advisory database, best of N runs, each with
 * a freshly opened database (cold statement cache, warm page cache).
 *   match_bench DB REF [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bulwark/match.h"
#include "bulwark/pkg.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct bw_image_opts io = { .sz = sizeof(io) };
	struct bw_pkg_result res = { 0 };
	struct bw_error *err = NULL;
	struct bw_image *img = NULL;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	double best = 1e18, t0;
	size_t nf = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: match_bench DB REF [RUNS]\n");
		return 2;
	}
	t0 = now_ms();
	if (bw_image_open(argv[2], &io, &img, &err) < 0 || bw_pkg_scan_image(img, &res, NULL, &err) < 0) {
		fprintf(stderr, "%s: %s\n", argv[2], err ? err->msg : "error");
		return 1;
	}
	printf("catalog: %zu packages in %.0f ms (not counted)\n", res.pkgs.n, now_ms() - t0);
	for (int i = 0; i < runs; i++) {
		struct bw_findings fs = { 0 };
		struct bw_vulndb *db = NULL;
		double t;

		t = now_ms();
		if (bw_vulndb_open(argv[1], &db, &err) < 0 || bw_match_packages(db, &res, NULL, &fs, &err) < 0) {
			fprintf(stderr, "%s: %s\n", argv[1], err ? err->msg : "error");
			return 1;
		}
		t = now_ms() - t;
		if (t < best)
			best = t;
		nf = fs.n;
		bw_findings_done(&fs);
		bw_vulndb_close(db);
	}
	printf("match: %zu packages -> %zu findings in %.1f ms (best of %d; open + match)\n", res.pkgs.n, nf, best,
	       runs);
	printf("ratio: %.2fx the 200 ms target (%s)\n", best / 200.0, best < 200.0 ? "under" : "OVER");
	bw_pkg_result_done(&res);
	bw_image_free(img);
	return 0;
}
