/* SPDX-License-Identifier: Apache-2.0 */
/* PEM keys and cosign's encrypted-key envelope (scrypt capped in limits.h,
 * so a hostile N cannot make one input cost seconds). */
#include <string.h>

#include "bulwark/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct bw_sign_key *k = NULL;
	struct bw_error *err = NULL;

	if (bw_sign_key_load_public((const char *)buf, len, &k, &err) == 0) {
		/* A loaded key checks a signature over the input itself. */
		bw_sign_verify_blob(k, buf, len, "MEUCIQ==", &err);
		k = bw_sign_key_free(k);
	}
	err = bw_error_free(err);
	/* A tiny-N scrypt: the envelope parser runs, the KDF stays cheap only
	 * when the input asks for little, which the caps bound. */
	if (bw_sign_key_load_private((const char *)buf, len, "pw", &k, &err) == 0)
		bw_sign_key_free(k);
	bw_error_free(err);
	return 0;
}
