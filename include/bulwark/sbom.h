/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_SBOM_H
#define BULWARK_SBOM_H

/*
 * sbom: software bills of materials from what pkg found in an image:
 * CycloneDX 1.6 JSON, SPDX 2.3 JSON, bulwark's own JSON and a table.
 * The image is the root (CycloneDX metadata.component, the SPDX document
 * DESCRIBES it); the OS is a component that depends on the OS packages;
 * language packages hang off the image.
 */

#include <stdio.h>

#include "bulwark/image.h"
#include "bulwark/pkg.h"

enum bw_sbom_format {
	BW_SBOM_TABLE = 0,
	BW_SBOM_JSON,
	BW_SBOM_CYCLONEDX,
	BW_SBOM_SPDX_JSON,
};

/* "table", "json", "cyclonedx" (or "cyclonedx-json"), "spdx-json" (or
 * "spdx"). -EINVAL for anything else. */
BW_API int bw_sbom_format_parse(const char *s, enum bw_sbom_format *ret);

struct bw_sbom_opts {
	size_t sz;		/* sizeof(struct bw_sbom_opts) */
	const char *name;	/* what was scanned, e.g. the reference as given */
	const char *timestamp;	/* RFC 3339; NULL = now (SOURCE_DATE_EPOCH when set) */
};

/* Writes the SBOM of res (from bw_pkg_scan_image on img; img may be NULL
 * for a plain directory) to f. Returns 0 or -errno with *err (-EIO when f
 * cannot be written). */
BW_API int bw_sbom_write(FILE *f, enum bw_sbom_format fmt, const struct bw_image *img,
			 const struct bw_pkg_result *res, const struct bw_sbom_opts *opts,
			 struct bw_error **err);

#endif
