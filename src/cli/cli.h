/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <stdio.h>

#include "bulwark/core.h"
#include "bulwark/image.h"
#include "bulwark/runtime.h"

/* Exit codes (documented in README.md). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,	   /* internal error, out of memory, cannot write output */
	EXIT_USAGE = 2,	   /* bad command line */
	EXIT_INPUT = 3,	   /* the image or input is missing, malformed, corrupt or unsupported */
	EXIT_NETWORK = 4,  /* registry: unreachable, TLS, authentication, timeout, server errors */
};

struct cli {
	bool quiet;
	bool debug;
	bool color; /* stdout */
	bool color_err;
	const char *prog;
};

extern struct cli cli;

/* Prints "bulwark: error: <msg>" once, and returns the exit code the error
 * maps to. */
int cli_fail(struct bw_error *err);
int cli_usage_error(const char *cmd, const char *fmt, ...) BW_PRINTF(2, 3);
int cli_exit_code(int code);

/* Options every command that reads an image takes. */
struct image_args {
	struct bw_image_opts opts;
	const char *format; /* "table" or "json" */
	const char *output; /* file, or NULL for stdout */
};

/* Handles one image option (getopt_long's return c and optarg); returns 1
 * when it was one, 0 when not, <0 on a bad value. */
int image_args_parse(struct image_args *a, int c, const char *arg, const char *cmd);
#define IMAGE_LONG_OPTIONS                                                                \
	{ "format", required_argument, NULL, 'f' }, { "output", required_argument, NULL, 'o' }, \
		{ "platform", required_argument, NULL, 1001 },                             \
		{ "insecure", no_argument, NULL, 1002 },                                   \
		{ "username", required_argument, NULL, 1003 },                             \
		{ "password", required_argument, NULL, 1004 },                             \
		{ "timeout", required_argument, NULL, 1005 },                              \
		{ "threads", required_argument, NULL, 1006 },                              \
		{ "quiet", no_argument, NULL, 'q' }, { "debug", no_argument, NULL, 'd' },  \
	{                                                                                 \
		"help", no_argument, NULL, 'h'                                            \
	}
#define IMAGE_OPTIONS_HELP                                                                          \
	"  -f, --format FORMAT    table (default) or json\n"                                        \
	"  -o, --output FILE      write the report to FILE instead of stdout\n"                       \
	"      --platform OS/ARCH[/VARIANT]  pick this platform from a multi-platform image\n"       \
	"                         (default: this machine's, e.g. linux/amd64)\n"                     \
	"      --insecure         allow plain HTTP and unverified TLS for registries\n"              \
	"      --username USER    registry user (default: from ~/.docker/config.json or\n"          \
	"      --password PASS    $XDG_RUNTIME_DIR/containers/auth.json)\n"                          \
	"      --timeout SECONDS  fail a registry request that stalls this long (default 60)\n"     \
	"      --threads N        layers read at once (default: number of CPUs)\n"                  \
	"  -q, --quiet            print only errors\n"                                              \
	"  -d, --debug            print debug messages\n"                                           \
	"  -h, --help             show this help\n"

/* The layer cache options of the commands that catalogue images. */
struct cache_args {
	const char *dir; /* --cache-dir, or NULL for the default */
	bool off;	 /* --no-cache */
	char *owned;	 /* the default dir, once resolved */
};
#define CACHE_LONG_OPTIONS                                      \
	{ "cache-dir", required_argument, NULL, 1101 },          \
	{                                                        \
		"no-cache", no_argument, NULL, 1102               \
	}
#define CACHE_OPTIONS_HELP                                                                  \
	"      --cache-dir DIR    keep per-layer results in DIR/layers.db (default\n"        \
	"                         $XDG_CACHE_HOME/bulwark, else ~/.cache/bulwark)\n"         \
	"      --no-cache         read every layer; neither use nor fill the cache\n"
/* Handles --cache-dir and --no-cache: 1 when c was one, 0 when not. */
int cache_args_parse(struct cache_args *ca, int c, const char *arg);
/* The cache folder to use (NULL with --no-cache); owned by ca. */
const char *cache_args_dir(struct cache_args *ca);
void cache_args_done(struct cache_args *ca);

/* Opens the output named by a (stdout when none). */
FILE *output_open(const struct image_args *a, struct bw_error **err);
int output_close(FILE *f, const struct image_args *a, struct bw_error **err);

/* Writes s as a JSON string literal (with quotes). */
void json_put_string(FILE *f, const char *s);

void cli_setup_logging(void);

/* Commands. */
int cmd_image(int argc, char **argv);
int cmd_image_inspect(int argc, char **argv);
int cmd_image_files(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_watch(int argc, char **argv);
/* rules_cmd.c: loads and compiles -r paths, printing diagnostics (exit code or 0). */
struct bw_ruleset;
int cli_rules_load(const char *const *paths, size_t n, struct bw_ruleset **ret);
/* The same, with the syscall rules compiled against syscall_src (a source
 * with the syscall fields, e.g. the sensor's). */
struct bw_source;
int cli_rules_load_src(const char *const *paths, size_t n, const struct bw_source *syscall_src,
		       struct bw_ruleset **ret);
/* rules_cmd.c: the lines of a descriptor (zero-initialise, set fd). cli_line_next()
 * gives the next line without its newline, NUL-terminated, valid until the next
 * call: 1, 0 at the end, -E2BIG for a line longer than max (skipped), -errno. */
struct cli_line_reader {
	int fd;
	bool eof;
	char *buf;
	size_t cap, start, end;
};
int cli_line_next(struct cli_line_reader *r, size_t max, char **ret_line, size_t *ret_len);
void cli_line_reader_done(struct cli_line_reader *r);
/* output.c: -q and -d (1 when c was one of them). */
int cli_log_opt(int c);
/* rules_cmd.c: the options audit, replay and watch share: -r, --json, -o,
 * --http-output, --all-matches, -p, -q, -d. */
struct alert_args {
	const char **paths; /* the -r paths (room for argc of them) */
	size_t n;
	struct bw_alerter_opts ao;
	const char *output, *http_url;
};
/* 1 when c was one of them, 0 when not, -exit code on a bad value. */
int cli_alert_opt(struct alert_args *a, int c, const char *arg, const char *cmd);
/* Waits for queued HTTP alerts (at most 60 s) and reports what could not
 * be sent; nothing when h is NULL. */
void cli_http_finish(struct bw_http_output *h);
/* audit_cmd.c: Falco's closing summary (events, alerts per rule) on stderr. */
struct bw_alerter;
void cli_alert_summary(struct bw_alerter *a, size_t bad);
int cmd_config(int argc, char **argv);
int cmd_rbac(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_fs(int argc, char **argv);
int cmd_clean(int argc, char **argv);
/* vulndb: db_cmd.c */
int cmd_db(int argc, char **argv);
/* The advisory database a scan uses: explicit_path when given, else the
 * default one, which is first built from the offline snapshot when it does
 * not exist yet. Caller frees *ret. Returns 0, or an exit code (printed). */
int cli_vulndb_path(const char *explicit_path, char **ret);
/* match: vuln_cmd.c */
int cmd_vuln(int argc, char **argv);
/* vuln_cmd.c: the vulnerability scan of an image, a folder (fs, rootfs) or
 * an SBOM document, with its report; cmd names the command in messages. */
enum cli_vuln_source { CLI_SRC_IMAGE, CLI_SRC_DIR, CLI_SRC_SBOM };
int cli_vuln_scan(int argc, char **argv, enum cli_vuln_source src, const char *cmd);
/* image_inspect.c: whether a scan option takes a value (to find REF). */
bool cli_opt_takes_value(const char *opt);
int cmd_rootfs(int argc, char **argv);

/* sign: key_cmd.c, sign_cmd.c, verify_cmd.c, policy_cmd.c */
struct bw_sign_key;
int cmd_key(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_verify_blob(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_verify_attestation(int argc, char **argv);
/* The password for a key: COSIGN_PASSWORD, or asked on the terminal. */
int cli_read_password(const char *what, bool confirm, char **ret);
/* Load key files, printing any error; -exit code on failure. */
int cli_load_private_key(const char *path, struct bw_sign_key **ret);
int cli_load_public_key(const char *path, struct bw_sign_key **ret);
/* Options sign, verify and attest share. */
struct sign_args {
	struct bw_image_opts image;
	const char *key;
	const char *identity;
	const char *ann[64];
	size_t n_ann;
	const char *gpg_key;	  /* sign --gpg-key FINGERPRINT */
	const char *gpg_keyrings[16]; /* verify --gpg-keyring FILE (repeatable) */
	size_t n_gpg_keyrings;
	const char *registries_d; /* --registries.d DIR */
	const char *predicate;	  /* attest --predicate FILE */
	const char *type;	  /* attest, verify-attestation --type */
};
/* 1 when c was one of them, 0 when not, -exit code on a bad value. */
int cli_sign_opt(struct sign_args *a, int c, const char *arg, const char *cmd);
/* Parses a sign-family command line that names one image (argv[optind]).
 * attest: the attestation commands, which take no -a, --identity or GPG
 * options. 1 after printing usage for --help, 0 to go on, -exit code. */
int cli_sign_parse(int argc, char **argv, const char *cmd, const char *usage, bool attest,
		   struct sign_args *a);
/* The library options the parsed arguments amount to. */
struct bw_sign_opts cli_sign_opts(const struct sign_args *a);
#define SIGN_LONG_OPTIONS                                                                 \
	{ "key", required_argument, NULL, 'k' }, { "annotations", required_argument, NULL, 'a' }, \
		{ "identity", required_argument, NULL, 'I' },                              \
		{ "gpg-key", required_argument, NULL, 1101 },                              \
		{ "gpg-keyring", required_argument, NULL, 1102 },                          \
		{ "registries.d", required_argument, NULL, 1103 },                         \
		{ "predicate", required_argument, NULL, 1104 },                            \
		{ "type", required_argument, NULL, 1105 },                                 \
		{ "platform", required_argument, NULL, 1001 },                             \
		{ "insecure", no_argument, NULL, 1002 },                                   \
		{ "username", required_argument, NULL, 1003 },                             \
		{ "password", required_argument, NULL, 1004 },                             \
		{ "timeout", required_argument, NULL, 1005 },                              \
		{ "quiet", no_argument, NULL, 'q' }, { "debug", no_argument, NULL, 'd' },  \
		{ "help", no_argument, NULL, 'h' },                                        \
	{                                                                                 \
		NULL, 0, NULL, 0                                                          \
	}
#define SIGN_IMAGE_OPTIONS_HELP                                                              \
	"      --platform OS/ARCH[/VARIANT]  the platform of a multi-platform image\n"       \
	"      --insecure         allow plain HTTP and unverified TLS for registries\n"      \
	"      --username USER    registry user (default: from the auth files)\n"           \
	"      --password PASS    registry password\n"                                      \
	"      --timeout SECONDS  fail a registry request that stalls this long\n"          \
	"      --registries.d DIR registries.d(5) for GPG lookaside storage\n"             \
	"  -q, --quiet            print only errors\n"                                      \
	"  -d, --debug            print debug messages\n"                                   \
	"  -h, --help             show this help\n"

#endif
