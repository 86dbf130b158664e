/* SPDX-License-Identifier: Apache-2.0 */
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/internal.h"

/*
 * The per-layer cache: one SQLite file, DIR/layers.db, one row per (analyzer,
 * layer diff_id, layer blob digest). Keying by the blob digest as well as the
 * diff_id means an image whose config merely claims another layer's diff_id
 * cannot plant results for it: the blob digest is checked while the layer
 * streams. Each stored value starts with the sha256 of the rest, so a damaged
 * row reads as missing (with a warning) and is rewritten by the next scan.
 *
 * Concurrent scans share the file: WAL journal, a busy timeout, and writes in
 * short IMMEDIATE transactions.
 */

#define CACHE_FILE "layers.db"
#define CACHE_BUSY_MS 30000
#define SUM_LEN 71 /* "sha256:" and 64 hex digits */

struct bw_layer_cache {
	sqlite3 *db;
	char *path;
};

char *bw_layer_cache_default_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *p = NULL;

	if (xdg && *xdg)
		return asprintf(&p, "%s/bulwark", xdg) < 0 ? NULL : p;
	return asprintf(&p, "%s/.cache/bulwark", home && *home ? home : "/tmp") < 0 ? NULL : p;
}

/* Creates dir and its missing parents (0700: cache contents describe images). */
static int make_dirs(const char *dir)
{
	_cleanup_free_ char *d = strdup(dir);

	if (!d)
		return -ENOMEM;
	for (char *s = d + 1;; s++) {
		bool end = *s == 0;
		if (*s != '/' && !end)
			continue;
		*s = 0;
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return -errno;
		if (end)
			return 0;
		*s = '/';
	}
}

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS layers ("
	" analyzer TEXT NOT NULL, version TEXT NOT NULL, diff_id TEXT NOT NULL, digest TEXT NOT NULL,"
	" data BLOB NOT NULL, created INTEGER NOT NULL,"
	" PRIMARY KEY (analyzer, diff_id, digest)) WITHOUT ROWID;";

static bool corrupt(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

static int try_open(struct bw_layer_cache *c, int *ret_rc)
{
	int rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(c->db, CACHE_BUSY_MS);
		rc = sqlite3_exec(c->db, schema, NULL, NULL, NULL);
		/* A damaged file may open and answer the schema; ask it. */
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, "SELECT count(*) FROM layers", NULL, NULL, NULL);
	}
	*ret_rc = rc;
	return rc == SQLITE_OK ? 0 : -EIO;
}

static void remove_files(const char *path)
{
	char tmp[4096];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s-wal", path);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s-shm", path);
	unlink(tmp);
}

int bw_layer_cache_open(const char *dir, struct bw_layer_cache **ret, struct bw_error **err)
{
	struct bw_layer_cache *c = calloc(1, sizeof(*c));
	int r, rc;

	if (!c || asprintf(&c->path, "%s/" CACHE_FILE, dir) < 0) {
		free(c);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	r = make_dirs(dir);
	if (r < 0) {
		bw_error_set(err, r, "cannot create the cache folder `%s`: %s", dir, strerror(-r));
		return bw_layer_cache_free(c), r;
	}
	if (try_open(c, &rc) < 0 && corrupt(rc)) {
		bw_log(BW_LOG_WARN, "layer cache `%s` is damaged (%s), starting a new one", c->path,
		       sqlite3_errstr(rc));
		sqlite3_close(c->db);
		c->db = NULL;
		remove_files(c->path);
		try_open(c, &rc);
	}
	if (rc != SQLITE_OK) {
		bw_error_set(err, -EIO, "cannot open the layer cache `%s`: %s", c->path,
			     c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		return bw_layer_cache_free(c), -EIO;
	}
	*ret = c;
	return 0;
}

struct bw_layer_cache *bw_layer_cache_free(struct bw_layer_cache *c)
{
	if (c) {
		sqlite3_close(c->db);
		free(c->path);
		free(c);
	}
	return NULL;
}

const char *bw_layer_cache_path(const struct bw_layer_cache *c)
{
	return c->path;
}

int bw_layer_cache_get(struct bw_layer_cache *c, const char *analyzer, const char *version,
		       const struct bw_layer_desc *l, void **ret, size_t *ret_len, struct bw_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc, r = -ENOENT;

	if (!l->diff_id || !l->digest)
		return -ENOENT;
	rc = sqlite3_prepare_v2(c->db, "SELECT data FROM layers WHERE analyzer=?1 AND version=?2 AND diff_id=?3 AND digest=?4",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, analyzer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, l->diff_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, l->digest, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		const uint8_t *d = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char sum[72];
		void *copy;

		if (n < SUM_LEN || !d) {
			r = -EBADMSG;
		} else {
			bw_sha256_digest(d + SUM_LEN, n - SUM_LEN, sum);
			r = memcmp(sum, d, SUM_LEN) ? -EBADMSG : 0;
		}
		if (r == 0) {
			copy = malloc(n - SUM_LEN + 1);
			if (!copy) {
				sqlite3_finalize(st);
				return bw_error_set(err, -ENOMEM, "out of memory");
			}
			memcpy(copy, d + SUM_LEN, n - SUM_LEN);
			((char *)copy)[n - SUM_LEN] = 0;
			*ret = copy;
			*ret_len = n - SUM_LEN;
		} else {
			bw_log(BW_LOG_WARN, "layer cache `%s`: the entry of layer %s is damaged, ignoring", c->path,
			       l->digest);
			r = -ENOENT;
		}
	} else if (rc != SQLITE_DONE) {
		bw_log(BW_LOG_WARN, "layer cache `%s`: %s, ignoring", c->path, sqlite3_errmsg(c->db));
	}
	sqlite3_finalize(st);
	return r;
}

int bw_layer_cache_put(struct bw_layer_cache *c, const char *analyzer, const char *version,
		       const struct bw_layer_desc *l, const void *data, size_t len, struct bw_error **err)
{
	sqlite3_stmt *st = NULL;
	uint8_t *buf;
	int rc;

	if (!l->diff_id || !l->digest)
		return 0;
	if (len > INT32_MAX - SUM_LEN)
		return bw_error_set(err, -E2BIG, "layer cache: entry of %zu bytes is too large", len);
	buf = malloc(len + SUM_LEN);
	if (!buf)
		return bw_error_set(err, -ENOMEM, "out of memory");
	char sum[72];
	bw_sha256_digest(data, len, sum);
	memcpy(buf, sum, SUM_LEN);
	memcpy(buf + SUM_LEN, data, len);
	rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO layers VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
					&st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, analyzer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, l->diff_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, l->digest, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 5, buf, (int)(len + SUM_LEN), SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	free(buf);
	if (rc != SQLITE_OK) {
		int r = bw_error_set(err, -EIO, "layer cache `%s`: cannot store layer %s: %s", c->path, l->digest,
				     sqlite3_errmsg(c->db));
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

int bw_layer_cache_clean(const char *dir, bool *ret_removed, struct bw_error **err)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (asprintf(&path, "%s/" CACHE_FILE, dir) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret_removed = stat(path, &st) == 0;
	remove_files(path);
	if (stat(path, &st) == 0)
		return bw_error_set(err, -EIO, "cannot remove `%s`", path);
	return 0;
}
