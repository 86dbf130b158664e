/* SPDX-License-Identifier: Apache-2.0 */
/* Control inputs (config --controls-config): load them, then run the checks
 * that read them over a manifest that exercises every list and bound. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bulwark/config.h"

static const char manifest[] =
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
	"data: {pwd: x, v: \"QmVhcmVyIGFiYw==\", k: AKIAIOSFODNN7EXAMPLE}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
	"  - name: c\n    image: r/a:dev\n    env: [{name: TOKEN, value: \"Bearer x\"}]\n"
	"    resources: {limits: {cpu: 1500m, memory: 2Gi}, requests: {cpu: 1, memory: 1e3}}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_config_opts o = { .size = sizeof(o) };
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;
	char path[64];
	int fd = memfd_create("controls", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (bw_config_scan_new(&o, &s, &err) == 0 &&
	    bw_config_scan_load_controls(s, path, &err) == 0 &&
	    bw_config_scan_add_buffer(s, "m.yaml", manifest, sizeof(manifest) - 1, &err) == 0)
		bw_config_scan_run(s, &err);
	bw_error_free(err);
	bw_config_scan_free(s);
	close(fd);
	return 0;
}
