/* SPDX-License-Identifier: Apache-2.0 */
/* Image reference strings (registry normalisation). */
#include <string.h>

#include "bulwark/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	char s[512];
	struct bw_ref ref;
	struct bw_error *err = NULL;

	if (len >= sizeof(s) || memchr(buf, 0, len))
		return 0;
	memcpy(s, buf, len);
	s[len] = 0;
	/* Only registry-looking input: paths would touch the file system. */
	if (strchr(s, ':') && (strncmp(s, "dir:", 4) == 0 || strncmp(s, "oci", 3) == 0 ||
			       strncmp(s, "docker-archive:", 15) == 0))
		return 0;
	if (s[0] == '/' || s[0] == '.')
		return 0;
	if (bw_ref_parse(s, &ref, &err) == 0)
		bw_ref_done(&ref);
	bw_error_free(err);
	return 0;
}
