/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark verify REF --key PUB, and verify-blob. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/limits.h"
#include "bulwark/sign.h"
#include "cli/cli.h"

/* Exit code when nothing verifies, as cosign's. */
#define EXIT_UNVERIFIED 1

static const char help[] =
	"Usage: bulwark verify [OPTIONS] REF --key PUB\n"
	"       bulwark verify [OPTIONS] REF --gpg-keyring FILE\n"
	"\n"
	"Verifies the cosign signatures of REF (a registry, an OCI layout, or\n"
	"containers/image's dir:PATH with manifest.json and signature-N files):\n"
	"the payload blob's digest, the signature against PUB, that the payload\n"
	"names the image's digest and repository, and the required annotations.\n"
	"Prints the verified payloads as a JSON array; exits 1 when none verifies.\n"
	"As cosign, --key ignores registries.d (use-sigstore-attachments is for\n"
	"`policy check`).\n"
	"\n"
	"With --gpg-keyring, checks containers' simple signing instead (what\n"
	"`skopeo copy --sign-by` writes): the signature-N files of the lookaside\n"
	"storage registries.d names for REF (file://, http://, https://), or of a\n"
	"dir:PATH, against the OpenPGP keys of FILE; the payload must name REF's\n"
	"digest, and REF itself when REF has a tag (its repository when by digest).\n"
	"\n"
	"Options:\n"
	"      --key PUB          the public key (PEM)\n"
	"      --gpg-keyring FILE trusted OpenPGP public keys (repeatable)\n"
	"  -a, --annotations K=V  require K=V in the payload's `optional` (repeatable)\n"
	"      --identity NAME    the docker-reference to require (default: REF's\n"
	"                         repository; required for dir:)\n" SIGN_IMAGE_OPTIONS_HELP;

static const char help_blob[] =
	"Usage: bulwark verify-blob FILE --key PUB --signature SIG\n"
	"\n"
	"Verifies a signature over FILE (as `cosign verify-blob` does): SIG is a\n"
	"file holding the base64 signature, or the base64 itself.\n";

int cmd_verify(int argc, char **argv)
{
	struct sign_args a = { .image = { .sz = sizeof(struct bw_image_opts) } };
	struct bw_sign_key *k = NULL;
	struct bw_error *err = NULL;
	_cleanup_free_ char *json = NULL;
	int r;

	r = cli_sign_parse(argc, argv, "verify", help, false, &a);
	if (r)
		return r > 0 ? EXIT_OK : -r;
	if (!a.key == !a.n_gpg_keyrings)
		return cli_usage_error("verify", "give one of --key PUB and --gpg-keyring FILE");
	struct bw_sign_opts so = cli_sign_opts(&a);
	if (a.n_gpg_keyrings) {
		struct bw_gpg_keyring *kr = NULL;

		if (a.n_ann)
			return cli_usage_error("verify", "-a is for cosign signatures (--key)");
		r = bw_gpg_keyring_new(&kr, &err);
		for (size_t i = 0; r >= 0 && i < a.n_gpg_keyrings; i++)
			r = bw_gpg_keyring_add_file(kr, a.gpg_keyrings[i], &err);
		if (r < 0) {
			bw_gpg_keyring_free(kr);
			return cli_fail(err);
		}
		r = bw_verify_image_gpg(argv[optind], kr, &so, &json, &err);
		bw_gpg_keyring_free(kr);
	} else {
		r = cli_load_public_key(a.key, &k);
		if (r < 0)
			return -r;
		r = bw_verify_image(argv[optind], k, &so, &json, &err);
		bw_sign_key_free(k);
	}
	if (r == -EKEYREJECTED || r == -ENOENT) {
		cli_fail(err);
		return EXIT_UNVERIFIED;
	}
	if (r < 0)
		return cli_fail(err);
	puts(json);
	if (!cli.quiet)
		fprintf(stderr, "Verified %d signature%s of %s\n", r, r == 1 ? "" : "s",
			argv[optind]);
	return EXIT_OK;
}

int cmd_verify_blob(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "signature", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_free_ char *data = NULL, *sig = NULL;
	const char *key = NULL, *sigarg = NULL;
	struct bw_sign_key *k = NULL;
	struct bw_error *err = NULL;
	size_t len, slen;
	int c, r;

	while ((c = getopt_long(argc, argv, "qdh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 's':
			sigarg = optarg;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'd':
			cli.debug = true;
			break;
		case 'h':
			fputs(help_blob, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("verify-blob", "bad option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (optind + 1 != argc || !key || !sigarg)
		return cli_usage_error("verify-blob", "expected FILE, --key and --signature");
	if (access(sigarg, F_OK) == 0) {
		if (bw_read_file(sigarg, BW_MAX_SIGN_SIG_B64, &sig, &slen, &err) < 0)
			return cli_fail(err);
		while (slen && (sig[slen - 1] == '\n' || sig[slen - 1] == '\r' || sig[slen - 1] == ' '))
			sig[--slen] = 0;
	} else {
		sig = strdup(sigarg);
		if (!sig)
			return EXIT_ERROR;
	}
	if (bw_read_file(argv[optind], 1u << 30, &data, &len, &err) < 0)
		return cli_fail(err);
	r = cli_load_public_key(key, &k);
	if (r < 0)
		return -r;
	r = bw_sign_verify_blob(k, data, len, sig, &err);
	bw_sign_key_free(k);
	if (r < 0) {
		cli_fail(err);
		return EXIT_UNVERIFIED;
	}
	if (!cli.quiet)
		fprintf(stderr, "Verified OK\n");
	return EXIT_OK;
}
