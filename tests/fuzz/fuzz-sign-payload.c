/* SPDX-License-Identifier: Apache-2.0 */
/* The simple-signing payload parser. */
#include "bulwark/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct bw_sign_payload p = { 0 };
	struct bw_error *err = NULL;

	if (bw_sign_payload_parse((const char *)buf, len, &p, &err) == 0)
		bw_sign_payload_done(&p);
	bw_error_free(err);
	return 0;
}
