/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark policy check REF --policy FILE: containers-policy.json(5). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/sign.h"
#include "cli/cli.h"

/* Exit code for a rejected image (as skopeo's refusal to copy). */
#define EXIT_REJECTED 1

static const char help[] =
	"Usage: bulwark policy check [OPTIONS] REF --policy FILE\n"
	"\n"
	"Evaluates a containers-policy.json (containers-policy.json(5), as podman,\n"
	"skopeo and CRI-O enforce it) for the image REF (a registry, oci:DIR[:TAG]\n"
	"or dir:PATH): prints `accepted`, or `rejected: WHY` and exits 1.\n"
	"Requirements: insecureAcceptAnything, reject, sigstoreSigned (keyPath,\n"
	"keyPaths, keyData, every signedIdentity type; a registry image's cosign\n"
	"attachments count only where registries.d sets use-sigstore-attachments\n"
	"for its scope, as in containers/image), signedBy (keyType GPGKeys;\n"
	"keyPath, keyPaths, keyData; every signedIdentity type), whose signatures\n"
	"are read from the lookaside storage of registries.d. signedBaseLayer\n"
	"rejects.\n"
	"\n"
	"Options:\n"
	"      --policy FILE      the policy (default /etc/containers/policy.json)\n" SIGN_IMAGE_OPTIONS_HELP;

int cmd_policy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'P' },
		{ "platform", required_argument, NULL, 1001 },
		{ "insecure", no_argument, NULL, 1002 },
		{ "username", required_argument, NULL, 1003 },
		{ "password", required_argument, NULL, 1004 },
		{ "timeout", required_argument, NULL, 1005 },
		{ "registries.d", required_argument, NULL, 1103 },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct image_args ia = { .opts = { .sz = sizeof(struct bw_image_opts) } };
	const char *policy = "/etc/containers/policy.json", *regd = NULL;
	_cleanup_free_ char *reason = NULL;
	struct bw_error *err = NULL;
	int c, r;

	if (argc < 2 || strcmp(argv[1], "check")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(help, stdout);
			return EXIT_OK;
		}
		return cli_usage_error("policy", "expected `policy check REF --policy FILE`");
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "qdh", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			policy = optarg;
			break;
		case 1103:
			regd = optarg;
			break;
		case 'd':
			cli.debug = true;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		case '?':
			return cli_usage_error("policy", "bad option `%s`", argv[optind - 1]);
		default:
			r = image_args_parse(&ia, c, optarg, "policy");
			if (r < 0)
				return -r;
		}
	}
	cli_setup_logging();
	if (optind + 1 != argc)
		return cli_usage_error("policy", "expected one image reference");
	struct bw_policy_opts po = { .sz = sizeof(po), .image = ia.opts, .registries_d = regd };

	r = bw_policy_check_opts(policy, argv[optind], &po, &reason, &err);
	if (r < 0)
		return cli_fail(err);
	if (r == 0) {
		printf("rejected: %s\n", reason ? reason : "by the policy");
		return EXIT_REJECTED;
	}
	printf("accepted\n");
	return EXIT_OK;
}
