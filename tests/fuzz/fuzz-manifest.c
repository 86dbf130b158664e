/* SPDX-License-Identifier: Apache-2.0 */
/* Manifests, indexes and configs: the same bytes go through each parser. */
#include <string.h>

#include "image/internal.h"

static void clear(struct bw_image *img)
{
	for (size_t i = 0; i < img->n_layers; i++) {
		free(img->layers[i].digest);
		free(img->layers[i].media_type);
		free(img->layers[i].diff_id);
	}
	free(img->layers);
	free(img->verify);
	free(img->config_digest);
	free(img->config_json);
	free(img->platform);
	memset(img, 0, sizeof(*img));
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct bw_image img = { 0 };
	struct bw_error *err = NULL;
	char *d = NULL, *mt = NULL;
	int64_t sz;

	if (index_select((const char *)buf, len, "index", NULL, "linux/amd64", &d, &mt, &sz, &err) == 0) {
		free(d);
		free(mt);
	}
	err = bw_error_free(err);
	if (index_select((const char *)buf, len, "index", "v1", NULL, &d, &mt, &sz, &err) == 0) {
		free(d);
		free(mt);
	}
	err = bw_error_free(err);
	if (image_parse_manifest(&img, (const char *)buf, len, &err) == 0) {
		/* Use the same bytes as the config too. */
		img.config_json = strndup((const char *)buf, len);
		if (img.config_json)
			image_parse_config(&img, &err);
	}
	bw_error_free(err);
	clear(&img);
	return 0;
}
