/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the registry client's parsers: auth files, challenges,
 * error bodies and names. Network behaviour is tested end to end in
 * tests/e2e/test_registry.py.
 *
 * The file includes registry.c to reach its static helpers; the linker then
 * takes registry_open() and registry_credentials() from here, not from the
 * library's copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../src/image/registry.c"

/* ---------------------------------------------------------------- fixtures */

static char tmpdir[64];

static void write_file(const char *rel, const char *content)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	for (slash = strchr(path + strlen(tmpdir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bw-test-registry-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", tmpdir, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* "user:pass" for host, or "-" for none. */
static void expect_creds(const char *host, const char *want)
{
	char *user = (char *)1, *pass = (char *)1, got[256];
	struct bw_error *err = NULL;

	assert_int_equal(registry_credentials(host, &user, &pass, &err), 0);
	assert_null(err);
	if (user)
		snprintf(got, sizeof(got), "%s:%s", user, pass);
	else
		snprintf(got, sizeof(got), "-");
	assert_string_equal(got, want);
	free(user);
	free(pass);
}

/* base64 of "user:pass" etc. */
#define B64_ALICE "YWxpY2U6czNjcmV0" /* alice:s3cret */
#define B64_BOB "Ym9iOnA6YXNzOnc="   /* bob:p:ass:w */
#define B64_CAROL "Y2Fyb2w6eHl6"     /* carol:xyz */

/* ---------------------------------------------------------------- auth files */

static void test_no_files(void **state)
{
	(void)state;
	expect_creds("docker.io", "-");
	expect_creds("127.0.0.1:5000", "-");
}

static void test_docker_config(void **state)
{
	(void)state;
	write_file(".docker/config.json",
		   "{\"auths\":{"
		   "\"https://index.docker.io/v1/\":{\"auth\":\"" B64_ALICE "\"},"
		   "\"127.0.0.1:5000\":{\"auth\":\"" B64_BOB "\"},"
		   "\"http://reg.example:8080\":{\"auth\":\"" B64_CAROL "\"},"
		   "\"quay.io/org\":{\"auth\":\"" B64_CAROL "\"}}}");
	/* Docker Hub's URL key serves every name of Docker Hub. */
	expect_creds("docker.io", "alice:s3cret");
	expect_creds("registry-1.docker.io", "alice:s3cret");
	/* The password keeps its colons. */
	expect_creds("127.0.0.1:5000", "bob:p:ass:w");
	expect_creds("127.0.0.1:5001", "-");
	expect_creds("reg.example:8080", "carol:xyz");
	/* A namespaced key is not host-wide. */
	expect_creds("quay.io", "-");
}

static void test_order(void **state)
{
	char path[256];

	(void)state;
	write_file(".docker/config.json", "{\"auths\":{\"h:1\":{\"auth\":\"" B64_ALICE "\"}}}");
	write_file("run/containers/auth.json", "{\"auths\":{\"h:1\":{\"auth\":\"" B64_BOB "\"}}}");
	write_file("explicit.json", "{\"auths\":{\"h:1\":{\"auth\":\"" B64_CAROL "\"}}}");
	expect_creds("h:1", "alice:s3cret");
	snprintf(path, sizeof(path), "%s/run", tmpdir);
	setenv("XDG_RUNTIME_DIR", path, 1);
	expect_creds("h:1", "bob:p:ass:w");
	snprintf(path, sizeof(path), "%s/explicit.json", tmpdir);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	expect_creds("h:1", "carol:xyz");
	/* A file without the host passes the lookup on. */
	expect_creds("h:2", "-");
	write_file(".docker/config.json", "{\"auths\":{\"h:2\":{\"auth\":\"" B64_ALICE "\"}}}");
	expect_creds("h:2", "alice:s3cret");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");

	snprintf(path, sizeof(path), "%s/dockercfg", tmpdir);
	write_file("dockercfg/config.json", "{\"auths\":{\"h:1\":{\"auth\":\"" B64_CAROL "\"}}}");
	setenv("DOCKER_CONFIG", path, 1);
	expect_creds("h:1", "carol:xyz");
	unsetenv("DOCKER_CONFIG");
}

static void test_unusable_entries(void **state)
{
	(void)state;
	/* Helpers, identity tokens, bad base64, no colon: skipped. */
	write_file(".docker/config.json",
		   "{\"auths\":{\"a:1\":{},\"b:1\":{\"identitytoken\":\"x\"},"
		   "\"c:1\":{\"auth\":\"!!!\"},\"d:1\":{\"auth\":\"bm9jb2xvbg==\"},"
		   "\"e:1\":{\"username\":\"u\",\"password\":\"p\"}},"
		   "\"credHelpers\":{\"a:1\":\"secretservice\"},\"credsStore\":\"desktop\"}");
	expect_creds("a:1", "-");
	expect_creds("b:1", "-");
	expect_creds("c:1", "-");
	expect_creds("d:1", "-");
	expect_creds("e:1", "u:p");
	/* Broken files are ignored, not fatal. */
	write_file(".docker/config.json", "{\"auths\":");
	expect_creds("a:1", "-");
	write_file(".docker/config.json", "[]");
	expect_creds("a:1", "-");
}

/* ---------------------------------------------------------------- parsers */

static void test_parse_challenge(void **state)
{
	char scheme[32], realm[256], service[64];

	(void)state;
	assert_int_equal(
		parse_challenge("Bearer realm=\"https://auth.docker.io/token\","
				"service=\"registry.docker.io\",scope=\"repository:a/b:pull\"",
				scheme, sizeof(scheme), realm, sizeof(realm), service,
				sizeof(service)),
		0);
	assert_string_equal(scheme, "Bearer");
	assert_string_equal(realm, "https://auth.docker.io/token");
	assert_string_equal(service, "registry.docker.io");

	assert_int_equal(parse_challenge("Basic realm=\"test-registry\"", scheme, sizeof(scheme),
					 realm, sizeof(realm), service, sizeof(service)),
			 0);
	assert_string_equal(scheme, "Basic");
	assert_string_equal(realm, "test-registry");
	assert_string_equal(service, "");

	/* Unquoted values, spaces, escapes, unknown keys. */
	assert_int_equal(parse_challenge("bearer  realm=https://h/t , error=\"insufficient_scope\","
					 " service=\"s\\\"q\"",
					 scheme, sizeof(scheme), realm, sizeof(realm), service,
					 sizeof(service)),
			 0);
	assert_string_equal(scheme, "bearer");
	assert_string_equal(realm, "https://h/t");
	assert_string_equal(service, "s\"q");

	assert_int_equal(parse_challenge("Basic", scheme, sizeof(scheme), realm, sizeof(realm),
					 service, sizeof(service)),
			 0);
	assert_string_equal(scheme, "Basic");

	/* Unterminated quote, too long, empty. */
	assert_int_equal(parse_challenge("Bearer realm=\"https://h", scheme, sizeof(scheme), realm,
					 sizeof(realm), service, sizeof(service)),
			 -EBADMSG);
	assert_int_equal(parse_challenge("Bearer service=\"0123456789012345678901234567890123456789"
					 "012345678901234567890123456789\"",
					 scheme, sizeof(scheme), realm, sizeof(realm), service,
					 sizeof(service)),
			 -EBADMSG);
	assert_int_equal(parse_challenge("   ", scheme, sizeof(scheme), realm, sizeof(realm),
					 service, sizeof(service)),
			 -EBADMSG);
}

static void test_remote_message(void **state)
{
	struct registry reg = { .name = "r" };
	struct req rq = { .reg = &reg, .errbody = BW_BUF_INIT(BW_MAX_HTTP_SMALL_BODY) };
	char out[MAX_REMOTE_MSG + 8];

	(void)state;
	bw_buf_puts(&rq.errbody, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":"
				 "\"manifest unknown\"},{\"code\":\"X\"}]}");
	remote_message(&rq, out, sizeof(out));
	assert_string_equal(out, ": manifest unknown; X");

	bw_buf_reset(&rq.errbody);
	bw_buf_puts(&rq.errbody, "{\"details\":\"bad\\npassword\"}");
	remote_message(&rq, out, sizeof(out));
	assert_string_equal(out, ": bad?password");

	bw_buf_reset(&rq.errbody);
	bw_buf_puts(&rq.errbody, "<html>oops</html>");
	remote_message(&rq, out, sizeof(out));
	assert_string_equal(out, "");

	/* Long messages are cut. */
	bw_buf_reset(&rq.errbody);
	bw_buf_puts(&rq.errbody, "{\"errors\":[{\"message\":\"");
	for (int i = 0; i < 100; i++)
		bw_buf_puts(&rq.errbody, "0123456789");
	bw_buf_puts(&rq.errbody, "\"}]}");
	remote_message(&rq, out, sizeof(out));
	assert_true(strlen(out) <= MAX_REMOTE_MSG + 2);
	bw_buf_done(&rq.errbody);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(repo_valid("library/alpine"));
	assert_true(repo_valid("a/b-c/d_e.f"));
	assert_false(repo_valid(""));
	assert_false(repo_valid("/a"));
	assert_false(repo_valid("a/"));
	assert_false(repo_valid("a/../b"));
	assert_false(repo_valid("a?b"));
	assert_false(repo_valid("a b"));
	assert_true(tag_valid("v1.2_3-x"));
	assert_false(tag_valid(""));
	assert_false(tag_valid(".x"));
	assert_false(tag_valid("a/b"));
	assert_false(tag_valid("a%2f"));

	assert_true(is_docker_hub("docker.io"));
	assert_true(is_docker_hub("INDEX.docker.io"));
	assert_false(is_docker_hub("docker.io.evil"));
	assert_true(host_has_port("h:5000"));
	assert_true(host_has_port("[::1]:5000"));
	assert_false(host_has_port("[::1]"));
	assert_false(host_has_port("h"));

	assert_true(auth_key_matches("https://index.docker.io/v1/", "docker.io"));
	assert_true(auth_key_matches("index.docker.io", "docker.io"));
	assert_true(auth_key_matches("h:1/", "h:1"));
	assert_false(auth_key_matches("h:1/ns", "h:1"));
	assert_false(auth_key_matches("h:12", "h:1"));
	assert_false(auth_key_matches("", "h"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_entries, setup, teardown),
		cmocka_unit_test(test_parse_challenge),
		cmocka_unit_test(test_remote_message),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
