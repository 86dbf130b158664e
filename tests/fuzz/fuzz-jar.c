/* SPDX-License-Identifier: Apache-2.0 */
/* Java archives (jar/war/ear, nested jars, MANIFEST.MF, pom.properties)
 * over hostile bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_pkg_list l = { 0 };
	struct bw_error *e = NULL;
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	bw_pkg_parse("java-archive", "/fuzz/app.jar", copy, size, NULL, &l, &e);
	bw_error_free(e);
	bw_pkg_list_done(&l);
	free(copy);
	return 0;
}
