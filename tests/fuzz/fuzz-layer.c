/* SPDX-License-Identifier: Apache-2.0 */
/* A layer blob: compression detection, gzip/zstd decoding and the tar
 * reader behind them. */
#include "image/internal.h"
#include "image/tar.h"

static int add(void *ud, const struct tar_entry *e, struct bw_error **err)
{
	(void)ud;
	(void)e;
	(void)err;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct tar_reader *t = tar_reader_new(add, NULL, NULL);
	struct layer_stream *ls = layer_stream_new(t, -1, true, false);
	struct bw_error *err = NULL;
	char raw[72], diff[72];
	size_t half = len / 2;
	int r;

	r = layer_stream_write(ls, buf, half, &err);
	if (r == 0)
		r = layer_stream_write(ls, buf + half, len - half, &err);
	if (r == 0)
		layer_stream_finish(ls, raw, diff, &err);
	bw_error_free(err);
	layer_stream_free(ls);
	tar_reader_free(t);
	return 0;
}
