/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SBOM writers on package facts as hostile catalogers may find them:
 * names, versions, licences and paths in any bytes (not UTF-8, licence
 * "expressions" that are not). Each input is fields split at '\n', five
 * per package (name, version, licence, PURL, location), the first field
 * the OS id. Every document written must be JSON whose SPDX packages keep
 * the fields SPDX 2.3 requires and whose licences are declared.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PKGS 16

static json_t *written(enum bw_sbom_format fmt, const struct bw_pkg_result *res)
{
	struct bw_sbom_opts o = { .sz = sizeof(o), .name = "fuzz", .timestamp = "2024-01-01T00:00:00Z" };
	struct bw_error *err = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *doc;

	if (!f)
		return NULL;
	if (bw_sbom_write(f, fmt, NULL, res, &o, &err) < 0)
		abort();
	fclose(f);
	doc = json_loadb(buf, len, 0, NULL);
	free(buf);
	if (!doc)
		abort();
	return doc;
}

static void check_spdx(json_t *doc)
{
	json_t *p, *e, *declared = json_object();
	size_t i, j;

	json_array_foreach(json_object_get(doc, "hasExtractedLicensingInfos"), i, e)
		json_object_set(declared, json_string_value(json_object_get(e, "licenseId")), json_true());
	json_array_foreach(json_object_get(doc, "packages"), i, p) {
		const char *lic = json_string_value(json_object_get(p, "licenseDeclared"));
		if (!json_is_string(json_object_get(p, "name")) || !json_is_string(json_object_get(p, "SPDXID")) ||
		    !json_is_string(json_object_get(p, "downloadLocation")))
			abort();
		if (!lic && !strncmp(json_string_value(json_object_get(p, "SPDXID")), "SPDXRef-Package-", 16))
			abort();
		if (lic && !strncmp(lic, "LicenseRef-", 11) && !json_object_get(declared, lic))
			abort();
		json_array_foreach(json_object_get(p, "externalRefs"), j, e)
			if (!json_is_string(json_object_get(e, "referenceLocator")))
				abort();
	}
	json_decref(declared);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *fields[1 + MAX_PKGS * 5] = { 0 };
	struct bw_pkg pkgs[MAX_PKGS];
	struct bw_pkg_result res = { 0 };
	size_t nf = 0;
	json_t *doc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	for (char *s = text, *nl; s && nf < sizeof(fields) / sizeof(*fields); s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		fields[nf++] = s;
	}
	res.os.id = fields[0];
	res.os.version_id = "1";
	memset(pkgs, 0, sizeof(pkgs));
	for (size_t i = 0; i < MAX_PKGS && 1 + i * 5 < nf; i++) {
		char **f = fields + 1 + i * 5;
		pkgs[i] = (struct bw_pkg){ .name = f[0], .version = f[1], .license = f[2], .purl = f[3],
					    .location = f[4], .epoch = -1, .layer = -1,
					    .type = i % 2 ? "deb" : "npm", .source_name = i % 2 ? f[0] : NULL };
		res.pkgs.n = i + 1;
	}
	res.pkgs.v = pkgs;
	doc = written(BW_SBOM_SPDX_JSON, &res);
	check_spdx(doc);
	json_decref(doc);
	json_decref(written(BW_SBOM_CYCLONEDX, &res));
	json_decref(written(BW_SBOM_JSON, &res));
	free(text);
	return 0;
}
