/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SBOM reader on untrusted documents: CycloneDX and SPDX JSON, with
 * PURLs and their qualifiers, nested components and source-package facts.
 */
#include <stdlib.h>

#include "bulwark/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_pkg_result res = { 0 };
	struct bw_error *err = NULL;
	char *subject = NULL;

	bw_sbom_is_document((const char *)data, size);
	if (bw_sbom_read("fuzz.json", (const char *)data, size, &res, &subject, &err) < 0) {
		bw_error_free(err);
		return 0;
	}
	free(subject);
	bw_pkg_result_done(&res);
	return 0;
}
