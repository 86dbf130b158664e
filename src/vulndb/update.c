/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `db update`: download OSV's per-ecosystem all.zip files from a mirror into
 * a private folder beside the database, then build a fresh database from them
 * with bw_vulndb_import(), which renames it over the old one when complete.
 * Until that rename the old database is never touched, so a kill at any
 * moment leaves it usable; leftovers of a killed run are removed by the next.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulwark/version.h"
#include "bulwark/vulndb.h"
#include "vulndb/parse.h"

static const char *const default_ecosystems[] = { "Debian", "Alpine", "PyPI", "Go", "crates.io", "npm", "RubyGems" };

const char *const *bw_vulndb_update_ecosystems(size_t *ret_n)
{
	*ret_n = BW_ARRAY_SIZE(default_ecosystems);
	return default_ecosystems;
}

bool bw_vulndb_ecosystem_supported(const char *eco)
{
	enum bw_version_scheme s;

	return !strchr(eco, ':') && !strchr(eco, '/') && vdb_ecosystem_known(eco) &&
	       bw_version_scheme_for_ecosystem(eco, &s) == 0;
}

/* ---------------------------------------------------------------- leftovers */

/* Removes path and, when it is a folder, the files in it (one level). */
static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, "..")))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	rmdir(path);
}

/* Removes <db>.new-PID and <db>.update-PID of processes that no longer run
 * (killed imports and updates). */
static void remove_stale(const char *db_path)
{
	_cleanup_free_ char *dcopy = strdup(db_path), *bcopy = strdup(db_path);
	const char *dir, *base;
	struct dirent *e;
	size_t bn;
	DIR *d;

	if (!dcopy || !bcopy)
		return;
	dir = dirname(dcopy);
	base = basename(bcopy);
	bn = strlen(base);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *rest = e->d_name + bn, *num;
		char *end, *p = NULL;
		long pid;

		if (strncmp(e->d_name, base, bn))
			continue;
		if (bw_startswith(rest, ".new-"))
			num = rest + 5;
		else if (bw_startswith(rest, ".update-"))
			num = rest + 8;
		else
			continue;
		pid = strtol(num, &end, 10);
		if (end == num || *end || pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (asprintf(&p, "%s/%s", dir, e->d_name) >= 0) {
			remove_tree(p);
			free(p);
		}
	}
	closedir(d);
}

/* ---------------------------------------------------------------- download */

struct dl {
	const struct bw_vulndb_update_opts *opts;
	const char *eco;
	FILE *out;
	uint64_t got;
	EVP_MD_CTX *md5;
	char goog_md5[32]; /* base64 MD5 from x-goog-hash, or "" */
	bool too_big, write_failed;
	double last_progress;
};

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = size * n;
	const char *v;

	/* GCS (OSV's bucket) sends x-goog-hash: crc32c=...,md5=<base64>. */
	if (len > 12 && !strncasecmp(p, "x-goog-hash:", 12)) {
		char line[256];

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
		v = strstr(line, "md5=");
		if (v) {
			size_t k = strcspn(v + 4, ", \r\n");

			if (k < sizeof(d->goog_md5))
				snprintf(d->goog_md5, sizeof(d->goog_md5), "%.*s", (int)k, v + 4);
		}
	}
	return len;
}

static size_t body_cb(char *p, size_t size, size_t n, void *ud)
{
	struct dl *d = ud;
	size_t len = size * n;

	if (d->got + len > BW_MAX_DB_DOWNLOAD) {
		d->too_big = true;
		return 0;
	}
	if (fwrite(p, 1, len, d->out) != len) {
		d->write_failed = true;
		return 0;
	}
	EVP_DigestUpdate(d->md5, p, len);
	d->got += len;
	return len;
}

static int xfer_cb(void *ud, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct dl *d = ud;

	(void)ut, (void)un;
	if (d->opts->download_progress)
		d->opts->download_progress(d->eco, (uint64_t)now, (uint64_t)(total > 0 ? total : 0),
					   d->opts->userdata);
	return 0;
}

/* Maps a transfer failure to the errno the CLI turns into exit code 4. */
static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	default:
		return -ECOMM;
	}
}

static int download(const struct bw_vulndb_update_opts *opts, const char *url, const char *eco, const char *path,
		    struct bw_error **err)
{
	struct dl d = { .opts = opts, .eco = eco };
	char errbuf[CURL_ERROR_SIZE] = "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	long status = 0, timeout = opts->timeout > 0 ? opts->timeout : 60;
	CURLcode rc = CURLE_OK;
	CURL *c;
	int r = 0;

	d.out = fopen(path, "wxe");
	if (!d.out)
		return bw_error_set(err, -errno, "cannot create `%s`: %m", path);
	d.md5 = EVP_MD_CTX_new();
	c = curl_easy_init();
	if (!d.md5 || !c || !EVP_DigestInit_ex(d.md5, EVP_md5(), NULL)) {
		r = -ENOMEM;
		goto out;
	}
#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_USERAGENT, "bulwark/" BW_VERSION);
	/* A big zip may take as long as it needs while it moves; a stall fails. */
	SET(CURLOPT_CONNECTTIMEOUT, timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, timeout);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BW_MAX_DB_DOWNLOAD);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, &d);
	SET(CURLOPT_WRITEFUNCTION, body_cb);
	SET(CURLOPT_WRITEDATA, &d);
	SET(CURLOPT_XFERINFOFUNCTION, xfer_cb);
	SET(CURLOPT_XFERINFODATA, &d);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	if (rc != CURLE_OK) {
		r = bw_error_set(err, -EINVAL, "`%s`: cannot set up the request: %s", url, curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (d.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		r = bw_error_set(err, -EFBIG, "`%s` is larger than %llu bytes", url,
				 (unsigned long long)BW_MAX_DB_DOWNLOAD);
	} else if (d.write_failed) {
		r = bw_error_set(err, -EIO, "cannot write `%s`: %m", path);
	} else if (rc != CURLE_OK) {
		r = bw_error_set(err, curl_errno(rc), "cannot download `%s`: %s", url,
				 errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (status < 200 || status >= 300) {
		r = bw_error_set(err, -EREMOTEIO, "cannot download `%s`: the server answered HTTP %ld", url, status);
	} else if (fflush(d.out) != 0 || fsync(fileno(d.out)) != 0) {
		r = bw_error_set(err, -EIO, "cannot write `%s`: %m", path);
	} else if (d.goog_md5[0]) {
		_cleanup_free_ char *want = NULL;
		size_t want_len = 0;

		EVP_DigestFinal_ex(d.md5, md, &mdlen);
		if (bw_base64_decode(d.goog_md5, strlen(d.goog_md5), &want, &want_len) < 0 || want_len != mdlen ||
		    memcmp(want, md, mdlen))
			r = bw_error_set(err, -EBADMSG, "`%s`: the MD5 of the download does not match the server's "
						       "x-goog-hash (corrupted in transit)", url);
	}
out:
	if (d.out)
		fclose(d.out);
	EVP_MD_CTX_free(d.md5);
	if (c)
		curl_easy_cleanup(c);
	if (d.opts->download_progress && r == 0)
		d.opts->download_progress(eco, d.got, d.got, d.opts->userdata);
	return r;
}

/* ---------------------------------------------------------------- update */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int bw_vulndb_update(const char *db_path, const struct bw_vulndb_update_opts *opts, struct bw_vulndb_stats *ret_stats,
		     struct bw_error **err)
{
	static const struct bw_vulndb_update_opts defaults = { .sz = sizeof(defaults) };
	const char *const *ecos;
	const char *base;
	_cleanup_free_ char *dir = NULL, *lock = NULL;
	_cleanup_close_ int lockfd = -1;
	char **paths = NULL;
	size_t n = 0;
	int r = 0;

	if (!opts)
		opts = &defaults;
	base = opts->base_url && *opts->base_url ? opts->base_url : BW_VULNDB_DEFAULT_URL;
	ecos = opts->ecosystems;
	n = opts->n_ecosystems;
	if (!ecos || !n)
		ecos = bw_vulndb_update_ecosystems(&n);
	for (size_t i = 0; i < n; i++)
		if (!bw_vulndb_ecosystem_supported(ecos[i]))
			return bw_error_set(err, -EINVAL, "unknown or unsupported ecosystem `%s`", ecos[i]);
	if (!bw_startswith(base, "http://") && !bw_startswith(base, "https://"))
		return bw_error_set(err, -EINVAL, "`%s`: the repository must be an http:// or https:// URL", base);

	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK)
		return bw_error_set(err, -ENOMEM, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_result));

	/* One update at a time per database; a second one would only race. */
	{
		_cleanup_free_ char *d = strdup(db_path);

		if (!d)
			return -ENOMEM;
		for (char *p = d + 1; *p; p++)
			if (*p == '/') {
				*p = '\0';
				if (mkdir(d, 0755) < 0 && errno != EEXIST)
					return bw_error_set(err, -errno, "cannot create `%s`: %m", d);
				*p = '/';
			}
	}
	if (asprintf(&lock, "%s.lock", db_path) < 0 || asprintf(&dir, "%s.update-%d", db_path, (int)getpid()) < 0)
		return -ENOMEM;
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd < 0)
		return bw_error_set(err, -errno, "cannot create `%s`: %m", lock);
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0)
		return bw_error_set(err, -EBUSY, "another `bulwark db update` is running on `%s`", db_path);
	remove_stale(db_path);
	if (mkdir(dir, 0700) < 0)
		return bw_error_set(err, -errno, "cannot create `%s`: %m", dir);

	paths = calloc(n, sizeof(*paths));
	if (!paths) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *url = NULL;
		char *esc = curl_easy_escape(NULL, ecos[i], 0);
		size_t bl = strlen(base);

		if (!esc || asprintf(&url, "%.*s/%s/all.zip", (int)(base[bl - 1] == '/' ? bl - 1 : bl), base, esc) < 0 ||
		    asprintf(&paths[i], "%s/%s-all.zip", dir, ecos[i]) < 0) {
			curl_free(esc);
			r = -ENOMEM;
			break;
		}
		curl_free(esc);
		r = download(opts, url, ecos[i], paths[i], err);
	}
	if (r == 0) {
		struct bw_vulndb_import_opts io = { .sz = sizeof(io), .progress = opts->progress,
						    .userdata = opts->userdata };

		r = bw_vulndb_import(db_path, (const char *const *)paths, n, &io, ret_stats, err);
		if (r < 0)
			bw_error_wrap(err, "data from `%s` (old database kept)", base);
	}
out:
	if (paths)
		for (size_t i = 0; i < n; i++)
			free(paths[i]);
	free(paths);
	remove_tree(dir);
	return r;
}
