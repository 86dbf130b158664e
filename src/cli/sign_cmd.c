/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark sign REF --key KEY: cosign signatures beside an image. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/sign.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark sign [OPTIONS] REF --key KEY\n"
	"\n"
	"Signs the image REF (a registry or an OCI layout, oci:DIR[:TAG]) as cosign\n"
	"does: a simple-signing payload naming the image's digest and repository,\n"
	"signed with KEY, appended to the manifest at tag `sha256-<hex>.sig` beside\n"
	"the image. KEY is a cosign key (password from COSIGN_PASSWORD or the\n"
	"terminal) or a PEM private key. Prints the digest signed and the tag.\n"
	"\n"
	"Options:\n"
	"      --key KEY          the private key\n"
	"  -a, --annotations K=V  add K=V to the payload's `optional` (repeatable)\n"
	"      --identity NAME    the docker-reference to sign (default: REF's repository)\n" SIGN_IMAGE_OPTIONS_HELP;

int cli_sign_opt(struct sign_args *a, int c, const char *arg, const char *cmd)
{
	switch (c) {
	case 'k':
		a->key = arg;
		return 1;
	case 'a':
		if (!strchr(arg, '=') || arg[0] == '=')
			return -cli_usage_error(cmd, "annotation `%s` is not KEY=VALUE", arg);
		if (a->n_ann >= BW_ARRAY_SIZE(a->ann))
			return -cli_usage_error(cmd, "too many annotations");
		a->ann[a->n_ann++] = arg;
		return 1;
	case 'I':
		a->identity = arg;
		return 1;
	case 'd':
		cli.debug = true;
		return 1;
	case 'h':
		return 0;
	default: {
		struct image_args ia = { .opts = a->image };
		int r = image_args_parse(&ia, c, arg, cmd);

		a->image = ia.opts;
		return r;
	}
	}
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = { SIGN_LONG_OPTIONS };
	struct sign_args a = { .image = { .sz = sizeof(struct bw_image_opts) } };
	struct bw_sign_key *k = NULL;
	struct bw_error *err = NULL;
	_cleanup_free_ char *digest = NULL, *tag = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "a:qdh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (c == '?')
			return cli_usage_error("sign", "bad option `%s`", argv[optind - 1]);
		r = cli_sign_opt(&a, c, optarg, "sign");
		if (r < 0)
			return -r;
	}
	cli_setup_logging();
	if (optind + 1 != argc)
		return cli_usage_error("sign", "expected one image reference");
	if (!a.key)
		return cli_usage_error("sign", "--key KEY is required");
	r = cli_load_private_key(a.key, &k);
	if (r < 0)
		return -r;
	struct bw_sign_opts so = {
		.sz = sizeof(so),
		.image = a.image,
		.identity = a.identity,
		.annotations = a.ann,
		.n_annotations = a.n_ann,
	};
	r = bw_sign_image(argv[optind], k, &so, &digest, &tag, &err);
	bw_sign_key_free(k);
	if (r < 0)
		return cli_fail(err);
	printf("%s\t%s\n", digest, tag);
	return EXIT_OK;
}
