/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CVSS vectors as advisories carry them: the input is one vector, scored as
 * v4.0 and as v3.x. A score is either refused with a message or lies in
 * 0.0..10.0; scoring the same vector twice gives the same score.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_error *err = NULL;
	char *v;
	int s = -1, s2 = -1, r;

	if (size > 1024)
		return 0;
	v = malloc(size + 1);
	if (!v)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	r = bw_cvss4_score(v, &s, &err);
	if (r == 0) {
		if (s < 0 || s > 100 || err)
			abort();
		if (bw_cvss4_score(v, &s2, NULL) != 0 || s2 != s)
			abort();
	} else if (r != -EINVAL || !err || !err->msg) {
		abort();
	}
	bw_error_free(err);
	if (bw_cvss3_score(v, &s) == 0 && (s < 0 || s > 100))
		abort();
	free(v);
	return 0;
}
