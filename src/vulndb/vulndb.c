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
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zip.h>

#include "bulwark/vulndb.h"

static const char schema[] =
	"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE advisory(id TEXT PRIMARY KEY, aliases TEXT, summary TEXT, cvss TEXT,"
	" published TEXT, modified TEXT);"
	"CREATE TABLE affected(advisory TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,"
	" urgency TEXT, ranges TEXT, versions TEXT);";
static const char indexes[] = "CREATE INDEX affected_pkg ON affected(ecosystem, package);";

struct importer {
	sqlite3 *db;
	sqlite3_stmt *ins_adv, *ins_aff;
	struct bw_vulndb_stats st;
	const struct bw_vulndb_import_opts *opts;
	const char *source;
};

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

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Ranges of one affected entry as [[[type,version],...],...]: ECOSYSTEM and
 * SEMVER ranges only (GIT ranges name commits, not versions). Returns NULL
 * when none, a JSON string otherwise; *ret_bad on a schema violation. */
static char *ranges_json(json_t *aff, bool *ret_bad)
{
	json_t *ranges = json_object_get(aff, "ranges"), *out, *r;
	size_t i, j, n = 0;
	char *s;

	if (!ranges)
		return NULL;
	if (!json_is_array(ranges)) {
		*ret_bad = true;
		return NULL;
	}
	out = json_array();
	json_array_foreach(ranges, i, r) {
		const char *type = jstr(r, "type");
		json_t *events = json_object_get(r, "events"), *ev, *o;

		if (!type || !json_is_array(events) || json_array_size(events) > BW_MAX_OSV_EVENTS) {
			*ret_bad = true;
			break;
		}
		if (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER"))
			continue;
		o = json_array();
		json_array_foreach(events, j, ev) {
			static const char *const keys[] = { "introduced", "fixed", "last_affected", "limit" };

			for (size_t k = 0; k < 4; k++) {
				const char *v = jstr(ev, keys[k]);

				if (v)
					json_array_append_new(o, json_pack("[ss]", keys[k], v));
			}
		}
		json_array_append_new(out, o);
		n++;
	}
	if (*ret_bad || !n) {
		json_decref(out);
		return NULL;
	}
	s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

static int import_record(struct importer *im, const char *buf, size_t len, const char *name,
			 struct bw_error **err)
{
	json_error_t je;
	json_t *rec, *affected, *aff, *sev, *s;
	const char *id, *cvss = NULL;
	char *aliases = NULL;
	size_t i, stored = 0;
	bool bad = false;
	int r = 0;

	rec = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!rec || !json_is_object(rec)) {
		json_decref(rec);
		im->st.rejected++;
		bw_log(BW_LOG_WARN, "%s: %s: not an OSV record (%s), ignoring", im->source, name,
		       rec ? "not an object" : je.text);
		return 0;
	}
	id = jstr(rec, "id");
	affected = json_object_get(rec, "affected");
	if (!id || !*id || (affected && !json_is_array(affected)) ||
	    json_array_size(affected) > BW_MAX_OSV_AFFECTED) {
		im->st.rejected++;
		bw_log(BW_LOG_WARN, "%s: %s: OSV record without a valid id or affected list, ignoring",
		       im->source, name);
		goto out;
	}
	if (jstr(rec, "withdrawn")) {
		im->st.skipped++;
		goto out;
	}
	sev = json_object_get(rec, "severity");
	if (json_is_array(sev))
		json_array_foreach(sev, i, s) {
			const char *t = jstr(s, "type");

			if (t && bw_startswith(t, "CVSS_") && jstr(s, "score") && !cvss)
				cvss = jstr(s, "score");
		}
	if (json_is_array(json_object_get(rec, "aliases")))
		aliases = json_dumps(json_object_get(rec, "aliases"), JSON_COMPACT);

	json_array_foreach(affected, i, aff) {
		json_t *pkg = json_object_get(aff, "package"), *vers = json_object_get(aff, "versions");
		const char *eco = jstr(pkg, "ecosystem"), *pname = jstr(pkg, "name"), *urg = NULL;
		char *rj, *vj = NULL;
		json_t *es = json_object_get(aff, "ecosystem_specific");

		if (!eco || !pname) {
			bad = true;
			break;
		}
		rj = ranges_json(aff, &bad);
		if (bad)
			break;
		if (json_is_array(vers) && json_array_size(vers) > 0 && json_array_size(vers) <= BW_MAX_OSV_VERSIONS)
			vj = json_dumps(vers, JSON_COMPACT);
		if (!rj && !vj) {
			continue;
		}
		urg = jstr(es, "urgency");
		if (!urg)
			urg = jstr(es, "severity");
		sqlite3_reset(im->ins_aff);
		bind_text(im->ins_aff, 1, id);
		bind_text(im->ins_aff, 2, eco);
		bind_text(im->ins_aff, 3, pname);
		bind_text(im->ins_aff, 4, urg);
		bind_text(im->ins_aff, 5, rj);
		bind_text(im->ins_aff, 6, vj);
		free(rj);
		free(vj);
		if (sqlite3_step(im->ins_aff) != SQLITE_DONE) {
			r = sql_err(im->db, err, "cannot store an affected entry");
			goto out;
		}
		stored++;
	}
	if (bad) {
		im->st.rejected++;
		bw_log(BW_LOG_WARN, "%s: %s: `%s` violates the OSV schema (affected), ignoring", im->source, name, id);
		sqlite3_exec(im->db, "SELECT 1", NULL, NULL, NULL);
		/* Rows of this record already stored are removed. */
		{
			sqlite3_stmt *del = NULL;

			if (sqlite3_prepare_v2(im->db, "DELETE FROM affected WHERE advisory=?", -1, &del, NULL) ==
			    SQLITE_OK) {
				bind_text(del, 1, id);
				sqlite3_step(del);
			}
			sqlite3_finalize(del);
		}
		goto out;
	}
	if (!stored) {
		im->st.skipped++;
		goto out;
	}
	sqlite3_reset(im->ins_adv);
	bind_text(im->ins_adv, 1, id);
	bind_text(im->ins_adv, 2, aliases);
	bind_text(im->ins_adv, 3, jstr(rec, "summary"));
	bind_text(im->ins_adv, 4, cvss);
	bind_text(im->ins_adv, 5, jstr(rec, "published"));
	bind_text(im->ins_adv, 6, jstr(rec, "modified"));
	if (sqlite3_step(im->ins_adv) != SQLITE_DONE) {
		/* A duplicate id across sources: the first one wins. */
		if (sqlite3_errcode(im->db) != SQLITE_CONSTRAINT) {
			r = sql_err(im->db, err, "cannot store an advisory");
			goto out;
		}
	}
	im->st.records++;
	im->st.affected += stored;
	if (im->opts && im->opts->progress && im->st.records % 1000 == 0)
		im->opts->progress(im->source, im->st.records, im->opts->userdata);
out:
	free(aliases);
	json_decref(rec);
	return r;
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

static int import_file(struct importer *im, const char *path, struct bw_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = bw_read_file(path, BW_MAX_OSV_RECORD_SIZE, &buf, &len, err);
	if (r < 0)
		return r;
	/* A file may hold one record or a JSON array of them. */
	if (len && buf[strspn(buf, " \t\r\n")] == '[') {
		json_error_t je;
		json_t *arr = json_loadb(buf, len, 0, &je), *rec;
		size_t i;

		if (!arr)
			return bw_error_set(err, -EINVAL, "`%s`: line %d: %s", path, je.line, je.text);
		json_array_foreach(arr, i, rec) {
			char *s = json_dumps(rec, JSON_COMPACT);

			r = s ? import_record(im, s, strlen(s), path, err) : -ENOMEM;
			free(s);
			if (r < 0)
				break;
		}
		json_decref(arr);
		return r;
	}
	return import_record(im, buf, len, path, err);
}

static int import_path(struct importer *im, const char *path, int depth, struct bw_error **err);

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
						     (S_ISREG(st.st_mode) && (bw_endswith(sub, ".json") ||
									      bw_endswith(sub, ".zip")))))
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
	    sqlite3_prepare_v2(im.db, "INSERT INTO advisory VALUES(?,?,?,?,?,?)", -1, &im.ins_adv, NULL) !=
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
	if (r < 0)
		goto out;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	{
		char *q = sqlite3_mprintf("INSERT INTO meta VALUES('built',%Q),('schema','1');", now);

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

int bw_vulndb_open(const char *db_path, struct bw_vulndb **ret, struct bw_error **err)
{
	struct bw_vulndb *v;
	struct stat st;
	int r;

	if (stat(db_path, &st) < 0)
		return bw_error_set(err, -errno, "no advisory database at `%s` (run `bulwark db import`)", db_path);
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (sqlite3_open_v2(db_path, &v->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(v->db,
			       "SELECT f.advisory, a.aliases, a.summary, a.cvss, f.urgency, f.ecosystem,"
			       " f.package, f.ranges, f.versions, a.published, a.modified"
			       " FROM affected f JOIN advisory a ON a.id = f.advisory"
			       " WHERE f.ecosystem = ? AND f.package = ?",
			       -1, &v->q, NULL) != SQLITE_OK) {
		r = bw_error_set(err, -EINVAL, "`%s` is not a bulwark advisory database: %s", db_path,
				 v->db ? sqlite3_errmsg(v->db) : "out of memory");
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
			.published = C(9), .modified = C(10),
#undef C
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

int bw_vulndb_info(const char *db_path, struct bw_vulndb_info *ret, struct bw_error **err)
{
	struct bw_vulndb_info info = { 0 };
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	struct stat st;
	int r = 0;

	if (stat(db_path, &st) < 0)
		return bw_error_set(err, -ENOENT, "no advisory database at `%s` (run `bulwark db import`)", db_path);
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM advisory), (SELECT value FROM meta WHERE key='built'),"
				   " (SELECT max(modified) FROM advisory)", -1, &q, NULL) != SQLITE_OK) {
		r = bw_error_set(err, -EINVAL, "`%s` is not a bulwark advisory database: %s", db_path,
				 db ? sqlite3_errmsg(db) : "out of memory");
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
