/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/image.h"

#define D "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void check(const char *in, const char *reg, const char *repo, const char *tag, const char *digest,
		  const char *name)
{
	struct bw_ref r;
	struct bw_error *err = NULL;

	assert_int_equal(bw_ref_parse(in, &r, &err), 0);
	assert_int_equal(r.transport, BW_TRANSPORT_REGISTRY);
	assert_string_equal(r.registry, reg);
	assert_string_equal(r.repository, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	assert_string_equal(r.name, name);
	bw_ref_done(&r);
}

static void test_docker_normalisation(void **state)
{
	(void)state;
	check("alpine", "docker.io", "library/alpine", "latest", NULL, "docker.io/library/alpine:latest");
	check("alpine:3.19", "docker.io", "library/alpine", "3.19", NULL, "docker.io/library/alpine:3.19");
	check("bitnami/redis", "docker.io", "bitnami/redis", "latest", NULL, "docker.io/bitnami/redis:latest");
	check("index.docker.io/library/busybox:1", "docker.io", "library/busybox", "1", NULL,
	      "docker.io/library/busybox:1");
	check("localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest");
	check("127.0.0.1:5000/test-images/debian-multi:v1", "127.0.0.1:5000", "test-images/debian-multi", "v1",
	      NULL, "127.0.0.1:5000/test-images/debian-multi:v1");
	check("ghcr.io/org/sub/img@" D, "ghcr.io", "org/sub/img", NULL, D, "ghcr.io/org/sub/img@" D);
	check("quay.io/a/b:t@" D, "quay.io", "a/b", "t", D, "quay.io/a/b:t@" D);
	check("docker://alpine", "docker.io", "library/alpine", "latest", NULL, "docker.io/library/alpine:latest");
	check("my-reg.example.com:8443/a_b/c-d:1.0_x", "my-reg.example.com:8443", "a_b/c-d", "1.0_x", NULL,
	      "my-reg.example.com:8443/a_b/c-d:1.0_x");
}

static void test_invalid(void **state)
{
	const char *bad[] = { "Alpine", "alpine:bad/tag", "alpine@sha256:xyz", "", "alpine:", "a//b",
			      "alpine:-x", "-alpine" };
	(void)state;

	for (size_t i = 0; i < BW_ARRAY_SIZE(bad); i++) {
		struct bw_ref r;
		struct bw_error *err = NULL;
		assert_true(bw_ref_parse(bad[i], &r, &err) < 0);
		assert_non_null(err);
		bw_error_free(err);
	}
}

static void test_transports(void **state)
{
	struct bw_ref r;
	struct bw_error *err = NULL;
	(void)state;

	assert_int_equal(bw_ref_parse("oci:/tmp/x.oci:v1", &r, &err), 0);
	assert_int_equal(r.transport, BW_TRANSPORT_OCI_LAYOUT);
	assert_string_equal(r.path, "/tmp/x.oci");
	assert_string_equal(r.tag, "v1");
	bw_ref_done(&r);
	assert_int_equal(bw_ref_parse("oci:/tmp/x.oci@" D, &r, &err), 0);
	assert_string_equal(r.path, "/tmp/x.oci");
	assert_string_equal(r.digest, D);
	bw_ref_done(&r);
	assert_int_equal(bw_ref_parse("docker-archive:/tmp/a.tar", &r, &err), 0);
	assert_int_equal(r.transport, BW_TRANSPORT_DOCKER_ARCHIVE);
	assert_null(r.tag);
	bw_ref_done(&r);
	assert_int_equal(bw_ref_parse("oci-archive:/tmp/a.tar:v2", &r, &err), 0);
	assert_int_equal(r.transport, BW_TRANSPORT_OCI_ARCHIVE);
	assert_string_equal(r.tag, "v2");
	bw_ref_done(&r);
	assert_int_equal(bw_ref_parse("dir:/", &r, &err), 0);
	assert_int_equal(r.transport, BW_TRANSPORT_DIR);
	assert_string_equal(r.name, "dir:/");
	bw_ref_done(&r);
	/* An existing directory path without a layout is a root file system. */
	assert_int_equal(bw_ref_parse("/tmp", &r, &err), 0);
	assert_int_equal(r.transport, BW_TRANSPORT_DIR);
	bw_ref_done(&r);
	assert_true(bw_ref_parse("dir:", &r, &err) < 0);
	err = bw_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_normalisation),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_transports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
