/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_MATCH_H
#define BULWARK_MATCH_H

/*
 * match: which advisories of the store apply to an image's packages.
 *
 * Distro-aware, as the trackers intend: Debian and Ubuntu packages are
 * matched by source package and source version in the release's ecosystem
 * ("Debian:12" from os-release VERSION_ID), Alpine packages by origin and
 * branch ("Alpine:v3.19"), rpm packages by source RPM at their
 * [epoch:]version-release in the distribution's ecosystems ("Rocky Linux:9",
 * "AlmaLinux:8", "Mageia:9", "openSUSE:Leap 15.5", the SUSE products of the
 * image's release, Red Hat's streams, where binary RPMs match too); language
 * packages by ecosystem and normalised name (PEP 503 for PyPI). Findings own
 * all their strings.
 */

#include "bulwark/core.h"
#include "bulwark/pkg.h"
#include "bulwark/vulndb.h"

/* Ordered: a higher value is more severe. NEGLIGIBLE is Debian's
 * "unimportant", below LOW. */
enum bw_vuln_severity {
	BW_VSEV_UNKNOWN,
	BW_VSEV_NEGLIGIBLE,
	BW_VSEV_LOW,
	BW_VSEV_MEDIUM,
	BW_VSEV_HIGH,
	BW_VSEV_CRITICAL,
	BW_VSEV_COUNT,
};

/* "UNKNOWN", "NEGLIGIBLE", "LOW", "MEDIUM", "HIGH", "CRITICAL". */
BW_API const char *bw_vuln_severity_name(enum bw_vuln_severity s);
/* Case-insensitive; -EINVAL when unknown. */
BW_API int bw_vuln_severity_parse(const char *s, enum bw_vuln_severity *ret);
/* The qualitative rating of a CVSS v3 or v4 score in tenths: 0.1-3.9 LOW,
 * 4.0-6.9 MEDIUM, 7.0-8.9 HIGH, 9.0-10.0 CRITICAL; 0.0 (None) NEGLIGIBLE. */
BW_API enum bw_vuln_severity bw_cvss_severity(int score10);

enum bw_match_status {
	BW_STATUS_FIXED,       /* a fixed version exists */
	BW_STATUS_AFFECTED,    /* no fix yet */
	BW_STATUS_END_OF_LIFE, /* the distro no longer supports the package */
};

/* "fixed", "affected", "end-of-life". */
BW_API const char *bw_match_status_name(enum bw_match_status s);

struct bw_finding {
	char *id;
	char *aliases;	      /* JSON array as stored, or NULL */
	char *summary;	      /* or NULL */
	char *ecosystem;      /* the advisory's: "Debian:12", "PyPI", ... */
	char *package;	      /* installed package name (binary package) */
	char *advisory_package; /* name the advisory uses (source package) */
	char *installed;      /* installed version of package (rpm: [epoch:]version-release) */
	char *matched_version; /* version compared (source version for Debian) */
	char *fixed;	      /* first fixed version above matched_version, or NULL */
	enum bw_match_status status;
	enum bw_vuln_severity severity;
	const char *severity_source; /* static: "malicious" (a malicious-package
				     * record: always CRITICAL), "debian", "ubuntu",
				     * "alpine" (the distro's rating), "advisory"
				     * (another rating in the record, such as GHSA's),
				     * "cvss" (the CVSS v3 base score), "cvss4" (the
				     * CVSS v4.0 score), or NULL when unrated */
	char *cvss;	      /* the CVSS v3.x vector, or NULL */
	char *cvss4;	      /* the CVSS v4.0 vector, or NULL */
	int cvss_score10;     /* the v3 score times ten, -1 when none */
	int cvss4_score10;    /* the v4.0 score times ten, -1 when none */
	char *purl;
	char *type;	      /* PURL type of the package */
	char *location;
	int layer;
	bool malicious;	      /* the package itself is malicious (OSV MAL-*, CWE-506) */
};

struct bw_findings {
	struct bw_finding *v;
	size_t n, alloc;
};

BW_API void bw_findings_done(struct bw_findings *f);

struct bw_match_opts {
	size_t sz; /* sizeof(struct bw_match_opts) */
	/* Report kernel advisories against header-only packages
	 * (linux-libc-dev, kernel-headers, linux-headers) even when the image
	 * ships no kernel. */
	bool include_kernel_headers;
	/* Leave out findings without a fixed version. */
	bool ignore_unfixed;
};

/*
 * Matches every package of res against db and appends findings to ret,
 * sorted by package, then id. One finding per (package, advisory): several
 * affected entries of one advisory for one package merge. A package whose
 * version no scheme parses is skipped with a warning. Returns the number of
 * findings added, or -errno with *err (ret is then left as it was).
 */
BW_API int bw_match_packages(struct bw_vulndb *db, const struct bw_pkg_result *res,
			     const struct bw_match_opts *opts, struct bw_findings *ret, struct bw_error **err);

/* The OSV ecosystem for the OS packages of os ("Debian:12", "Alpine:v3.19",
 * "Ubuntu:22.04", "Rocky Linux:9", "openSUSE:Leap 15.5", "SUSE:Linux
 * Enterprise Server 15 SP5", "Red Hat:enterprise_linux:9::baseos"); NULL when
 * the distro has none. For SUSE and Red Hat, matching also searches the
 * product's other ecosystems (modules, streams). Caller frees. */
BW_API char *bw_match_os_ecosystem(const struct bw_os *os);

/* PEP 503 normalisation: lowercase, runs of "-_." become "-". Caller frees. */
BW_API char *bw_pep503_normalize(const char *name);

#endif
