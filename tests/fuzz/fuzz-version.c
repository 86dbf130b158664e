/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every version parser and comparator on untrusted strings. Input: two
 * strings separated by a NUL; both are compared in every scheme, and the
 * first is also read as an npm range and a PEP 440 specifier.
 */
#include <stdlib.h>
#include <string.h>

#include "bulwark/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *a, *b, *out = NULL;
	struct bw_error *err = NULL;
	char canon[BW_MAX_VERSION_LEN + 16];
	bool r;
	int c;

	if (size > 4096)
		return 0;
	buf = malloc(size + 2);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	a = buf;
	b = buf + strlen(buf) + 1;
	if (b > buf + size)
		b = buf + size;
	for (int s = 0; s < BW_VS_COUNT; s++) {
		bw_version_valid((enum bw_version_scheme)s, a);
		if (bw_version_compare((enum bw_version_scheme)s, a, b, &c, &err) < 0)
			err = bw_error_free(err);
	}
	bw_apk_fuzzy_match(a, b);
	bw_npm_range_satisfies(a, b, 0, &r);
	bw_npm_range_satisfies(a, b, BW_SEMVER_LOOSE | BW_SEMVER_INCLUDE_PRERELEASE, &r);
	bw_npm_range_outside(a, b, BW_SEMVER_LOOSE, '>', &r);
	bw_pep440_spec_contains(a, b, true, &r);
	if (bw_pep440_normalize(a, &out) == 0)
		free(out);
	bw_gover_canonical(a, canon, sizeof(canon));
	{
		const struct bw_osv_event ev[] = { { BW_OSV_INTRODUCED, a }, { BW_OSV_FIXED, b } };

		if (bw_osv_range_affects(BW_VS_DPKG, ev, 2, b, &r, &err) < 0)
			err = bw_error_free(err);
	}
	free(buf);
	return 0;
}
