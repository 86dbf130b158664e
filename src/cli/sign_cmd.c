/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark sign REF --key KEY: cosign signatures beside an image. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/sign.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark sign [OPTIONS] REF --key KEY\n"
	"       bulwark sign [OPTIONS] REF --gpg-key FINGERPRINT\n"
	"\n"
	"Signs the image REF (a registry or an OCI layout, oci:DIR[:TAG]) as cosign\n"
	"does: a simple-signing payload naming the image's digest and repository,\n"
	"signed with KEY, appended to the manifest at tag `sha256-<hex>.sig` beside\n"
	"the image. KEY is a cosign key (password from COSIGN_PASSWORD or the\n"
	"terminal) or a PEM private key. Prints the digest signed and the tag.\n"
	"As cosign, --key ignores registries.d and its use-sigstore-attachments.\n"
	"\n"
	"With --gpg-key, signs as `skopeo copy --sign-by` does (containers' simple\n"
	"signing): an OpenPGP signature by that key of your GnuPG keyring (GNUPGHOME)\n"
	"over an `atomic container signature` payload naming REF and its digest,\n"
	"written to the lookaside storage registries.d names for REF\n"
	"(lookaside-staging, else lookaside; file:// only). Prints the digest and the\n"
	"file written.\n"
	"\n"
	"Options:\n"
	"      --key KEY          the private key\n"
	"      --gpg-key FPR      sign with this GnuPG secret key instead\n"
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
	case 1101:
		a->gpg_key = arg;
		return 1;
	case 1102:
		if (a->n_gpg_keyrings >= BW_ARRAY_SIZE(a->gpg_keyrings))
			return -cli_usage_error(cmd, "too many --gpg-keyring");
		a->gpg_keyrings[a->n_gpg_keyrings++] = arg;
		return 1;
	case 1103:
		a->registries_d = arg;
		return 1;
	case 1104:
		a->predicate = arg;
		return 1;
	case 1105:
		a->type = arg;
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

int cli_sign_parse(int argc, char **argv, const char *cmd, const char *usage, bool attest,
		   struct sign_args *a)
{
	static const struct option opts[] = { SIGN_LONG_OPTIONS };
	int c, r;

	while ((c = getopt_long(argc, argv, attest ? "qdh" : "a:qdh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (c == '?' || (attest && (c == 'a' || c == 'I' || (c >= 1101 && c <= 1103))))
			return -cli_usage_error(cmd, "bad option `%s`", argv[optind - 1]);
		r = cli_sign_opt(a, c, optarg, cmd);
		if (r < 0)
			return r;
	}
	cli_setup_logging();
	if (optind + 1 != argc)
		return -cli_usage_error(cmd, "expected one image reference");
	return 0;
}

struct bw_sign_opts cli_sign_opts(const struct sign_args *a)
{
	return (struct bw_sign_opts){
		.sz = sizeof(struct bw_sign_opts),
		.image = a->image,
		.identity = a->identity,
		.annotations = a->ann,
		.n_annotations = a->n_ann,
		.registries_d = a->registries_d,
	};
}

int cmd_sign(int argc, char **argv)
{
	struct sign_args a = { .image = { .sz = sizeof(struct bw_image_opts) } };
	struct bw_sign_key *k = NULL;
	struct bw_error *err = NULL;
	_cleanup_free_ char *digest = NULL, *tag = NULL;
	int r;

	r = cli_sign_parse(argc, argv, "sign", help, false, &a);
	if (r)
		return r > 0 ? EXIT_OK : -r;
	if (!a.key == !a.gpg_key)
		return cli_usage_error("sign", "give one of --key KEY and --gpg-key FINGERPRINT");
	struct bw_sign_opts so = cli_sign_opts(&a);
	if (a.gpg_key) {
		if (a.n_ann)
			return cli_usage_error("sign", "-a is for cosign signatures (--key)");
		r = bw_sign_image_gpg(argv[optind], a.gpg_key, &so, &digest, &tag, &err);
		if (r < 0)
			return cli_fail(err);
		printf("%s\t%s\n", digest, tag);
		return EXIT_OK;
	}
	r = cli_load_private_key(a.key, &k);
	if (r < 0)
		return -r;
	r = bw_sign_image(argv[optind], k, &so, &digest, &tag, &err);
	bw_sign_key_free(k);
	if (r < 0)
		return cli_fail(err);
	printf("%s\t%s\n", digest, tag);
	return EXIT_OK;
}
