/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark key generate|import|public: keys in cosign's formats. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>

#include "bulwark/limits.h"
#include "bulwark/sign.h"
#include "cli/cli.h"

static const char help[] =
	"Usage: bulwark key generate [--output-key-prefix NAME] [--force]\n"
	"       bulwark key import KEY [--output-key-prefix NAME] [--force]\n"
	"       bulwark key public KEY\n"
	"\n"
	"generate  writes a new ECDSA P-256 key pair as cosign does: NAME.key, an\n"
	"          `ENCRYPTED SIGSTORE PRIVATE KEY` (scrypt + NaCl secretbox), and\n"
	"          NAME.pub, a PKIX public key (NAME defaults to `cosign`)\n"
	"import    re-encrypts a PEM private key (PKCS#8, EC or RSA, or a cosign key)\n"
	"          into the same pair (NAME defaults to `import-cosign`)\n"
	"public    prints the public key of a private key\n"
	"\n"
	"The password comes from COSIGN_PASSWORD, or is asked for on the terminal.\n"
	"\n"
	"Options:\n"
	"      --output-key-prefix NAME  write NAME.key and NAME.pub\n"
	"      --force            overwrite existing files\n"
	"  -h, --help             show this help\n";

/* Reads a line from the terminal with echo off. */
static char *tty_read(const char *prompt)
{
	struct termios old, noecho;
	char buf[1024];
	FILE *tty = fopen("/dev/tty", "r+");
	bool restored = false;
	char *r = NULL;

	if (!tty)
		return NULL;
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	} else {
		restored = true;
	}
	if (fgets(buf, sizeof(buf), tty)) {
		buf[strcspn(buf, "\r\n")] = 0;
		r = strdup(buf);
	}
	explicit_bzero(buf, sizeof(buf));
	if (!restored)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	return r;
}

int cli_read_password(const char *what, bool confirm, char **ret)
{
	const char *env = getenv("COSIGN_PASSWORD");
	char prompt[128];
	char *a, *b;

	if (env) {
		*ret = strdup(env);
		return *ret ? 0 : -ENOMEM;
	}
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "error: no password for %s: set COSIGN_PASSWORD or run on a "
				"terminal\n", what);
		return -EINVAL;
	}
	snprintf(prompt, sizeof(prompt), "Enter password for %s: ", what);
	a = tty_read(prompt);
	if (!a)
		return -EIO;
	if (confirm) {
		snprintf(prompt, sizeof(prompt), "Enter password for %s again: ", what);
		b = tty_read(prompt);
		if (!b || strcmp(a, b)) {
			free(a);
			free(b);
			fprintf(stderr, "error: passwords do not match\n");
			return -EINVAL;
		}
		free(b);
	}
	*ret = a;
	return 0;
}

/* Loads a private key file, asking for a password only when it is
 * encrypted. */
int cli_load_private_key(const char *path, struct bw_sign_key **ret)
{
	_cleanup_free_ char *pem = NULL, *pass = NULL;
	struct bw_error *err = NULL;
	size_t len;
	int r;

	if (bw_read_file(path, BW_MAX_SIGN_KEY_FILE, &pem, &len, &err) < 0)
		return -cli_fail(err);
	if (bw_sign_pem_is_encrypted(pem, len)) {
		r = cli_read_password("the private key", false, &pass);
		if (r < 0)
			return -EXIT_USAGE;
	}
	r = bw_sign_key_load_private(pem, len, pass, ret, &err);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	if (r < 0) {
		bw_error_wrap(&err, "key `%s`", path);
		/* A wrong password is bad input, not a refusal by a server. */
		if (err && err->code == -EKEYREJECTED)
			err->code = -EINVAL;
		return -cli_fail(err);
	}
	return 0;
}

int cli_load_public_key(const char *path, struct bw_sign_key **ret)
{
	_cleanup_free_ char *pem = NULL;
	struct bw_error *err = NULL;
	size_t len;

	if (bw_read_file(path, BW_MAX_SIGN_KEY_FILE, &pem, &len, &err) < 0 ||
	    bw_sign_key_load_public(pem, len, ret, &err) < 0) {
		bw_error_wrap(&err, "key `%s`", path);
		return -cli_fail(err);
	}
	return 0;
}

static int write_new(const char *path, const char *data, mode_t mode, bool force)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL),
		      mode);
	size_t n = strlen(data);

	if (fd < 0) {
		fprintf(stderr, "error: cannot create `%s`: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (use --force to overwrite)" : "");
		return -1;
	}
	if (write(fd, data, n) != (ssize_t)n || close(fd) < 0) {
		fprintf(stderr, "error: cannot write `%s`: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_pair(struct bw_sign_key *k, const char *prefix, bool force)
{
	_cleanup_free_ char *pass = NULL, *priv = NULL, *pub = NULL, *kp = NULL, *pp = NULL;
	struct bw_error *err = NULL;

	if (cli_read_password("the private key", true, &pass) < 0)
		return EXIT_USAGE;
	if (bw_sign_key_export_private(k, pass, &priv, &err) < 0 ||
	    bw_sign_key_export_public(k, &pub, &err) < 0)
		return cli_fail(err);
	explicit_bzero(pass, strlen(pass));
	if (asprintf(&kp, "%s.key", prefix) < 0 || asprintf(&pp, "%s.pub", prefix) < 0)
		return EXIT_ERROR;
	if (write_new(kp, priv, 0600, force) < 0 || write_new(pp, pub, 0644, force) < 0)
		return EXIT_ERROR;
	if (!cli.quiet)
		fprintf(stderr, "Private key written to %s\nPublic key written to %s\n", kp, pp);
	return EXIT_OK;
}

int cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output-key-prefix", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bw_sign_key *k = NULL;
	const char *prefix = NULL, *verb;
	bool force = false;
	int c, r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	verb = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "qdh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			prefix = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'd':
			cli.debug = true;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("key", "bad option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (!strcmp(verb, "generate")) {
		struct bw_error *err = NULL;

		if (optind != argc)
			return cli_usage_error("key", "generate takes no arguments");
		if (bw_sign_key_generate(&k, &err) < 0)
			return cli_fail(err);
		r = write_pair(k, prefix ? prefix : "cosign", force);
	} else if (!strcmp(verb, "import")) {
		if (optind + 1 != argc)
			return cli_usage_error("key", "import takes one KEY file");
		r = cli_load_private_key(argv[optind], &k);
		if (r < 0)
			return -r;
		r = write_pair(k, prefix ? prefix : "import-cosign", force);
	} else if (!strcmp(verb, "public")) {
		_cleanup_free_ char *pub = NULL;
		struct bw_error *err = NULL;

		if (optind + 1 != argc)
			return cli_usage_error("key", "public takes one KEY file");
		r = cli_load_private_key(argv[optind], &k);
		if (r < 0)
			return -r;
		if (bw_sign_key_export_public(k, &pub, &err) < 0) {
			bw_sign_key_free(k);
			return cli_fail(err);
		}
		fputs(pub, stdout);
		r = EXIT_OK;
	} else {
		return cli_usage_error("key", "unknown key command `%s` (generate, import, public)",
				       verb);
	}
	bw_sign_key_free(k);
	return r;
}
