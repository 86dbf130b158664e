/* SPDX-License-Identifier: Apache-2.0 */
/* Audit events: decoding, then every ka.* and jevt.* field extracted and a
 * small rule set evaluated with outputs formatted. */
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

static struct bw_ruleset *rs;
static struct bw_matcher *m;

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
	return 0;
}
