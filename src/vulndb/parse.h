/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_VULNDB_PARSE_H
#define BW_VULNDB_PARSE_H

/*
 * Private to vulndb (and its fuzz target): the advisory parsers. They turn
 * one untrusted JSON document into records of advisory facts, handed to a
 * callback one at a time; they never touch the database. Every string of a
 * record lives only for the duration of the callback.
 */

#include "bulwark/vulndb.h"

struct vdb_affected {
	const char *ecosystem; /* "Debian:12", "npm", ... */
	const char *package;
	const char *urgency; /* the distro's rating (Debian urgency), or NULL */
	const char *ranges;  /* JSON: [[["introduced","0"],["fixed","1.2"]], ...], or NULL */
	const char *versions; /* JSON array of strings, or NULL */
};

struct vdb_record {
	const char *id;
	const char *aliases; /* JSON array (aliases and upstream ids), or NULL */
	const char *summary;
	const char *cvss3;   /* the first CVSS v3.x vector, or NULL */
	const char *cvss4;   /* the first CVSS v4.0 vector, or NULL */
	const char *rating;  /* the advisory's own word (GHSA "HIGH", "MODERATE"), or NULL */
	const char *published, *modified;
	bool malicious;	     /* a malicious package (MAL-*, malicious-packages origins, CWE-506) */
	const struct vdb_affected *aff;
	size_t n_aff;	     /* at least 1 */
};

/* Returns 0 to go on, -errno to stop (with *err). */
typedef int (*vdb_record_fn)(const struct vdb_record *r, void *ud, struct bw_error **err);

/*
 * Parses one document named name (for messages): an OSV record, a JSON array
 * of OSV records, or an Alpine/Wolfi secdb file ({"distroversion", "packages":
 * [{"pkg": {"name", "secfixes": {VERSION: [ID...]}}}]}). Records that violate
 * the schema (missing or bad id, unknown ecosystem, a range of an unknown type,
 * a version the ecosystem's scheme cannot parse) are counted in st->rejected
 * with a warning naming name and the id; withdrawn records and records with no
 * usable affected entry in st->skipped. Returns 0, or the callback's error.
 */
int vdb_parse(const char *buf, size_t len, const char *name, vdb_record_fn fn, void *ud,
	      struct bw_vulndb_stats *st, struct bw_error **err);

/* True when the part of eco before ':' is an OSV ecosystem. */
bool vdb_ecosystem_known(const char *eco);

#endif
