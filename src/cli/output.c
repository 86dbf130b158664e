/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int image_args_parse(struct image_args *a, int c, const char *arg, const char *cmd)
{
	switch (c) {
	case 'f':
		if (strcmp(arg, "table") && strcmp(arg, "json"))
			return -cli_usage_error(cmd, "unknown format `%s` (table or json)", arg);
		a->format = arg;
		return 1;
	case 'o':
		a->output = arg;
		return 1;
	case 1001:
		a->opts.platform = arg;
		return 1;
	case 1002:
		a->opts.insecure = true;
		return 1;
	case 1003:
		a->opts.username = arg;
		return 1;
	case 1004:
		a->opts.password = arg;
		return 1;
	case 1005: {
		/* Accepts "30" and "30s", as Trivy's durations read. */
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%s", arg);
		size_t n = strlen(tmp);
		if (n && tmp[n - 1] == 's')
			tmp[n - 1] = 0;
		if (parse_uint(tmp, 86400, &a->opts.timeout_sec) < 0 || a->opts.timeout_sec == 0)
			return -cli_usage_error(cmd, "bad --timeout `%s` (seconds, 1 to 86400)", arg);
		return 1;
	}
	case 1006:
		if (parse_uint(arg, 64, &a->opts.threads) < 0 || a->opts.threads == 0)
			return -cli_usage_error(cmd, "bad --threads `%s` (1 to 64)", arg);
		return 1;
	default:
		return cli_log_opt(c);
	}
}

int cli_log_opt(int c)
{
	if (c == 'q')
		cli.quiet = true;
	else if (c == 'd')
		cli.debug = true;
	else
		return 0;
	return 1;
}

int cache_args_parse(struct cache_args *ca, int c, const char *arg)
{
	if (c == 1101)
		ca->dir = arg;
	else if (c == 1102)
		ca->off = true;
	return c == 1101 || c == 1102;
}

const char *cache_args_dir(struct cache_args *ca)
{
	if (ca->off)
		return NULL;
	if (ca->dir)
		return ca->dir;
	if (!ca->owned)
		ca->owned = bw_layer_cache_default_dir();
	return ca->owned;
}

void cache_args_done(struct cache_args *ca)
{
	free(ca->owned);
	ca->owned = NULL;
}

FILE *output_open(const struct image_args *a, struct bw_error **err)
{
	FILE *f;

	if (!a->output || !strcmp(a->output, "-")) {
		static char buf[1 << 16];
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		return stdout;
	}
	f = fopen(a->output, "we");
	if (!f) {
		bw_error_set(err, -EIO, "cannot open `%s` for writing: %s", a->output, strerror(errno));
		return NULL;
	}
	return f;
}

int output_close(FILE *f, const struct image_args *a, struct bw_error **err)
{
	bool bad = ferror(f);

	if (f == stdout)
		bad |= fflush(f) != 0;
	else
		bad |= fclose(f) != 0;
	if (bad)
		return bw_error_set(err, -EIO, "cannot write `%s`: %s", a->output ? a->output : "standard output",
				    strerror(errno));
	return 0;
}

void json_put_string(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t plain = 0;

	/* Most strings (paths, digests) need no escaping: write them whole. */
	while (p[plain] >= 0x20 && p[plain] < 0x7f && p[plain] != '"' && p[plain] != '\\')
		plain++;
	if (p[plain] == 0) {
		putc_unlocked('"', f);
		fwrite_unlocked(s, 1, plain, f);
		putc_unlocked('"', f);
		return;
	}
	putc('"', f);
	for (; *p; p++) {
		unsigned char c = *p;
		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fputs("\\u00", f);
				putc(hex[c >> 4], f);
				putc(hex[c & 15], f);
			} else if (c >= 0x80) {
				/* Pass valid UTF-8 through; escape other bytes as
				 * U+FFFD-free \u00XX so the output stays valid JSON. */
				int len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
				bool ok = len > 0;
				for (int i = 1; ok && i < len; i++)
					ok = (p[i] & 0xc0) == 0x80;
				if (ok) {
					fwrite(p, 1, (size_t)len, f);
					p += len - 1;
				} else {
					fputs("\\u00", f);
					putc(hex[c >> 4], f);
					putc(hex[c & 15], f);
				}
			} else {
				putc(c, f);
			}
		}
	}
	putc('"', f);
}
