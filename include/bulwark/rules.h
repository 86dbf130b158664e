/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_RULES_H
#define BULWARK_RULES_H

/*
 * rules: a Falco-compatible rule engine.
 *
 * A ruleset is filled from one or more YAML rule files written in Falco's
 * rule language (lists, macros, rules, exceptions, append and override,
 * required_engine_version), loaded in order so that later files override
 * earlier ones. bw_ruleset_compile() then resolves lists and macros and
 * compiles every enabled rule against the field table of its event source
 * into a tree of typed checks; lists become hash sets and rules are indexed
 * by the event types their conditions can match.
 *
 * A rule that names a field its source does not provide, or whose source is
 * not known, is not an error: it is kept with state BW_RULE_SKIPPED and the
 * reason, so a caller can name it. Every other problem (bad YAML, a missing
 * key, an undefined macro, a macro cycle, a condition that does not parse)
 * is recorded as a diagnostic with file, line and item name, and makes the
 * load or compile fail. A failed ruleset must be discarded; the caller keeps
 * using its previous one, which is never touched.
 *
 * Events are opaque to this module: an event source (see bulwark/runtime.h)
 * describes its fields in a struct bw_source and extracts values on demand.
 * A matcher binds a compiled ruleset to one source and evaluates events.
 * Neither rulesets nor matchers are thread-safe; a matcher per thread may
 * share one compiled ruleset, which is read-only after compilation.
 */

#include "bulwark/core.h"
#include "bulwark/limits.h" /* BW_MAX_RULES_*, BW_MAX_CONDITION_*, ... */

/* The Falco rule engine version we implement (required_engine_version). */
#define BW_RULES_ENGINE_VERSION "0.57.0"

/* ---------------------------------------------------------------- fields */

enum bw_field_type {
	BW_FT_STRING = 0,
	BW_FT_NUMBER,  /* integers of every width, times, ports */
	BW_FT_BOOL,    /* compared against true/false */
	BW_FT_IPADDR,  /* IPv4/IPv6 address, as text */
	BW_FT_IPNET,   /* an address compared against networks (CIDR) */
	BW_FT_DYNAMIC, /* number or string, decided by the extracted value */
};

enum {
	BW_FF_LIST = 1 << 0,	     /* extracts a list of values */
	BW_FF_ARG_INDEX = 1 << 1,    /* takes a numeric argument: f[2] */
	BW_FF_ARG_KEY = 1 << 2,	     /* takes a string argument: f[name] */
	BW_FF_ARG_REQUIRED = 1 << 3, /* the argument is mandatory */
	BW_FF_ARG_DOT = 1 << 4,	     /* the argument may also follow a dot: evt.arg.flags */
};

struct bw_field_info {
	const char *name;
	enum bw_field_type type;
	unsigned flags;
};

/*
 * One extracted value: its text form, the len bytes at s (not necessarily
 * followed by a NUL: a source may point into its input); when is_num, num
 * holds the value as a number. Values are owned by the event and valid
 * until the next event.
 */
struct bw_value {
	const char *s;
	uint32_t len;
	bool is_num;
	int64_t num;
};

/* What a compiled rule reads: a field of its source with its argument. */
struct bw_field_ref {
	uint32_t field; /* index into the source's field table */
	const char *arg; /* the argument as written, NULL when none */
	int64_t index;	/* the argument as a number when it is one, else -1 */
	uint32_t slot;	/* dense id of this (field, arg) pair within a matcher */
};

/*
 * An event source as the engine sees it. extract() stores a pointer to the
 * values of ref in *ret and returns how many there are (0: the field is not
 * available in this event). time_ns() gives the event's time.
 * index_field names the field rules are indexed by (e.g. "evt.type"), or
 * NULL when the source has a single event type.
 */
struct bw_source {
	const char *name;
	const struct bw_field_info *fields;
	size_t nfields;
	const char *index_field;
	size_t (*extract)(void *evt, const struct bw_field_ref *ref, const struct bw_value **ret);
	int64_t (*time_ns)(void *evt);
};

/* The syscall source's field table (Falco's documented fields). */
BW_API const struct bw_field_info *bw_syscall_fields(size_t *ret_n);

/* ---------------------------------------------------------------- rulesets */

struct bw_ruleset;

enum bw_priority {
	BW_PRIO_EMERGENCY = 0,
	BW_PRIO_ALERT,
	BW_PRIO_CRITICAL,
	BW_PRIO_ERROR,
	BW_PRIO_WARNING,
	BW_PRIO_NOTICE,
	BW_PRIO_INFORMATIONAL,
	BW_PRIO_DEBUG,
};

/* "Warning", "Informational", ... as Falco prints them. */
BW_API const char *bw_priority_name(enum bw_priority p);
/* Case-insensitive; accepts Falco's names and "info". -EINVAL when unknown. */
BW_API int bw_priority_parse(const char *s, enum bw_priority *ret);

enum bw_rule_state {
	BW_RULE_ACTIVE = 0, /* compiled, evaluated */
	BW_RULE_DISABLED,   /* enabled: false */
	BW_RULE_SKIPPED,    /* uses a field or source nothing provides: see skip_reason */
};

struct bw_rule_info {
	const char *name;
	const char *desc;
	const char *condition; /* as written, with appends */
	const char *output;
	const char *source;
	const char *const *tags;
	size_t ntags;
	enum bw_priority priority;
	enum bw_rule_state state;
	const char *skip_reason; /* for BW_RULE_SKIPPED */
	const char *file;
	unsigned line;
};

enum bw_diag_level { BW_DIAG_ERROR = 0, BW_DIAG_WARNING };

/* A problem found while loading or compiling: where, in which item, what. */
struct bw_diag {
	enum bw_diag_level level;
	const char *file;
	unsigned line, col; /* 1-based; 0 when unknown */
	const char *kind;   /* "rule", "macro", "list", ... or NULL */
	const char *name;   /* the item's name, or NULL */
	const char *msg;
};

BW_API struct bw_ruleset *bw_ruleset_new(void);
BW_API struct bw_ruleset *bw_ruleset_free(struct bw_ruleset *rs);
static inline void bw_ruleset_freep(struct bw_ruleset **rs)
{
	*rs = bw_ruleset_free(*rs);
}

/*
 * Adds the items of one rules document. name is used in diagnostics.
 * Returns 0, or -EINVAL when the content has errors (each one is a
 * diagnostic; err summarises them), -EFBIG over the size cap.
 */
BW_API int bw_ruleset_load_string(struct bw_ruleset *rs, const char *name, const char *data,
				  size_t len, struct bw_error **err);
/* Loads a file, or every regular file of a directory in name order, as
 * Falco's -r does. */
BW_API int bw_ruleset_load_path(struct bw_ruleset *rs, const char *path, struct bw_error **err);

/*
 * Resolves lists and macros and compiles every enabled rule whose source is
 * among sources. Returns 0, or -EINVAL when some condition has errors (as
 * diagnostics). Rules using unknown fields or sources are skipped, with a
 * warning diagnostic each.
 */
BW_API int bw_ruleset_compile(struct bw_ruleset *rs, const struct bw_source *const *sources,
			      size_t nsources, struct bw_error **err);

BW_API size_t bw_ruleset_diag_count(const struct bw_ruleset *rs);
BW_API const struct bw_diag *bw_ruleset_diag(const struct bw_ruleset *rs, size_t i);
/* Rules in definition order (after compile: their final state). */
BW_API size_t bw_ruleset_rule_count(const struct bw_ruleset *rs);
BW_API const struct bw_rule_info *bw_ruleset_rule(const struct bw_ruleset *rs, size_t i);
BW_API size_t bw_ruleset_count(const struct bw_ruleset *rs, const char *source,
			       enum bw_rule_state state);

/* ---------------------------------------------------------------- matching */

struct bw_matcher;

struct bw_matcher_opts {
	size_t sz; /* sizeof(struct bw_matcher_opts) */
	bool all_matches;	     /* every matching rule, not only the first (rule_matching: all) */
	enum bw_priority min_priority; /* rules less severe than this are not evaluated */
	bool no_gates; /* no early rejection by a rule's gate (to check the gates) */
};

/* Binds a compiled ruleset (which must outlive the matcher) to a source. */
BW_API int bw_matcher_new(const struct bw_ruleset *rs, const struct bw_source *src,
			  const struct bw_matcher_opts *opts, struct bw_matcher **ret,
			  struct bw_error **err);
BW_API struct bw_matcher *bw_matcher_free(struct bw_matcher *m);
static inline void bw_matcher_freep(struct bw_matcher **m)
{
	*m = bw_matcher_free(*m);
}

/* The field references the matcher's rules and outputs read, by slot. */
BW_API size_t bw_matcher_slot_count(const struct bw_matcher *m);
BW_API const struct bw_field_ref *bw_matcher_slot(const struct bw_matcher *m, size_t i);
/* Id of an event type name for bw_matcher_run() (-1: no rule names it). */
BW_API int bw_matcher_evtype(const struct bw_matcher *m, const char *name);
BW_API size_t bw_matcher_rule_count(const struct bw_matcher *m);
/* Whether some rule of the matcher can match events of this type (a rule
 * not restricted to types matches every type). Event sources use it to
 * skip, at the source, what no rule can match. */
BW_API bool bw_matcher_wants_evtype(const struct bw_matcher *m, const char *name);

typedef int (*bw_match_fn)(const struct bw_rule_info *rule, void *evt, void *userdata);

/*
 * Evaluates the rules that can match events of type evtype (-1: unknown
 * type, only rules not restricted to types run) against evt, in definition
 * order, calling fn for the first match (or every match). evtype must be
 * the id of evt's own index field value (bw_matcher_evtype()): checks on
 * that field are decided from it, once per type, without extracting it.
 * Returns the number of matches, or fn's negative return, which stops the
 * run.
 */
BW_API int bw_matcher_run(struct bw_matcher *m, void *evt, int evtype, bw_match_fn fn,
			  void *userdata);

/* "HH:MM:SS.nnnnnnnnn: Priority output" as Falco's text output (UTC). */
BW_API int bw_matcher_format_text(struct bw_matcher *m, const struct bw_rule_info *rule, void *evt,
				  struct bw_buf *out);
/* Falco's JSON alert: hostname, output, output_fields, priority, rule,
 * source, tags, time (RFC 3339, nanoseconds). */
BW_API int bw_matcher_format_json(struct bw_matcher *m, const struct bw_rule_info *rule, void *evt,
				  const char *hostname, struct bw_buf *out);

#endif
