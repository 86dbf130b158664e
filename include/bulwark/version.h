/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_VERSION_H
#define BULWARK_VERSION_H

/*
 * version: comparison and range evaluation for the version schemes of the
 * package ecosystems (dpkg, apk, rpm, SemVer/npm, PEP 440, Maven, Go, RubyGems,
 * NuGet) and OSV affected ranges.
 *
 * Version strings are untrusted: every parser is bounded by
 * BW_MAX_VERSION_LEN and returns -EINVAL for a string its scheme rejects.
 * Comparison results are <0, 0 or >0 in *ret_cmp, which is not written on
 * failure. Nothing here allocates except where a function returns a string.
 */

#include "bulwark/core.h"
#include "bulwark/limits.h"

enum bw_version_scheme {
	BW_VS_DPKG,
	BW_VS_APK,
	BW_VS_RPM,
	BW_VS_SEMVER, /* semver.org 2.0, as npm's node-semver parses it */
	BW_VS_PEP440,
	BW_VS_MAVEN,
	BW_VS_GO, /* Go modules: "v" prefix required */
	BW_VS_GEM,
	BW_VS_NUGET,
	BW_VS_GENERIC, /* dotted numbers, then string order */
	BW_VS_COUNT,
};

/* "dpkg", "apk", "rpm", "semver", "pep440", "maven", "go", "gem", "nuget",
 * "generic". -EINVAL when unknown. */
BW_API int bw_version_scheme_parse(const char *name, enum bw_version_scheme *ret);
BW_API const char *bw_version_scheme_name(enum bw_version_scheme s);
/* The scheme of an OSV ecosystem ("Debian:12", "Alpine:v3.19", "PyPI", "npm",
 * "Go", "crates.io", "RubyGems", "Maven", "NuGet", ...). -EINVAL when none. */
BW_API int bw_version_scheme_for_ecosystem(const char *ecosystem, enum bw_version_scheme *ret);

/* True when the scheme parses v. */
BW_API bool bw_version_valid(enum bw_version_scheme s, const char *v);
/* Compares a and b in scheme s. -EINVAL (with a message) when either does not
 * parse; schemes that order every string (rpm, maven, apk) never fail. */
BW_API int bw_version_compare(enum bw_version_scheme s, const char *a, const char *b, int *ret_cmp,
			      struct bw_error **err);

/* ---------------------------------------------------------------- per scheme */

/* dpkg: Debian Policy 5.6.12. Parses into epoch/upstream/revision (pointers
 * into buf, which must hold strlen(v)+1 bytes). Strict: also rejects what dpkg
 * only warns about. */
struct bw_dpkg_version {
	unsigned long epoch;
	const char *upstream;
	const char *revision; /* "" when absent */
};
BW_API int bw_dpkg_parse(const char *v, char *buf, size_t bufsz, struct bw_dpkg_version *ret);
/* Structure only, as dpkg orders versions it merely warns about: a numeric
 * epoch, an upstream starting with a digit, no empty part, and the
 * characters Policy allows (plus '_' in the revision). */
BW_API bool bw_dpkg_orderable(const char *v);
BW_API int bw_dpkg_compare(const char *a, const char *b, int *ret_cmp);

/* rpm: rpmvercmp() on one field, and EVR ([epoch:]version[-release]). */
BW_API int bw_rpmvercmp(const char *a, const char *b);
BW_API int bw_rpm_evr_compare(const char *a, const char *b);

/* apk: apk-tools ordering; invalid versions fall back to string order. */
BW_API bool bw_apk_valid(const char *v);
BW_API int bw_apk_compare(const char *a, const char *b);
/* apk's fuzzy match "a ~ b": b's components are a prefix of a's. */
BW_API bool bw_apk_fuzzy_match(const char *a, const char *b);

/* SemVer / npm. */
#define BW_SEMVER_LOOSE 0x1
#define BW_SEMVER_INCLUDE_PRERELEASE 0x2
struct bw_semver_parts {
	uint64_t major, minor, patch;
	char pre[BW_MAX_VERSION_LEN_SEMVER + 1];   /* "" or dot-joined */
	char build[BW_MAX_VERSION_LEN_SEMVER + 1]; /* "" or dot-joined */
};
BW_API int bw_semver_parse(const char *v, unsigned flags, struct bw_semver_parts *ret);
BW_API int bw_semver_compare(const char *a, const char *b, unsigned flags, int *ret_cmp);
/* node-semver satisfies(), gtr() and ltr(). -EINVAL for an invalid range or version. */
BW_API int bw_npm_range_satisfies(const char *range, const char *v, unsigned flags, bool *ret);
BW_API int bw_npm_range_outside(const char *range, const char *v, unsigned flags, char hilo, bool *ret);

/* PEP 440: normalised form (caller frees) and specifiers. */
BW_API int bw_pep440_normalize(const char *v, char **ret);
BW_API int bw_pep440_compare(const char *a, const char *b, int *ret_cmp);
/* A specifier set ("~=1.2, !=1.3.*"). */
BW_API int bw_pep440_spec_contains(const char *spec, const char *v, bool prereleases, bool *ret);

/* Maven ComparableVersion (never fails). */
BW_API int bw_maven_compare(const char *a, const char *b);

/* Go modules (golang.org/x/mod/semver). Canonical: "" when invalid; out must
 * hold strlen(v)+8 bytes. Compare: invalid < valid, invalid == invalid. */
BW_API bool bw_gover_valid(const char *v);
BW_API void bw_gover_canonical(const char *v, char *out, size_t outsz);
BW_API int bw_gover_compare(const char *a, const char *b);

/* RubyGems Gem::Version and NuGet. */
BW_API int bw_gem_compare(const char *a, const char *b, int *ret_cmp);
BW_API int bw_nuget_compare(const char *a, const char *b, int *ret_cmp);

/* ---------------------------------------------------------------- OSV ranges */

enum bw_osv_event_type {
	BW_OSV_INTRODUCED,
	BW_OSV_FIXED,
	BW_OSV_LAST_AFFECTED,
	BW_OSV_LIMIT,
};

struct bw_osv_event {
	enum bw_osv_event_type type;
	const char *version; /* "0" for introduced means every version */
};

/*
 * Evaluates one OSV range (the events of one ECOSYSTEM or SEMVER range) for
 * version v, per the OSV schema's evaluation algorithm: events are sorted by
 * version, then v is affected when the latest introduced at or below v is not
 * followed by a fixed at or below v (or a last_affected below v), and v is below
 * every limit. Unparseable event versions are skipped. -EINVAL when v itself
 * does not parse.
 */
BW_API int bw_osv_range_affects(enum bw_version_scheme s, const struct bw_osv_event *ev, size_t n,
				const char *v, bool *ret, struct bw_error **err);

#endif
