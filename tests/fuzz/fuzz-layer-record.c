/* SPDX-License-Identifier: Apache-2.0 */
/* The layer cache's record decoder over damaged bytes: whatever decodes
 * must encode back to the same bytes (the format has one spelling). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkg/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layer_rec rec;
	struct bw_buf b = BW_BUF_INIT(BW_MAX_CACHE_ENTRY);

	if (layer_rec_decode(data, size, &rec) < 0)
		return 0;
	if (layer_rec_encode(&rec, &b) == 0 && (b.len != size || memcmp(b.data, data, size)))
		abort();
	bw_buf_done(&b);
	layer_rec_done(&rec);
	return 0;
}
