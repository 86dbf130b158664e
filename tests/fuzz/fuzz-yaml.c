/* SPDX-License-Identifier: Apache-2.0 */
/* The YAML front end: parse, find objects, run every check on them. */
#include <stddef.h>
#include <stdint.h>

#include "bulwark/config.h"
#include "bulwark/rbac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_config_opts o = { .size = sizeof(o) };
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;

	if (bw_config_scan_new(&o, &s, &err) < 0)
		return 0;
	if (bw_config_scan_add_buffer(s, "fuzz.yaml", (const char *)data, size, &err) == 0 &&
	    bw_config_scan_run(s, &err) == 0) {
		struct bw_k8s_set set;
		bw_config_scan_k8s(s, &set);
		bw_rbac_check(&set, &err);
	}
	bw_error_free(err);
	bw_config_scan_free(s);
	return 0;
}
