/* SPDX-License-Identifier: Apache-2.0 */
/* Audit events: decoding, then every ka.* and jevt.* field extracted and a
 * small rule set evaluated with outputs formatted. The same bytes also go,
 * line by line, through the replay decoder (runtime/json.c is shared) into a
 * reused event evaluated by syscall rules. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"

static const char rules[] =
	"- rule: all\n"
	"  desc: d\n"
	"  condition: ka.verb exists or ka.user.name in (a, b) or ka.req.pod.containers.image "
	"intersects (x) or jevt.value[/a/0] = x or ka.uri.param[c] = d or "
	"ka.req.pod.containers.image.repository in (x) or ka.req.role.rules.verbs intersects "
	"(\"*\") or ka.req.volume.hostpath[/etc*] = true or ka.req.pod.volumes.volume_type "
	"intersects (hostPath) or ka.req.binding.subjects.serviceaccount_ns_names intersects (a) "
	"or ka.req.pod.containers.eff_run_as_user intersects (0) or "
	"ka.req.pod.containers.host_port intersects (1) or ka.response.code startswith 2\n"
	"  output: \"%ka.user.name %ka.req.pod.containers.image %jevt.obj %ka.req.role.rules "
	"%ka.req.binding.subjects %ka.req.pod.containers.add_capabilities %jevt.rawtime\"\n"
	"  priority: INFO\n"
	"  source: k8s_audit\n";

static const char srules[] =
	"- rule: s\n"
	"  desc: d\n"
	"  condition: evt.type in (open, execve) and (proc.name = a or proc.aname[2] = b or "
	"evt.arg.flags contains O_ or fd.sport > 10 or proc.aname in (x) or evt.arg[0] = z or "
	"fd.types intersects (file) or evt.is_open_read = true)\n"
	"  output: \"%proc.name %proc.aname %evt.time %evt.rawtime %evt.arg.flags %fd.types\"\n"
	"  priority: INFO\n";

static struct bw_ruleset *rs, *srs;
static struct bw_matcher *m, *sm;
static struct bw_replay_decoder *dec;
static struct bw_replay_event *sev;

static int on_match(const struct bw_rule_info *r, void *evt, void *ud)
{
	struct bw_buf b = BW_BUF_INIT(1 << 20);

	(void)ud;
	bw_matcher_format_json(m, r, evt, "h", &b);
	bw_buf_reset(&b);
	bw_matcher_format_text(m, r, evt, &b);
	bw_buf_done(&b);
	return 0;
}

static int on_smatch(const struct bw_rule_info *r, void *evt, void *ud)
{
	struct bw_buf b = BW_BUF_INIT(1 << 20);

	(void)ud;
	bw_matcher_format_json(sm, r, evt, "h", &b);
	bw_buf_done(&b);
	return 0;
}

static void replay_lines(const char *data, size_t size)
{
	const struct bw_source *src = bw_replay_source();

	if (!srs) {
		srs = bw_ruleset_new();
		if (bw_ruleset_load_string(srs, "s", srules, strlen(srules), NULL) < 0 ||
		    bw_ruleset_compile(srs, &src, 1, NULL) < 0 ||
		    bw_matcher_new(srs, src, NULL, &sm, NULL) < 0 ||
		    bw_replay_decoder_new(sm, &dec, NULL) < 0)
			__builtin_trap();
	}
	while (size) {
		const char *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;
		struct bw_error *err = NULL;
		if (bw_replay_decode_into(dec, data, n, &sev, &err) == 0)
			bw_matcher_run(sm, sev, bw_replay_event_type(sev), on_smatch, NULL);
		bw_error_free(err);
		data += n + (nl != NULL);
		size -= n + (nl != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct bw_source *src = bw_audit_source();
	struct bw_audit_batch *b = NULL;
	struct bw_error *err = NULL;

	if (!rs) {
		rs = bw_ruleset_new();
		if (bw_ruleset_load_string(rs, "r", rules, strlen(rules), NULL) < 0 ||
		    bw_ruleset_compile(rs, &src, 1, NULL) < 0 ||
		    bw_matcher_new(rs, src, NULL, &m, NULL) < 0)
			__builtin_trap();
	}
	if (bw_audit_decode((const char *)data, size, &b, &err) == 0) {
		for (size_t i = 0; i < bw_audit_batch_count(b); i++)
			bw_matcher_run(m, bw_audit_batch_event(b, i), -1, on_match, NULL);
		bw_audit_batch_free(b);
	}
	bw_error_free(err);
	replay_lines((const char *)data, size);
	return 0;
}
