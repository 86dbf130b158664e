/* SPDX-License-Identifier: Apache-2.0 */
/* Scheme dispatch and OSV range evaluation. */
#include <stdio.h>
#include <strings.h>

#include "version/internal.h"

static const char *const names[BW_VS_COUNT] = {
	[BW_VS_DPKG] = "dpkg",	   [BW_VS_APK] = "apk",	    [BW_VS_RPM] = "rpm",
	[BW_VS_SEMVER] = "semver", [BW_VS_PEP440] = "pep440", [BW_VS_MAVEN] = "maven",
	[BW_VS_GO] = "go",	   [BW_VS_GEM] = "gem",	    [BW_VS_NUGET] = "nuget",
	[BW_VS_GENERIC] = "generic",
};

int bw_version_scheme_parse(const char *name, enum bw_version_scheme *ret)
{
	for (size_t i = 0; i < BW_VS_COUNT; i++)
		if (!strcasecmp(name, names[i])) {
			*ret = (enum bw_version_scheme)i;
			return 0;
		}
	return -EINVAL;
}

const char *bw_version_scheme_name(enum bw_version_scheme s)
{
	return (unsigned)s < BW_VS_COUNT ? names[s] : "unknown";
}

int bw_version_scheme_for_ecosystem(const char *eco, enum bw_version_scheme *ret)
{
	static const struct {
		const char *prefix;
		enum bw_version_scheme s;
	} map[] = {
		{ "Debian", BW_VS_DPKG },	{ "Ubuntu", BW_VS_DPKG },     { "Alpine", BW_VS_APK },
		{ "Wolfi", BW_VS_APK },		{ "Chainguard", BW_VS_APK },  { "Red Hat", BW_VS_RPM },
		{ "Rocky Linux", BW_VS_RPM },	{ "AlmaLinux", BW_VS_RPM },   { "openSUSE", BW_VS_RPM },
		{ "SUSE", BW_VS_RPM },		{ "Mageia", BW_VS_RPM },      { "PyPI", BW_VS_PEP440 },
		{ "npm", BW_VS_SEMVER },	{ "crates.io", BW_VS_SEMVER }, { "Go", BW_VS_GO },
		{ "RubyGems", BW_VS_GEM },	{ "Maven", BW_VS_MAVEN },     { "NuGet", BW_VS_NUGET },
		{ "Packagist", BW_VS_GENERIC }, { "Hex", BW_VS_SEMVER },      { "Pub", BW_VS_SEMVER },
	};

	for (size_t i = 0; i < BW_ARRAY_SIZE(map); i++) {
		size_t n = strlen(map[i].prefix);

		if (!strncmp(eco, map[i].prefix, n) && (eco[n] == '\0' || eco[n] == ':')) {
			*ret = map[i].s;
			return 0;
		}
	}
	return -EINVAL;
}

/* Go advisories write versions without the "v" (OSV SEMVER ranges). */
static const char *go_v(const char *v, char *buf, size_t n)
{
	if (v[0] == 'v')
		return v;
	snprintf(buf, n, "v%s", v);
	return buf;
}

static int cmp(enum bw_version_scheme s, const char *a, const char *b, int *ret)
{
	char ba[BW_MAX_VERSION_LEN + 2], bb[BW_MAX_VERSION_LEN + 2];

	if (strlen(a) > BW_MAX_VERSION_LEN || strlen(b) > BW_MAX_VERSION_LEN)
		return -EINVAL;
	switch (s) {
	case BW_VS_DPKG:
		return bw_dpkg_compare(a, b, ret);
	case BW_VS_APK:
		*ret = bw_apk_compare(a, b);
		return 0;
	case BW_VS_RPM:
		*ret = bw_rpm_evr_compare(a, b);
		return 0;
	case BW_VS_SEMVER:
		return bw_semver_compare(a, b, BW_SEMVER_LOOSE, ret);
	case BW_VS_PEP440:
		return bw_pep440_compare(a, b, ret);
	case BW_VS_MAVEN:
		*ret = bw_maven_compare(a, b);
		return 0;
	case BW_VS_GO:
		a = go_v(a, ba, sizeof(ba));
		b = go_v(b, bb, sizeof(bb));
		if (!bw_gover_valid(a) || !bw_gover_valid(b))
			return -EINVAL;
		*ret = bw_gover_compare(a, b);
		return 0;
	case BW_VS_GEM:
		return bw_gem_compare(a, b, ret);
	case BW_VS_NUGET:
		return bw_nuget_compare(a, b, ret);
	case BW_VS_GENERIC:
		*ret = bw_rpmvercmp(a, b);
		return 0;
	default:
		return -EINVAL;
	}
}

bool bw_version_valid(enum bw_version_scheme s, const char *v)
{
	int r;

	switch (s) {
	case BW_VS_APK:
		return bw_apk_valid(v);
	case BW_VS_DPKG: {
		char buf[BW_MAX_VERSION_LEN + 1];
		struct bw_dpkg_version dv;

		return bw_dpkg_parse(v, buf, sizeof(buf), &dv) == 0;
	}
	case BW_VS_RPM:
	case BW_VS_MAVEN:
	case BW_VS_GENERIC:
		return *v && strlen(v) <= BW_MAX_VERSION_LEN;
	default:
		return cmp(s, v, v, &r) == 0;
	}
}

int bw_version_compare(enum bw_version_scheme s, const char *a, const char *b, int *ret_cmp,
		       struct bw_error **err)
{
	int r, c = 0;

	r = cmp(s, a, b, &c);
	if (r < 0) {
		int t;

		return bw_error_set(err, -EINVAL, "invalid %s version `%s`", bw_version_scheme_name(s),
				    cmp(s, a, a, &t) < 0 ? a : b);
	}
	*ret_cmp = c;
	return 0;
}

/* ---------------------------------------------------------------- OSV */

int bw_osv_range_affects(enum bw_version_scheme s, const struct bw_osv_event *ev, size_t n,
			 const char *v, bool *ret, struct bw_error **err)
{
	bool affected = false, limited = false, below_limit = false;
	const struct bw_osv_event *best = NULL;
	int c, r;

	r = bw_version_compare(s, v, v, &c, err);
	if (r < 0)
		return r;
	/*
	 * Equivalent to walking the sorted events: v's state is decided by the
	 * greatest event at or below v (for last_affected: strictly below).
	 * Among events with the same version, fixed and last_affected win over
	 * introduced.
	 */
	for (size_t i = 0; i < n; i++) {
		const struct bw_osv_event *e = &ev[i];
		bool zero = e->type == BW_OSV_INTRODUCED && !strcmp(e->version, "0");
		int k;

		if (e->type == BW_OSV_LIMIT) {
			if (!strcmp(e->version, "*"))
				continue;
			if (cmp(s, v, e->version, &k) < 0)
				continue;
			limited = true;
			if (k < 0)
				below_limit = true;
			continue;
		}
		if (!zero && cmp(s, v, e->version, &k) < 0)
			continue;
		if (zero)
			k = 1;
		if (e->type == BW_OSV_LAST_AFFECTED ? k <= 0 : k < 0)
			continue;
		if (!best) {
			best = e;
			continue;
		}
		{
			bool bzero = best->type == BW_OSV_INTRODUCED && !strcmp(best->version, "0");
			int d;

			if (zero)
				d = -1;
			else if (bzero)
				d = 1;
			else if (cmp(s, e->version, best->version, &d) < 0)
				continue;
			if (d > 0 || (d == 0 && best->type == BW_OSV_INTRODUCED && e->type != BW_OSV_INTRODUCED))
				best = e;
		}
	}
	if (best)
		affected = best->type == BW_OSV_INTRODUCED;
	if (limited && !below_limit)
		affected = false;
	*ret = affected;
	return 0;
}
