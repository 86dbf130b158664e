/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_REPORT_H
#define BULWARK_REPORT_H

/*
 * report: what a vulnerability scan found, written for people and for
 * other tools: a table, bulwark's JSON, SARIF 2.1.0, a CycloneDX 1.6 BOM
 * with a vulnerabilities array, and JUnit XML as CI servers read it.
 *
 * Also OpenVEX (v0.2.0, and the older v0.0.x shapes): statements that say
 * a vulnerability does not affect a product (not_affected) or was fixed in
 * it (fixed) suppress the findings they name.
 *
 * Nothing here owns the findings it is handed: a struct bw_report points at
 * the caller's data for the length of one write.
 */

#include <stdio.h>

#include "bulwark/core.h"
#include "bulwark/image.h"
#include "bulwark/match.h"
#include "bulwark/pkg.h"

/* Caps for untrusted VEX input. */
#define BW_MAX_VEX_SIZE (64u << 20)
#define BW_MAX_VEX_STATEMENTS 1000000u

enum bw_report_format {
	BW_REPORT_TABLE = 0,
	BW_REPORT_JSON,
	BW_REPORT_SARIF,
	BW_REPORT_CYCLONEDX,
	BW_REPORT_JUNIT,
};

/* "table", "json", "sarif", "cyclonedx" (or "cyclonedx-json"), "junit";
 * -EINVAL for anything else. */
BW_API int bw_report_format_parse(const char *s, enum bw_report_format *ret);

/* True when id is f's advisory id or one of its aliases. */
BW_API bool bw_finding_has_id(const struct bw_finding *f, const char *id);

/* ---------------------------------------------------------------- OpenVEX */

/* One statement, flattened: the strings are owned by the struct bw_vex. */
struct bw_vex_statement {
	const char *vulnerability;   /* name or @id ("CVE-2023-1234") */
	const char *const *aliases;  /* vulnerability.aliases */
	size_t n_aliases;
	const char *const *products; /* product @id or identifiers.purl */
	size_t n_products;
	/* Subcomponents of the products (purls): when there are any, only
	 * findings in those packages are covered. */
	const char *const *subcomponents;
	size_t n_subcomponents;
	const char *status;	   /* not_affected, affected, fixed, under_investigation */
	const char *justification; /* or NULL */
	const char *document;	   /* the file it came from */
	int line;		   /* 1-based statement index in that file */
};

struct bw_vex;

BW_API struct bw_vex *bw_vex_new(void);
BW_API struct bw_vex *bw_vex_free(struct bw_vex *v);

/*
 * Parses one OpenVEX JSON document (path names it in messages) and appends
 * its statements to v. -EBADMSG with *err naming the file and statement
 * for a document that is not OpenVEX, or a statement without a
 * vulnerability, a product or a known status; v is then unchanged.
 */
BW_API int bw_vex_load(struct bw_vex *v, const char *path, const char *data, size_t len,
		       struct bw_error **err);

/* Number of statements loaded. */
BW_API size_t bw_vex_count(const struct bw_vex *v);

/*
 * The statement that decides finding f of target, or NULL. targets are
 * the names the scanned artifact goes by (reference, digest, image PURL,
 * SBOM subject). A statement applies when its vulnerability or one of its
 * aliases equals f's id or one of f's aliases, and a product is f's package
 * (PURL, version optional, qualifiers a subset) or one of targets (then any
 * subcomponents must name f's package). Of several, the last one in load
 * order decides, as OpenVEX's later statements supersede earlier ones.
 */
BW_API const struct bw_vex_statement *bw_vex_find(const struct bw_vex *v, const struct bw_finding *f,
						  const char *const *targets, size_t n_targets);

/* True for a status that suppresses a finding: not_affected, fixed. */
BW_API bool bw_vex_suppresses(const struct bw_vex_statement *s);

/*
 * PURL comparison as VEX products use it: type, namespace and name equal
 * (after percent-decoding), the version when want has one, and each of
 * want's qualifiers present in have with the same value.
 */
BW_API bool bw_purl_matches(const char *want, const char *have);

/* ---------------------------------------------------------------- reports */

struct bw_report_entry {
	const struct bw_finding *finding;
	const struct bw_vex_statement *vex; /* the statement that suppressed it, or NULL */
};

struct bw_report {
	size_t sz;		/* sizeof(struct bw_report) */
	const char *target;	/* what was scanned, as the user named it */
	const struct bw_os *os; /* or NULL */
	const char *ecosystem;	/* the OS packages' advisory ecosystem, or NULL */
	/* The image (NULL for folders and SBOMs) and what was catalogued: the
	 * CycloneDX report lists every package as a component. */
	const struct bw_image *image;
	const struct bw_pkg_result *pkgs;
	const struct bw_report_entry *shown; /* findings to report */
	size_t n_shown;
	const struct bw_report_entry *suppressed; /* left out by VEX; JSON and CycloneDX list them */
	size_t n_suppressed;
	const char *timestamp; /* RFC 3339 for CycloneDX; NULL = now (SOURCE_DATE_EPOCH when set) */
};

/* Writes r to f in fmt. Returns 0, or -EIO with *err when f cannot be
 * written, -ENOMEM. */
BW_API int bw_report_write(FILE *f, enum bw_report_format fmt, const struct bw_report *r,
			   struct bw_error **err);

#endif
