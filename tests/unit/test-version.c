/* SPDX-License-Identifier: Apache-2.0 */
/* Version schemes beyond the corpus: OSV range evaluation, gem, NuGet,
 * scheme dispatch and bad input. TAP, one line per check. */
#include <stdio.h>
#include <string.h>

#include "bulwark/version.h"

static int tapn, failed;

static void check(bool ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tapn, name);
	if (!ok)
		failed++;
}

static bool affects(enum bw_version_scheme s, const struct bw_osv_event *ev, size_t n, const char *v)
{
	struct bw_error *err = NULL;
	bool r = false;

	if (bw_osv_range_affects(s, ev, n, v, &r, &err) < 0) {
		bw_error_free(err);
		return false;
	}
	return r;
}

static int cmpv(enum bw_version_scheme s, const char *a, const char *b)
{
	struct bw_error *err = NULL;
	int c = 99;

	if (bw_version_compare(s, a, b, &c, &err) < 0)
		bw_error_free(err);
	return c;
}

int main(void)
{
	const struct bw_osv_event deb[] = { { BW_OSV_INTRODUCED, "0" }, { BW_OSV_FIXED, "1.1.1n-0+deb11u4" } };
	const struct bw_osv_event two[] = {
		{ BW_OSV_INTRODUCED, "1.0.0" }, { BW_OSV_FIXED, "1.2.0" },
		{ BW_OSV_INTRODUCED, "2.0.0" }, { BW_OSV_LAST_AFFECTED, "2.1.0" },
	};
	const struct bw_osv_event lim[] = { { BW_OSV_INTRODUCED, "0" }, { BW_OSV_LIMIT, "3.0.0" } };
	const struct bw_osv_event open_[] = { { BW_OSV_INTRODUCED, "0" } };
	const struct bw_osv_event apk[] = { { BW_OSV_INTRODUCED, "0" }, { BW_OSV_FIXED, "3.0.8-r0" } };
	const struct bw_osv_event go[] = { { BW_OSV_INTRODUCED, "0" }, { BW_OSV_FIXED, "1.20.5" } };
	enum bw_version_scheme s;
	struct bw_error *err = NULL;
	bool b;
	int c;

	check(affects(BW_VS_DPKG, deb, 2, "1.1.1n-0+deb11u3"), "osv: dpkg below fixed is affected");
	check(!affects(BW_VS_DPKG, deb, 2, "1.1.1n-0+deb11u4"), "osv: dpkg at fixed is not affected");
	check(!affects(BW_VS_DPKG, deb, 2, "1:1.0"), "osv: dpkg epoch beats upstream");
	check(affects(BW_VS_DPKG, deb, 2, "1.1.1n-0+deb11u4~bpo1"), "osv: dpkg tilde sorts below fixed");
	check(!affects(BW_VS_SEMVER, two, 4, "0.9.0"), "osv: before introduced");
	check(affects(BW_VS_SEMVER, two, 4, "1.1.9"), "osv: inside first range");
	check(!affects(BW_VS_SEMVER, two, 4, "1.5.0"), "osv: between ranges");
	check(affects(BW_VS_SEMVER, two, 4, "2.1.0"), "osv: at last_affected");
	check(!affects(BW_VS_SEMVER, two, 4, "2.1.1"), "osv: after last_affected");
	check(affects(BW_VS_SEMVER, lim, 2, "2.9.9") && !affects(BW_VS_SEMVER, lim, 2, "3.0.0"),
	      "osv: limit");
	check(affects(BW_VS_PEP440, open_, 1, "99.0"), "osv: introduced 0 with no fix");
	check(affects(BW_VS_APK, apk, 2, "3.0.7-r0") && !affects(BW_VS_APK, apk, 2, "3.0.8-r1"),
	      "osv: apk release");
	check(affects(BW_VS_GO, go, 2, "v1.20.4") && !affects(BW_VS_GO, go, 2, "v1.20.5"),
	      "osv: Go versions with and without v");
	check(bw_osv_range_affects(BW_VS_PEP440, open_, 1, "not a version", &b, &err) == -EINVAL && err,
	      "osv: bad version is an error");
	err = bw_error_free(err);

	check(cmpv(BW_VS_GEM, "1.0.0", "1") == 0, "gem: trailing zeros");
	check(cmpv(BW_VS_GEM, "1.0.a", "1.0") < 0, "gem: prerelease below release");
	check(cmpv(BW_VS_GEM, "1.0-1", "1.0") < 0, "gem: hyphen is .pre.");
	check(cmpv(BW_VS_GEM, "1.10", "1.9") > 0, "gem: numeric segments");
	check(cmpv(BW_VS_GEM, "1.0.b1", "1.0.a2") > 0, "gem: letters order");
	check(cmpv(BW_VS_NUGET, "1.0.0.1", "1.0.0") > 0, "nuget: fourth part");
	check(cmpv(BW_VS_NUGET, "1.0.0-Beta", "1.0.0-alpha") > 0, "nuget: case-insensitive prerelease");
	check(cmpv(BW_VS_NUGET, "1.0.0-beta", "1.0.0") < 0, "nuget: prerelease below release");
	check(cmpv(BW_VS_NUGET, "1.0.0+abc", "1.0") == 0, "nuget: build ignored, missing parts zero");
	check(cmpv(BW_VS_SEMVER, "1.0.0+build", "1.0.0") == 0, "semver: build ignored");
	check(bw_version_compare(BW_VS_PEP440, "1.0", "foo bar", &c, &err) == -EINVAL && err &&
		      strstr(err->msg, "foo bar"),
	      "compare names the bad version");
	err = bw_error_free(err);

	check(bw_version_scheme_for_ecosystem("Debian:12", &s) == 0 && s == BW_VS_DPKG, "ecosystem Debian:12");
	check(bw_version_scheme_for_ecosystem("Alpine:v3.19", &s) == 0 && s == BW_VS_APK, "ecosystem Alpine");
	check(bw_version_scheme_for_ecosystem("crates.io", &s) == 0 && s == BW_VS_SEMVER, "ecosystem crates.io");
	check(bw_version_scheme_for_ecosystem("Nope", &s) == -EINVAL, "unknown ecosystem");
	check(bw_version_scheme_parse("pep440", &s) == 0 && s == BW_VS_PEP440, "scheme by name");
	check(!bw_version_valid(BW_VS_DPKG, "") && !bw_version_valid(BW_VS_PEP440, "1..0"), "invalid versions");

	printf("1..%d\n", tapn);
	return failed ? 1 : 0;
}
