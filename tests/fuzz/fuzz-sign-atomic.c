/* SPDX-License-Identifier: Apache-2.0 */
/* The atomic (GPG simple signing) payload parser, and docker references
 * as signatures name them. */
#include <string.h>

#include "bulwark/sign.h"
#include "sign/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct bw_atomic_payload p = { 0 };
	struct bw_error *err = NULL;

	if (bw_atomic_payload_parse((const char *)buf, len, &p, &err) == 0) {
		(void)dref_matches(p.identity, "example.com/a/b:v1", GID_DIGEST_OR_EXACT);
		bw_atomic_payload_done(&p);
	}
	bw_error_free(err);
	return 0;
}
