/* SPDX-License-Identifier: Apache-2.0 */
/* cargo-auditable over hostile bytes: the stream probe fed in pieces whose
 * size the first two bytes pick (as a layer would deliver the binary), the
 * JSON it finds, and the whole-file reader (ELF section headers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkg/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_pkg_list l = { 0 };
	struct bw_error *e = NULL;
	struct rust_probe *rp;
	size_t chunk, n;
	char *copy, *js = NULL;
	size_t jn = 0;

	if (size < 2)
		return 0;
	chunk = 1 + (((size_t)data[0] << 8 | data[1]) % 70000);
	data += 2;
	n = size - 2;
	copy = malloc(n ? n : 1);
	rp = rust_probe_new();
	if (!copy || !rp)
		goto out;
	memcpy(copy, data, n);
	for (size_t off = 0; off < n; off += chunk)
		if (rust_probe_feed(rp, off, (const uint8_t *)copy + off, off + chunk > n ? n - off : chunk))
			break;
	if (rust_probe_finish(rp, &js, &jn)) {
		bw_pkg_parse("rust-binary", "/fuzz", js, jn, NULL, &l, &e);
		bw_error_free(e);
		e = NULL;
		bw_pkg_list_done(&l);
	}
	bw_pkg_parse("rust-binary", "/fuzz", copy, n, NULL, &l, &e);
out:
	bw_error_free(e);
	bw_pkg_list_done(&l);
	rust_probe_free(rp);
	free(js);
	free(copy);
	return 0;
}
