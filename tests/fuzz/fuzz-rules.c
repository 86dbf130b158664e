/* SPDX-License-Identifier: Apache-2.0 */
/* Rule files: YAML loading, condition parsing and compilation. */
#include <stddef.h>
#include <stdint.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct bw_source *srcs[2] = { bw_replay_source(), bw_audit_source() };
	struct bw_ruleset *rs = bw_ruleset_new();
	struct bw_error *err = NULL;

	if (!rs)
		return 0;
	if (bw_ruleset_load_string(rs, "fuzz.yaml", (const char *)data, size, &err) == 0)
		bw_ruleset_compile(rs, srcs, 2, &err);
	bw_error_free(err);
	bw_ruleset_free(rs);
	return 0;
}
