/* SPDX-License-Identifier: Apache-2.0 */
/* Matching on the fixtures in tests/data/match: Debian source packages and
 * releases, epochs and `~`, unfixed and unimportant entries, kernel headers,
 * PEP 503 names, CVSS v3 scores. TAP. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/match.h"

static int tapn, failed;

static void check(bool ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tapn, name);
	if (!ok)
		failed++;
}

static const struct bw_finding *find(const struct bw_findings *f, const char *pkg, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].package, pkg) && !strcmp(f->v[i].id, id))
			return &f->v[i];
	return NULL;
}

#define S(x) ((char *)(x))

static void test_helpers(void)
{
	enum bw_vuln_severity s;
	char *n;
	int sc = -1;

	check(bw_cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &sc) == 0 && sc == 98, "cvss 9.8");
	check(bw_cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", &sc) == 0 && sc == 61, "cvss 6.1 scope changed");
	check(bw_cvss3_score("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", &sc) == 0 && sc == 78, "cvss 7.8");
	check(bw_cvss3_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N", &sc) == 0 && sc == 0, "cvss 0");
	check(bw_cvss3_score("CVSS:3.1/AV:N/AC:L", &sc) < 0, "incomplete vector rejected");
	check(bw_cvss3_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", &sc) < 0,
	      "v4 is not v3");
	n = bw_pep503_normalize("Foo__Bar.-baz");
	check(n && !strcmp(n, "foo-bar-baz"), "pep 503");
	free(n);
	check(bw_vuln_severity_parse("negligible", &s) == 0 && s == BW_VSEV_NEGLIGIBLE && s < BW_VSEV_LOW,
	      "negligible below low");
	{
		struct bw_os os = { .id = S("debian"), .version_id = S("12") };
		struct bw_os al = { .id = S("alpine"), .version_id = S("3.19.1") };
		char *a = bw_match_os_ecosystem(&os), *b = bw_match_os_ecosystem(&al);

		check(a && !strcmp(a, "Debian:12"), "Debian:12");
		check(b && !strcmp(b, "Alpine:v3.19"), "Alpine:v3.19");
		free(a);
		free(b);
	}
	{
		/* rpm distributions, as OSV names their ecosystems. */
		static const struct {
			const char *id, *version_id, *pretty, *want;
		} rpm[] = {
			{ "rocky", "9.3", "Rocky Linux 9.3 (Blue Onyx)", "Rocky Linux:9" },
			{ "almalinux", "8.10", NULL, "AlmaLinux:8" },
			{ "mageia", "9", "Mageia 9", "Mageia:9" },
			{ "rhel", "9.4", NULL, "Red Hat:enterprise_linux:9::baseos" },
			{ "opensuse-leap", "15.5", "openSUSE Leap 15.5", "openSUSE:Leap 15.5" },
			{ "opensuse-leap", "15.6", NULL, "openSUSE:Leap 15.6" },
			{ "opensuse-tumbleweed", NULL, "openSUSE Tumbleweed", "openSUSE:Tumbleweed" },
			{ "sles", "15.5", "SUSE Linux Enterprise Server 15 SP5", "SUSE:Linux Enterprise Server 15 SP5" },
			{ "fedora", "39", "Fedora Linux 39", NULL },
			{ "centos", "9", NULL, NULL },
		};

		for (size_t i = 0; i < sizeof(rpm) / sizeof(rpm[0]); i++) {
			struct bw_os o = { .id = S(rpm[i].id), .version_id = S(rpm[i].version_id),
					   .pretty_name = S(rpm[i].pretty) };
			char *e = bw_match_os_ecosystem(&o), name[160];

			snprintf(name, sizeof(name), "%s %s: %s", rpm[i].id, rpm[i].version_id ? rpm[i].version_id : "",
				 rpm[i].want ? rpm[i].want : "none");
			check(rpm[i].want ? e && !strcmp(e, rpm[i].want) : !e, name);
			free(e);
		}
	}
}

int main(void)
{
	const char *src = getenv("BULWARK_SOURCE_ROOT");
	char data[PATH_MAX], db[PATH_MAX], tmpl[] = "/tmp/bw-match-XXXXXX";
	struct bw_pkg pkgs[] = {
		{ .name = S("libssl3"), .version = S("3.0.11-1~deb12u2"), .source_name = S("openssl"),
		  .source_version = S("3.0.11-1~deb12u2"), .type = S("deb"), .location = S("/var/lib/dpkg/status"),
		  .layer = 0 },
		{ .name = S("zlib1g"), .version = S("1:1.2.13.dfsg-1"), .source_name = S("zlib"), .type = S("deb"),
		  .location = S("/var/lib/dpkg/status") },
		{ .name = S("linux-libc-dev"), .version = S("6.1.76-1"), .source_name = S("linux"), .type = S("deb") },
		{ .name = S("libc6"), .version = S("2.36-9+deb12u4"), .source_name = S("glibc"), .type = S("deb") },
		{ .name = S("pyyaml"), .version = S("5.3.1"), .type = S("pypi"), .location = S("/usr/lib/x") },
	};
	struct bw_pkg_result res = { .os = { .id = S("debian"), .version_id = S("12") },
				     .pkgs = { .v = pkgs, .n = BW_ARRAY_SIZE(pkgs) } };
	struct bw_match_opts mo = { .sz = sizeof(mo) };
	struct bw_findings f = { 0 };
	struct bw_error *err = NULL;
	struct bw_vulndb *v = NULL;
	const struct bw_finding *x;
	const char *paths[1];
	int r;

	test_helpers();
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(data, sizeof(data), "%s/tests/data/match/osv", src ? src : ".");
	snprintf(db, sizeof(db), "%s/bulwark.db", tmpl);
	paths[0] = data;
	check(bw_vulndb_import(db, paths, 1, NULL, NULL, &err) == 0, "import fixtures");
	check(bw_vulndb_open(db, &v, &err) == 0, "open");
	if (!v) {
		printf("1..%d\n", tapn);
		return 1;
	}
	r = bw_match_packages(v, &res, &mo, &f, &err);
	check(r == 3, "three findings");
	x = find(&f, "libssl3", "CVE-2099-0001");
	check(x && x->status == BW_STATUS_FIXED && x->fixed && !strcmp(x->fixed, "3.0.15-1~deb12u1"),
	      "binary libssl3 matched by source openssl, fixed version");
	check(x && x->severity == BW_VSEV_CRITICAL && x->severity_source && !strcmp(x->severity_source, "cvss"),
	      "not-yet-assigned urgency falls back to CVSS");
	check(x && !strcmp(x->advisory_package, "openssl") && !strcmp(x->ecosystem, "Debian:12"),
	      "advisory package and ecosystem");
	x = find(&f, "zlib1g", "CVE-2099-0002");
	check(x && x->status == BW_STATUS_AFFECTED && !x->fixed && x->severity == BW_VSEV_NEGLIGIBLE &&
		      !strcmp(x->severity_source, "debian"),
	      "unfixed unimportant: affected, NEGLIGIBLE from debian");
	check(!find(&f, "zlib1g", "CVE-2099-0003"), "epoch: 1:1.2.13 is above 1.2.13.dfsg-2");
	check(!find(&f, "libc6", "DSA-9999-1"), "fix older than the release");
	check(!find(&f, "linux-libc-dev", "CVE-2099-0004"), "kernel headers skipped without a kernel");
	x = find(&f, "pyyaml", "PYSEC-2099-1");
	check(x && x->fixed && !strcmp(x->fixed, "5.4"), "PyPI name normalised (PyYAML)");
	bw_findings_done(&f);

	mo.include_kernel_headers = true;
	mo.ignore_unfixed = true;
	r = bw_match_packages(v, &res, &mo, &f, &err);
	check(find(&f, "linux-libc-dev", "CVE-2099-0004") != NULL, "--include-kernel-headers");
	check(!find(&f, "zlib1g", "CVE-2099-0002") && r == 3, "--ignore-unfixed");
	bw_findings_done(&f);

	res.os.version_id = S("11");
	r = bw_match_packages(v, &res, NULL, &f, &err);
	check(r == 1 && find(&f, "pyyaml", "PYSEC-2099-1"), "other release: only language findings");
	bw_findings_done(&f);

	bw_vulndb_close(v);
	bw_error_free(err);
	snprintf(data, sizeof(data), "rm -rf '%s'", tmpl);
	if (system(data) != 0)
		return 1;
	printf("1..%d\n", tapn);
	return failed ? 1 : 0;
}
