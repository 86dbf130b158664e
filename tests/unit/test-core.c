/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/core.h"

static void test_error_wrap(void **state)
{
	struct bw_error *err = NULL;
	(void)state;

	assert_int_equal(bw_error_set(&err, -ENOENT, "cannot open `%s`", "etc/shadow"), -ENOENT);
	assert_int_equal(bw_error_wrap(&err, "layer %d", 3), -ENOENT);
	assert_string_equal(err->msg, "layer 3: cannot open `etc/shadow`");
	/* A second set keeps the first error. */
	assert_int_equal(bw_error_set(&err, -EIO, "other"), -EIO);
	assert_string_equal(err->msg, "layer 3: cannot open `etc/shadow`");
	err = bw_error_free(err);
	assert_null(err);
	/* Wrapping nothing is a programmer error reported as -EINVAL. */
	assert_int_equal(bw_error_wrap(&err, "x"), -EINVAL);
}

static void test_buf_cap(void **state)
{
	struct bw_buf b = BW_BUF_INIT(8);
	(void)state;

	assert_int_equal(bw_buf_puts(&b, "12345"), 0);
	assert_int_equal(bw_buf_puts(&b, "678"), 0);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(bw_buf_puts(&b, "9"), -E2BIG);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	bw_buf_reset(&b);
	assert_int_equal(bw_buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(b.data, "42-x");
	assert_int_equal(bw_buf_printf(&b, "%s", "toolong"), -E2BIG);
	bw_buf_done(&b);
}

static void test_sha256(void **state)
{
	char d[72];
	struct bw_sha256 *h = bw_sha256_new();
	(void)state;

	bw_sha256_digest("abc", 3, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	bw_sha256_update(h, "a", 1);
	bw_sha256_update(h, "bc", 2);
	bw_sha256_final_digest(h, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	bw_sha256_free(h);
	assert_true(bw_digest_valid("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(bw_digest_valid("sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(bw_digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(bw_digest_valid("sha256:../../etc/passwd"));
	assert_false(bw_digest_valid(NULL));
}

static void test_base64(void **state)
{
	char *out;
	size_t n;
	(void)state;

	assert_int_equal(bw_base64_decode("dGVzdGVyOnNlY3JldA==", 20, &out, &n), 0);
	assert_int_equal(n, 13);
	assert_string_equal(out, "tester:secret");
	free(out);
	assert_int_equal(bw_base64_decode("a$b", 3, &out, &n), -EINVAL);
	out = bw_base64_encode("tester:secret", 13);
	assert_string_equal(out, "dGVzdGVyOnNlY3JldA==");
	free(out);
}

static void test_map(void **state)
{
	struct bw_map *m = bw_map_new();
	char key[32];
	(void)state;

	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(bw_map_put(m, key, (void *)(intptr_t)(i + 1)), 0);
	}
	assert_int_equal(bw_map_size(m), 5000);
	assert_int_equal((intptr_t)bw_map_get(m, "k4999"), 5000);
	assert_null(bw_map_get(m, "k5000"));
	assert_int_equal(bw_map_put(m, "k1", (void *)7), 0);
	assert_int_equal((intptr_t)bw_map_get(m, "k1"), 7);
	assert_int_equal(bw_map_size(m), 5000);
	bw_map_free(m);
}

static void test_human(void **state)
{
	char b[32];
	(void)state;

	bw_human_size(512, b);
	assert_string_equal(b, "512 B");
	bw_human_size(1536, b);
	assert_string_equal(b, "1.5 KiB");
	bw_human_size(5ull << 30, b);
	assert_string_equal(b, "5.0 GiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_wrap), cmocka_unit_test(test_buf_cap), cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_base64),	   cmocka_unit_test(test_map),	   cmocka_unit_test(test_human),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
