/* SPDX-License-Identifier: Apache-2.0 */
/* Lockfiles, manifests and gemspecs over hostile bytes: the first byte picks
 * the format, the rest is the file. requirements.txt reads its `-r`
 * includes through a reader that hands back the same bytes, so include
 * chains and cycles are exercised too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/pkg.h"

static const char *const kinds[] = {
	"npm-package-lock", "npm-package.json", "npm-manifest", "yarn.lock",	   "pnpm-lock.yaml",
	"bun.lock",	    "requirements.txt", "Pipfile.lock", "poetry.lock",	   "pdm.lock",
	"uv.lock",	    "Cargo.lock",	"Gemfile.lock", "gemspec",	   "composer.lock",
	"go.mod",	    "packages.lock.json", "dotnet-deps.json", "gradle.lockfile", "mix.lock",
	"pubspec.lock",	    "Podfile.lock",	"Package.resolved", "conan.lock",   "renv.lock",
	"stack.yaml.lock",
};

struct same {
	const uint8_t *p;
	size_t n;
};

static int read_same(void *ud, const char *path, char **ret, size_t *ret_len)
{
	struct same *s = ud;

	(void)path;
	*ret = malloc(s->n + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, s->p, s->n);
	(*ret)[s->n] = 0;
	*ret_len = s->n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_pkg_list l = { 0 };
	struct bw_error *e = NULL;
	struct same s = { data + 1, size - 1 };
	char *copy;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	bw_pkg_parse_tree(kinds[data[0] % (sizeof(kinds) / sizeof(kinds[0]))], "/fuzz/dir/f", copy, size - 1, NULL,
			  read_same, &s, &l, &e);
	bw_error_free(e);
	bw_pkg_list_done(&l);
	free(copy);
	return 0;
}
