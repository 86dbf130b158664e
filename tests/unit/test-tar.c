/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/limits.h"
#include "image/tar.h"
#include "tarbuild.h"

struct seen {
	char names[64][BW_MAX_PATH + 1];
	int types[64];
	char links[64][256];
	unsigned long long sizes[64];
	int n;
	struct bw_buf data;
};

static int on_entry(void *ud, const struct tar_entry *e, struct bw_error **err)
{
	struct seen *s = ud;
	(void)err;
	if (s->n < 64) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", e->name);
		snprintf(s->links[s->n], sizeof(s->links[0]), "%s", e->link ? e->link : "");
		s->types[s->n] = e->type;
		s->sizes[s->n] = e->size;
	}
	s->n++;
	return 0;
}

static int on_data(void *ud, const void *p, size_t n, struct bw_error **err)
{
	struct seen *s = ud;
	(void)err;
	return bw_buf_append(&s->data, p, n);
}

/* Feeds buf in pieces of `chunk` bytes. */
static int parse(const struct bw_buf *b, size_t chunk, struct seen *s, struct bw_error **err)
{
	struct tar_reader *t = tar_reader_new(on_entry, on_data, s);
	int r = 0;

	memset(s, 0, sizeof(*s));
	s->data = BW_BUF_INIT(1 << 20);
	for (size_t off = 0; off < b->len && r == 0; off += chunk)
		r = tar_feed(t, b->data + off, off + chunk > b->len ? b->len - off : chunk, err);
	if (r == 0)
		r = tar_finish(t, err);
	tar_reader_free(t);
	return r;
}

static void test_numbers(void **state)
{
	int64_t v;
	const uint8_t oct[] = "0000644 ";
	const uint8_t b256[8] = { 0x80, 0, 0, 0, 0, 0, 0x01, 0x00 };
	const uint8_t bad[] = "00x0644";
	const uint8_t huge[12] = { 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	(void)state;

	assert_int_equal(tar_parse_number(oct, 8, &v), 0);
	assert_int_equal(v, 0644);
	assert_int_equal(tar_parse_number(b256, 8, &v), 0);
	assert_int_equal(v, 256);
	assert_int_equal(tar_parse_number(bad, 7, &v), -EINVAL);
	assert_int_equal(tar_parse_number(huge, 12, &v), -EOVERFLOW);
	const uint8_t big_oct[] = "77777777777777777777777";
	assert_int_equal(tar_parse_number(big_oct, 23, &v), -EOVERFLOW);
}

static void test_normalise(void **state)
{
	char a[64];
	struct bw_error *err = NULL;
	(void)state;

	strcpy(a, "./usr//bin/./ls");
	assert_int_equal(tar_name_normalise(a, &err), 0);
	assert_string_equal(a, "usr/bin/ls");
	strcpy(a, "./");
	assert_int_equal(tar_name_normalise(a, &err), 0);
	assert_string_equal(a, "");
	strcpy(a, "etc/");
	assert_int_equal(tar_name_normalise(a, &err), 0);
	assert_string_equal(a, "etc");
	strcpy(a, "a/../../etc/passwd");
	assert_int_equal(tar_name_normalise(a, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "path traversal"));
	err = bw_error_free(err);
	strcpy(a, "/etc/passwd");
	assert_int_equal(tar_name_normalise(a, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "absolute"));
	err = bw_error_free(err);
	/* ".." inside a name is not a component. */
	strcpy(a, "a/..b/c..");
	assert_int_equal(tar_name_normalise(a, &err), 0);
	assert_string_equal(a, "a/..b/c..");
}

static void test_stream(void **state)
{
	struct tb t;
	struct seen s;
	struct bw_error *err = NULL;
	char longname[300];
	(void)state;

	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "deep/", 5);
	longname[299] = 0;
	tb_init(&t);
	tb_dir(&t, "./etc/");
	tb_file(&t, "./etc/hostname", "test-image\n");
	tb_symlink(&t, "bin", "usr/bin");
	tb_hardlink(&t, "etc/hn2", "./etc/hostname");
	tb_pax_path(&t, longname);
	tb_file(&t, "ignored-short-name", "pax");
	tb_gnu_longname(&t, "gnu/long/name/file.txt");
	tb_file(&t, "short", "gnu");
	tb_end(&t);

	/* Chunk sizes that split headers, data and padding differently. */
	size_t chunks[] = { 1, 7, 511, 512, 513, 4096, 1 << 20 };
	for (size_t c = 0; c < BW_ARRAY_SIZE(chunks); c++) {
		assert_int_equal(parse(&t.b, chunks[c], &s, &err), 0);
		assert_int_equal(s.n, 6);
		assert_string_equal(s.names[0], "etc");
		assert_int_equal(s.types[0], TAR_DIR);
		assert_string_equal(s.names[1], "etc/hostname");
		assert_int_equal(s.sizes[1], 11);
		assert_string_equal(s.names[2], "bin");
		assert_string_equal(s.links[2], "usr/bin");
		assert_int_equal(s.types[3], TAR_HARDLINK);
		assert_string_equal(s.links[3], "etc/hostname");
		assert_string_equal(s.names[4], longname);
		assert_string_equal(s.names[5], "gnu/long/name/file.txt");
		assert_int_equal(s.data.len, 11 + 3 + 3);
		assert_memory_equal(s.data.data, "test-image\npaxgnu", 17);
		bw_buf_done(&s.data);
	}
	bw_buf_done(&t.b);
}

static void test_truncated(void **state)
{
	struct tb t;
	struct seen s;
	struct bw_error *err = NULL;
	(void)state;

	tb_init(&t);
	tb_file(&t, "a.txt", "hello world, this is data");
	t.b.len = 512 + 10; /* header and 10 of 25 bytes */
	assert_int_equal(parse(&t.b, 100, &s, &err), -EPIPE);
	assert_non_null(strstr(err->msg, "`a.txt` is missing 15 bytes"));
	err = bw_error_free(err);
	bw_buf_done(&s.data);

	t.b.len = 300; /* half a header */
	assert_int_equal(parse(&t.b, 100, &s, &err), -EPIPE);
	assert_non_null(strstr(err->msg, "partial header"));
	err = bw_error_free(err);
	bw_buf_done(&s.data);
	bw_buf_done(&t.b);
}

static void test_bad_checksum(void **state)
{
	struct tb t;
	struct seen s;
	struct bw_error *err = NULL;
	(void)state;

	tb_init(&t);
	tb_file(&t, "a.txt", "x");
	t.b.data[10] ^= 1;
	assert_int_equal(parse(&t.b, 512, &s, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "checksum"));
	err = bw_error_free(err);
	bw_buf_done(&s.data);
	bw_buf_done(&t.b);
}

static void test_traversal(void **state)
{
	struct tb t;
	struct seen s;
	struct bw_error *err = NULL;
	(void)state;

	tb_init(&t);
	tb_file(&t, "../../etc/cron.d/evil", "x");
	tb_end(&t);
	assert_int_equal(parse(&t.b, 512, &s, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "../../etc/cron.d/evil"));
	err = bw_error_free(err);
	bw_buf_done(&s.data);
	bw_buf_done(&t.b);

	/* A hard link pointing out of the archive. */
	tb_init(&t);
	tb_hardlink(&t, "x", "../../../etc/shadow");
	tb_end(&t);
	assert_int_equal(parse(&t.b, 512, &s, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "hard link `x`"));
	err = bw_error_free(err);
	bw_buf_done(&s.data);
	bw_buf_done(&t.b);
}

static void test_pax_records(void **state)
{
	struct tar_entry e = { 0 };
	char *path = NULL, *link = NULL;
	struct bw_error *err = NULL;
	const char good[] = "30 mtime=1700000000.123456789\n20 linkpath=a/b/cde\n12 size=100\n";
	(void)state;

	assert_int_equal(tar_pax_apply(good, strlen(good), &e, &path, &link, &err), 0);
	assert_int_equal(e.mtime, 1700000000);
	assert_string_equal(link, "a/b/cde");
	assert_int_equal(e.size, 100);
	free(link);
	link = NULL;
	/* Length that runs past the end, length 0, missing '=': all rejected. */
	const char *bad[] = { "99 path=a\n", "0 path=a\n", "9 pathx\n", "7 path=\n\n" };
	for (size_t i = 0; i < BW_ARRAY_SIZE(bad); i++) {
		assert_true(tar_pax_apply(bad[i], strlen(bad[i]), &e, &path, &link, &err) < 0);
		err = bw_error_free(err);
	}
	free(path);
	free(link);
}

static void test_no_end_blocks(void **state)
{
	struct tb t;
	struct seen s;
	struct bw_error *err = NULL;
	(void)state;

	/* umoci 0.4.7 writes no end-of-archive blocks: accepted. */
	tb_init(&t);
	tb_file(&t, "a", "1");
	assert_int_equal(parse(&t.b, 512, &s, &err), 0);
	assert_int_equal(s.n, 1);
	bw_buf_done(&s.data);
	bw_buf_done(&t.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),	    cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_stream),	    cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_checksum), cmocka_unit_test(test_traversal),
		cmocka_unit_test(test_pax_records), cmocka_unit_test(test_no_end_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
