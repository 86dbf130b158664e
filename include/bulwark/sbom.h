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

/*
 * A package URL split into its parts (package-url spec): pkg:TYPE/NS/NAME
 * @VERSION?QUALIFIERS#SUBPATH. type is lowercased; ns (NULL when absent),
 * name and version (NULL when absent) are percent-decoded; quals is the raw
 * "k=v&k=v" text (NULL when absent). All point into buf, which the struct
 * owns (bw_purl_done frees it).
 */
struct bw_purl {
	char *buf;
	char *type, *ns, *name, *version, *quals;
};

/* -EINVAL when s is not a PURL (no "pkg:", no type or name), -ENOMEM. */
BW_API int bw_purl_parse(const char *s, struct bw_purl *ret);
BW_API void bw_purl_done(struct bw_purl *p);
/* The percent-decoded value of qualifier key, or NULL; caller frees. */
BW_API char *bw_purl_qualifier(const struct bw_purl *p, const char *key);

/* Caps for an SBOM document read from a file. */
#define BW_MAX_SBOM_SIZE (512u << 20)

/* True when data looks like a CycloneDX or SPDX JSON document (an object
 * naming bomFormat or spdxVersion near its start), not an image archive. */
BW_API bool bw_sbom_is_document(const char *data, size_t len);

/*
 * Reads the packages of a CycloneDX (1.x) or SPDX (2.x) JSON document, to
 * scan them as bw_pkg_scan_image's would be: type, name and version from
 * each PURL, arch, epoch, distro and upstream from its qualifiers, the
 * source package from CycloneDX properties (bulwark's, Trivy's) or SPDX
 * sourceInfo ("built package from: NAME VERSION"), the OS from an
 * operating-system component or package, else from a distro qualifier.
 * path names the document in messages. *ret_subject (may be NULL) gets
 * the PURL of what the document describes (or its name), or NULL; the
 * caller frees it. -EBADMSG with *err for what is neither; ret is then
 * untouched. A component whose purl does not parse is skipped with a
 * warning.
 */
BW_API int bw_sbom_read(const char *path, const char *data, size_t len, struct bw_pkg_result *ret,
			char **ret_subject, struct bw_error **err);

/*
 * The CycloneDX 1.6 document bw_sbom_write() writes, as a jansson tree
 * (json_t *) the caller owns (json_decref), for writers that add to it:
 * report/ adds the vulnerabilities. Package i of res has bom-ref
 * "pkg-<i+1>". NULL when out of memory.
 */
struct json_t;
BW_API struct json_t *bw_sbom_cyclonedx(const struct bw_image *img, const struct bw_pkg_result *res,
					const struct bw_sbom_opts *opts);

#endif
