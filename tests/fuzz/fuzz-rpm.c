/* SPDX-License-Identifier: Apache-2.0 */
/* rpm databases and header blobs over hostile bytes: the first byte picks a
 * whole database (sqlite, Berkeley DB or NDB, told apart by content) or one
 * header blob, the rest is the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkg/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_pkg_list l = { 0 };
	struct bw_error *e = NULL;
	uint8_t *copy;

	if (size < 1)
		return 0;
	/* an exact-size copy, so reads past the end are caught */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1)
		rpm_header_blob("/fuzz", copy, size - 1, &l);
	else
		bw_pkg_parse("rpm", "/fuzz", (const char *)copy, size - 1, NULL, &l, &e);
	bw_error_free(e);
	bw_pkg_list_done(&l);
	free(copy);
	return 0;
}
