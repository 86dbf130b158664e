/* SPDX-License-Identifier: Apache-2.0 */
/* Every package-file parser and OS detection over hostile bytes: the first
 * byte picks the parser, the rest is the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/pkg.h"

struct one {
	const uint8_t *p;
	size_t n;
	const char *path;
};

static int read_one(void *ud, const char *path, char **ret, size_t *ret_len)
{
	struct one *o = ud;

	if (strcmp(path, o->path))
		return -ENOENT;
	*ret = malloc(o->n + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, o->p, o->n);
	(*ret)[o->n] = 0;
	*ret_len = o->n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const os_paths[] = { "/etc/os-release", "/etc/debian_version", "/etc/redhat-release",
						 "/etc/system-release-cpe", "/bin/busybox" };
	const char *const *kinds = bw_pkg_kinds();
	size_t nk = 0, sel;

	if (size < 1)
		return 0;
	while (kinds[nk])
		nk++;
	sel = data[0] % (nk + BW_ARRAY_SIZE(os_paths));
	if (sel < nk) {
		struct bw_pkg_list l = { 0 };
		struct bw_error *e = NULL;
		/* Parsers get a copy without a terminating NUL, as an exact-size buffer. */
		char *copy = malloc(size - 1 ? size - 1 : 1);
		if (!copy)
			return 0;
		memcpy(copy, data + 1, size - 1);
		bw_pkg_parse(kinds[sel], "/fuzz", copy, size - 1, NULL, &l, &e);
		bw_error_free(e);
		bw_pkg_list_done(&l);
		free(copy);
	} else {
		struct one o = { data + 1, size - 1, os_paths[sel - nk] };
		struct bw_os os = { 0 };
		struct bw_error *e = NULL;
		if (bw_os_detect(read_one, &o, &os, &e) == 0)
			bw_os_done(&os);
		bw_error_free(e);
	}
	return 0;
}
