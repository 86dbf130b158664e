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
#include "bulwark/rules.h"

/* Caps (move to limits.h with the next shared edit). */
/* One audit event or replay line (k8saudit's maxEventSize is 256 KiB). */
#define BW_MAX_AUDIT_EVENT_SIZE (4u << 20)
/* One webhook POST body (k8saudit's webhookMaxBatchSize: 12 MiB). */
#define BW_MAX_AUDIT_BATCH_SIZE (12u << 20)
#define BW_MAX_AUDIT_BATCH_EVENTS 100000u
#define BW_MAX_REPLAY_LINE (1u << 20)
/* Values one replay event may carry for one field (lists, ancestors). */
#define BW_MAX_REPLAY_VALUES 4096u

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
 * decoded body (a bad body gets HTTP 400 and is logged). Runs until fn
 * returns < 0 or *stop becomes true.
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
BW_API int bw_replay_event_type(const struct bw_replay_event *e);
BW_API struct bw_replay_event *bw_replay_event_free(struct bw_replay_event *e);

#endif
