/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/runtime.h"

/* Alert lines are bounded: an output with huge fields is truncated by the cap. */
#define ALERT_LINE_CAP (1u << 20)

struct bw_alerter {
	const struct bw_ruleset *rs;
	struct bw_matcher *m;
	struct bw_alerter_opts opts;
	char hostname[256];
	bw_alert_write_fn write;
	void *ud;
	struct bw_buf line;
	struct bw_buf json; /* for HTTP when lines are text */
	uint64_t events, alerts;
	uint64_t *hits; /* by rule index in the ruleset */
	size_t nrules;
	void *evt;
	int err;
};

static int on_match(const struct bw_rule_info *rule, void *evt, void *ud)
{
	struct bw_alerter *a = ud;
	int r;

	bw_buf_reset(&a->line);
	r = a->opts.json ? bw_matcher_format_json(a->m, rule, evt, a->hostname, &a->line)
			 : bw_matcher_format_text(a->m, rule, evt, &a->line);
	if (r < 0 && r != -E2BIG)
		return r;
	a->alerts++;
	for (size_t i = 0; i < a->nrules; i++) {
		if (bw_ruleset_rule(a->rs, i) == rule) {
			a->hits[i]++;
			break;
		}
	}
	if (a->opts.http) {
		if (!a->opts.json) {
			bw_buf_reset(&a->json);
			r = bw_matcher_format_json(a->m, rule, evt, a->hostname, &a->json);
		}
		const struct bw_buf *j = a->opts.json ? &a->line : &a->json;
		if ((r == 0 || r == -E2BIG) && j->len &&
		    bw_http_output_push(a->opts.http, j->data, j->len) == -ENOMEM)
			return -ENOMEM;
	}
	if (!a->write)
		return 0;
	return a->write(a->line.data ? a->line.data : "", a->line.len, a->ud);
}

int bw_alerter_new(const struct bw_ruleset *rs, const struct bw_source *src,
		   const struct bw_alerter_opts *opts, bw_alert_write_fn write, void *userdata,
		   struct bw_alerter **ret, struct bw_error **err)
{
	struct bw_alerter *a = calloc(1, sizeof(*a));
	struct bw_matcher_opts mo = { .sz = sizeof(mo), .min_priority = BW_PRIO_DEBUG };
	int r;

	if (!a)
		return bw_error_set(err, -ENOMEM, "out of memory");
	a->opts.min_priority = BW_PRIO_DEBUG;
	if (opts)
		memcpy(&a->opts, opts, opts->sz < sizeof(a->opts) ? opts->sz : sizeof(a->opts));
	mo.all_matches = a->opts.all_matches;
	mo.min_priority = a->opts.min_priority;
	if (a->opts.hostname)
		snprintf(a->hostname, sizeof(a->hostname), "%s", a->opts.hostname);
	else if (gethostname(a->hostname, sizeof(a->hostname) - 1) < 0)
		strcpy(a->hostname, "localhost");
	a->rs = rs;
	a->write = write;
	a->ud = userdata;
	a->line = BW_BUF_INIT(ALERT_LINE_CAP);
	a->json = BW_BUF_INIT(ALERT_LINE_CAP);
	a->nrules = bw_ruleset_rule_count(rs);
	a->hits = calloc(a->nrules + 1, sizeof(*a->hits));
	if (!a->hits) {
		bw_alerter_free(a);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	if ((r = bw_matcher_new(rs, src, &mo, &a->m, err)) < 0) {
		bw_alerter_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

struct bw_alerter *bw_alerter_free(struct bw_alerter *a)
{
	if (!a)
		return NULL;
	bw_matcher_free(a->m);
	bw_buf_done(&a->line);
	bw_buf_done(&a->json);
	free(a->hits);
	free(a);
	return NULL;
}

struct bw_matcher *bw_alerter_matcher(struct bw_alerter *a)
{
	return a->m;
}

int bw_alerter_run(struct bw_alerter *a, void *evt, int evtype)
{
	a->events++;
	return bw_matcher_run(a->m, evt, evtype, on_match, a);
}

uint64_t bw_alerter_events(const struct bw_alerter *a)
{
	return a->events;
}

uint64_t bw_alerter_alerts(const struct bw_alerter *a)
{
	return a->alerts;
}

bool bw_alerter_rule_hits(const struct bw_alerter *a, size_t i, const char **ret_name,
			  const char **ret_priority, uint64_t *ret_count)
{
	if (i >= a->nrules)
		return false;
	const struct bw_rule_info *ri = bw_ruleset_rule(a->rs, i);
	*ret_name = ri->name;
	*ret_priority = bw_priority_name(ri->priority);
	*ret_count = a->hits[i];
	return true;
}
