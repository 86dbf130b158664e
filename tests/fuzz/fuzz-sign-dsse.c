/* SPDX-License-Identifier: Apache-2.0 */
/* The DSSE envelope and in-toto statement parser. */
#include <stdlib.h>

#include "bulwark/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static const char digest[] =
		"sha256:6c6fd6a4115c6e998ff357cd914680931bb9a6c1a7cd5f5cb2f5e1c0932ab6ed";
	struct bw_error *err = NULL;
	char *st = NULL;

	if (bw_attest_check_subject((const char *)buf, len, digest, &st, &err) == 0)
		free(st);
	bw_error_free(err);
	return 0;
}
