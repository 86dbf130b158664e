/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_RUNTIME_H
#define BULWARK_RUNTIME_H

/*
 * runtime: event sources for the rule engine (see bulwark/rules.h).
 *
 * - k8s_audit: Kubernetes audit events (audit.k8s.io/v1 and v1beta1 Event,
 *   or an EventList as the webhook backend POSTs them), with the ka.* fields
 *   of Falco's k8saudit plugin and the jevt.* / json.* fields of its json
 *   plugin, so that k8s_audit_rules.yaml runs unchanged.
 * - syscall replay: recorded system-call events, one JSON object per line
 *   with typed Falco fields (docs/replay-format.md), so the engine can be
 *   tested and benchmarked without a kernel.
 *
 * Both decode untrusted input with caps (below) and report errors with the
 * offending line. Events are opaque pointers for bw_matcher_run() and stay
 * valid until their batch is freed.
 */

#include "bulwark/core.h"
#include "bulwark/limits.h" /* BW_MAX_AUDIT_*, BW_MAX_REPLAY_*, BW_MAX_HTTP_* */
#include "bulwark/rules.h"

/* ---------------------------------------------------------------- k8s audit */

BW_API const struct bw_source *bw_audit_source(void);

/* One decoded JSON document: an Event or the items of an EventList. */
struct bw_audit_batch;

/*
 * Decodes one document (a log line or a webhook body of at most
 * BW_MAX_AUDIT_BATCH_SIZE bytes). Fails with -EINVAL and a message when it is
 * not JSON, not an audit Event/EventList ("data not recognized as a k8s
 * audit event") or of an unsupported apiVersion.
 */
BW_API int bw_audit_decode(const char *data, size_t len, struct bw_audit_batch **ret,
			   struct bw_error **err);
BW_API size_t bw_audit_batch_count(const struct bw_audit_batch *b);
BW_API void *bw_audit_batch_event(struct bw_audit_batch *b, size_t i);
BW_API struct bw_audit_batch *bw_audit_batch_free(struct bw_audit_batch *b);

/*
 * Serves the webhook backend: listens on addr ("HOST:PORT" or ":PORT"),
 * accepts POSTs of EventList/Event JSON and calls fn for every event of each
 * decoded body (a bad body gets HTTP 400 and is logged). Between requests,
 * when a wait of at most 500 ms ends without one (or a signal interrupts
 * it), fn is called with evt NULL, for the caller's housekeeping (such as
 * reloading rules). Runs until fn returns < 0 or *stop becomes true.
 */
typedef int (*bw_audit_event_fn)(void *evt, void *userdata);
BW_API int bw_audit_listen(const char *addr, bw_audit_event_fn fn, void *userdata,
			   volatile bool *stop, struct bw_error **err);

/* ---------------------------------------------------------------- alerts */

/*
 * Alert output: runs a matcher over events and renders each alert as one
 * line, Falco's text format or its JSON, handing the line (without newline)
 * to write(). Counts alerts per rule for a summary.
 */
struct bw_alerter;

struct bw_alerter_opts {
	size_t sz; /* sizeof(struct bw_alerter_opts) */
	bool json;
	bool all_matches;
	enum bw_priority min_priority;
	const char *hostname; /* for JSON; NULL: gethostname() */
	/* Also POST every alert, as Falco's JSON, there (not owned). */
	struct bw_http_output *http;
};

typedef int (*bw_alert_write_fn)(const char *line, size_t len, void *userdata);

BW_API int bw_alerter_new(const struct bw_ruleset *rs, const struct bw_source *src,
			  const struct bw_alerter_opts *opts, bw_alert_write_fn write,
			  void *userdata, struct bw_alerter **ret, struct bw_error **err);
BW_API struct bw_alerter *bw_alerter_free(struct bw_alerter *a);
BW_API struct bw_matcher *bw_alerter_matcher(struct bw_alerter *a);
/* Evaluates one event; returns the number of alerts or write()'s error. */
BW_API int bw_alerter_run(struct bw_alerter *a, void *evt, int evtype);
BW_API uint64_t bw_alerter_events(const struct bw_alerter *a);
BW_API uint64_t bw_alerter_alerts(const struct bw_alerter *a);
/* Alerts per rule, in rule order; returns false past the last rule. */
BW_API bool bw_alerter_rule_hits(const struct bw_alerter *a, size_t i, const char **ret_name,
				 const char **ret_priority, uint64_t *ret_count);

/* ---------------------------------------------------------------- HTTP output */

/*
 * Alerts POSTed to an HTTP endpoint (Falco's http_output; Falcosidekick
 * accepts Falco's JSON alert as the body) by a background thread. The queue
 * holds at most queue_max alerts (BW_MAX_HTTP_QUEUE); when full, the oldest
 * is dropped. A POST failing with a transport error, a timeout, HTTP 408,
 * 429 or 5xx is retried after retry_delay_ms, doubling, up to `attempts`
 * times in all; any other non-2xx answer is final. Thread-safe.
 */
struct bw_http_output;

struct bw_http_output_opts {
	size_t sz;		 /* sizeof(struct bw_http_output_opts) */
	size_t queue_max;	 /* 0: BW_MAX_HTTP_QUEUE (also the upper bound) */
	unsigned attempts;	 /* 0: BW_MAX_HTTP_ATTEMPTS (also the upper bound) */
	unsigned timeout_ms;	 /* per POST; 0: BW_MAX_HTTP_TIMEOUT_MS */
	unsigned retry_delay_ms; /* first backoff; 0: 200 */
};

struct bw_http_stats {
	uint64_t queued, sent, failed, dropped, retries;
};

/* url: http:// or https://. */
BW_API int bw_http_output_new(const char *url, const struct bw_http_output_opts *opts,
			      struct bw_http_output **ret, struct bw_error **err);
/* Queues a copy of body. Returns 0, 1 when an older alert was dropped to
 * make room, -ENOMEM. */
BW_API int bw_http_output_push(struct bw_http_output *h, const char *body, size_t len);
/* Waits until every queued alert is delivered or has failed: 0, or
 * -ETIMEDOUT after timeout_ms. */
BW_API int bw_http_output_flush(struct bw_http_output *h, unsigned timeout_ms);
/* Counters so far and the last failure's message ("" when none). */
BW_API void bw_http_output_stats(struct bw_http_output *h, struct bw_http_stats *ret,
				 char *last_error, size_t last_error_size);
/* Stops the thread; alerts still queued are dropped (flush first). */
BW_API struct bw_http_output *bw_http_output_free(struct bw_http_output *h);

/* ---------------------------------------------------------------- replay */

BW_API const struct bw_source *bw_replay_source(void);

/* Decodes replay lines into events laid out for one matcher's slots. */
struct bw_replay_decoder;
struct bw_replay_event;

BW_API int bw_replay_decoder_new(const struct bw_matcher *m, struct bw_replay_decoder **ret,
				 struct bw_error **err);
BW_API struct bw_replay_decoder *bw_replay_decoder_free(struct bw_replay_decoder *d);

/* Decodes one line (a JSON object). The event is owned by the caller. */
BW_API int bw_replay_decode(struct bw_replay_decoder *d, const char *line, size_t len,
			    struct bw_replay_event **ret, struct bw_error **err);
/*
 * The same, reusing an event: when *e is NULL a new event is allocated and
 * stored there on success; otherwise *e (from this decoder) is overwritten
 * in place, keeping its memory, so a stream decodes without allocating per
 * line. Values of the previous line become invalid. On failure a reused
 * event is left empty (no field available) and still owned by the caller.
 */
BW_API int bw_replay_decode_into(struct bw_replay_decoder *d, const char *line, size_t len,
				 struct bw_replay_event **e, struct bw_error **err);
BW_API int bw_replay_event_type(const struct bw_replay_event *e);

/*
 * Reads a replay stream from fd to its end, in blocks of a megabyte, and
 * decodes each line in place (no copy, no allocation per line) into one
 * event the decoder owns, which is valid only during fn. Empty lines and
 * lines starting with '#' are skipped. A line that is not a valid event,
 * or longer than BW_MAX_REPLAY_LINE bytes, goes to bad() with its 1-based
 * number and a message, and reading goes on (bad may be NULL). Returns 0 at
 * the end of input, the first negative return of fn or bad, or a negative
 * errno with err set when reading fails or memory runs out.
 */
typedef int (*bw_replay_event_fn)(struct bw_replay_event *e, void *userdata);
typedef int (*bw_replay_bad_fn)(uint64_t lineno, const char *msg, void *userdata);
BW_API int bw_replay_read_fd(struct bw_replay_decoder *d, int fd, bw_replay_event_fn fn,
			     bw_replay_bad_fn bad, void *userdata, struct bw_error **err);
BW_API struct bw_replay_event *bw_replay_event_free(struct bw_replay_event *e);

#endif
