/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "image/internal.h"
#include "image/tar.h"
#include "tarbuild.h"

static size_t gzip(const void *in, size_t n, uint8_t *out, size_t cap)
{
	struct isal_zstream z;

	isal_deflate_init(&z);
	z.gzip_flag = IGZIP_GZIP;
	z.end_of_stream = 1;
	z.flush = NO_FLUSH;
	z.next_in = (uint8_t *)in;
	z.avail_in = (uint32_t)n;
	z.next_out = out;
	z.avail_out = (uint32_t)cap;
	z.level = 1;
	z.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	z.level_buf = malloc(z.level_buf_size);
	assert_int_equal(isal_deflate(&z), COMP_OK);
	assert_int_equal(z.internal_state.state, ZSTATE_END);
	free(z.level_buf);
	return z.total_out;
}

static int count_entry(void *ud, const struct tar_entry *e, struct bw_error **err)
{
	(void)e;
	(void)err;
	(*(int *)ud)++;
	return 0;
}

/* Pushes data through a layer stream in `chunk`-byte pieces. With stable
 * input the hasher reads the caller's buffers in place: each piece is a
 * fresh copy, released (and poisoned) only after layer_stream_release(). */
static int run_mode(const uint8_t *data, size_t n, size_t chunk, int64_t expected, bool stable, int *entries,
		    char raw[72], char diff[72], struct bw_error **err)
{
	struct tar_reader *t = tar_reader_new(count_entry, NULL, entries);
	struct layer_stream *ls = layer_stream_new(t, expected, true, stable);
	uint8_t *held = NULL;
	size_t held_len = 0;
	int r = 0;

	*entries = 0;
	for (size_t off = 0; off < n && r == 0; off += chunk) {
		size_t k = off + chunk > n ? n - off : chunk;
		uint8_t *piece = malloc(k);
		assert_non_null(piece);
		memcpy(piece, data + off, k);
		r = layer_stream_write(ls, piece, k, err);
		if (stable) {
			/* Keep one piece queued behind, like the mapped windows. */
			layer_stream_release(ls);
			if (held)
				memset(held, 0xa5, held_len);
			free(held);
			held = piece;
			held_len = k;
		} else {
			memset(piece, 0xa5, k);
			free(piece);
		}
	}
	if (r == 0)
		r = layer_stream_finish(ls, raw, diff, err);
	layer_stream_free(ls);
	free(held);
	tar_reader_free(t);
	return r;
}

static int run(const uint8_t *data, size_t n, size_t chunk, int64_t expected, int *entries, char raw[72],
	       char diff[72], struct bw_error **err)
{
	char raw2[72] = "", diff2[72] = "";
	int entries2 = 0;
	int r = run_mode(data, n, chunk, expected, false, entries, raw, diff, err);
	int r2 = run_mode(data, n, chunk, expected, true, &entries2, raw2, diff2, NULL);

	assert_int_equal(r, r2);
	if (r == 0) {
		assert_int_equal(*entries, entries2);
		assert_string_equal(raw, raw2);
		assert_string_equal(diff, diff2);
	}
	return r;
}

static struct tb sample(void)
{
	struct tb t;
	char name[32], content[200];

	tb_init(&t);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		memset(content, 'a' + i % 26, sizeof(content) - 1);
		content[sizeof(content) - 1] = 0;
		tb_file(&t, name, content);
	}
	tb_end(&t);
	return t;
}

static void test_gzip(void **state)
{
	struct tb t = sample();
	size_t cap = t.b.len * 2 + 1024, n1, n2;
	uint8_t *gz = malloc(cap * 2);
	struct bw_error *err = NULL;
	char raw[72], diff[72], want_diff[72], want_raw[72];
	int entries;
	(void)state;

	n1 = gzip(t.b.data, t.b.len, gz, cap);
	bw_sha256_digest(t.b.data, t.b.len, want_diff);
	bw_sha256_digest(gz, n1, want_raw);
	size_t chunks[] = { 1, 3, 100, 4096, 1 << 20 };
	for (size_t c = 0; c < BW_ARRAY_SIZE(chunks); c++) {
		assert_int_equal(run(gz, n1, chunks[c], (int64_t)n1, &entries, raw, diff, &err), 0);
		assert_int_equal(entries, 50);
		assert_string_equal(diff, want_diff);
		assert_string_equal(raw, want_raw);
	}

	/* Size lies: one byte fewer declared than there are. */
	assert_int_equal(run(gz, n1, 4096, (int64_t)n1 - 1, &entries, raw, diff, &err), -EFBIG);
	err = bw_error_free(err);
	assert_int_equal(run(gz, n1, 4096, (int64_t)n1 + 1, &entries, raw, diff, &err), -EPIPE);
	assert_non_null(strstr(err->msg, "declares"));
	err = bw_error_free(err);

	/* Truncated. */
	assert_int_equal(run(gz, n1 / 2, 4096, -1, &entries, raw, diff, &err), -EPIPE);
	assert_non_null(strstr(err->msg, "truncated gzip"));
	err = bw_error_free(err);

	/* Corrupt: flip a byte in the middle of the deflate data. */
	gz[n1 / 2] ^= 0x55;
	assert_true(run(gz, n1, 4096, -1, &entries, raw, diff, &err) < 0);
	assert_non_null(err);
	err = bw_error_free(err);
	gz[n1 / 2] ^= 0x55;

	/* Two members (as pigz and some tools write) plus zero padding. */
	size_t half = 512 * 20;
	n1 = gzip(t.b.data, half, gz, cap);
	n2 = gzip(t.b.data + half, t.b.len - half, gz + n1, cap);
	memset(gz + n1 + n2, 0, 16);
	assert_int_equal(run(gz, n1 + n2 + 16, 777, -1, &entries, raw, diff, &err), 0);
	assert_int_equal(entries, 50);
	assert_string_equal(diff, want_diff);
	/* Garbage after the end. */
	memcpy(gz + n1 + n2, "GARBAGE", 7);
	assert_int_equal(run(gz, n1 + n2 + 7, 777, -1, &entries, raw, diff, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "garbage"));
	err = bw_error_free(err);
	free(gz);
	bw_buf_done(&t.b);
}

static void test_zstd(void **state)
{
	struct tb t = sample();
	size_t cap = ZSTD_compressBound(t.b.len), n;
	uint8_t *z = malloc(cap);
	struct bw_error *err = NULL;
	char raw[72], diff[72], want[72];
	int entries;
	(void)state;

	n = ZSTD_compress(z, cap, t.b.data, t.b.len, 3);
	assert_false(ZSTD_isError(n));
	bw_sha256_digest(t.b.data, t.b.len, want);
	assert_int_equal(run(z, n, 1, -1, &entries, raw, diff, &err), 0);
	assert_int_equal(entries, 50);
	assert_string_equal(diff, want);
	assert_int_equal(run(z, n - 5, 1000, -1, &entries, raw, diff, &err), -EPIPE);
	assert_non_null(strstr(err->msg, "truncated zstd"));
	err = bw_error_free(err);
	free(z);
	bw_buf_done(&t.b);
}

static void test_plain_and_bomb(void **state)
{
	struct tb t = sample();
	struct bw_error *err = NULL;
	char raw[72], diff[72];
	int entries;
	(void)state;

	assert_int_equal(run((uint8_t *)t.b.data, t.b.len, 333, (int64_t)t.b.len, &entries, raw, diff, &err), 0);
	assert_string_equal(raw, diff);
	assert_int_equal(entries, 50);
	bw_buf_done(&t.b);

	/* A gzip stream of 256 MiB of zeros compresses ~1000x: a bomb. */
	size_t big = 256u << 20;
	uint8_t *zeros = calloc(1, big), *gz = malloc(big / 100);
	/* Start with a valid tar header so the tar reader stays busy with data. */
	struct tb h;
	tb_init(&h);
	tb_header(&h, "bomb", '0', 0644, big - 512, NULL);
	memcpy(zeros, h.b.data, 512);
	bw_buf_done(&h.b);
	size_t n = gzip(zeros, big, gz, big / 100);
	assert_int_equal(run(gz, n, 1 << 16, -1, &entries, raw, diff, &err), -EFBIG);
	assert_non_null(strstr(err->msg, "bomb"));
	err = bw_error_free(err);
	free(zeros);
	free(gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_plain_and_bomb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
