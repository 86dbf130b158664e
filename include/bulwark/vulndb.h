/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_VULNDB_H
#define BULWARK_VULNDB_H

/*
 * vulndb: the advisory store, an SQLite database indexed by (ecosystem,
 * package name). Built from OSV records (single JSON files, folders of them,
 * or the per-ecosystem all.zip files OSV publishes). A build always writes a
 * fresh database beside the target and renames it into place, so a reader
 * (or a kill at any moment) only ever sees a complete database.
 */

#include "bulwark/core.h"
#include "bulwark/limits.h"

/* ---------------------------------------------------------------- CVSS */

/* The CVSS v3.x base score of a vector ("CVSS:3.1/AV:N/..."), times ten
 * (98 for 9.8). -EINVAL when the vector is not a complete v3 base vector. */
BW_API int bw_cvss3_score(const char *vector, int *ret_score10);

/*
 * The CVSS v4.0 score of a vector ("CVSS:4.0/AV:N/AC:L/AT:N/..."), times
 * ten, as FIRST's specification computes it: MacroVector, its published
 * score, interpolation by severity distance, rounded half up to one decimal.
 * Base metrics alone give CVSS-B; threat (E) and environmental (CR, IR, AR,
 * MAV..MSA) metrics, when present, give CVSS-BT/BE/BTE; supplemental
 * metrics (S, AU, R, V, RE, U) are checked but do not change the score.
 * Metrics may come in any order. -EINVAL with *err (which may be NULL) when
 * the vector is malformed: no "CVSS:4.0/" prefix, a mandatory base metric
 * missing, a metric given twice, an unknown metric or value.
 */
BW_API int bw_cvss4_score(const char *vector, int *ret_score10, struct bw_error **err);

/* ---------------------------------------------------------------- store */

/* The default database path: $XDG_CACHE_HOME/bulwark/db/bulwark.db (or
 * ~/.cache/...). Caller frees. */
BW_API char *bw_vulndb_default_path(void);

/* Progress of an import: called after each source and every 1000 records. */
typedef void (*bw_vulndb_progress_fn)(const char *source, uint64_t records, void *userdata);

struct bw_vulndb_import_opts {
	size_t sz; /* sizeof(struct bw_vulndb_import_opts) */
	bw_vulndb_progress_fn progress;
	void *userdata;
};

struct bw_vulndb_stats {
	uint64_t records;   /* advisories stored */
	uint64_t affected;  /* (advisory, ecosystem, package) rows */
	uint64_t skipped;   /* withdrawn or without a usable affected entry */
	uint64_t rejected;  /* not OSV: bad JSON or schema */
	uint64_t unparsable; /* stored, but holding a version its ecosystem's scheme cannot parse */
};

/*
 * Builds a new database at db_path from the OSV sources in paths (files
 * ending .json, folders walked for *.json, .zip archives) and swaps it in.
 * A record that violates the schema is counted in rejected and skipped; a
 * source that cannot be read (missing, corrupt or truncated zip, CRC error)
 * fails the whole import and leaves the old database untouched.
 */
BW_API int bw_vulndb_import(const char *db_path, const char *const *paths, size_t n,
			    const struct bw_vulndb_import_opts *opts, struct bw_vulndb_stats *ret_stats,
			    struct bw_error **err);

struct bw_vulndb_eco_count {
	char *ecosystem;
	uint64_t advisories;
	uint64_t packages;
};

struct bw_vulndb_info {
	uint64_t records;
	char *built;	      /* ISO 8601 UTC time of the import */
	char *newest_modified; /* newest `modified` of any record */
	struct bw_vulndb_eco_count *ecosystems;
	size_t n_ecosystems;
};

/* Reads counts per ecosystem (the part before ':' in "Debian:12" counts per
 * release too) and dates. -ENOENT when there is no database. */
BW_API int bw_vulndb_info(const char *db_path, struct bw_vulndb_info *ret, struct bw_error **err);
BW_API void bw_vulndb_info_done(struct bw_vulndb_info *info);

/* ---------------------------------------------------------------- update */

/* OSV's public bucket: <URL>/<Ecosystem>/all.zip. */
#define BW_VULNDB_DEFAULT_URL "https://osv-vulnerabilities.storage.googleapis.com"

/* Called while a zip downloads: bytes so far and the total (0 when unknown). */
typedef void (*bw_vulndb_download_fn)(const char *ecosystem, uint64_t now, uint64_t total, void *userdata);

struct bw_vulndb_update_opts {
	size_t sz;			  /* sizeof(struct bw_vulndb_update_opts) */
	const char *base_url;		  /* NULL: BW_VULNDB_DEFAULT_URL */
	const char *const *ecosystems;	  /* NULL: bw_vulndb_update_ecosystems() */
	size_t n_ecosystems;
	long timeout;			  /* seconds a connection or transfer may stall (0: 60) */
	bw_vulndb_download_fn download_progress;
	bw_vulndb_progress_fn progress;	  /* import progress */
	void *userdata;
};

/* The ecosystems `db update` fetches by default (static array). */
BW_API const char *const *bw_vulndb_update_ecosystems(size_t *ret_n);
/* True for an OSV ecosystem name (no release suffix) we can match. */
BW_API bool bw_vulndb_ecosystem_supported(const char *eco);

/*
 * Downloads <base_url>/<Ecosystem>/all.zip for each ecosystem into a private
 * folder beside db_path (capped at BW_MAX_DB_DOWNLOAD bytes each, checked
 * against the server's x-goog-hash MD5 when it sends one), then builds a new
 * database from them as bw_vulndb_import() does and renames it over db_path.
 * A failed download (-ECONNREFUSED, -ETIMEDOUT, -EREMOTEIO for an HTTP error,
 * ...; the message names the URL) or a corrupt zip leaves db_path untouched,
 * and so does a kill at any moment. -EBUSY when another update of db_path runs.
 */
BW_API int bw_vulndb_update(const char *db_path, const struct bw_vulndb_update_opts *opts,
			    struct bw_vulndb_stats *ret_stats, struct bw_error **err);

/* ---------------------------------------------------------------- queries */

struct bw_vulndb;

BW_API int bw_vulndb_open(const char *db_path, struct bw_vulndb **ret, struct bw_error **err);
BW_API struct bw_vulndb *bw_vulndb_close(struct bw_vulndb *db);

/* One affected entry of one advisory for a package. Strings are owned by the
 * entry. events is the JSON array of ranges as stored: [[type,version],...]
 * per range, ranges as an array; versions a JSON array or NULL. */
struct bw_vuln_entry {
	char *id;
	char *aliases;	 /* JSON array */
	char *summary;
	char *cvss;	 /* the CVSS v3.x vector, or NULL */
	char *cvss4;	 /* the CVSS v4.0 vector, or NULL */
	int cvss_score10;  /* its score times ten, -1 when none or not valid */
	int cvss4_score10; /* its score times ten, -1 when none or not valid */
	char *urgency;	 /* distro rating (Debian urgency), or NULL */
	char *ecosystem;
	char *package;
	char *ranges;	 /* JSON: [[["introduced","0"],["fixed","1.2"]], ...] */
	char *versions;	 /* JSON array or NULL */
	char *published, *modified;
	char *rating;	 /* the advisory's own rating (GHSA "HIGH", "MODERATE"), or NULL */
	bool malicious;	 /* a malicious-package record (MAL-*, CWE-506) */
};

/* Calls fn for every entry of (ecosystem, package); stops when fn returns
 * nonzero (which is returned). */
BW_API int bw_vulndb_query(struct bw_vulndb *db, const char *ecosystem, const char *package,
			   int (*fn)(const struct bw_vuln_entry *e, void *ud), void *ud,
			   struct bw_error **err);

/* Calls fn with every distinct package name stored for ecosystem (for name
 * normalisation such as PEP 503); stops when fn returns nonzero (which is
 * returned). */
BW_API int bw_vulndb_packages(struct bw_vulndb *db, const char *ecosystem,
			      int (*fn)(const char *package, void *ud), void *ud, struct bw_error **err);

/* Calls fn with every distinct ecosystem stored whose name starts with
 * prefix ("SUSE:" lists the SUSE products); stops when fn returns nonzero
 * (which is returned). */
BW_API int bw_vulndb_ecosystems(struct bw_vulndb *db, const char *prefix,
				int (*fn)(const char *ecosystem, void *ud), void *ud, struct bw_error **err);

#endif
