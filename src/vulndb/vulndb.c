/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The advisory store: OSV records imported into SQLite. Import always builds
 * a new file beside the target (<db>.new-<pid>) and renames it over the old
 * one once it is complete and closed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zip.h>
#include <zstd.h>

#include "bulwark/vulndb.h"
#include "vulndb/parse.h"

/* Schema 2 added advisory.rating and advisory.malicious; 3 holds the CVSS
 * v3 and v4 vectors apart, each with its score. */
#define SCHEMA_VERSION "3"
static const char schema[] =
	"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE advisory(id TEXT PRIMARY KEY, aliases TEXT, summary TEXT, cvss3 TEXT, cvss3_score REAL,"
	" cvss4 TEXT, cvss4_score REAL, published TEXT, modified TEXT, rating TEXT, malicious INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE affected(advisory TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,"
	" urgency TEXT, ranges TEXT, versions TEXT);";
static const char indexes[] = "CREATE INDEX affected_pkg ON affected(ecosystem, package);";

struct importer {
	sqlite3 *db;
	sqlite3_stmt *ins_adv, *ins_aff;
	struct bw_vulndb_stats st;
	const struct bw_vulndb_import_opts *opts;
	const char *source;
	unsigned bad_cvss; /* warnings given for vectors that do not score */
};

/* Warnings about unscorable CVSS vectors per import. */
#define CVSS_WARN_MAX 20u

char *bw_vulndb_default_path(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *p = NULL;

	if (xdg && *xdg)
		return asprintf(&p, "%s/bulwark/db/bulwark.db", xdg) < 0 ? NULL : p;
	return asprintf(&p, "%s/.cache/bulwark/db/bulwark.db", home && *home ? home : "/tmp") < 0 ? NULL : p;
}

static int sql_err(sqlite3 *db, struct bw_error **err, const char *what)
{
	return bw_error_set(err, -EIO, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

/* ---------------------------------------------------------------- one record */

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Binds a CVSS vector and its score (NULL when it does not score: the vector
 * is kept, with a warning naming the record and the fault). */
static void bind_cvss(struct importer *im, const struct vdb_record *rec, int col, const char *vector, int version)
{
	struct bw_error *e = NULL;
	int score10 = -1, r;

	bind_text(im->ins_adv, col, vector);
	sqlite3_bind_null(im->ins_adv, col + 1);
	if (!vector)
		return;
	if (version == 3) {
		r = bw_cvss3_score(vector, &score10);
		if (r < 0)
			bw_error_set(&e, r, "`%s` is not a complete CVSS v3 base vector", vector);
	} else {
		r = bw_cvss4_score(vector, &score10, &e);
	}
	if (r == 0) {
		sqlite3_bind_double(im->ins_adv, col + 1, score10 / 10.0);
	} else if (im->bad_cvss++ < CVSS_WARN_MAX) {
		bw_log(BW_LOG_WARN, "%s: `%s`: %s; vector kept without a score", im->source, rec->id,
		       e && e->msg ? e->msg : "bad CVSS vector");
	} else if (im->bad_cvss == CVSS_WARN_MAX + 1) {
		bw_log(BW_LOG_WARN, "%s: more CVSS vectors without a score; not naming each", im->source);
	}
	bw_error_free(e);
}

/* Stores one parsed record: its affected rows, then the advisory row. An id
 * already stored (the same advisory from two sources, or a secdb id named
 * under several packages) keeps its first advisory row and gains the
 * affected rows. */
static int store_record(const struct vdb_record *rec, void *ud, struct bw_error **err)
{
	struct importer *im = ud;

	for (size_t i = 0; i < rec->n_aff; i++) {
		const struct vdb_affected *a = &rec->aff[i];

		sqlite3_reset(im->ins_aff);
		bind_text(im->ins_aff, 1, rec->id);
		bind_text(im->ins_aff, 2, a->ecosystem);
		bind_text(im->ins_aff, 3, a->package);
		bind_text(im->ins_aff, 4, a->urgency);
		bind_text(im->ins_aff, 5, a->ranges);
		bind_text(im->ins_aff, 6, a->versions);
		if (sqlite3_step(im->ins_aff) != SQLITE_DONE)
			return sql_err(im->db, err, "cannot store an affected entry");
	}
	sqlite3_reset(im->ins_adv);
	bind_text(im->ins_adv, 1, rec->id);
	bind_text(im->ins_adv, 2, rec->aliases);
	bind_text(im->ins_adv, 3, rec->summary);
	bind_cvss(im, rec, 4, rec->cvss3, 3);
	bind_cvss(im, rec, 6, rec->cvss4, 4);
	bind_text(im->ins_adv, 8, rec->published);
	bind_text(im->ins_adv, 9, rec->modified);
	bind_text(im->ins_adv, 10, rec->rating);
	sqlite3_bind_int(im->ins_adv, 11, rec->malicious);
	if (sqlite3_step(im->ins_adv) != SQLITE_DONE)
		return sql_err(im->db, err, "cannot store an advisory");
	im->st.affected += rec->n_aff;
	if (sqlite3_changes(im->db) > 0) {
		im->st.records++;
		if (im->opts && im->opts->progress && im->st.records % 1000 == 0)
			im->opts->progress(im->source, im->st.records, im->opts->userdata);
	}
	return 0;
}

static int import_record(struct importer *im, const char *buf, size_t len, const char *name,
			 struct bw_error **err)
{
	_cleanup_free_ char *where = NULL;

	if (strcmp(name, im->source) && asprintf(&where, "%s: %s", im->source, name) < 0)
		return -ENOMEM;
	return vdb_parse(buf, len, where ? where : name, store_record, im, &im->st, err);
}

/* ---------------------------------------------------------------- sources */

static int import_zip(struct importer *im, const char *path, struct bw_error **err)
{
	zip_t *z;
	zip_int64_t n, i;
	int ze = 0, r = 0;
	char *buf = NULL;
	uint64_t total = 0;

	z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!z) {
		zip_error_t e;

		zip_error_init_with_code(&e, ze);
		r = bw_error_set(err, -EINVAL, "cannot open zip `%s`: %s", path, zip_error_strerror(&e));
		zip_error_fini(&e);
		return r;
	}
	n = zip_get_num_entries(z, 0);
	if (n < 0 || (uint64_t)n > BW_MAX_ZIP_ENTRIES) {
		zip_discard(z);
		return bw_error_set(err, -E2BIG, "zip `%s`: too many entries", path);
	}
	buf = malloc(BW_MAX_OSV_RECORD_SIZE + 1);
	if (!buf) {
		zip_discard(z);
		return -ENOMEM;
	}
	for (i = 0; i < n && r == 0; i++) {
		zip_stat_t st;
		zip_file_t *f;
		zip_int64_t got;
		size_t len = 0;

		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0) {
			r = bw_error_set(err, -EINVAL, "zip `%s`: entry %lld: %s", path, (long long)i,
					 zip_strerror(z));
			break;
		}
		if (!st.name || !bw_endswith(st.name, ".json"))
			continue;
		if (!(st.valid & ZIP_STAT_SIZE) || st.size > BW_MAX_OSV_RECORD_SIZE) {
			r = bw_error_set(err, -EFBIG, "zip `%s`: entry `%s` is larger than %u bytes", path,
					 st.name, BW_MAX_OSV_RECORD_SIZE);
			break;
		}
		total += st.size;
		if (total > BW_MAX_ZIP_TOTAL) {
			r = bw_error_set(err, -EFBIG, "zip `%s`: more than %llu uncompressed bytes", path,
					 (unsigned long long)BW_MAX_ZIP_TOTAL);
			break;
		}
		f = zip_fopen_index(z, (zip_uint64_t)i, 0);
		if (!f) {
			r = bw_error_set(err, -EINVAL, "zip `%s`: entry `%s`: %s", path, st.name, zip_strerror(z));
			break;
		}
		/* Read one byte past the declared size: more data is an error, and
		 * libzip checks the CRC when the entry is read to its end. */
		while (len <= st.size) {
			got = zip_fread(f, buf + len, st.size + 1 - len);
			if (got < 0) {
				r = bw_error_set(err, -EINVAL, "zip `%s`: entry `%s`: %s", path, st.name,
						 zip_file_strerror(f));
				break;
			}
			if (got == 0)
				break;
			len += (size_t)got;
		}
		zip_fclose(f);
		if (r < 0)
			break;
		if (len != st.size) {
			r = bw_error_set(err, -EINVAL, "zip `%s`: entry `%s`: size disagrees with the directory",
					 path, st.name);
			break;
		}
		r = import_record(im, buf, len, st.name, err);
	}
	free(buf);
	zip_discard(z);
	return r;
}

/* Decompresses a zstd file whole, up to BW_MAX_SNAPSHOT_SIZE bytes. */
static int read_zstd(const char *path, char **ret, size_t *ret_len, struct bw_error **err)
{
	_cleanup_free_ char *in = NULL;
	struct bw_buf out = BW_BUF_INIT(BW_MAX_SNAPSHOT_SIZE);
	ZSTD_DStream *ds;
	ZSTD_inBuffer ib;
	size_t in_len, rc = 1;
	int r;

	r = bw_read_file(path, BW_MAX_SNAPSHOT_SIZE, &in, &in_len, err);
	if (r < 0)
		return r;
	ds = ZSTD_createDStream();
	if (!ds)
		return -ENOMEM;
	ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 27);
	ib = (ZSTD_inBuffer){ in, in_len, 0 };
	while (ib.pos < ib.size || rc != 0) {
		char chunk[1 << 16];
		ZSTD_outBuffer ob = { chunk, sizeof(chunk), 0 };
		size_t before = ib.pos;

		rc = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(rc)) {
			r = bw_error_set(err, -EINVAL, "`%s`: corrupt zstd data: %s", path, ZSTD_getErrorName(rc));
			break;
		}
		if (ob.pos && bw_buf_append(&out, chunk, ob.pos) < 0) {
			r = bw_error_set(err, -EFBIG, "`%s`: more than %u bytes once decompressed", path,
					 BW_MAX_SNAPSHOT_SIZE);
			break;
		}
		if (ib.pos == ib.size && ob.pos < ob.size && ib.pos == before && rc != 0) {
			r = bw_error_set(err, -EINVAL, "`%s`: truncated zstd data", path);
			break;
		}
	}
	ZSTD_freeDStream(ds);
	if (r == 0 && bw_buf_append(&out, "", 1) < 0)
		r = -ENOMEM;
	if (r < 0) {
		bw_buf_done(&out);
		return r;
	}
	*ret_len = out.len - 1;
	*ret = bw_buf_steal(&out);
	return 0;
}

/* JSON lines: one record a line, blank lines allowed. */
static int import_lines(struct importer *im, const char *buf, size_t len, const char *path,
			struct bw_error **err)
{
	size_t line = 0;
	int r = 0;

	for (const char *p = buf, *end = buf + len; p < end && r == 0;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char name[64];

		line++;
		if (n > BW_MAX_OSV_RECORD_SIZE)
			return bw_error_set(err, -EFBIG, "`%s`: line %zu is longer than %u bytes", path, line,
					    BW_MAX_OSV_RECORD_SIZE);
		if (n && p[strspn(p, " \t\r")] != '\n') {
			snprintf(name, sizeof(name), "line %zu", line);
			r = import_record(im, p, n, name, err);
		}
		p += n + 1;
	}
	return r;
}

static int import_file(struct importer *im, const char *path, struct bw_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (bw_endswith(path, ".jsonl.zst")) {
		r = read_zstd(path, &buf, &len, err);
		return r < 0 ? r : import_lines(im, buf, len, path, err);
	}
	r = bw_read_file(path, bw_endswith(path, ".jsonl") ? BW_MAX_SNAPSHOT_SIZE : BW_MAX_OSV_RECORD_SIZE, &buf,
			 &len, err);
	if (r < 0)
		return r;
	if (bw_endswith(path, ".jsonl"))
		return import_lines(im, buf, len, path, err);
	/* A file may hold one record, a JSON array of them, or a secdb file. */
	return import_record(im, buf, len, path, err);
}

static int import_path(struct importer *im, const char *path, int depth, struct bw_error **err);

/* The files a folder walk imports. */
static bool source_name(const char *p)
{
	return bw_endswith(p, ".json") || bw_endswith(p, ".zip") || bw_endswith(p, ".jsonl") ||
	       bw_endswith(p, ".jsonl.zst");
}

static int import_dir(struct importer *im, const char *path, int depth, struct bw_error **err)
{
	struct dirent **ents = NULL;
	int n, i, r = 0;

	if (depth > BW_MAX_WALK_DEPTH)
		return bw_error_set(err, -ELOOP, "`%s`: directories nested too deep", path);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return bw_error_set(err, -errno, "cannot read directory `%s`: %m", path);
	for (i = 0; i < n; i++) {
		char *sub = NULL;
		struct stat st;

		if (r == 0 && ents[i]->d_name[0] != '.' && asprintf(&sub, "%s/%s", path, ents[i]->d_name) >= 0) {
			if (lstat(sub, &st) == 0 && (S_ISDIR(st.st_mode) ||
						     (S_ISREG(st.st_mode) && source_name(sub))))
				r = import_path(im, sub, depth + 1, err);
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return r;
}

static int import_path(struct importer *im, const char *path, int depth, struct bw_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return bw_error_set(err, -errno, "cannot read `%s`: %m", path);
	if (S_ISDIR(st.st_mode))
		return import_dir(im, path, depth, err);
	im->source = path;
	if (bw_endswith(path, ".zip"))
		return import_zip(im, path, err);
	return import_file(im, path, err);
}

static int mkdir_parents(const char *path)
{
	_cleanup_free_ char *d = strdup(path);
	char *p;

	if (!d)
		return -ENOMEM;
	for (p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(d, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	return 0;
}

int bw_vulndb_import(const char *db_path, const char *const *paths, size_t n,
		     const struct bw_vulndb_import_opts *opts, struct bw_vulndb_stats *ret_stats,
		     struct bw_error **err)
{
	struct importer im = { .opts = opts };
	_cleanup_free_ char *tmp = NULL;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	int r = 0;

	if (mkdir_parents(db_path) < 0)
		return bw_error_set(err, -errno, "cannot create the folder of `%s`: %m", db_path);
	if (asprintf(&tmp, "%s.new-%d", db_path, (int)getpid()) < 0)
		return -ENOMEM;
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &im.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		r = sql_err(im.db, err, "cannot create the database");
		goto out;
	}
	if (sqlite3_exec(im.db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(im.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(im.db, "INSERT OR IGNORE INTO advisory VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &im.ins_adv, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(im.db, "INSERT INTO affected VALUES(?,?,?,?,?,?)", -1, &im.ins_aff, NULL) !=
		    SQLITE_OK) {
		r = sql_err(im.db, err, "cannot create the database");
		goto out;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		r = import_path(&im, paths[i], 0, err);
		if (r == 0 && opts && opts->progress)
			opts->progress(paths[i], im.st.records, opts->userdata);
	}
	/* Sources that held records, none of them usable: an error, not an
	 * empty database swapped over a good one. */
	if (r == 0 && im.st.records == 0 && im.st.rejected > 0)
		r = bw_error_set(err, -EINVAL, "no usable advisory in %s%s: all %llu records were rejected "
					       "(old database kept)", paths[0], n > 1 ? " ..." : "",
				 (unsigned long long)im.st.rejected);
	if (r < 0)
		goto out;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	{
		char *q = sqlite3_mprintf("INSERT INTO meta VALUES('built',%Q),('schema','" SCHEMA_VERSION "');", now);

		if (!q || sqlite3_exec(im.db, q, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(im.db, indexes, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(im.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			r = sql_err(im.db, err, "cannot finish the database");
		sqlite3_free(q);
	}
out:
	sqlite3_finalize(im.ins_adv);
	sqlite3_finalize(im.ins_aff);
	if (sqlite3_close(im.db) != SQLITE_OK && r == 0)
		r = bw_error_set(err, -EIO, "cannot close the new database");
	if (r == 0) {
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		if (rename(tmp, db_path) < 0)
			r = bw_error_set(err, -errno, "cannot move the new database to `%s`: %m", db_path);
	}
	if (r < 0)
		unlink(tmp);
	else if (ret_stats)
		*ret_stats = im.st;
	return r;
}

/* ---------------------------------------------------------------- reading */

struct bw_vulndb {
	sqlite3 *db;
	sqlite3_stmt *q;
};

/* How long a reader waits for another process's write lock. */
#define BUSY_TIMEOUT_MS 3000

/*
 * Opens db_path read-only and checks that it is an advisory database of our
 * schema. -ENOENT when missing, -EBUSY when another process holds a write lock
 * past BUSY_TIMEOUT_MS, -EINVAL when it is not ours (or of another schema).
 */
static int open_checked(const char *db_path, sqlite3 **ret, struct bw_error **err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct stat st;
	int rc, r = 0;

	if (stat(db_path, &st) < 0)
		return bw_error_set(err, -errno, "no advisory database at `%s` (run `bulwark db update` or `bulwark db import`)",
				    db_path);
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		r = bw_error_set(err, -EINVAL, "cannot open the advisory database `%s`: %s", db_path,
				 db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema'", -1, &q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		r = bw_error_set(err, -EBUSY, "the advisory database `%s` is locked by another process (waited %d s)",
				 db_path, BUSY_TIMEOUT_MS / 1000);
	} else if (rc != SQLITE_ROW) {
		r = bw_error_set(err, -EINVAL, "`%s` is not a bulwark advisory database: %s", db_path,
				 rc == SQLITE_DONE ? "no schema version" : sqlite3_errmsg(db));
	} else if (!sqlite3_column_text(q, 0) || strcmp((const char *)sqlite3_column_text(q, 0), SCHEMA_VERSION)) {
		r = bw_error_set(err, -EINVAL,
				 "`%s` was built by another version of bulwark (schema %s, this one reads %s): "
				 "rebuild it with `bulwark db update` or `bulwark db import`",
				 db_path, sqlite3_column_text(q, 0) ? (const char *)sqlite3_column_text(q, 0) : "?",
				 SCHEMA_VERSION);
	}
out:
	sqlite3_finalize(q);
	if (r < 0) {
		sqlite3_close(db);
		return r;
	}
	*ret = db;
	return 0;
}

int bw_vulndb_open(const char *db_path, struct bw_vulndb **ret, struct bw_error **err)
{
	struct bw_vulndb *v;
	int r;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = open_checked(db_path, &v->db, err);
	if (r < 0) {
		free(v);
		return r;
	}
	if (sqlite3_prepare_v2(v->db,
			       "SELECT f.advisory, a.aliases, a.summary, a.cvss3, f.urgency, f.ecosystem,"
			       " f.package, f.ranges, f.versions, a.published, a.modified, a.rating, a.malicious,"
			       " a.cvss3_score, a.cvss4, a.cvss4_score"
			       " FROM affected f JOIN advisory a ON a.id = f.advisory"
			       " WHERE f.ecosystem = ? AND f.package = ?",
			       -1, &v->q, NULL) != SQLITE_OK) {
		r = bw_error_set(err, -EINVAL, "`%s` is not a bulwark advisory database: %s", db_path,
				 sqlite3_errmsg(v->db));
		bw_vulndb_close(v);
		return r;
	}
	*ret = v;
	return 0;
}

struct bw_vulndb *bw_vulndb_close(struct bw_vulndb *db)
{
	if (db) {
		sqlite3_finalize(db->q);
		sqlite3_close(db->db);
		free(db);
	}
	return NULL;
}

/* A stored score (REAL, one decimal) in tenths, -1 when NULL. */
static int column_score10(sqlite3_stmt *q, int col)
{
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return -1;
	return (int)lround(sqlite3_column_double(q, col) * 10.0);
}

int bw_vulndb_query(struct bw_vulndb *db, const char *ecosystem, const char *package,
		    int (*fn)(const struct bw_vuln_entry *e, void *ud), void *ud, struct bw_error **err)
{
	int r = 0, s;

	sqlite3_reset(db->q);
	sqlite3_bind_text(db->q, 1, ecosystem, -1, SQLITE_STATIC);
	sqlite3_bind_text(db->q, 2, package, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(db->q)) == SQLITE_ROW) {
		struct bw_vuln_entry e = {
#define C(i) ((char *)sqlite3_column_text(db->q, i))
			.id = C(0), .aliases = C(1), .summary = C(2), .cvss = C(3), .urgency = C(4),
			.ecosystem = C(5), .package = C(6), .ranges = C(7), .versions = C(8),
			.published = C(9), .modified = C(10), .rating = C(11),
			.cvss4 = C(14),
#undef C
			.malicious = sqlite3_column_int(db->q, 12) != 0,
			.cvss_score10 = column_score10(db->q, 13),
			.cvss4_score10 = column_score10(db->q, 15),
		};

		r = fn(&e, ud);
		if (r)
			break;
	}
	if (!r && s != SQLITE_DONE)
		r = bw_error_set(err, -EIO, "advisory query failed: %s", sqlite3_errmsg(db->db));
	sqlite3_reset(db->q);
	return r;
}

int bw_vulndb_packages(struct bw_vulndb *db, const char *ecosystem,
		       int (*fn)(const char *package, void *ud), void *ud, struct bw_error **err)
{
	sqlite3_stmt *q = NULL;
	int r = 0, s;

	if (sqlite3_prepare_v2(db->db, "SELECT DISTINCT package FROM affected WHERE ecosystem = ?", -1, &q,
			       NULL) != SQLITE_OK)
		return bw_error_set(err, -EIO, "advisory query failed: %s", sqlite3_errmsg(db->db));
	sqlite3_bind_text(q, 1, ecosystem, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(q, 0);

		if (p) {
			r = fn(p, ud);
			if (r)
				break;
		}
	}
	if (!r && s != SQLITE_DONE)
		r = bw_error_set(err, -EIO, "advisory query failed: %s", sqlite3_errmsg(db->db));
	sqlite3_finalize(q);
	return r;
}

int bw_vulndb_ecosystems(struct bw_vulndb *db, const char *prefix, int (*fn)(const char *ecosystem, void *ud),
			 void *ud, struct bw_error **err)
{
	sqlite3_stmt *q = NULL;
	int r = 0, s;

	_cleanup_free_ char *upper = strdup(prefix);
	size_t n = strlen(prefix);

	if (!upper)
		return -ENOMEM;
	/* A range on the indexed column, [prefix, prefix with its last byte
	 * raised), not LIKE (whose '_' and '%' a prefix may hold). */
	if (n && (unsigned char)upper[n - 1] < 0x7f)
		upper[n - 1]++;
	else
		upper[0] = '\0';
	if (sqlite3_prepare_v2(db->db, *upper ? "SELECT DISTINCT ecosystem FROM affected WHERE ecosystem >= ?1 AND"
						" ecosystem < ?2 ORDER BY ecosystem"
					      : "SELECT DISTINCT ecosystem FROM affected WHERE ecosystem >= ?1"
						" ORDER BY ecosystem",
			       -1, &q, NULL) != SQLITE_OK)
		return bw_error_set(err, -EIO, "advisory query failed: %s", sqlite3_errmsg(db->db));
	sqlite3_bind_text(q, 1, prefix, -1, SQLITE_STATIC);
	if (*upper)
		sqlite3_bind_text(q, 2, upper, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(q, 0);

		if (!e || strncmp(e, prefix, n))
			continue;
		r = fn(e, ud);
		if (r)
			break;
	}
	if (!r && s != SQLITE_DONE && s != SQLITE_ROW)
		r = bw_error_set(err, -EIO, "advisory query failed: %s", sqlite3_errmsg(db->db));
	sqlite3_finalize(q);
	return r;
}

int bw_vulndb_info(const char *db_path, struct bw_vulndb_info *ret, struct bw_error **err)
{
	struct bw_vulndb_info info = { 0 };
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int r = 0;

	r = open_checked(db_path, &db, err);
	if (r < 0)
		return r;
	if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM advisory), (SELECT value FROM meta WHERE key='built'),"
				   " (SELECT max(modified) FROM advisory)", -1, &q, NULL) != SQLITE_OK) {
		r = bw_error_set(err, -EINVAL, "`%s` is not a bulwark advisory database: %s", db_path,
				 sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(q) == SQLITE_ROW) {
		info.records = (uint64_t)sqlite3_column_int64(q, 0);
		if (sqlite3_column_text(q, 1))
			info.built = strdup((const char *)sqlite3_column_text(q, 1));
		if (sqlite3_column_text(q, 2))
			info.newest_modified = strdup((const char *)sqlite3_column_text(q, 2));
	}
	sqlite3_finalize(q);
	q = NULL;
	if (sqlite3_prepare_v2(db, "SELECT ecosystem, count(DISTINCT advisory), count(DISTINCT package)"
				   " FROM affected GROUP BY ecosystem ORDER BY ecosystem", -1, &q, NULL) != SQLITE_OK) {
		r = bw_error_set(err, -EINVAL, "`%s`: %s", db_path, sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct bw_vulndb_eco_count *n = realloc(info.ecosystems, (info.n_ecosystems + 1) * sizeof(*n));

		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		info.ecosystems = n;
		n[info.n_ecosystems].ecosystem = strdup((const char *)sqlite3_column_text(q, 0));
		n[info.n_ecosystems].advisories = (uint64_t)sqlite3_column_int64(q, 1);
		n[info.n_ecosystems].packages = (uint64_t)sqlite3_column_int64(q, 2);
		info.n_ecosystems++;
	}
out:
	sqlite3_finalize(q);
	sqlite3_close(db);
	if (r < 0) {
		bw_vulndb_info_done(&info);
		return r;
	}
	*ret = info;
	return 0;
}

void bw_vulndb_info_done(struct bw_vulndb_info *info)
{
	for (size_t i = 0; i < info->n_ecosystems; i++)
		free(info->ecosystems[i].ecosystem);
	free(info->ecosystems);
	free(info->built);
	free(info->newest_modified);
	memset(info, 0, sizeof(*info));
}
