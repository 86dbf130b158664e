/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP packet framing check run before gpg sees a signature. */
#include "bulwark/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct bw_error *err = NULL;

	(void)bw_pgp_check_message(buf, len, &err);
	bw_error_free(err);
	return 0;
}
