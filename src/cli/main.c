/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct cli cli = { .prog = "bulwark" };

static void log_to_stderr(enum bw_log_level level, const char *msg, void *ud)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	static const char *colors[] = { "\033[1;31m", "\033[1;33m", "\033[1;34m", "\033[2m" };

	(void)ud;
	if (cli.color_err)
		fprintf(stderr, "%s%s:\033[0m %s\n", colors[level], names[level], msg);
	else
		fprintf(stderr, "%s: %s\n", names[level], msg);
}

int cli_exit_code(int code)
{
	switch (-code) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case EACCES:
	case EPROTO:
	case ECOMM:
	case EREMOTEIO:
	case EKEYREJECTED:
		return EXIT_NETWORK;
	case ENOMEM:
	case EIO:
	case ENOSPC:
		return EXIT_ERROR;
	default:
		return EXIT_INPUT;
	}
}

int cli_fail(struct bw_error *err)
{
	int code = err ? cli_exit_code(err->code) : EXIT_ERROR;
	const char *msg = err && err->msg ? err->msg : "unknown error";

	if (cli.color_err)
		fprintf(stderr, "\033[1;31merror:\033[0m %s\n", msg);
	else
		fprintf(stderr, "error: %s\n", msg);
	bw_error_free(err);
	return code;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry `bulwark %s%s--help`.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/*
 * The commands. A capability adds its line here and its cmd_* function in
 * its own file under src/cli/ (declared in cli.h).
 */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "image", cmd_image, "image inspect REF | image files REF [PATH...]: read an image" },
	{ "rules", cmd_rules, "rules validate|list -r FILE|DIR: load Falco rules" },
	{ "audit", cmd_audit, "audit -r RULES FILE|- | --listen ADDR: detect on k8s audit logs" },
	{ "replay", cmd_replay, "replay -r RULES FILE|-: run rules over recorded events" },
#ifdef BW_HAVE_SENSOR
	{ "watch", cmd_watch, "watch -r RULES: detect with an eBPF sensor on this host's containers" },
#endif
	{ "config", cmd_config, "config PATH...: check Kubernetes manifests and Dockerfiles" },
	{ "rbac", cmd_rbac, "rbac who-can VERB RESOURCE [-n NS] PATH...: query RBAC manifests" },
	{ "explain", cmd_explain, "explain ID: what a check means and how to fix it" },
	{ "key", cmd_key, "key generate|import|public: cosign-format signing keys" },
	{ "sign", cmd_sign, "sign REF --key KEY: attach a cosign signature to an image" },
	{ "verify", cmd_verify, "verify REF --key PUB: check an image's cosign signatures" },
	{ "verify-blob", cmd_verify_blob, "verify-blob FILE --key PUB --signature SIG: check a signature" },
	{ "policy", cmd_policy, "policy check REF --policy FILE: evaluate a containers-policy.json" },
	{ "attest", cmd_attest, "attest REF --key KEY --predicate FILE: attach an in-toto attestation" },
	{ "verify-attestation", cmd_verify_attestation, "verify-attestation REF --key PUB: check attestations" },
	{ "db", cmd_db, "db import PATH... | db info: the advisory database" },
	{ "vuln", cmd_vuln, "vuln REF [--db PATH] [-f table|json|sarif|cyclonedx|junit]: find known vulnerabilities" },
	{ "sbom", cmd_sbom, "sbom REF|FILE [-f ...]: list an image's packages, or scan an SBOM" },
	{ "fs", cmd_fs, "fs DIR [-f cyclonedx|spdx-json|json|table]: list a project folder's packages" },
	{ "rootfs", cmd_rootfs, "rootfs DIR [--scanners vuln]: a root file system's packages or vulnerabilities" },
	{ "clean", cmd_clean, "clean [--scan-cache] [--vuln-db] [--all]: remove the layer cache" },
};

static const char usage_head[] =
	"Usage: bulwark [OPTIONS] COMMAND [ARGS...]\n"
	"\n"
	"Container security in one binary.\n"
	"\n"
	"Commands:\n";

static const char usage_tail[] =
	"\n"
	"Image references:\n"
	"  docker-archive:PATH[:REF]   a `docker save` tarball\n"
	"  oci-archive:PATH[:TAG]      an OCI layout in a tarball\n"
	"  oci:DIR[:TAG|@DIGEST]       an OCI image layout directory\n"
	"  dir:ROOTFS                  an unpacked root file system\n"
	"  [HOST[:PORT]/]REPO[:TAG|@DIGEST]  a registry (alpine = docker.io/library/alpine:latest)\n"
	"  PATH                        a tar file or layout directory, detected by content\n"
	"\n"
	"Options:\n"
	"  -q, --quiet      print only errors\n"
	"  -d, --debug      print debug messages\n"
	"  -v, --version    print the version\n"
	"  -h, --help       show this help\n"
	"\n"
	"Environment: NO_COLOR disables colour; REGISTRY_AUTH_FILE names a registry\n"
	"credentials file.\n"
	"Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad or missing image/input,\n"
	"4 registry or network failure.\n"
	"Run `bulwark COMMAND --help` for a command's options.\n";

static void print_usage(FILE *f)
{
	fputs(usage_head, f);
	for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs(usage_tail, f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },   { "version", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },  { "debug", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nc = getenv("NO_COLOR");
	bool color_ok = !(nc && *nc) && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
	int c, r;

	cli.color = color_ok && isatty(STDOUT_FILENO);
	cli.color_err = color_ok && isatty(STDERR_FILENO);

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hvqd", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		case 'v':
			printf("bulwark %s\n", BW_VERSION);
			return EXIT_OK;
		case 'q':
			cli.quiet = true;
			break;
		case 'd':
			cli.debug = true;
			break;
		default:
			return cli_usage_error(NULL, "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0; /* full reset for the subcommand's getopt */

	for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc, argv);
	if (!strcmp(cmd, "version")) {
		printf("bulwark %s\n", BW_VERSION);
		r = EXIT_OK;
	} else if (!strcmp(cmd, "help")) {
		print_usage(stdout);
		r = EXIT_OK;
	} else {
		r = cli_usage_error(NULL, "unknown command `%s`", cmd);
	}
	return r;
}

/* Installs the log handler once options are known (commands call it). */
void cli_setup_logging(void)
{
	bw_log_set_handler(log_to_stderr, NULL,
			   cli.debug ? BW_LOG_DEBUG : cli.quiet ? BW_LOG_ERROR : BW_LOG_WARN);
}
