/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming tar reader and the layer merge over arbitrary bytes, fed in
 * uneven pieces. */
#include "image/internal.h"
#include "image/tar.h"

static int add(void *ud, const struct tar_entry *e, struct bw_error **err)
{
	return layer_index_add(ud, e, err);
}

static int data(void *ud, const void *p, size_t n, struct bw_error **err)
{
	(void)ud;
	(void)p;
	(void)n;
	(void)err;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct layer_index *li = layer_index_new();
	struct tar_reader *t = tar_reader_new(add, data, li);
	struct bw_error *err = NULL;
	struct bw_fs *fs = fs_new();
	size_t off = 0, step = 1;
	int r = 0;

	while (off < len && r == 0) {
		size_t n = step < len - off ? step : len - off;
		r = tar_feed(t, buf + off, n, &err);
		off += n;
		step = step * 3 + 1;
	}
	if (r == 0)
		r = tar_finish(t, &err);
	if (r == 0)
		r = fs_apply_layer(fs, li, 0, true, &err);
	if (r == 0) {
		struct bw_file f;
		bw_fs_lookup(fs, "/a/b", true, &f, NULL);
	}
	bw_error_free(err);
	bw_fs_free(fs);
	tar_reader_free(t);
	layer_index_free(li);
	return 0;
}
