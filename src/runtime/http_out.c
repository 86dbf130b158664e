/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP alert output, as Falco's http_output feeding Falcosidekick: each alert
 * (Falco's JSON alert) is POSTed as application/json by a worker thread, so
 * the rule engine never waits for the network. The queue is bounded: when it
 * is full the oldest alert is dropped and counted. A POST that fails (no
 * connection, timeout, HTTP 429 or 5xx) is retried with exponential backoff
 * up to `attempts` times; other 4xx answers are final failures.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "bulwark/runtime.h"

struct qitem {
	char *body;
	size_t len;
};

struct bw_http_output {
	struct bw_http_output_opts opts;
	char *url;
	struct qitem *q; /* ring of opts.queue_max */
	size_t head, n;
	bool busy; /* the worker holds an item */
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t more, idle, wake;
	pthread_t thread;
	bool started, curl_init;
	struct bw_http_stats stats;
	char last_error[256];
};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* 0: delivered; 1: retry; -1: failed for good. */
static int post(struct bw_http_output *h, CURL *c, const struct qitem *it, char *msg, size_t msglen)
{
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(msg, msglen, "%s: %s", h->url, curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return 0;
	snprintf(msg, msglen, "%s: HTTP %ld", h->url, status);
	return status == 429 || status >= 500 || status == 408 ? 1 : -1;
}

/* Sleeps up to ms unless stopped; returns false when stopping. */
static bool backoff(struct bw_http_output *h, unsigned ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->lock);
	if (!h->stop)
		pthread_cond_timedwait(&h->wake, &h->lock, &ts);
	stop = h->stop;
	pthread_mutex_unlock(&h->lock);
	return !stop;
}

static void *worker(void *arg)
{
	struct bw_http_output *h = arg;
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	char msg[256];

	if (c) {
		curl_easy_setopt(c, CURLOPT_URL, h->url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "bulwark");
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->opts.timeout_ms);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	}
	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->n && !h->stop)
			pthread_cond_wait(&h->more, &h->lock);
		if (!h->n || h->stop)
			break; /* stopping: what is left is dropped (flush first) */
		struct qitem it = h->q[h->head];
		h->head = (h->head + 1) % h->opts.queue_max;
		h->n--;
		h->busy = true;
		bool stopping = h->stop;
		pthread_mutex_unlock(&h->lock);

		int r = 1;
		unsigned delay = h->opts.retry_delay_ms;
		snprintf(msg, sizeof(msg), "%s: cannot initialise libcurl", h->url);
		for (unsigned attempt = 0; c && attempt < h->opts.attempts; attempt++) {
			if (attempt && (stopping || !backoff(h, delay)))
				break; /* when stopping, one attempt per alert */
			if (attempt && delay < 60000)
				delay *= 2;
			if ((r = post(h, c, &it, msg, sizeof(msg))) <= 0)
				break;
			pthread_mutex_lock(&h->lock);
			h->stats.retries += attempt + 1 < h->opts.attempts;
			stopping = h->stop;
			pthread_mutex_unlock(&h->lock);
		}
		free(it.body);

		pthread_mutex_lock(&h->lock);
		if (r == 0) {
			h->stats.sent++;
		} else {
			h->stats.failed++;
			snprintf(h->last_error, sizeof(h->last_error), "%s", msg);
		}
		h->busy = false;
		if (!h->n)
			pthread_cond_broadcast(&h->idle);
	}
	h->stats.dropped += h->n;
	h->busy = false;
	pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return NULL;
}

int bw_http_output_new(const char *url, const struct bw_http_output_opts *opts,
		       struct bw_http_output **ret, struct bw_error **err)
{
	struct bw_http_output *h;

	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return bw_error_set(err, -EINVAL, "HTTP output `%s`: not an http(s) URL",
				    url ? url : "");
	h = calloc(1, sizeof(*h));
	if (!h)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (opts)
		memcpy(&h->opts, opts, opts->sz < sizeof(h->opts) ? opts->sz : sizeof(h->opts));
	if (!h->opts.queue_max || h->opts.queue_max > BW_MAX_HTTP_QUEUE)
		h->opts.queue_max = BW_MAX_HTTP_QUEUE;
	if (!h->opts.attempts || h->opts.attempts > BW_MAX_HTTP_ATTEMPTS)
		h->opts.attempts = BW_MAX_HTTP_ATTEMPTS;
	if (!h->opts.timeout_ms || h->opts.timeout_ms > BW_MAX_HTTP_TIMEOUT_MS)
		h->opts.timeout_ms = BW_MAX_HTTP_TIMEOUT_MS;
	if (!h->opts.retry_delay_ms)
		h->opts.retry_delay_ms = 200;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h->curl_init = true;
	h->url = strdup(url);
	h->q = calloc(h->opts.queue_max, sizeof(*h->q));
	if (!h->url || !h->q) {
		bw_http_output_free(h);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->more, NULL);
	pthread_cond_init(&h->idle, NULL);
	pthread_cond_init(&h->wake, NULL);
	if (pthread_create(&h->thread, NULL, worker, h) != 0) {
		bw_http_output_free(h);
		return bw_error_set(err, -EAGAIN, "cannot start the HTTP output thread");
	}
	h->started = true;
	*ret = h;
	return 0;
}

int bw_http_output_push(struct bw_http_output *h, const char *body, size_t len)
{
	char *copy = malloc(len + 1);
	int dropped = 0;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, body, len);
	copy[len] = 0;
	pthread_mutex_lock(&h->lock);
	if (h->n == h->opts.queue_max) {
		/* full: the oldest alert gives way */
		free(h->q[h->head].body);
		h->head = (h->head + 1) % h->opts.queue_max;
		h->n--;
		h->stats.dropped++;
		dropped = 1;
	}
	h->q[(h->head + h->n) % h->opts.queue_max] = (struct qitem){ copy, len };
	h->n++;
	h->stats.queued++;
	pthread_cond_signal(&h->more);
	pthread_mutex_unlock(&h->lock);
	return dropped;
}

int bw_http_output_flush(struct bw_http_output *h, unsigned timeout_ms)
{
	struct timespec ts;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->lock);
	while ((h->n || h->busy) && r == 0)
		r = pthread_cond_timedwait(&h->idle, &h->lock, &ts);
	pthread_mutex_unlock(&h->lock);
	return r == 0 ? 0 : -ETIMEDOUT;
}

void bw_http_output_stats(struct bw_http_output *h, struct bw_http_stats *ret,
			  char *last_error, size_t last_error_size)
{
	pthread_mutex_lock(&h->lock);
	*ret = h->stats;
	if (last_error && last_error_size)
		snprintf(last_error, last_error_size, "%s", h->last_error);
	pthread_mutex_unlock(&h->lock);
}

struct bw_http_output *bw_http_output_free(struct bw_http_output *h)
{
	if (!h)
		return NULL;
	if (h->started) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_cond_broadcast(&h->more);
		pthread_cond_broadcast(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->thread, NULL);
	}
	if (h->q) {
		for (size_t i = 0; i < h->n; i++)
			free(h->q[(h->head + i) % h->opts.queue_max].body);
		free(h->q);
	}
	if (h->started) {
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->more);
		pthread_cond_destroy(&h->idle);
		pthread_cond_destroy(&h->wake);
	}
	if (h->curl_init)
		curl_global_cleanup();
	free(h->url);
	free(h);
	return NULL;
}
