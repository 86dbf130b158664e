/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "image/internal.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char index_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
	"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D3 "\",\"size\":1,"
	"\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}]}";

static void test_index_select(void **state)
{
	char *d = NULL, *mt = NULL;
	int64_t sz;
	struct bw_error *err = NULL;
	(void)state;

	assert_int_equal(index_select(index_json, strlen(index_json), "index", NULL, "linux/amd64", &d, &mt, &sz, &err), 0);
	assert_string_equal(d, D1);
	free(d);
	free(mt);
	assert_int_equal(index_select(index_json, strlen(index_json), "index", NULL, "linux/arm64", &d, &mt, &sz, &err), 0);
	assert_string_equal(d, D2);
	free(d);
	free(mt);
	assert_int_equal(index_select(index_json, strlen(index_json), "index", NULL, "linux/aarch64/v8", &d, &mt, &sz, &err), 0);
	assert_string_equal(d, D2);
	free(d);
	free(mt);
	assert_int_equal(index_select(index_json, strlen(index_json), "index", NULL, "linux/s390x", &d, &mt, &sz, &err),
			 -ENOENT);
	assert_non_null(strstr(err->msg, "available: linux/amd64, linux/arm64/v8"));
	err = bw_error_free(err);
	assert_int_equal(index_select(index_json, strlen(index_json), "index", NULL, "linux", &d, &mt, &sz, &err), -EINVAL);
	err = bw_error_free(err);
	assert_int_equal(index_select("[1,2]", 5, "index", NULL, NULL, &d, &mt, &sz, &err), -EINVAL);
	err = bw_error_free(err);
	assert_int_equal(index_select("{not json", 9, "index", NULL, NULL, &d, &mt, &sz, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "not valid JSON"));
	err = bw_error_free(err);
}

static void test_layout_tags(void **state)
{
	const char j[] = "{\"schemaVersion\":2,\"manifests\":["
			 "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
			 "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}},"
			 "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
			 "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v2\"}}]}";
	char *d = NULL, *mt = NULL;
	int64_t sz;
	struct bw_error *err = NULL;
	(void)state;

	assert_int_equal(index_select(j, strlen(j), "index.json", "v2", NULL, &d, &mt, &sz, &err), 0);
	assert_string_equal(d, D2);
	free(d);
	free(mt);
	assert_int_equal(index_select(j, strlen(j), "index.json", "v3", NULL, &d, &mt, &sz, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "no image tagged `v3`"));
	err = bw_error_free(err);
	/* Two untagged-by-request images: the user must name one. */
	assert_int_equal(index_select(j, strlen(j), "index.json", NULL, NULL, &d, &mt, &sz, &err), -ENOENT);
	assert_non_null(strstr(err->msg, ":TAG"));
	err = bw_error_free(err);
}

static void test_manifest(void **state)
{
	struct bw_image img = { 0 };
	struct bw_error *err = NULL;
	const char good[] = "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
			    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1
			    "\",\"size\":100},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
			    "\"digest\":\"" D2 "\",\"size\":5}]}";
	(void)state;

	assert_int_equal(image_parse_manifest(&img, good, strlen(good), &err), 0);
	assert_int_equal(img.n_layers, 1);
	assert_string_equal(img.layers[0].digest, D2);
	assert_int_equal(img.layers[0].size, 5);
	img.config_json = strdup("{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
				 "\"diff_ids\":[\"" D3 "\"]}}");
	assert_int_equal(image_parse_config(&img, &err), 0);
	assert_string_equal(img.platform, "linux/amd64");
	assert_string_equal(img.layers[0].diff_id, D3);
	/* diff_ids that do not match the layers. */
	free(img.config_json);
	img.config_json = strdup("{\"rootfs\":{\"diff_ids\":[]}}");
	assert_int_equal(image_parse_config(&img, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "0 diff_ids but the manifest 1 layers"));
	err = bw_error_free(err);

	const char *bad[] = {
		"{\"schemaVersion\":1}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"md5:abc\",\"size\":1},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1}}",
		"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
		"\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"mediaType\":"
		"\"application/x-evil\",\"digest\":\"" D2 "\",\"size\":1}]}",
		"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":999999999},\"layers\":[]}",
		"nope",
	};
	for (size_t i = 0; i < BW_ARRAY_SIZE(bad); i++) {
		struct bw_image im = { 0 };
		assert_true(image_parse_manifest(&im, bad[i], strlen(bad[i]), &err) < 0);
		assert_non_null(err);
		err = bw_error_free(err);
		for (size_t k = 0; k < im.n_layers; k++) {
			free(im.layers[k].digest);
			free(im.layers[k].media_type);
		}
		free(im.layers);
		free(im.verify);
		free(im.config_digest);
	}
	free(img.layers[0].digest);
	free(img.layers[0].media_type);
	free(img.layers[0].diff_id);
	free(img.layers);
	free(img.verify);
	free(img.config_digest);
	free(img.config_json);
	free(img.platform);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_select),
		cmocka_unit_test(test_layout_tags),
		cmocka_unit_test(test_manifest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
