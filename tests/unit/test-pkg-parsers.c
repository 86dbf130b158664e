/* SPDX-License-Identifier: Apache-2.0 */
/* The catalogers added beside the corpus ones: bun.lock, npm manifests,
 * requirements.txt includes, cargo-auditable binaries, gemspecs; and git
 * commits in npm lockfiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/pkg.h"
#include "pkg/internal.h"

/* ---------------------------------------------------------------- helpers */

static int parse(const char *kind, const char *text, struct bw_pkg_list *l, char **msg)
{
	struct bw_error *e = NULL;
	int r = bw_pkg_parse(kind, "/t/f", text, strlen(text), NULL, l, &e);

	if (msg)
		*msg = e && e->msg ? strdup(e->msg) : NULL;
	bw_error_free(e);
	return r;
}

static const struct bw_pkg *find(const struct bw_pkg_list *l, const char *name, const char *ver)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name) &&
		    (ver ? l->v[i].version && !strcmp(l->v[i].version, ver) : !l->v[i].version))
			return &l->v[i];
	return NULL;
}

/* ---------------------------------------------------------------- bun */

static void test_bun_jsonc(void **state)
{
	const char *lock = "{\n"
			   "  // comments are JSONC\n"
			   "  \"lockfileVersion\": 1, /* block, with a , inside */\n"
			   "  \"workspaces\": { \"\": { \"name\": \"app\", }, },\n"
			   "  \"packages\": {\n"
			   "    \"@types/node\": [\"@types/node@20.1.0\", \"\", {}, \"sha512-x\"],\n"
			   "    \"lib\": [\"lib@workspace:packages/lib\"],\n"
			   "    \"g\": [\"g@github:o/g#abc1234\", {}, \"o-g-abc1234\"],\n"
			   "    \"f\": [\"f@file:../f\", {}],\n"
			   "    \"s\": [\"s@1.0.0\", \"\", { \"x\": \"a,]\" }, \"sha\",],\n"
			   "  },\n"
			   "}\n";
	struct bw_pkg_list l = { 0 };
	const struct bw_pkg *g;

	(void)state;
	assert_int_equal(parse("bun.lock", lock, &l, NULL), 0);
	assert_int_equal(l.n, 4); /* the workspace is the project itself */
	assert_non_null(find(&l, "@types/node", "20.1.0"));
	assert_non_null(find(&l, "s", "1.0.0"));
	assert_non_null(find(&l, "f", NULL));
	g = find(&l, "g", NULL);
	assert_non_null(g);
	assert_string_equal(g->commit, "abc1234");
	assert_string_equal(find(&l, "@types/node", "20.1.0")->purl, "pkg:npm/%40types/node@20.1.0");
	bw_pkg_list_done(&l);
}

static void test_bun_bad(void **state)
{
	struct bw_pkg_list l = { 0 };
	char *msg = NULL;

	(void)state;
	/* a bad tuple is an error naming it; the good entry is still reported */
	assert_true(parse("bun.lock", "{\"packages\":{\"ok\":[\"ok@1.0.0\"],\"bad\":[7]}}", &l, &msg) < 0);
	assert_non_null(strstr(msg, "`bad`"));
	assert_non_null(find(&l, "ok", "1.0.0"));
	free(msg);
	bw_pkg_list_done(&l);
	assert_true(parse("bun.lock", "{\"packages\":{\"x\":[\"x@1\"", &l, &msg) < 0);
	assert_non_null(strstr(msg, "/t/f:1"));
	free(msg);
	bw_pkg_list_done(&l);
}

/* ---------------------------------------------------------------- npm */

static void test_npm_manifest(void **state)
{
	static const char *const cases[][2] = {
		{ "1.2.3", "1.2.3" },	    { "^1.2.3", "1.2.3" },	    { "~1.2", "1.2.0" },
		{ ">1.2.3", "1.2.4" },	    { ">=1.0.0 <2", "1.0.0" },	    { "1.x", "1.0.0" },
		{ "*", "0.0.0" },	    { "", "0.0.0" },		    { "<2 || >=3.1.0", "0.0.0" },
		{ ">=2 <3 || 1.5.x", "1.5.0" }, { "1.0.0 - 2.0.0", "1.0.0" }, { "v2.1.0", "2.1.0" },
		{ ">=1.0.0-beta.2", "1.0.0-beta.2" },
	};
	char doc[4096];
	int o = snprintf(doc, sizeof(doc), "{\"name\":\"app\",\"version\":\"0.1.0\",\"dependencies\":{");
	struct bw_pkg_list l = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		o += snprintf(doc + o, sizeof(doc) - (size_t)o, "\"d%zu\":\"%s\",", i, cases[i][0]);
	snprintf(doc + o, sizeof(doc) - (size_t)o,
		 "\"git\":\"github:a/b\",\"tag\":\"latest\",\"bad\":\"not a range\"},\"devDependencies\":{\"dev\":\"1.0.0\"}}");
	assert_int_equal(parse("npm-manifest", doc, &l, NULL), 0);
	assert_non_null(find(&l, "app", "0.1.0"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char nm[16];
		snprintf(nm, sizeof(nm), "d%zu", i);
		if (!find(&l, nm, cases[i][1]))
			fail_msg("range `%s`: want %s", cases[i][0], cases[i][1]);
	}
	assert_int_equal(l.n, 1 + sizeof(cases) / sizeof(cases[0]));
	bw_pkg_list_done(&l);
	/* an installed package.json stays the package alone */
	assert_int_equal(parse("npm-package.json", doc, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	bw_pkg_list_done(&l);
}

static void test_npm_commits(void **state)
{
	static const char *const ok[][2] = {
		{ "git+ssh://git@github.com/a/b.git#af885e2e890b9ef0875edd2b117305119ee5bdc5",
		  "af885e2e890b9ef0875edd2b117305119ee5bdc5" },
		{ "github:a/b#d5ac058", "d5ac058" },
		{ "gitlab:a/b#c5a7ba5", "c5a7ba5" },
		{ "https://github.com/a/b.git#2.0.0", "2.0.0" },
		{ "https://codeload.github.com/a/b/tar.gz/0123abc", "0123abc" },
		{ "https://example.com/x.tgz#commit=feed123", "feed123" },
	};
	static const char *const none[] = { "1.2.3", "https://registry.npmjs.org/a/-/a-1.0.0.tgz", "file:../x", "npm:a@1" };
	const char *lock = "{\"lockfileVersion\":1,\"dependencies\":{"
			   "\"a\":{\"version\":\"github:o/a#1111111\",\"dependencies\":{"
			   "\"a\":{\"version\":\"github:o/a#2222222\"}}},"
			   "\"al\":{\"version\":\"npm:@s/real@3.0.0\"}}}";
	struct bw_pkg_list l = { 0 };
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *c = npm_git_commit(ok[i][0], &n);
		assert_non_null(c);
		assert_int_equal(n, strlen(ok[i][1]));
		assert_memory_equal(c, ok[i][1], n);
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_null(npm_git_commit(none[i], &n));
	/* the same name at two commits stays two packages; an alias names the real one */
	assert_int_equal(parse("npm-package-lock", lock, &l, NULL), 0);
	assert_int_equal(l.n, 3);
	assert_non_null(find(&l, "@s/real", "3.0.0"));
	bw_pkg_list_done(&l);
}

/* ---------------------------------------------------------------- requirements */

struct files {
	const char *path[12], *text[12];
	int reads;
};

static int read_mem(void *ud, const char *path, char **ret, size_t *ret_len)
{
	struct files *f = ud;

	f->reads++;
	for (int i = 0; i < 12 && f->path[i]; i++)
		if (!strcmp(f->path[i], path)) {
			*ret = strdup(f->text[i]);
			*ret_len = strlen(f->text[i]);
			return *ret ? 0 : -ENOMEM;
		}
	return -ENOENT;
}

static void test_requirements_include(void **state)
{
	struct files f = {
		.path = { "/app/req/base.txt", "/app/common.txt", "/app/deep.txt" },
		.text = { "django==4.2.1\n-r ../common.txt\n", "requests==2.31.0 \\\n  --hash=sha256:x\n-r ./req/base.txt\n",
			  "-r deep.txt\nx==1\n" },
	};
	const char *top = "flask==2.0.1\n-r req/base.txt\n--requirement=missing.txt\n-c constraints.txt\n";
	struct bw_pkg_list l = { 0 };
	struct bw_error *e = NULL;

	(void)state;
	assert_int_equal(bw_pkg_parse_tree("requirements.txt", "/app/requirements.txt", top, strlen(top), NULL,
					   read_mem, &f, &l, &e),
			 0);
	/* base.txt -> common.txt -> base.txt again: the cycle stops there */
	assert_int_equal(l.n, 3);
	assert_non_null(find(&l, "flask", "2.0.1"));
	assert_non_null(find(&l, "django", "4.2.1"));
	assert_non_null(find(&l, "requests", "2.31.0"));
	assert_string_equal(find(&l, "django", "4.2.1")->location, "/app/requirements.txt");
	bw_pkg_list_done(&l);
	/* a file that includes itself forever stops at the depth limit */
	f.reads = 0;
	assert_int_equal(bw_pkg_parse_tree("requirements.txt", "/app/deep.txt", f.text[2], strlen(f.text[2]), NULL,
					   read_mem, &f, &l, &e),
			 0);
	assert_int_equal(f.reads, 0); /* deep.txt -> deep.txt is a cycle at once */
	assert_int_equal(l.n, 1);
	bw_pkg_list_done(&l);
	/* without a reader includes are skipped */
	assert_int_equal(parse("requirements.txt", top, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	bw_pkg_list_done(&l);
	bw_error_free(e);
}

static void test_requirements_depth(void **state)
{
	/* a.txt includes b.txt includes c.txt ... past BW_MAX_REQ_INCLUDE_DEPTH */
	static char paths[12][16], texts[12][32];
	struct files f = { 0 };
	struct bw_pkg_list l = { 0 };
	struct bw_error *e = NULL;

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/r/%c.txt", 'b' + i);
		snprintf(texts[i], sizeof(texts[i]), "p%d==1.0\n-r %c.txt\n", i + 1, 'c' + i);
		f.path[i] = paths[i];
		f.text[i] = texts[i];
	}
	assert_int_equal(bw_pkg_parse_tree("requirements.txt", "/r/a.txt", "p0==1.0\n-r b.txt\n", 16, NULL, read_mem,
					   &f, &l, &e),
			 0);
	/* a.txt is depth 0: p0 .. p8 are read, j.txt (p9) is one level too deep */
	assert_int_equal(BW_MAX_REQ_INCLUDE_DEPTH, 8);
	assert_int_equal(l.n, 9);
	assert_null(find(&l, "p9", "1.0"));
	bw_pkg_list_done(&l);
	bw_error_free(e);
}

/* ---------------------------------------------------------------- cargo-auditable */

/*
 * This test program carries a real `.dep-v0` section, as cargo auditable
 * writes one: zlib (level 9) of
 * {"packages":[{"name":"adler","version":"1.0.2","source":"crates.io"},
 *  {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"},
 *  {"name":"serde","version":"1.0.193","source":"registry"},
 *  {"name":"bulwark-test","version":"0.1.0","source":"local","dependencies":[0,1,2],"root":true}],"format":1}
 */
__attribute__((section(".dep-v0"), used)) static const unsigned char dep_v0[] = {
	0x78, 0xda, 0x6d, 0x8f, 0x41, 0x0e, 0xc2, 0x30, 0x0c, 0x04, 0xff, 0xe2, 0x73, 0x88, 0x1a, 0xb8, 0x40, 0xbf,
	0x82, 0x38, 0xb8, 0x89, 0xa9, 0xa2, 0xa6, 0x49, 0xe5, 0x24, 0x20, 0x54, 0xf5, 0xef, 0x18, 0x0e, 0xa8, 0x55,
	0x39, 0xee, 0xc8, 0xb3, 0x2b, 0xcf, 0x30, 0xa1, 0x1d, 0xb0, 0xa7, 0x0c, 0xed, 0x75, 0x86, 0x88, 0x23, 0x41,
	0x0b, 0xe8, 0x02, 0x31, 0x28, 0x78, 0x10, 0x67, 0x9f, 0xa2, 0x10, 0xa3, 0x1b, 0x7d, 0x14, 0x92, 0x53, 0x65,
	0xfb, 0x39, 0xb1, 0x8c, 0x85, 0xb2, 0xf6, 0x09, 0x16, 0xf5, 0xf3, 0xac, 0xdd, 0x49, 0xe7, 0xd3, 0x7f, 0x4b,
	0xc1, 0xe0, 0xa3, 0x13, 0xd4, 0x55, 0x1f, 0xdc, 0xba, 0x24, 0x13, 0x3b, 0xda, 0xf5, 0x98, 0xcb, 0xa6, 0x88,
	0xa9, 0xf7, 0xb9, 0xf0, 0x6b, 0x2d, 0x76, 0x35, 0x3c, 0x91, 0x87, 0x83, 0x2c, 0x94, 0x8d, 0x2f, 0xb6, 0x6e,
	0xd6, 0x76, 0x48, 0x16, 0x83, 0x00, 0x47, 0x13, 0x45, 0x47, 0xd1, 0xfa, 0xef, 0xff, 0x8d, 0x32, 0xea, 0x78,
	0x53, 0xc0, 0x29, 0x15, 0x68, 0x0b, 0x57, 0x5a, 0x24, 0xdd, 0x13, 0x8f, 0x28, 0xd9, 0x2c, 0x6f, 0xe6, 0xd3,
	0x5f, 0x4c,
};

static void check_rust(const struct bw_pkg_list *l)
{
	assert_int_equal(l->n, 4);
	assert_non_null(find(l, "adler", "1.0.2"));
	assert_non_null(find(l, "serde", "1.0.193"));
	assert_non_null(find(l, "bulwark-test", "0.1.0"));
	assert_true(find(l, "cc", "1.0.83")->dev); /* a build dependency */
	assert_string_equal(find(l, "adler", "1.0.2")->purl, "pkg:cargo/adler@1.0.2");
}

static char *self_exe(size_t *n)
{
	struct bw_error *e = NULL;
	char *d = NULL;

	assert_int_equal(bw_read_file("/proc/self/exe", 256u << 20, &d, n, &e), 0);
	return d;
}

static void test_rust_whole(void **state)
{
	size_t n;
	char *exe = self_exe(&n);
	struct bw_pkg_list l = { 0 };
	struct bw_error *e = NULL;

	(void)state;
	assert_int_equal(dep_v0[0], 0x78);
	assert_int_equal(bw_pkg_parse("rust-binary", "/proc/self/exe", exe, n, NULL, &l, &e), 0);
	check_rust(&l);
	bw_pkg_list_done(&l);
	/* cut short, its section headers are gone: an error, not a crash */
	assert_true(bw_pkg_parse("rust-binary", "/x", exe, 100, NULL, &l, &e) < 0);
	assert_int_equal(l.n, 0);
	bw_error_free(e);
	free(exe);
}

/* Streams the binary in pieces of `chunk` bytes through the probe. */
static bool stream(const char *exe, size_t n, size_t chunk, char **json, size_t *jn)
{
	struct rust_probe *rp = rust_probe_new();
	bool ok;

	assert_non_null(rp);
	for (size_t off = 0; off < n; off += chunk)
		if (rust_probe_feed(rp, off, (const uint8_t *)exe + off, off + chunk > n ? n - off : chunk))
			break;
	ok = rust_probe_finish(rp, json, jn);
	rust_probe_free(rp);
	return ok;
}

static void test_rust_stream(void **state)
{
	static const size_t chunks[] = { 1, 7, 511, 512, 513, 4096, 65536, 65536 + 512, 1 << 20 };
	size_t n;
	char *exe = self_exe(&n);

	(void)state;
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct bw_pkg_list l = { 0 };
		struct bw_error *e = NULL;
		char *js = NULL;
		size_t jn = 0;
		if (!stream(exe, n, chunks[i], &js, &jn))
			fail_msg("not found with %zu-byte pieces", chunks[i]);
		assert_int_equal(bw_pkg_parse("rust-binary", "/x", js, jn, NULL, &l, &e), 0);
		check_rust(&l);
		bw_pkg_list_done(&l);
		free(js);
	}
	/* a corrupt stream (one byte flipped inside the section) is not reported */
	{
		char *d = memmem(exe, n, dep_v0, sizeof(dep_v0)), *js = NULL;
		size_t jn;
		assert_non_null(d);
		d[100] ^= 0x55;
		assert_false(stream(exe, n, 4096, &js, &jn));
		/* and not an ELF file: nothing is searched */
		d[100] ^= 0x55;
		exe[0] = 'X';
		assert_false(stream(exe, n, 4096, &js, &jn));
	}
	free(exe);
}

/* ---------------------------------------------------------------- gemspec */

static void test_gemspec(void **state)
{
	const char *forms = "# -*- encoding: utf-8 -*-\n"
			    "# stub: stubby 9.9.9 ruby lib\n"
			    "Gem::Specification.new do |spec|\n"
			    "  spec.name = %q<nokogiri>.freeze\n"
			    "  spec.version = Gem::Version.new(\"1.15.4\")\n"
			    "  spec.licenses = [\"MIT\".freeze, 'Ruby']\n"
			    "  spec.name_alt = \"no\"\n"
			    "end\n";
	struct bw_pkg_list l = { 0 };
	char *msg = NULL;

	(void)state;
	assert_int_equal(parse("gemspec", forms, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "nokogiri");
	assert_string_equal(l.v[0].version, "1.15.4");
	assert_string_equal(l.v[0].license, "MIT OR Ruby");
	assert_string_equal(l.v[0].purl, "pkg:gem/nokogiri@1.15.4");
	bw_pkg_list_done(&l);
	/* only the stub comment */
	assert_int_equal(parse("gemspec", "# stub: bundler 2.4.1 ruby lib\n", &l, NULL), 0);
	assert_non_null(find(&l, "bundler", "2.4.1"));
	bw_pkg_list_done(&l);
	assert_true(parse("gemspec", "s.name = \"unterminated\n", &l, &msg) < 0);
	assert_non_null(strstr(msg, "/t/f"));
	assert_int_equal(l.n, 0);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bun_jsonc),
		cmocka_unit_test(test_bun_bad),
		cmocka_unit_test(test_npm_manifest),
		cmocka_unit_test(test_npm_commits),
		cmocka_unit_test(test_requirements_include),
		cmocka_unit_test(test_requirements_depth),
		cmocka_unit_test(test_rust_whole),
		cmocka_unit_test(test_rust_stream),
		cmocka_unit_test(test_gemspec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
