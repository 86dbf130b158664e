/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "image/internal.h"
#include "image/tar.h"
#include "tarbuild.h"

static int add_entry(void *ud, const struct tar_entry *e, struct bw_error **err)
{
	return layer_index_add(ud, e, err);
}

/* Parses t into a layer index and merges it as layer n. */
static int apply(struct bw_fs *fs, struct tb *t, int n, struct bw_error **err)
{
	struct layer_index *li = layer_index_new();
	struct tar_reader *tr = tar_reader_new(add_entry, NULL, li);
	int r;

	tb_end(t);
	r = tar_feed(tr, t->b.data, t->b.len, err);
	if (r == 0)
		r = tar_finish(tr, err);
	if (r == 0)
		r = fs_apply_layer(fs, li, n, true, err);
	tar_reader_free(tr);
	layer_index_free(li);
	bw_buf_done(&t->b);
	return r;
}

struct listing {
	struct bw_buf b;
};

static int collect(const struct bw_file *f, void *ud)
{
	struct listing *l = ud;

	bw_buf_printf(&l->b, "%s%s%s:%d\n", f->path, f->link ? "->" : "", f->link ? f->link : "", f->layer);
	return 0;
}

static char *list(struct bw_fs *fs, const char *prefix)
{
	struct listing l = { BW_BUF_INIT(1 << 20) };
	struct bw_error *err = NULL;

	assert_int_equal(bw_fs_walk(fs, prefix, collect, &l, &err), 0);
	return bw_buf_steal(&l.b);
}

static void test_whiteouts(void **state)
{
	struct bw_fs *fs = fs_new();
	struct bw_error *err = NULL;
	struct tb t;
	char *s;
	(void)state;

	tb_init(&t);
	tb_dir(&t, "etc/");
	tb_file(&t, "etc/motd", "hi");
	tb_file(&t, "etc/keep", "k");
	tb_dir(&t, "srv/");
	tb_dir(&t, "srv/data/");
	tb_file(&t, "srv/data/old", "o");
	tb_dir(&t, "srv/data/sub/");
	tb_file(&t, "srv/data/sub/old2", "o");
	tb_dir(&t, "opt/");
	tb_dir(&t, "opt/legacy/");
	tb_file(&t, "opt/legacy/f", "f");
	assert_int_equal(apply(fs, &t, 0, &err), 0);

	tb_init(&t);
	tb_file(&t, "etc/.wh.motd", "");
	tb_file(&t, "opt/.wh.legacy", "");
	tb_dir(&t, "srv/data/");
	/* The opaque marker comes after a new file of the same layer: it must
	 * hide only the lower layer's files. */
	tb_file(&t, "srv/data/new", "n");
	tb_file(&t, "srv/data/.wh..wh..opq", "");
	tb_file(&t, "etc/.wh.nonexistent", "");
	assert_int_equal(apply(fs, &t, 1, &err), 0);

	s = list(fs, "/");
	assert_string_equal(s, "/:-1\n/etc:0\n/etc/keep:0\n/opt:0\n/srv:0\n/srv/data:1\n/srv/data/new:1\n");
	free(s);
	assert_int_equal(bw_fs_count(fs), 7);
	bw_fs_free(fs);
}

static void test_replace(void **state)
{
	struct bw_fs *fs = fs_new();
	struct bw_error *err = NULL;
	struct tb t;
	char *s;
	(void)state;

	tb_init(&t);
	tb_dir(&t, "a/");
	tb_file(&t, "a/x", "1");
	tb_file(&t, "b", "1");
	assert_int_equal(apply(fs, &t, 0, &err), 0);
	/* A file replaces a directory (and everything in it); a directory
	 * replaces a file. */
	tb_init(&t);
	tb_file(&t, "a", "now a file");
	tb_dir(&t, "b/");
	tb_file(&t, "b/y", "2");
	assert_int_equal(apply(fs, &t, 1, &err), 0);
	s = list(fs, "/");
	assert_string_equal(s, "/:-1\n/a:1\n/b:1\n/b/y:1\n");
	free(s);
	struct bw_file f;
	assert_int_equal(bw_fs_lookup(fs, "/a", false, &f, &err), 0);
	assert_int_equal(f.type, BW_FT_REG);
	assert_int_equal(f.size, 10);
	bw_fs_free(fs);
}

static void test_symlinks(void **state)
{
	struct bw_fs *fs = fs_new();
	struct bw_error *err = NULL;
	struct bw_file f;
	struct tb t;
	char *s;
	(void)state;

	tb_init(&t);
	tb_dir(&t, "usr/");
	tb_dir(&t, "usr/bin/");
	tb_file(&t, "usr/bin/ls", "ELF");
	tb_symlink(&t, "bin", "usr/bin");
	tb_symlink(&t, "escape", "../../../../etc");
	tb_dir(&t, "etc/");
	tb_file(&t, "etc/passwd", "root:x:0:0");
	tb_symlink(&t, "loop1", "loop2");
	tb_symlink(&t, "loop2", "/loop1");
	tb_symlink(&t, "abs", "/usr/bin/ls");
	assert_int_equal(apply(fs, &t, 0, &err), 0);

	/* A later layer writes through the /bin symlink: it lands in /usr/bin. */
	tb_init(&t);
	tb_file(&t, "bin/cat", "ELF2");
	assert_int_equal(apply(fs, &t, 1, &err), 0);
	s = list(fs, "/usr/bin");
	assert_string_equal(s, "/usr/bin:0\n/usr/bin/cat:1\n/usr/bin/ls:0\n");
	free(s);

	assert_int_equal(bw_fs_lookup(fs, "/bin/ls", false, &f, &err), 0);
	assert_string_equal(f.path, "/usr/bin/ls");
	/* An escaping symlink stays inside the image: ../ stops at the root. */
	assert_int_equal(bw_fs_lookup(fs, "/escape/passwd", false, &f, &err), 0);
	assert_string_equal(f.path, "/etc/passwd");
	assert_int_equal(f.size, 10);
	assert_int_equal(bw_fs_lookup(fs, "/abs", true, &f, &err), 0);
	assert_string_equal(f.path, "/usr/bin/ls");
	assert_int_equal(bw_fs_lookup(fs, "/abs", false, &f, &err), 0);
	assert_int_equal(f.type, BW_FT_SYMLINK);
	assert_string_equal(f.link, "/usr/bin/ls");
	/* Loops end with ELOOP and a message. */
	assert_int_equal(bw_fs_lookup(fs, "/loop1/x", false, &f, &err), -ELOOP);
	assert_non_null(strstr(err->msg, "too many levels of symbolic links"));
	err = bw_error_free(err);
	assert_int_equal(bw_fs_lookup(fs, "/nope", false, &f, &err), -ENOENT);
	err = bw_error_free(err);
	assert_int_equal(bw_fs_lookup(fs, "/etc/passwd/x", false, &f, &err), -ENOTDIR);
	err = bw_error_free(err);

	/* A layer that writes below a looping symlink fails with a message
	 * naming the entry. */
	tb_init(&t);
	tb_file(&t, "loop1/evil", "x");
	assert_int_equal(apply(fs, &t, 2, &err), -ELOOP);
	assert_non_null(strstr(err->msg, "loop1/evil"));
	err = bw_error_free(err);
	bw_fs_free(fs);
}

static void test_hardlinks(void **state)
{
	struct bw_fs *fs = fs_new();
	struct bw_error *err = NULL;
	struct bw_file f;
	struct tb t;
	(void)state;

	tb_init(&t);
	tb_file(&t, "perl", "12345");
	tb_hardlink(&t, "perl5.36", "perl");
	assert_int_equal(apply(fs, &t, 0, &err), 0);
	assert_int_equal(bw_fs_lookup(fs, "/perl5.36", false, &f, &err), 0);
	assert_int_equal(f.type, BW_FT_REG);
	assert_int_equal(f.size, 5);
	assert_true(f.hardlink);
	assert_string_equal(f.link, "perl");

	tb_init(&t);
	tb_hardlink(&t, "dangling", "not/there");
	assert_int_equal(apply(fs, &t, 1, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "dangling"));
	err = bw_error_free(err);
	bw_fs_free(fs);
}

static void test_many_entries(void **state)
{
	struct bw_fs *fs = fs_new();
	struct bw_error *err = NULL;
	struct tb t;
	char name[64];
	(void)state;

	/* Enough entries to grow and rehash the tables several times, then
	 * delete most of them with one whiteout (tombstones). */
	tb_init(&t);
	tb_dir(&t, "d/");
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "d/f%05d", i);
		tb_header(&t, name, '0', 0644, 0, NULL);
	}
	assert_int_equal(apply(fs, &t, 0, &err), 0);
	assert_int_equal(bw_fs_count(fs), 20002);
	tb_init(&t);
	tb_file(&t, ".wh.d", "");
	tb_file(&t, "e", "");
	assert_int_equal(apply(fs, &t, 1, &err), 0);
	assert_int_equal(bw_fs_count(fs), 2);
	tb_init(&t);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "g%05d", i);
		tb_header(&t, name, '0', 0644, 0, NULL);
	}
	assert_int_equal(apply(fs, &t, 2, &err), 0);
	assert_int_equal(bw_fs_count(fs), 20002);
	bw_fs_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whiteouts), cmocka_unit_test(test_replace),
		cmocka_unit_test(test_symlinks),  cmocka_unit_test(test_hardlinks),
		cmocka_unit_test(test_many_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
