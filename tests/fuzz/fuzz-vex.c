/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenVEX reader and the matching of its statements against a finding:
 * the document, then PURL comparison of every product and subcomponent.
 */
#include <stdlib.h>

#include "bulwark/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char id[] = "CVE-2023-0001", aliases[] = "[\"GHSA-xxxx-yyyy-zzzz\"]",
		    purl[] = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl";
	const struct bw_finding f = { .id = id, .aliases = aliases, .purl = purl, .package = purl };
	const char *targets[] = { "pkg:oci/debian@sha256%3Aabc", "debian:12" };
	struct bw_vex *v = bw_vex_new();
	struct bw_error *err = NULL;

	if (!v)
		return 0;
	if (bw_vex_load(v, "fuzz.json", (const char *)data, size, &err) < 0)
		bw_error_free(err);
	bw_vex_suppresses(bw_vex_find(v, &f, targets, 2));
	bw_vex_free(v);
	return 0;
}
