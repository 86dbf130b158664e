/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark attest REF --key KEY --predicate FILE, and verify-attestation. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/limits.h"
#include "bulwark/sign.h"
#include "cli/cli.h"

#define EXIT_UNVERIFIED 1

static const char help[] =
	"Usage: bulwark attest [OPTIONS] REF --key KEY --predicate FILE [--type TYPE]\n"
	"\n"
	"Attests REF (a registry or an OCI layout) as `cosign attest` does: an in-toto\n"
	"statement naming the image's repository and digest and carrying FILE as its\n"
	"predicate, in a DSSE envelope signed with KEY, appended to the manifest at\n"
	"tag `sha256-<hex>.att` beside the image. TYPE is cyclonedx, spdxjson, vuln,\n"
	"custom (the default: FILE's text wrapped as cosign does) or a URI; the\n"
	"output of `bulwark sbom REF --format cyclonedx` can be the predicate.\n"
	"Prints the digest attested and the tag.\n"
	"\n"
	"Options:\n"
	"      --key KEY          the private key\n"
	"      --predicate FILE   the predicate (JSON, or any text for custom)\n"
	"      --type TYPE        the predicate type\n" SIGN_IMAGE_OPTIONS_HELP;

static const char help_verify[] =
	"Usage: bulwark verify-attestation [OPTIONS] REF --key PUB [--type TYPE]\n"
	"\n"
	"Verifies the attestations of REF: each DSSE envelope's signature against\n"
	"PUB, that it holds an in-toto statement, that a subject claims REF's\n"
	"digest, and the predicate type when --type is given. Prints the verified\n"
	"statements as a JSON array; exits 1 when none verifies.\n"
	"\n"
	"Options:\n"
	"      --key PUB          the public key (PEM)\n"
	"      --type TYPE        require this predicate type\n" SIGN_IMAGE_OPTIONS_HELP;

static int parse(int argc, char **argv, const char *cmd, const char *usage, struct sign_args *a)
{
	int r = cli_sign_parse(argc, argv, cmd, usage, true, a);

	if (r)
		return r;
	if (!a->key)
		return -cli_usage_error(cmd, "--key is required");
	if (a->type && !bw_attest_predicate_type(a->type))
		return -cli_usage_error(cmd,
					"unknown --type `%s` (cyclonedx, spdxjson, vuln, custom, "
					"or a URI)",
					a->type);
	return 0;
}

int cmd_attest(int argc, char **argv)
{
	struct sign_args a = { .image = { .sz = sizeof(struct bw_image_opts) } };
	struct bw_sign_key *k = NULL;
	struct bw_error *err = NULL;
	_cleanup_free_ char *digest = NULL, *tag = NULL, *pred = NULL;
	size_t len;
	int r;

	r = parse(argc, argv, "attest", help, &a);
	if (r)
		return r > 0 ? EXIT_OK : -r;
	if (!a.predicate)
		return cli_usage_error("attest", "--predicate FILE is required");
	if (bw_read_file(a.predicate, BW_MAX_ATTEST_PREDICATE, &pred, &len, &err) < 0)
		return cli_fail(err);
	r = cli_load_private_key(a.key, &k);
	if (r < 0)
		return -r;
	struct bw_attest_opts ao = { .sz = sizeof(ao), .image = a.image, .predicate_type = a.type };
	r = bw_attest_image(argv[optind], k, pred, len, &ao, &digest, &tag, &err);
	bw_sign_key_free(k);
	if (r < 0)
		return cli_fail(err);
	printf("%s\t%s\n", digest, tag);
	return EXIT_OK;
}

int cmd_verify_attestation(int argc, char **argv)
{
	struct sign_args a = { .image = { .sz = sizeof(struct bw_image_opts) } };
	struct bw_sign_key *k = NULL;
	struct bw_error *err = NULL;
	_cleanup_free_ char *json = NULL;
	int r;

	r = parse(argc, argv, "verify-attestation", help_verify, &a);
	if (r)
		return r > 0 ? EXIT_OK : -r;
	r = cli_load_public_key(a.key, &k);
	if (r < 0)
		return -r;
	struct bw_attest_opts ao = { .sz = sizeof(ao), .image = a.image, .predicate_type = a.type };
	r = bw_verify_attestation(argv[optind], k, &ao, &json, &err);
	bw_sign_key_free(k);
	if (r == -EKEYREJECTED || r == -ENOENT) {
		cli_fail(err);
		return EXIT_UNVERIFIED;
	}
	if (r < 0)
		return cli_fail(err);
	puts(json);
	if (!cli.quiet)
		fprintf(stderr, "Verified %d attestation%s of %s\n", r, r == 1 ? "" : "s",
			argv[optind]);
	return EXIT_OK;
}
