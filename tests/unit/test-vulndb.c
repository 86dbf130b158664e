/* SPDX-License-Identifier: Apache-2.0 */
/* The advisory store on the fixtures in tests/data/vuln: import, counts,
 * queries, bad input and the old database surviving a failed import. TAP. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/vulndb.h"

static int tapn, failed;

static void check(bool ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tapn, name);
	if (!ok)
		failed++;
}

static int count_fn(const struct bw_vuln_entry *e, void *ud)
{
	int *n = ud;

	(void)e;
	(*n)++;
	return 0;
}

int main(void)
{
	const char *src = getenv("BULWARK_SOURCE_ROOT");
	char data[PATH_MAX], db[PATH_MAX], bad[PATH_MAX], tmpl[] = "/tmp/bw-vulndb-XXXXXX";
	struct bw_vulndb_stats st = { 0 };
	struct bw_vulndb_info info;
	struct bw_error *err = NULL;
	struct bw_vulndb *v = NULL;
	const char *paths[1];
	int n = 0;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(data, sizeof(data), "%s/tests/data/vuln/osv", src ? src : ".");
	snprintf(bad, sizeof(bad), "%s/tests/data/vuln/corrupt.zip", src ? src : ".");
	snprintf(db, sizeof(db), "%s/sub/bulwark.db", tmpl);
	paths[0] = data;
	check(bw_vulndb_import(db, paths, 1, NULL, &st, &err) == 0, "import a folder of OSV JSON");
	err = bw_error_free(err);
	check(st.records == 2 && st.skipped == 1 && st.rejected == 1, "counts: 2 stored, 1 withdrawn, 1 rejected");
	check(bw_vulndb_info(db, &info, &err) == 0 && info.records == 2 && info.n_ecosystems == 2,
	      "info per ecosystem");
	bw_vulndb_info_done(&info);
	check(bw_vulndb_open(db, &v, &err) == 0, "open");
	if (v) {
		bw_vulndb_query(v, "Debian:12", "openssl", count_fn, &n, &err);
		check(n == 1, "query by (ecosystem, package)");
		n = 0;
		bw_vulndb_query(v, "Debian:11", "openssl", count_fn, &n, &err);
		check(n == 0, "other release has nothing");
		v = bw_vulndb_close(v);
	}
	paths[0] = bad;
	check(bw_vulndb_import(db, paths, 1, NULL, &st, &err) < 0 && err, "a corrupt zip fails");
	err = bw_error_free(err);
	check(bw_vulndb_info(db, &info, &err) == 0 && info.records == 2, "the old database survives");
	bw_vulndb_info_done(&info);
	check(bw_vulndb_open(bad, &v, &err) < 0 && err, "a file that is not SQLite is refused");
	err = bw_error_free(err);
	printf("1..%d\n", tapn);
	return failed ? 1 : 0;
}
