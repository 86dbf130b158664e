/* SPDX-License-Identifier: Apache-2.0 */
/* The layer cache's record decoder over damaged bytes. Whatever decodes
 * must encode to bytes that decode again and encode the same (a record
 * read from the cache can be written back unchanged). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkg/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layer_rec rec, again;
	struct bw_buf b1 = BW_BUF_INIT(BW_MAX_CACHE_ENTRY), b2 = BW_BUF_INIT(BW_MAX_CACHE_ENTRY);

	if (layer_rec_decode(data, size, &rec) < 0)
		return 0;
	if (layer_rec_encode(&rec, &b1) == 0) {
		if (layer_rec_decode(b1.data, b1.len, &again) < 0)
			abort();
		if (layer_rec_encode(&again, &b2) < 0 || b1.len != b2.len || memcmp(b1.data, b2.data, b1.len))
			abort();
		layer_rec_done(&again);
	}
	bw_buf_done(&b1);
	bw_buf_done(&b2);
	layer_rec_done(&rec);
	return 0;
}
