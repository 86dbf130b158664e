/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry source: a client of the OCI Distribution API on libcurl.
 *
 * Every request is a GET below /v2/<repository>/, plus token requests to the
 * realm a registry names in its challenge. One struct registry per image
 * holds what those requests share: the scheme, the credentials, the
 * Authorization header and the TLS trust; mutexes guard the parts that
 * change. Manifests and configs go through one kept easy handle, so they
 * reuse a connection; each layer stream gets an easy handle of its own,
 * because layers stream in parallel from several threads.
 *
 * Layer bytes go to the caller from curl's write callback as they arrive:
 * nothing is held beyond curl's receive buffer and nothing touches the disk.
 * A transfer that drops resumes with a Range request from the first byte the
 * caller has not seen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bulwark/core.h"
#include "bulwark/limits.h"
#include "image/internal.h"

/* Waits before retries 1, 2 and 3 (and any later one). */
static const unsigned backoff_ms[] = { 200, 800, 2000 };

#define DEFAULT_TIMEOUT_SEC 60L
#define MAX_REDIRS 10L
/* curl's receive buffer for layer streams: fewer, larger callbacks. */
#define STREAM_BUFFER_SIZE (128L << 10)
/* How much of a registry's own error message we quote. */
#define MAX_REMOTE_MSG 300
/* Local files, not hostile input, but bounded all the same. curl refuses
 * blobs over 8 MB, which caps the CA bundle below that. */
#define MAX_AUTH_FILE_SIZE BW_MAX_AUTH_FILE_SIZE
#define MAX_CA_BUNDLE_SIZE BW_MAX_CA_BUNDLE_SIZE
/* A bearer token must fit in one request header. */
#define MAX_TOKEN_LEN (BW_MAX_HTTP_HEADER - 64)

#define NO_CREDS_HINT "no credentials found (docker login, or ~/.docker/config.json)"

static const char manifest_accept[] =
	"Accept: " MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_MANIFEST ", " MT_DOCKER_LIST;

/* jansson's own json_decrefp() accepts NULL. */
#define _cleanup_json_ _cleanup_(json_decrefp)

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void secret_freep(char **s)
{
	secret_free(*s);
}
#define _cleanup_secret_ _cleanup_(secret_freep)

static void slist_freep(struct curl_slist **l)
{
	curl_slist_free_all(*l);
}

static void easy_cleanupp(CURL **c)
{
	if (*c)
		curl_easy_cleanup(*c);
}

/* ---------------------------------------------------------------- state */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct registry {
	/* Fixed after registry_open(). */
	char *host;	  /* where requests go: registry-1.docker.io for docker.io */
	const char *name; /* img->ref.registry: messages, auth files, certs.d */
	const char *repo; /* img->ref.repository */
	char *own_name, *own_repo; /* registry_client_open(): copies name and repo point to */
	bool push;		   /* token scope asks for push too */
	long timeout;	  /* seconds without progress before a request fails */
	bool insecure;
	char *ca_file;	       /* CURLOPT_CAINFO (SSL_CERT_FILE), or NULL */
	struct bw_buf ca_blob; /* CURLOPT_CAINFO_BLOB when certs.d has CAs for us */
	CURLSH *share;	       /* DNS cache and TLS sessions, for every handle */
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	bool share_locks_init;

	pthread_mutex_t meta_lock; /* serialises use of meta */
	CURL *meta;

	/* One authentication at a time; held across the token request. */
	pthread_mutex_t auth_lock;
	bool creds_loaded;
	char *user, *pass;

	pthread_mutex_t lock; /* guards the fields below; never held across I/O */
	const char *scheme;   /* "https", or "http" after an insecure fallback */
	bool scheme_known;    /* a request got an HTTP answer with it */
	char *auth_header;    /* "Authorization: ..." for every request, or NULL */
	unsigned auth_gen;    /* bumped whenever auth_header changes */
};

static struct registry *registry_free(struct registry *reg)
{
	if (!reg)
		return NULL;
	if (reg->meta)
		curl_easy_cleanup(reg->meta);
	if (reg->share)
		curl_share_cleanup(reg->share);
	if (reg->share_locks_init) {
		for (size_t i = 0; i < BW_ARRAY_SIZE(reg->share_locks); i++)
			pthread_mutex_destroy(&reg->share_locks[i]);
		pthread_mutex_destroy(&reg->meta_lock);
		pthread_mutex_destroy(&reg->auth_lock);
		pthread_mutex_destroy(&reg->lock);
	}
	free(reg->host);
	free(reg->own_name);
	free(reg->own_repo);
	free(reg->ca_file);
	bw_buf_done(&reg->ca_blob);
	free(reg->user);
	secret_free(reg->pass);
	secret_free(reg->auth_header);
	free(reg);
	return NULL;
}

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct registry *reg = ud;

	(void)c;
	(void)access;
	if ((unsigned)data < BW_ARRAY_SIZE(reg->share_locks))
		pthread_mutex_lock(&reg->share_locks[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *ud)
{
	struct registry *reg = ud;

	(void)c;
	if ((unsigned)data < BW_ARRAY_SIZE(reg->share_locks))
		pthread_mutex_unlock(&reg->share_locks[data]);
}

/* ---------------------------------------------------------------- names */

/* Repository names as the Distribution spec allows them (and upper case,
 * which is harmless): they go into URLs unescaped. */
static bool repo_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '/' || s[n - 1] == '/' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-/", *s))
			return false;
	return true;
}

static bool tag_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static bool is_docker_hub(const char *host)
{
	return !strcasecmp(host, "docker.io") || !strcasecmp(host, "index.docker.io") ||
	       !strcasecmp(host, "registry-1.docker.io");
}

/* True when host carries an explicit port ("h:5000", "[::1]:5000"). */
static bool host_has_port(const char *host)
{
	const char *colon = strrchr(host, ':'), *bracket = strrchr(host, ']');

	return colon && (!bracket || colon > bracket);
}

/* ---------------------------------------------------------------- requests */

/* One logical request, across its retries, redirects and auth rounds. */
struct req {
	struct registry *reg;
	const char *what;		     /* "manifest `repo:tag`", for messages */
	const char *path;		     /* below /v2/<repo>/ */
	const char *url;		     /* a full URL instead (token requests) */
	const char *accept;		     /* an Accept header line, or NULL */
	bool auth;			     /* send reg's Authorization and answer 401s */
	const char *basic_user, *basic_pass; /* basic auth for a token request */

	/* Writes (push): a method other than GET, a body to send and its type. */
	const char *method;		     /* "HEAD", "POST", "PUT"; NULL = GET */
	const void *upload;
	size_t upload_len;
	const char *upload_type; /* a Content-Type header line */
	char location[4096];	 /* the Location header of the answer */

	/* Buffered body (manifests, configs, tokens). */
	struct bw_buf body;

	/* Streamed body (layers). */
	bool stream;
	blob_write_fn write;
	void *ud;
	int64_t expect_size; /* -1 when unknown */
	uint64_t delivered;  /* bytes handed to write() so far */
	int write_r;
	struct bw_error *write_err;

	int abort_r; /* why a callback stopped the transfer */
	char abort_msg[160];

	/* The response being received; reset at each status line, so that
	 * redirects and proxies' CONNECT answers each start afresh. */
	long status;
	uint64_t got;  /* 2xx body bytes in this attempt */
	uint64_t skip; /* bytes of a 200 that answered a range to drop */
	char content_type[256];
	char content_range[128];
	char challenge[BW_MAX_HTTP_HEADER];
	struct bw_buf errbody;
	char errbuf[CURL_ERROR_SIZE];
};

static void req_done(struct req *rq)
{
	bw_buf_done(&rq->body);
	bw_buf_done(&rq->errbody);
	rq->write_err = bw_error_free(rq->write_err);
}

static int req_error(struct req *rq, int code, struct bw_error **err, const char *fmt, ...)
	BW_PRINTF(4, 5);
static int req_error(struct req *rq, int code, struct bw_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return bw_error_set(err, code, "registry %s: %s: %s", rq->reg->name, rq->what,
			    msg ? msg : "out of memory");
}

/* Copies a header value, cut to size, with control bytes made '?': these
 * values end up in messages printed to terminals. */
static void copy_header_value(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) ? '?' : v[i];
	dst[n] = 0;
}

/* Runs once all headers of a response are in. Returns false to abort. */
static bool req_headers_end(struct req *rq)
{
	unsigned long long start;
	char *end;

	if (!rq->stream || rq->status < 200 || rq->status > 299)
		return true;
	if (rq->status == 206) {
		/* "bytes START-END/TOTAL": the part must begin where we stopped. */
		if (strncasecmp(rq->content_range, "bytes ", 6) != 0)
			goto bad_range;
		errno = 0;
		start = strtoull(rq->content_range + 6, &end, 10);
		if (errno || end == rq->content_range + 6 || *end != '-' || start != rq->delivered)
			goto bad_range;
		return true;
	}
	/* A 200 to a range request is the whole blob again. */
	rq->skip = rq->delivered;
	return true;

bad_range:
	rq->abort_r = -EPROTO;
	snprintf(rq->abort_msg, sizeof(rq->abort_msg),
		 "asked for bytes from %" PRIu64 " and got the range `%.80s`", rq->delivered,
		 rq->content_range);
	return false;
}

static size_t header_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct req *rq = ud;
	size_t len = size * nmemb, n = len, vlen;
	const char *colon, *v;

	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		const char *sp = memchr(p, ' ', n);

		rq->status = 0;
		if (sp && sp + 4 <= p + n && isdigit((unsigned char)sp[1]) &&
		    isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
			rq->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		rq->skip = 0;
		rq->content_type[0] = rq->content_range[0] = rq->challenge[0] = 0;
		rq->location[0] = 0;
		bw_buf_reset(&rq->errbody);
		return len;
	}
	if (n == 0)
		return req_headers_end(rq) ? len : 0;
	colon = memchr(p, ':', n);
	if (!colon)
		return len;
	v = colon + 1;
	while (v < p + n && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t)(p + n - v);
#define IS(name) \
	((size_t)(colon - p) == sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1))
	if (IS("content-type")) {
		copy_header_value(rq->content_type, sizeof(rq->content_type), v, vlen);
	} else if (IS("location")) {
		copy_header_value(rq->location, sizeof(rq->location), v, vlen);
	} else if (IS("content-range")) {
		copy_header_value(rq->content_range, sizeof(rq->content_range), v, vlen);
	} else if (IS("www-authenticate")) {
		/* Several challenges may come; prefer Bearer, never keep a
		 * truncated one (its realm could be cut short). */
		bool bearer = vlen >= 6 && !strncasecmp(v, "bearer", 6);

		if (vlen < sizeof(rq->challenge) &&
		    (!rq->challenge[0] || (bearer && strncasecmp(rq->challenge, "bearer", 6))))
			copy_header_value(rq->challenge, sizeof(rq->challenge), v, vlen);
	}
#undef IS
	return len;
}

static size_t body_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct req *rq = ud;
	size_t len = size * nmemb, n = len;
	int r;

	if (rq->status < 200 || rq->status > 299) {
		/* An error or redirect body: keep its start for the message. */
		size_t room = rq->errbody.cap - rq->errbody.len;

		(void)bw_buf_append(&rq->errbody, p, n < room ? n : room);
		return len;
	}
	rq->got += len;
	if (!rq->stream) {
		r = bw_buf_append(&rq->body, p, n);
		if (r < 0) {
			char cap[32];

			bw_human_size(rq->body.cap, cap);
			rq->abort_r = r == -E2BIG ? -EFBIG : r;
			if (r == -E2BIG)
				snprintf(rq->abort_msg, sizeof(rq->abort_msg), "larger than %s",
					 cap);
			else
				snprintf(rq->abort_msg, sizeof(rq->abort_msg), "out of memory");
			return 0;
		}
		return len;
	}
	if (rq->skip) {
		size_t s = rq->skip < n ? (size_t)rq->skip : n;

		p += s;
		n -= s;
		rq->skip -= s;
		if (!n)
			return len;
	}
	if (rq->expect_size >= 0 && rq->delivered + n > (uint64_t)rq->expect_size) {
		rq->abort_r = -EFBIG;
		snprintf(rq->abort_msg, sizeof(rq->abort_msg),
			 "more bytes than the %" PRId64 " the manifest declares", rq->expect_size);
		return 0;
	}
	r = rq->write(rq->ud, p, n, &rq->write_err);
	if (r < 0) {
		rq->write_r = r;
		return 0;
	}
	rq->delivered += n;
	return len;
}

/* Sets every option for one attempt on a reset handle. */
static int req_setup(struct req *rq, CURL *c, const char *url, struct curl_slist *hdrs,
		     const char *range, struct bw_error **err)
{
	struct registry *reg = rq->reg;
	CURLcode rc = CURLE_OK;

	curl_easy_reset(c);
#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* A write answers with a Location to go on with, not a redirect. */
	SET(CURLOPT_FOLLOWLOCATION, rq->method ? 0L : 1L);
	if (rq->method && !strcmp(rq->method, "HEAD")) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (rq->method) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->upload_len);
		SET(CURLOPT_POSTFIELDS, rq->upload ? rq->upload : "");
		SET(CURLOPT_CUSTOMREQUEST, rq->method);
	}
	SET(CURLOPT_MAXREDIRS, MAX_REDIRS);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_USERAGENT, "bulwark/" BW_VERSION);
	SET(CURLOPT_HTTPHEADER, hdrs);
	/* No overall cap: a big layer that keeps moving may take as long as it
	 * needs, but a connection, or any stretch of it, that stalls fails. */
	SET(CURLOPT_CONNECTTIMEOUT, reg->timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, reg->timeout);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, rq);
	SET(CURLOPT_WRITEFUNCTION, body_cb);
	SET(CURLOPT_WRITEDATA, rq);
	SET(CURLOPT_ERRORBUFFER, rq->errbuf);
	SET(CURLOPT_SHARE, reg->share);
	if (rq->stream)
		SET(CURLOPT_BUFFERSIZE, STREAM_BUFFER_SIZE);
	if (range)
		SET(CURLOPT_RANGE, range);
	if (rq->basic_user) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, rq->basic_user);
		SET(CURLOPT_PASSWORD, rq->basic_pass ? rq->basic_pass : "");
	}
	if (reg->insecure) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (reg->ca_blob.len) {
		struct curl_blob blob = {
			.data = reg->ca_blob.data,
			.len = reg->ca_blob.len,
			.flags = CURL_BLOB_NOCOPY,
		};
		SET(CURLOPT_CAINFO_BLOB, &blob);
	} else if (reg->ca_file) {
		SET(CURLOPT_CAINFO, reg->ca_file);
	}
#undef SET
	if (rc != CURLE_OK)
		return req_error(rq, rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL, err,
				 "cannot set up the request: %s", curl_easy_strerror(rc));
	return 0;
}

/* The registry's own explanation from an error body, as ": a; b", made
 * printable and short. Empty when there is none. Distribution bodies are
 * {"errors":[{"code":..,"message":..}]}; token servers use other keys. */
static void remote_message(const struct req *rq, char *out, size_t size)
{
	_cleanup_json_ json_t *j = NULL;
	struct bw_buf b = BW_BUF_INIT(MAX_REMOTE_MSG);
	json_t *errs, *e;
	size_t i, o = 0;

	out[0] = 0;
	if (!rq->errbody.len)
		return;
	j = json_loadb(rq->errbody.data, rq->errbody.len, 0, NULL);
	if (!json_is_object(j))
		return;
	errs = json_object_get(j, "errors");
	if (json_is_array(errs)) {
		json_array_foreach(errs, i, e) {
			const char *m = json_str(e, "message"), *code = json_str(e, "code");

			if (i >= 3)
				break;
			if (!m || !*m)
				m = code;
			if (m && *m)
				(void)bw_buf_printf(&b, "%s%s", b.len ? "; " : "", m);
		}
	} else {
		const char *keys[] = { "message", "error", "details" };

		for (i = 0; i < BW_ARRAY_SIZE(keys) && !b.len; i++) {
			const char *m = json_str(j, keys[i]);

			if (m && *m)
				(void)bw_buf_puts(&b, m);
		}
	}
	if (!b.len || size < 4) {
		bw_buf_done(&b);
		return;
	}
	out[o++] = ':';
	out[o++] = ' ';
	for (i = 0; i < b.len && o + 1 < size; i++) {
		unsigned char ch = (unsigned char)b.data[i];

		out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	out[o] = 0;
	bw_buf_done(&b);
}

static bool curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool curl_tls(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return true;
	default:
		return false;
	}
}

static int req_curl_error(struct req *rq, CURLcode rc, const char *url, struct bw_error **err)
{
	struct registry *reg = rq->reg;
	const char *why = rq->errbuf[0] ? rq->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return req_error(rq, -ETIMEDOUT, err,
				 "timed out: nothing received from `%s` for %ld s", url,
				 reg->timeout);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return req_error(rq, -EHOSTUNREACH, err, "cannot resolve the host of `%s`: %s", url,
				 why);
	case CURLE_COULDNT_CONNECT:
		return req_error(rq, -ECONNREFUSED, err, "cannot connect to `%s`: %s", url, why);
	case CURLE_PEER_FAILED_VERIFICATION:
		return req_error(rq, -EPROTO, err,
				 "cannot verify the TLS certificate of `%s`: %s (trust its CA in "
				 "/etc/containers/certs.d/%s/ca.crt or with SSL_CERT_FILE, or use "
				 "--insecure)",
				 url, why, reg->name);
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return req_error(rq, -EPROTO, err, "request to `%s` failed: %s", url, why);
	default:
		if (curl_tls(rc))
			return req_error(
				rq, -EPROTO, err, "TLS handshake with `%s` failed: %s%s", url, why,
				reg->insecure ? ""
					      : " (if the registry does not use TLS or its "
						"certificate is not trusted, use --insecure)");
		if (curl_transient(rc))
			return req_error(rq, -ECONNRESET, err, "connection to `%s` failed: %s", url,
					 why);
		return req_error(rq, -ECOMM, err, "request to `%s` failed: %s", url, why);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int reg_authenticate(struct req *rq, unsigned used_gen, unsigned rounds,
			    struct bw_error **err);

/*
 * Runs rq on c until it has a final answer: retries dropped connections,
 * 5xx and 429 (with backoff, resuming streams), falls back to plain HTTP
 * for an insecure registry that does not speak TLS, and answers 401s by
 * authenticating when rq->auth. Returns 0 with rq->status set to the final
 * HTTP status, which may be an error status the caller turns into a
 * message, or -errno with *err set.
 */
static int req_run(struct req *rq, CURL *c, struct bw_error **err)
{
	struct registry *reg = rq->reg;
	unsigned retries = 0, unauthorized = 0;

	for (;;) {
		_cleanup_free_ char *url = NULL;
		_cleanup_secret_ char *auth = NULL;
		_cleanup_(slist_freep) struct curl_slist *hdrs = NULL;
		char range[32], remote[MAX_REMOTE_MSG + 8], why[CURL_ERROR_SIZE + 64];
		const char *scheme = "https";
		bool scheme_known = true, has_range = false;
		unsigned gen = 0;
		CURLcode rc;
		long status = 0;
		int r, code;

		remote[0] = 0;

		if (rq->url && !rq->auth) {
			url = strdup(rq->url);
		} else {
			pthread_mutex_lock(&reg->lock);
			scheme = reg->scheme;
			scheme_known = reg->scheme_known;
			gen = reg->auth_gen;
			if (rq->auth && reg->auth_header)
				auth = strdup(reg->auth_header);
			pthread_mutex_unlock(&reg->lock);
			/* A full URL with auth is an upload location on the
			 * registry itself (registry_put_blob checked it). */
			if (rq->url)
				url = strdup(rq->url);
			else if (asprintf(&url, "%s://%s/v2/%s/%s", scheme, reg->host, reg->repo,
					  rq->path) < 0)
				url = NULL;
			if (rq->auth && gen && !auth)
				return bw_error_set(err, -ENOMEM, "out of memory");
		}
		if (!url)
			return bw_error_set(err, -ENOMEM, "out of memory");
		if (rq->accept && !(hdrs = curl_slist_append(hdrs, rq->accept)))
			return bw_error_set(err, -ENOMEM, "out of memory");
		if (rq->method) {
			struct curl_slist *l = curl_slist_append(hdrs, "Expect:");

			if (l && rq->upload_type)
				l = curl_slist_append(l, rq->upload_type);
			if (!l)
				return bw_error_set(err, -ENOMEM, "out of memory");
			hdrs = l;
		}
		if (auth) {
			struct curl_slist *l = curl_slist_append(hdrs, auth);

			if (!l)
				return bw_error_set(err, -ENOMEM, "out of memory");
			hdrs = l;
		}
		if (rq->stream && rq->delivered) {
			snprintf(range, sizeof(range), "%" PRIu64 "-", rq->delivered);
			has_range = true;
		}
		r = req_setup(rq, c, url, hdrs, has_range ? range : NULL, err);
		if (r < 0)
			return r;

		rq->status = 0;
		rq->got = 0;
		rq->skip = 0;
		rq->abort_r = 0;
		rq->errbuf[0] = 0;
		bw_buf_reset(&rq->body);
		bw_buf_reset(&rq->errbody);
		bw_log(BW_LOG_DEBUG, "registry %s: %s %s%s%s", reg->name,
		       rq->method ? rq->method : "GET", url,
		       has_range ? " range " : "", has_range ? range : "");
		rc = curl_easy_perform(c);

		if (rq->write_r < 0) {
			/* The consumer failed: its error is the answer, as is. */
			if (!rq->write_err)
				return req_error(rq, rq->write_r, err, "cannot take the data");
			if (err && !*err)
				*err = TAKE_PTR(rq->write_err);
			return rq->write_r;
		}
		if (rq->abort_r < 0)
			return req_error(rq, rq->abort_r, err, "%s", rq->abort_msg);

		if (rc == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			rq->status = status;
			bw_log(BW_LOG_DEBUG, "registry %s: %ld from %s (%" PRIu64 " bytes)",
			       reg->name, status, url, rq->got);
			if (!scheme_known) {
				pthread_mutex_lock(&reg->lock);
				reg->scheme_known = true;
				pthread_mutex_unlock(&reg->lock);
			}
			if (status == 401 && rq->auth) {
				r = reg_authenticate(rq, gen, ++unauthorized, err);
				if (r < 0)
					return r;
				continue;
			}
			unauthorized = 0;
			if (status != 429 && (status < 500 || status > 599))
				return 0;
			remote_message(rq, remote, sizeof(remote));
			if (status == 429)
				snprintf(why, sizeof(why), "too many requests (429)");
			else
				snprintf(why, sizeof(why), "server error %ld", status);
			code = -EREMOTEIO;
		} else {
			if (curl_tls(rc) && rc != CURLE_PEER_FAILED_VERIFICATION && reg->insecure &&
			    !scheme_known && !strcmp(scheme, "https")) {
				/* An insecure registry that does not speak TLS:
				 * use plain HTTP from now on, as docker does. */
				bw_log(BW_LOG_DEBUG, "registry %s: no TLS (%s), trying plain HTTP",
				       reg->name,
				       rq->errbuf[0] ? rq->errbuf : curl_easy_strerror(rc));
				pthread_mutex_lock(&reg->lock);
				if (!reg->scheme_known) {
					reg->scheme = "http";
					reg->scheme_known = true;
				}
				pthread_mutex_unlock(&reg->lock);
				continue;
			}
			if (rc == CURLE_COULDNT_CONNECT && reg->insecure && !scheme_known &&
			    !strcmp(scheme, "https") && !host_has_port(reg->host)) {
				/* Nothing on 443; port 80 may answer. */
				pthread_mutex_lock(&reg->lock);
				if (!reg->scheme_known)
					reg->scheme = "http";
				pthread_mutex_unlock(&reg->lock);
				continue;
			}
			/* A stall after progress is worth a resume; a server
			 * that never answers is not worth waiting on again. */
			if (!curl_transient(rc) &&
			    !(rc == CURLE_OPERATION_TIMEDOUT && rq->stream && rq->got > 0))
				return req_curl_error(rq, rc, url, err);
			if (rc == CURLE_OPERATION_TIMEDOUT)
				snprintf(why, sizeof(why), "timed out: nothing received for %ld s",
					 reg->timeout);
			else
				snprintf(why, sizeof(why), "connection lost: %s",
					 rq->errbuf[0] ? rq->errbuf : curl_easy_strerror(rc));
			code = rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNRESET;
		}

		if (retries >= BW_HTTP_RETRIES)
			return req_error(rq, code, err, "%s after %u retries%s", why, retries,
					 remote);
		{
			unsigned ms = backoff_ms[retries < BW_ARRAY_SIZE(backoff_ms)
							 ? retries
							 : BW_ARRAY_SIZE(backoff_ms) - 1];

			retries++;
			bw_log(BW_LOG_INFO, "registry %s: %s: %s%s%s, retrying in %u ms (%u/%u)",
			       reg->name, rq->what, why, remote,
			       rq->stream && rq->delivered ? ", resuming" : "", ms, retries,
			       BW_HTTP_RETRIES);
			sleep_ms(ms);
		}
	}
}

/* A final answer other than 2xx, as an error. */
static int req_status_error(struct req *rq, struct bw_error **err)
{
	char remote[MAX_REMOTE_MSG + 8];

	remote_message(rq, remote, sizeof(remote));
	switch (rq->status) {
	case 404:
		return req_error(rq, -ENOENT, err, "not found (404)%s", remote);
	case 403:
		return req_error(rq, -EACCES, err, "access denied (403)%s", remote);
	case 401:
		return req_error(rq, -EACCES, err, "authentication required (401)%s", remote);
	default:
		return req_error(rq, -EREMOTEIO, err, "unexpected answer %ld%s", rq->status,
				 remote);
	}
}

/* ---------------------------------------------------------------- auth */

/* Parses a challenge, `Scheme k=v, k="v", ...`, keeping realm and service.
 * -EBADMSG when it does not parse. */
static int parse_challenge(const char *s, char *scheme, size_t scheme_size, char *realm,
			   size_t realm_size, char *service, size_t service_size)
{
	const char *p = s;
	size_t n;

	realm[0] = service[0] = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t,");
	if (n == 0 || n >= scheme_size)
		return -EBADMSG;
	memcpy(scheme, p, n);
	scheme[n] = 0;
	p += n;
	for (;;) {
		char *dst = NULL;
		size_t dst_size = 0, o = 0;
		const char *key;
		size_t klen;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			return 0;
		key = p;
		klen = strcspn(p, "= \t,");
		p += klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=') {
			/* A token68 (Basic may carry one): nothing for us. */
			if (!*p || *p == ',')
				continue;
			return -EBADMSG;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (klen == 5 && !strncasecmp(key, "realm", 5)) {
			dst = realm;
			dst_size = realm_size;
		} else if (klen == 7 && !strncasecmp(key, "service", 7)) {
			dst = service;
			dst_size = service_size;
		}
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (dst && o + 1 < dst_size)
					dst[o++] = *p;
				else if (dst)
					return -EBADMSG;
			}
			if (*p != '"')
				return -EBADMSG;
			p++;
		} else {
			for (; *p && *p != ',' && *p != ' ' && *p != '\t'; p++) {
				if (dst && o + 1 < dst_size)
					dst[o++] = *p;
				else if (dst)
					return -EBADMSG;
			}
		}
		if (dst)
			dst[o] = 0;
	}
}

/* Loads the credentials once; the caller holds auth_lock. */
static int load_creds(struct registry *reg, struct bw_error **err)
{
	int r;

	if (reg->creds_loaded)
		return 0;
	r = registry_credentials(reg->name, &reg->user, &reg->pass, err);
	if (r < 0)
		return r;
	reg->creds_loaded = true;
	bw_log(BW_LOG_DEBUG, "registry %s: %s", reg->name,
	       reg->user ? "using credentials from an auth file" : "no credentials in auth files");
	return 0;
}

/*
 * The error for a registry that keeps refusing us; the caller holds
 * auth_lock. A token server that refuses our credentials has rejected them;
 * a registry that refuses a token we got with them may instead be saying the
 * repository does not exist (Docker Hub answers 401 for those).
 */
static int auth_refused(struct req *rq, bool token_server, struct bw_error **err)
{
	struct registry *reg = rq->reg;
	char remote[MAX_REMOTE_MSG + 8];

	if (!reg->user)
		return bw_error_set(err, -EACCES,
				    "registry %s: authentication required for `%s`: %s", reg->name,
				    reg->repo, NO_CREDS_HINT);
	if (token_server)
		return bw_error_set(err, -EACCES,
				    "registry %s: %s rejected the credentials of user `%s` (%ld)",
				    reg->name, rq->what, reg->user, rq->status);
	if (!strncasecmp(rq->challenge, "bearer", 6)) {
		remote_message(rq, remote, sizeof(remote));
		return bw_error_set(
			err, -EACCES,
			"registry %s: access to `%s` refused: the credentials of user `%s` "
			"were rejected or do not grant access to it (%ld)%s",
			reg->name, reg->repo, reg->user, rq->status, remote);
	}
	/* The registry's own words add nothing here ("authentication
	 * required"): ours say whose credentials. */
	return bw_error_set(
		err, -EACCES,
		"registry %s: access to `%s` refused: the credentials of user `%s` were "
		"rejected (%ld)",
		reg->name, reg->repo, reg->user, rq->status);
}

/* Asks a token server for a pull token for reg->repo. Caller holds
 * auth_lock. */
static int fetch_token(struct registry *reg, const char *realm, const char *service, char **ret,
		       struct bw_error **err)
{
	_cleanup_(easy_cleanupp) CURL *c = NULL;
	_cleanup_free_ char *what = NULL, *url = NULL, *scope = NULL;
	_cleanup_json_ json_t *j = NULL;
	char *esc_scope = NULL, *esc_service = NULL;
	struct req rq = {
		.reg = reg,
		.body = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.errbody = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.expect_size = -1,
	};
	const char *tok;
	int r;

	if (asprintf(&what, "token server `%s`", realm) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	rq.what = what;
	if (!bw_startswith(realm, "https://") && !bw_startswith(realm, "http://")) {
		r = req_error(&rq, -EPROTO, err, "not an http(s) URL");
		goto out;
	}
	if (reg->user && !reg->insecure && !bw_startswith(realm, "https://")) {
		r = req_error(
			&rq, -EPROTO, err,
			"refusing to send credentials over plain HTTP (use --insecure to allow)");
		goto out;
	}
	c = curl_easy_init();
	if (!c ||
	    asprintf(&scope, "repository:%s:%s", reg->repo, reg->push ? "pull,push" : "pull") < 0) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	esc_scope = curl_easy_escape(c, scope, 0);
	esc_service = service[0] ? curl_easy_escape(c, service, 0) : NULL;
	if (!esc_scope || (service[0] && !esc_service) ||
	    asprintf(&url, "%s%cscope=%s%s%s", realm, strchr(realm, '?') ? '&' : '?', esc_scope,
		     esc_service ? "&service=" : "", esc_service ? esc_service : "") < 0) {
		url = NULL;
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	rq.url = url;
	rq.basic_user = reg->user;
	rq.basic_pass = reg->pass;
	r = req_run(&rq, c, err);
	if (r < 0)
		goto out;
	if (rq.status == 401 || rq.status == 403) {
		r = auth_refused(&rq, true, err);
		goto out;
	}
	if (rq.status != 200) {
		r = req_status_error(&rq, err);
		goto out;
	}
	j = json_loadb(rq.body.data ? rq.body.data : "", rq.body.len, 0, NULL);
	tok = json_is_object(j) ? json_str(j, "token") : NULL;
	if (!tok || !*tok)
		tok = json_is_object(j) ? json_str(j, "access_token") : NULL;
	if (!tok || !*tok) {
		r = req_error(&rq, -EPROTO, err, "answer has no token");
		goto out;
	}
	if (strlen(tok) > MAX_TOKEN_LEN) {
		r = req_error(&rq, -EPROTO, err, "token longer than %d bytes", MAX_TOKEN_LEN);
		goto out;
	}
	for (const char *t = tok; *t; t++) {
		/* It goes into a header line: no spaces, no control bytes. */
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f) {
			r = req_error(&rq, -EPROTO, err,
				      "token has characters a header cannot hold");
			goto out;
		}
	}
	*ret = strdup(tok);
	r = *ret ? 0 : bw_error_set(err, -ENOMEM, "out of memory");
out:
	curl_free(esc_scope);
	curl_free(esc_service);
	if (rq.body.data)
		explicit_bzero(rq.body.data, rq.body.len);
	req_done(&rq);
	return r;
}

/*
 * Answers a 401 that rq got while sending the Authorization header of
 * generation used_gen. rounds counts the 401s in a row this request has had.
 * If another thread has changed the header since, a retry is all it takes;
 * otherwise the challenge is met (a token, or basic credentials). A second
 * 401 in a row to fresh authorization means we are refused.
 */
static int reg_authenticate(struct req *rq, unsigned used_gen, unsigned rounds,
			    struct bw_error **err)
{
	struct registry *reg = rq->reg;
	_cleanup_secret_ char *header = NULL, *token = NULL;
	char scheme[32], realm[BW_MAX_HTTP_HEADER], service[512];
	int r = 0;

	pthread_mutex_lock(&reg->auth_lock);
	pthread_mutex_lock(&reg->lock);
	if (reg->auth_gen != used_gen && rounds < 4) {
		pthread_mutex_unlock(&reg->lock);
		goto out;
	}
	pthread_mutex_unlock(&reg->lock);

	r = load_creds(reg, err);
	if (r < 0)
		goto out;
	if (rounds >= 2) {
		r = auth_refused(rq, false, err);
		goto out;
	}
	if (!rq->challenge[0]) {
		scheme[0] = 0;
	} else if (parse_challenge(rq->challenge, scheme, sizeof(scheme), realm, sizeof(realm),
				   service, sizeof(service)) < 0) {
		r = req_error(rq, -EPROTO, err,
			      "cannot parse the authentication challenge `%.200s`", rq->challenge);
		goto out;
	}
	bw_log(BW_LOG_DEBUG, "registry %s: 401, challenge `%s`", reg->name,
	       scheme[0] ? scheme : "(none)");

	if (!strcasecmp(scheme, "bearer")) {
		if (!realm[0]) {
			r = req_error(rq, -EPROTO, err, "bearer challenge without a realm");
			goto out;
		}
		r = fetch_token(reg, realm, service, &token, err);
		if (r < 0)
			goto out;
		if (asprintf(&header, "Authorization: Bearer %s", token) < 0)
			header = NULL;
	} else if (!scheme[0] || !strcasecmp(scheme, "basic")) {
		_cleanup_secret_ char *pair = NULL, *b64 = NULL;

		if (!reg->user) {
			r = auth_refused(rq, false, err);
			goto out;
		}
		if (asprintf(&pair, "%s:%s", reg->user, reg->pass ? reg->pass : "") < 0)
			pair = NULL;
		b64 = pair ? bw_base64_encode(pair, strlen(pair)) : NULL;
		if (b64 && asprintf(&header, "Authorization: Basic %s", b64) < 0)
			header = NULL;
	} else {
		r = req_error(rq, -EPROTO, err, "unsupported authentication scheme `%s`", scheme);
		goto out;
	}
	if (!header) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&reg->lock);
	secret_free(reg->auth_header);
	reg->auth_header = TAKE_PTR(header);
	reg->auth_gen++;
	pthread_mutex_unlock(&reg->lock);
out:
	pthread_mutex_unlock(&reg->auth_lock);
	return r;
}

/* ---------------------------------------------------------------- source ops */

/* A request on the shared metadata connection. */
static int run_meta(struct registry *reg, struct req *rq, struct bw_error **err)
{
	int r;

	pthread_mutex_lock(&reg->meta_lock);
	r = req_run(rq, reg->meta, err);
	/* Keeps the connection, drops the pointers into rq. */
	curl_easy_reset(reg->meta);
	pthread_mutex_unlock(&reg->meta_lock);
	return r;
}

/* As run_meta(); a non-2xx status is an error. */
static int meta_get(struct registry *reg, struct req *rq, struct bw_error **err)
{
	int r = run_meta(reg, rq, err);

	if (r >= 0 && (rq->status < 200 || rq->status > 299))
		r = req_status_error(rq, err);
	return r;
}

/* A request about a blob: names it for errors ("<verb>blob DIGEST") and
 * sets its path. *what and *path are the caller's to free. */
static int blob_req(struct registry *reg, struct req *rq, const char *verb, const char *digest, char **what,
		    char **path, struct bw_error **err)
{
	if (!bw_digest_valid(digest))
		return bw_error_set(err, -EINVAL, "registry %s: invalid blob digest `%s`", reg->name, digest);
	if (asprintf(what, "%sblob %s", verb, digest) < 0)
		*what = NULL;
	if (!*what || asprintf(path, "blobs/%s", digest) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	rq->what = *what;
	rq->path = *path;
	return 0;
}

/* Hands the response body to the caller. */
static int take_body(struct req *rq, char **ret, size_t *ret_len, struct bw_error **err)
{
	size_t len = rq->body.len;
	char *body = bw_buf_steal(&rq->body);

	if (!body)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret = body;
	*ret_len = len;
	return 0;
}

static int do_get_manifest(struct registry *reg, const char *tag_or_digest, char **ret,
			   size_t *ret_len, char **ret_media_type, struct bw_error **err)
{
	_cleanup_free_ char *what = NULL, *path = NULL, *mt = NULL;
	bool digest = bw_startswith(tag_or_digest, "sha256:");
	struct req rq = {
		.reg = reg,
		.accept = manifest_accept,
		.auth = true,
		.body = BW_BUF_INIT(BW_MAX_MANIFEST_SIZE > BW_MAX_INDEX_SIZE ? BW_MAX_MANIFEST_SIZE
									     : BW_MAX_INDEX_SIZE),
		.errbody = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.expect_size = -1,
	};
	int r;

	if (digest ? !bw_digest_valid(tag_or_digest) : !tag_valid(tag_or_digest))
		return bw_error_set(err, -EINVAL, "registry %s: invalid %s `%s`", reg->name,
				    digest ? "digest" : "tag", tag_or_digest);
	if (asprintf(&what, "manifest `%s%c%s`", reg->repo, digest ? '@' : ':', tag_or_digest) < 0)
		what = NULL;
	if (!what || asprintf(&path, "manifests/%s", tag_or_digest) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	rq.what = what;
	rq.path = path;

	r = meta_get(reg, &rq, err);
	if (r < 0)
		goto out;

	/* "type/subtype; params" -> "type/subtype". Generic types say nothing,
	 * and then the document's own mediaType decides. */
	rq.content_type[strcspn(rq.content_type, "; \t")] = 0;
	if (rq.content_type[0] && strcasecmp(rq.content_type, "application/json") &&
	    strcasecmp(rq.content_type, "text/plain") &&
	    strcasecmp(rq.content_type, "application/octet-stream")) {
		mt = strdup(rq.content_type);
		if (!mt) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	r = take_body(&rq, ret, ret_len, err);
	if (r < 0)
		goto out;
	*ret_media_type = TAKE_PTR(mt);
out:
	req_done(&rq);
	return r;
}

static int do_get_blob(struct registry *reg, const char *digest, size_t cap, char **ret,
		       size_t *ret_len, struct bw_error **err)
{
	_cleanup_free_ char *what = NULL, *path = NULL;
	struct req rq = {
		.reg = reg,
		.auth = true,
		.body = BW_BUF_INIT(cap),
		.errbody = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.expect_size = -1,
	};
	int r = blob_req(reg, &rq, "", digest, &what, &path, err);

	if (r < 0)
		return r;
	r = meta_get(reg, &rq, err);
	if (r < 0)
		goto out;
	r = take_body(&rq, ret, ret_len, err);
	if (r < 0)
		goto out;
out:
	req_done(&rq);
	return r;
}

static int reg_get_manifest(struct bw_image *img, const char *tag_or_digest, char **ret,
			    size_t *ret_len, char **ret_media_type, struct bw_error **err)
{
	return do_get_manifest(img->priv, tag_or_digest, ret, ret_len, ret_media_type, err);
}

static int reg_get_blob(struct bw_image *img, const char *digest, size_t cap, char **ret,
			size_t *ret_len, struct bw_error **err)
{
	return do_get_blob(img->priv, digest, cap, ret, ret_len, err);
}

static int reg_stream_blob(struct bw_image *img, const struct bw_layer_desc *layer,
			   blob_write_fn write, void *ud, struct bw_error **err)
{
	struct registry *reg = img->priv;
	_cleanup_free_ char *what = NULL, *path = NULL;
	_cleanup_(easy_cleanupp) CURL *c = NULL;
	struct req rq = {
		.reg = reg,
		.auth = true,
		.stream = true,
		.write = write,
		.ud = ud,
		.expect_size = layer->size,
		.errbody = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
	};
	int r;

	if (!layer->digest || !bw_digest_valid(layer->digest))
		return bw_error_set(err, -EINVAL, "registry %s: invalid blob digest `%s`",
				    reg->name, layer->digest ? layer->digest : "");
	if (asprintf(&what, "blob %s", layer->digest) < 0)
		what = NULL;
	if (!what || asprintf(&path, "blobs/%s", layer->digest) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	rq.what = what;
	rq.path = path;
	c = curl_easy_init();
	if (!c)
		return bw_error_set(err, -ENOMEM, "out of memory");

	r = req_run(&rq, c, err);
	if (r >= 0 && rq.status == 416 && rq.expect_size >= 0 &&
	    rq.delivered == (uint64_t)rq.expect_size && rq.delivered > 0)
		r = 0; /* the connection dropped after the last byte */
	else if (r >= 0 && (rq.status < 200 || rq.status > 299))
		r = req_status_error(&rq, err);
	req_done(&rq);
	return r;
}

static void reg_done(struct bw_image *img)
{
	img->priv = registry_free(img->priv);
}

static const struct source_ops registry_ops = {
	.get_manifest = reg_get_manifest,
	.get_blob = reg_get_blob,
	.stream_blob = reg_stream_blob,
	.done = reg_done,
};

/* ---------------------------------------------------------------- setup */

static int crt_filter(const struct dirent *d)
{
	return bw_endswith(d->d_name, ".crt") && d->d_name[0] != '.';
}

/* Appends every *.crt of dir (containers-certs.d(5)) to b. Returns how many. */
static int append_certs_dir(struct bw_buf *b, const char *dir, struct bw_error **err)
{
	struct dirent **list = NULL;
	int n, count = 0, r = 0;

	n = scandir(dir, &list, crt_filter, alphasort);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL, *data = NULL;
		_cleanup_error_ struct bw_error *e = NULL;
		size_t len;

		if (r < 0 || asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			path = NULL;
			r = r < 0 ? r : bw_error_set(err, -ENOMEM, "out of memory");
			free(list[i]);
			continue;
		}
		free(list[i]);
		if (bw_read_file(path, MAX_CA_BUNDLE_SIZE, &data, &len, &e) < 0) {
			bw_log(BW_LOG_WARN, "cannot read CA `%s`: %s, ignoring", path,
			       e && e->msg ? e->msg : "error");
			continue;
		}
		if (bw_buf_append(b, data, len) < 0 || bw_buf_puts(b, "\n") < 0) {
			r = bw_error_set(err, -EFBIG,
					 "CA certificates for the registry exceed %u bytes",
					 MAX_CA_BUNDLE_SIZE);
			continue;
		}
		bw_log(BW_LOG_DEBUG, "trusting CA certificates in `%s`", path);
		count++;
	}
	free(list);
	return r < 0 ? r : count;
}

/* Trust: curl's default store (or SSL_CERT_FILE), plus the CAs that
 * /etc/containers/certs.d/<host>/ or /etc/docker/certs.d/<host>/ hold. */
static int reg_setup_tls(struct registry *reg, struct bw_error **err)
{
	static const char *const roots[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
	const char *env = secure_getenv("SSL_CERT_FILE");
	struct bw_buf extra = BW_BUF_INIT(MAX_CA_BUNDLE_SIZE);
	int found = 0, r;

	if (reg->insecure)
		return 0;
	if (env && *env) {
		reg->ca_file = strdup(env);
		if (!reg->ca_file)
			return bw_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < BW_ARRAY_SIZE(roots); i++) {
		const char *hosts[] = { reg->name, reg->host };

		for (size_t h = 0; h < BW_ARRAY_SIZE(hosts); h++) {
			_cleanup_free_ char *dir = NULL;

			if (h > 0 && !strcmp(hosts[h], hosts[0]))
				continue;
			if (asprintf(&dir, "%s/%s", roots[i], hosts[h]) < 0) {
				bw_buf_done(&extra);
				return bw_error_set(err, -ENOMEM, "out of memory");
			}
			r = append_certs_dir(&extra, dir, err);
			if (r < 0) {
				bw_buf_done(&extra);
				return r;
			}
			found += r;
		}
	}
	if (!found) {
		bw_buf_done(&extra);
		return 0;
	}

	/* A CA blob replaces curl's CA file (not its CA path), so the base
	 * bundle goes in first. */
	{
		_cleanup_free_ char *base_data = NULL;
		_cleanup_error_ struct bw_error *e = NULL;
		const char *base = reg->ca_file;
		char *dflt = NULL;
		size_t len;
		CURL *c = NULL;

#if LIBCURL_VERSION_NUM >= 0x075400
		if (!base && (c = curl_easy_init()) &&
		    curl_easy_getinfo(c, CURLINFO_CAINFO, &dflt) == CURLE_OK && dflt)
			base = dflt;
#endif
		if (base && bw_read_file(base, MAX_CA_BUNDLE_SIZE, &base_data, &len, &e) == 0) {
			reg->ca_blob = BW_BUF_INIT(MAX_CA_BUNDLE_SIZE);
			r = bw_buf_append(&reg->ca_blob, base_data, len);
			if (r == 0)
				r = bw_buf_puts(&reg->ca_blob, "\n");
		} else {
			r = 0;
			reg->ca_blob = BW_BUF_INIT(MAX_CA_BUNDLE_SIZE);
		}
		if (c)
			curl_easy_cleanup(c);
		if (r == 0)
			r = bw_buf_append(&reg->ca_blob, extra.data, extra.len);
		bw_buf_done(&extra);
		if (r < 0)
			return bw_error_set(err, r == -E2BIG ? -EFBIG : r,
					    "CA certificates for registry %s exceed %u bytes",
					    reg->name, MAX_CA_BUNDLE_SIZE);
	}
	return 0;
}

static int reg_init(struct registry *reg, const struct bw_ref *ref, const struct bw_image_opts *o,
		    struct bw_error **err)
{
	int r;

	reg->name = ref->registry;
	reg->repo = ref->repository;
	reg->insecure = o->insecure;
	reg->timeout = o->timeout_sec ? (long)o->timeout_sec : DEFAULT_TIMEOUT_SEC;
	reg->scheme = "https";
	reg->host = strdup(is_docker_hub(reg->name) ? "registry-1.docker.io" : reg->name);
	if (!reg->host)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (o->username && *o->username) {
		reg->user = strdup(o->username);
		reg->pass = strdup(o->password ? o->password : "");
		if (!reg->user || !reg->pass)
			return bw_error_set(err, -ENOMEM, "out of memory");
		reg->creds_loaded = true;
	}

	for (size_t i = 0; i < BW_ARRAY_SIZE(reg->share_locks); i++)
		pthread_mutex_init(&reg->share_locks[i], NULL);
	pthread_mutex_init(&reg->meta_lock, NULL);
	pthread_mutex_init(&reg->auth_lock, NULL);
	pthread_mutex_init(&reg->lock, NULL);
	reg->share_locks_init = true;

	reg->share = curl_share_init();
	reg->meta = curl_easy_init();
	if (!reg->share || !reg->meta)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (curl_share_setopt(reg->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(reg->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(reg->share, CURLSHOPT_USERDATA, reg) != CURLSHE_OK ||
	    curl_share_setopt(reg->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(reg->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
		    CURLSHE_OK)
		return bw_error_set(err, -EINVAL, "cannot set up a libcurl share");

	r = reg_setup_tls(reg, err);
	if (r < 0)
		return r;
	bw_log(BW_LOG_DEBUG, "registry %s: endpoint %s, repository `%s`%s", reg->name, reg->host,
	       reg->repo, reg->insecure ? ", insecure" : "");
	return 0;
}

int registry_open(struct bw_image *img, struct bw_error **err)
{
	struct registry *reg;
	const char *what;
	int r;

	if (!img->ref.registry || !img->ref.repository)
		return bw_error_set(err, -EINVAL, "not a registry reference");
	if (!repo_valid(img->ref.repository))
		return bw_error_set(err, -EINVAL, "registry %s: invalid repository name `%s`",
				    img->ref.registry, img->ref.repository);
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK)
		return bw_error_set(err, -EIO, "cannot initialise libcurl: %s",
				    curl_easy_strerror(curl_init_result));

	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return bw_error_set(err, -ENOMEM, "out of memory");
	r = reg_init(reg, &img->ref, &img->opts, err);
	if (r < 0) {
		registry_free(reg);
		return r;
	}
	img->priv = reg;
	img->ops = &registry_ops;

	what = img->ref.digest ? img->ref.digest : img->ref.tag ? img->ref.tag : "latest";
	return image_resolve(img, what, -1, err);
}

/* ---------------------------------------------------------------- client */

/*
 * A registry client apart from an image, for sign/: it reads manifests by
 * tag (a missing tag is not an error the caller has to parse) and pushes
 * blobs and manifests. Uploads are monolithic: POST to open an upload
 * session, then one PUT of the whole blob to the Location the registry
 * names, with the digest as a query parameter.
 */
int registry_client_open(const struct bw_ref *ref, const struct bw_image_opts *opts, bool push,
			 struct registry **ret, struct bw_error **err)
{
	struct bw_image_opts dflt = { .sz = sizeof(dflt) };
	struct bw_ref names = { 0 };
	struct registry *reg;
	int r;

	if (ref->transport != BW_TRANSPORT_REGISTRY || !ref->registry || !ref->repository)
		return bw_error_set(err, -EINVAL, "not a registry reference");
	if (!repo_valid(ref->repository))
		return bw_error_set(err, -EINVAL, "registry %s: invalid repository name `%s`",
				    ref->registry, ref->repository);
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK)
		return bw_error_set(err, -EIO, "cannot initialise libcurl: %s",
				    curl_easy_strerror(curl_init_result));
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return bw_error_set(err, -ENOMEM, "out of memory");
	reg->own_name = strdup(ref->registry);
	reg->own_repo = strdup(ref->repository);
	if (!reg->own_name || !reg->own_repo) {
		registry_free(reg);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	names.registry = reg->own_name;
	names.repository = reg->own_repo;
	reg->push = push;
	r = reg_init(reg, &names, opts ? opts : &dflt, err);
	if (r < 0) {
		registry_free(reg);
		return r;
	}
	*ret = reg;
	return 0;
}

struct registry *registry_client_free(struct registry *reg)
{
	return registry_free(reg);
}

int registry_get_manifest(struct registry *reg, const char *tag_or_digest, char **ret,
			  size_t *ret_len, char **ret_media_type, struct bw_error **err)
{
	struct bw_error *e = NULL;
	int r = do_get_manifest(reg, tag_or_digest, ret, ret_len, ret_media_type, &e);

	if (r == -ENOENT) {
		bw_error_free(e);
		return -ENOENT;
	}
	if (r < 0) {
		if (err && !*err)
			*err = e;
		else
			bw_error_free(e);
	}
	return r;
}

int registry_get_blob(struct registry *reg, const char *digest, size_t cap, char **ret,
		      size_t *ret_len, struct bw_error **err)
{
	return do_get_blob(reg, digest, cap, ret, ret_len, err);
}

/* Runs a write request on the kept handle; 0 with rq->status set. */
/* The upload URL a Location header names, made absolute. Only locations on
 * the registry itself are followed: our credentials go with the PUT. */
static int upload_url(struct registry *reg, struct req *rq, const char *digest, char **ret,
		      struct bw_error **err)
{
	const char *loc = rq->location, *rest;
	const char *scheme;
	char *url = NULL;
	int n;

	pthread_mutex_lock(&reg->lock);
	scheme = reg->scheme;
	pthread_mutex_unlock(&reg->lock);
	if (!loc[0])
		return req_error(rq, -EPROTO, err, "the registry named no upload location");
	if (loc[0] == '/') {
		n = asprintf(&url, "%s://%s%s", scheme, reg->host, loc);
	} else {
		size_t hl = strlen(reg->host);

		if (bw_startswith(loc, "https://"))
			rest = loc + 8;
		else if (bw_startswith(loc, "http://"))
			rest = loc + 7;
		else
			return req_error(rq, -EPROTO, err, "bad upload location `%.200s`", loc);
		if (strncasecmp(rest, reg->host, hl) || rest[hl] != '/')
			return req_error(rq, -EPROTO, err,
					 "upload location `%.200s` is on another host", loc);
		n = asprintf(&url, "%s", loc);
	}
	if (n < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	{
		char *full = NULL;

		n = asprintf(&full, "%s%cdigest=%s", url, strchr(url, '?') ? '&' : '?', digest);
		free(url);
		if (n < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
		url = full;
	}
	*ret = url;
	return 0;
}

int registry_put_blob(struct registry *reg, const char *digest, const void *p, size_t n,
		      struct bw_error **err)
{
	_cleanup_free_ char *what = NULL, *path = NULL, *url = NULL;
	struct req rq = {
		.reg = reg,
		.auth = true,
		.body = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.errbody = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.expect_size = -1,
	};
	int r = blob_req(reg, &rq, "upload of ", digest, &what, &path, err);

	if (r < 0)
		return r;
	/* Already there: nothing to send. */
	rq.method = "HEAD";
	r = run_meta(reg, &rq, err);
	if (r < 0)
		goto out;
	if (rq.status == 200)
		goto out;

	rq.path = "blobs/uploads/";
	rq.method = "POST";
	r = run_meta(reg, &rq, err);
	if (r >= 0 && rq.status != 202)
		r = req_status_error(&rq, err);
	if (r < 0)
		goto out;
	r = upload_url(reg, &rq, digest, &url, err);
	if (r < 0)
		goto out;

	rq.path = NULL;
	rq.url = url;
	rq.method = "PUT";
	rq.upload = p;
	rq.upload_len = n;
	rq.upload_type = "Content-Type: application/octet-stream";
	r = run_meta(reg, &rq, err);
	if (r >= 0 && rq.status != 201 && rq.status != 204)
		r = req_status_error(&rq, err);
out:
	req_done(&rq);
	return r;
}

int registry_put_manifest(struct registry *reg, const char *tag, const char *media_type,
			  const void *p, size_t n, struct bw_error **err)
{
	_cleanup_free_ char *what = NULL, *path = NULL, *ct = NULL;
	struct req rq = {
		.reg = reg,
		.auth = true,
		.method = "PUT",
		.upload = p,
		.upload_len = n,
		.body = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.errbody = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY),
		.expect_size = -1,
	};
	int r;

	if (!tag_valid(tag) && !bw_digest_valid(tag))
		return bw_error_set(err, -EINVAL, "registry %s: invalid tag `%s`", reg->name, tag);
	if (asprintf(&what, "upload of manifest `%s:%s`", reg->repo, tag) < 0)
		what = NULL;
	if (!what || asprintf(&path, "manifests/%s", tag) < 0 ||
	    asprintf(&ct, "Content-Type: %s", media_type) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	rq.what = what;
	rq.path = path;
	rq.upload_type = ct;
	r = run_meta(reg, &rq, err);
	if (r >= 0 && rq.status != 201 && rq.status != 200 && rq.status != 204)
		r = req_status_error(&rq, err);
	req_done(&rq);
	return r;
}

/* ---------------------------------------------------------------- credentials */

/* Does an auth file key name host? Keys are "host[:port]", or URLs such
 * as "https://index.docker.io/v1/" (docker's own key for Docker Hub). Keys
 * with a namespace ("quay.io/org") scope credentials below the host, which
 * a host-wide lookup cannot honour, so they do not match. */
static bool auth_key_matches(const char *key, const char *host)
{
	const char *k = key;
	size_t n;
	char buf[256];

	if (bw_startswith(k, "https://"))
		k += 8;
	else if (bw_startswith(k, "http://"))
		k += 7;
	n = strcspn(k, "/");
	if (k == key && k[n] == '/' && k[n + 1])
		return false;
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, k, n);
	buf[n] = 0;
	if (!strcasecmp(buf, host))
		return true;
	return is_docker_hub(buf) && is_docker_hub(host);
}

/* Looks host up in one auth file. 1 when found (and *ret_* set), 0 when the
 * file or the entry is missing or unusable, -ENOMEM. */
static int creds_from_file(const char *path, const char *host, char **ret_user, char **ret_pass,
			   struct bw_error **err)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_secret_ char *decoded = NULL;
	_cleanup_error_ struct bw_error *e = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_error_t jerr;
	json_t *auths, *entry = NULL, *v, *hv;
	const char *key, *auth, *helper = NULL;
	size_t len, dlen;
	char *colon, *user, *pass;
	int r;

	r = bw_read_file(path, MAX_AUTH_FILE_SIZE, &data, &len, &e);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0) {
		bw_log(BW_LOG_WARN, "auth file `%s`: %s, ignoring", path,
		       e && e->msg ? e->msg : "cannot read it");
		return 0;
	}
	j = json_loadb(data, len, 0, &jerr);
	if (!j) {
		bw_log(BW_LOG_WARN, "auth file `%s`: line %d: %s, ignoring", path, jerr.line,
		       jerr.text);
		return 0;
	}
	if (!json_is_object(j)) {
		bw_log(BW_LOG_WARN, "auth file `%s`: not a JSON object, ignoring", path);
		return 0;
	}
	auths = json_object_get(j, "auths");
	if (json_is_object(auths)) {
		entry = json_object_get(auths, host);
		if (!json_is_object(entry)) {
			entry = NULL;
			json_object_foreach(auths, key, v) {
				if (json_is_object(v) && auth_key_matches(key, host)) {
					entry = v;
					break;
				}
			}
		}
	}

	v = json_object_get(j, "credHelpers");
	if (json_is_object(v)) {
		json_object_foreach(v, key, hv) {
			if (json_is_string(hv) && auth_key_matches(key, host)) {
				helper = json_string_value(hv);
				break;
			}
		}
	}
	if (!helper)
		helper = json_str(j, "credsStore");

	auth = entry ? json_str(entry, "auth") : NULL;
	if (!auth || !*auth) {
		const char *u = entry ? json_str(entry, "username") : NULL;
		const char *p = entry ? json_str(entry, "password") : NULL;

		if (u && *u && p) {
			*ret_user = strdup(u);
			*ret_pass = strdup(p);
			if (!*ret_user || !*ret_pass) {
				free(*ret_user);
				free(*ret_pass);
				*ret_user = *ret_pass = NULL;
				return bw_error_set(err, -ENOMEM, "out of memory");
			}
			return 1;
		}
		if (helper)
			bw_log(BW_LOG_DEBUG,
			       "auth file `%s`: credential helper `%s` for `%s` is not supported, "
			       "skipping",
			       path, helper, host);
		else if (entry && json_str(entry, "identitytoken"))
			bw_log(BW_LOG_DEBUG,
			       "auth file `%s`: identity tokens for `%s` are not supported, "
			       "skipping",
			       path, host);
		return 0;
	}
	if (bw_base64_decode(auth, strlen(auth), &decoded, &dlen) < 0 || strlen(decoded) != dlen ||
	    !(colon = strchr(decoded, ':')) || colon == decoded) {
		bw_log(BW_LOG_WARN,
		       "auth file `%s`: the `auth` entry for `%s` is not base64 of "
		       "user:password, ignoring",
		       path, host);
		return 0;
	}
	*colon = 0;
	user = strdup(decoded);
	pass = strdup(colon + 1);
	if (!user || !pass) {
		free(user);
		secret_free(pass);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	bw_log(BW_LOG_DEBUG, "auth file `%s`: credentials for `%s`", path, host);
	*ret_user = user;
	*ret_pass = pass;
	return 1;
}

int registry_credentials(const char *host, char **ret_user, char **ret_pass, struct bw_error **err)
{
	_cleanup_free_ char *xdg = NULL, *docker = NULL;
	const char *env, *home, *paths[3];
	size_t n = 0;

	env = secure_getenv("REGISTRY_AUTH_FILE");
	if (env && *env)
		paths[n++] = env;
	env = secure_getenv("XDG_RUNTIME_DIR");
	if (env && *env) {
		if (asprintf(&xdg, "%s/containers/auth.json", env) < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
		paths[n++] = xdg;
	}
	env = secure_getenv("DOCKER_CONFIG");
	home = secure_getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (env && *env) {
		if (asprintf(&docker, "%s/config.json", env) < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
		paths[n++] = docker;
	} else if (home && *home) {
		if (asprintf(&docker, "%s/.docker/config.json", home) < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
		paths[n++] = docker;
	}

	for (size_t i = 0; i < n; i++) {
		char *user = NULL, *pass = NULL;
		int r = creds_from_file(paths[i], host, &user, &pass, err);

		if (r < 0)
			return r;
		if (r > 0) {
			*ret_user = user;
			*ret_pass = pass;
			return 0;
		}
	}
	*ret_user = NULL;
	*ret_pass = NULL;
	return 0;
}
