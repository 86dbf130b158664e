/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"
#include "cli/cli.h"

static const char rules_usage[] =
	"Usage: bulwark rules validate FILE|DIR...\n"
	"       bulwark rules list -r FILE|DIR [-r ...] [--json]\n"
	"       bulwark rules --validate FILE | --list-rules -r FILE\n"
	"\n"
	"Load Falco rule files (lists, macros, rules, exceptions, append, override) and\n"
	"check them as `falco -V` does, or list their rules. Files load in order; a\n"
	"directory loads its files in name order. Rules whose fields no event source\n"
	"provides (syscall via replay, k8s_audit) are named and skipped.\n"
	"\n"
	"Options:\n"
	"  -r, --rules PATH   rules file or directory (repeatable)\n"
	"      --json         list as JSON\n"
	"  -q, --quiet        print only errors\n"
	"  -h, --help         show this help\n"
	"Exit codes: 0 ok, 2 usage, 3 the rules have errors.\n";

/* Bytes read at a time. */
#define LINE_CHUNK (64u * 1024u)

/*
 * Lines are cut out of a buffer filled by read(2) and found with memchr:
 * per byte, a fraction of the cost of getc(). The buffer holds at most one
 * partial line of max bytes and a chunk; a longer line is dropped as it is
 * read.
 */
int cli_line_next(struct cli_line_reader *r, size_t max, char **ret_line, size_t *ret_len)
{
	bool toolong = false;
	size_t scan = r->start;

	for (;;) {
		char *nl = r->end > scan ? memchr(r->buf + scan, '\n', r->end - scan) : NULL;
		if (nl || (r->eof && (r->start < r->end || toolong))) {
			char *line = r->buf + r->start;
			size_t len = nl ? (size_t)(nl - line) : r->end - r->start;
			r->start = nl ? (size_t)(nl - r->buf) + 1 : r->end;
			if (toolong || len > max)
				return -E2BIG;
			line[len] = 0; /* the newline, or the byte kept free after the data */
			*ret_line = line;
			*ret_len = len;
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->end - r->start > max) {
			toolong = true;
			r->start = r->end;
		}
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		scan = r->end;
		if (r->cap - r->end < LINE_CHUNK / 2 + 1) {
			size_t nc = r->end + LINE_CHUNK + 1;
			char *nb = realloc(r->buf, nc);
			if (!nb)
				return -ENOMEM;
			r->buf = nb;
			r->cap = nc;
		}
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}

void cli_line_reader_done(struct cli_line_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

static void print_diag(const struct bw_diag *d)
{
	const char *lvl = d->level == BW_DIAG_ERROR ? "error" : "warning";

	if (d->level == BW_DIAG_WARNING && cli.quiet)
		return;
	fprintf(stderr, "%s:%u", d->file ? d->file : "?", d->line);
	if (d->col)
		fprintf(stderr, ":%u", d->col);
	fprintf(stderr, ": %s: ", lvl);
	if (d->kind && d->name)
		fprintf(stderr, "%s `%s`: ", d->kind, d->name);
	fprintf(stderr, "%s\n", d->msg);
}

static void print_diags(const struct bw_ruleset *rs)
{
	for (size_t i = 0; i < bw_ruleset_diag_count(rs); i++)
		print_diag(bw_ruleset_diag(rs, i));
}

static int load_and_compile(const char *const *paths, size_t n, const struct bw_source *syscall_src,
			    struct bw_ruleset **ret)
{
	struct bw_ruleset *rs = bw_ruleset_new();
	const struct bw_source *srcs[] = { syscall_src, bw_audit_source() };
	int r = 0;

	if (!rs) {
		fprintf(stderr, "error: out of memory\n");
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		struct bw_error *err = NULL;
		if (bw_ruleset_load_path(rs, paths[i], &err) < 0) {
			/* file-level problems (missing file) have no diagnostic */
			if (err && (err->code != -EINVAL))
				r = cli_fail(err);
			else
				bw_error_free(err);
			if (!r)
				r = EXIT_INPUT;
		}
	}
	if (!r) {
		struct bw_error *err = NULL;
		if (bw_ruleset_compile(rs, srcs, BW_ARRAY_SIZE(srcs), &err) < 0)
			r = err && err->code == -ENOMEM ? EXIT_ERROR : EXIT_INPUT;
		bw_error_free(err);
	}
	*ret = rs;
	return r;
}

/* Waits for queued HTTP alerts (bounded), reports what could not be sent. */
void cli_http_finish(struct bw_http_output *h)
{
	struct bw_http_stats st;
	char last[256];

	if (!h)
		return;
	if (bw_http_output_flush(h, 60000) < 0)
		fprintf(stderr, "warning: HTTP output: giving up on queued alerts after 60 s\n");
	bw_http_output_stats(h, &st, last, sizeof(last));
	if (st.failed || st.dropped)
		fprintf(stderr, "warning: HTTP output: %llu alerts not delivered (%llu failed, %llu dropped)%s%s\n",
			(unsigned long long)(st.failed + st.dropped), (unsigned long long)st.failed,
			(unsigned long long)st.dropped, *last ? ": " : "", last);
	if (!cli.quiet)
		fprintf(stderr, "HTTP output: %llu alerts sent, %llu retries\n",
			(unsigned long long)st.sent, (unsigned long long)st.retries);
}

int cli_alert_opt(struct alert_args *a, int c, const char *arg, const char *cmd)
{
	switch (c) {
	case 'r':
		a->paths[a->n++] = arg;
		return 1;
	case 'j':
		a->ao.json = true;
		return 1;
	case 'o':
		a->output = arg;
		return 1;
	case 'H':
		a->http_url = arg;
		return 1;
	case 'A':
		a->ao.all_matches = true;
		return 1;
	case 'p':
		if (bw_priority_parse(arg, &a->ao.min_priority) < 0)
			return -cli_usage_error(cmd, "unknown priority `%s`", arg);
		return 1;
	default:
		return cli_log_opt(c);
	}
}

int cli_rules_load(const char *const *paths, size_t n, struct bw_ruleset **ret)
{
	return cli_rules_load_src(paths, n, bw_replay_source(), ret);
}

int cli_rules_load_src(const char *const *paths, size_t n, const struct bw_source *syscall_src,
		       struct bw_ruleset **ret)
{
	struct bw_ruleset *rs = NULL;
	int r = load_and_compile(paths, n, syscall_src, &rs);

	print_diags(rs);
	if (r) {
		fprintf(stderr, "error: the rules have errors, see above\n");
		bw_ruleset_free(rs);
		return r;
	}
	*ret = rs;
	return 0;
}

static void print_counts(const struct bw_ruleset *rs, FILE *f)
{
	size_t total = bw_ruleset_rule_count(rs);

	fprintf(f, "%zu rules: %zu active, %zu skipped, %zu disabled", total,
		bw_ruleset_count(rs, NULL, BW_RULE_ACTIVE), bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED),
		bw_ruleset_count(rs, NULL, BW_RULE_DISABLED));
	static const char *const sources[] = { "syscall", "k8s_audit" };
	for (size_t i = 0; i < BW_ARRAY_SIZE(sources); i++) {
		size_t a = bw_ruleset_count(rs, sources[i], BW_RULE_ACTIVE);
		if (a)
			fprintf(f, "; %s: %zu active", sources[i], a);
	}
	fputc('\n', f);
}

static int do_validate(char **paths, size_t n)
{
	int worst = 0;

	/* Falco's -V: each file on its own, every problem printed. */
	for (size_t i = 0; i < n; i++) {
		struct bw_ruleset *rs = NULL;
		const char *p = paths[i];
		int r = load_and_compile((const char *const *)&p, 1, bw_replay_source(), &rs);
		print_diags(rs);
		printf("%s: %s\n", p, r ? "Invalid" : "Ok");
		if (!r && !cli.quiet) {
			print_counts(rs, stdout);
			for (size_t j = 0; j < bw_ruleset_rule_count(rs); j++) {
				const struct bw_rule_info *ri = bw_ruleset_rule(rs, j);
				if (ri->state == BW_RULE_SKIPPED)
					printf("  skipped: %s (%s)\n", ri->name, ri->skip_reason);
			}
		}
		if (r > worst)
			worst = r;
		bw_ruleset_free(rs);
	}
	return worst;
}

static const char *state_name(enum bw_rule_state s)
{
	return s == BW_RULE_ACTIVE ? "active" : s == BW_RULE_DISABLED ? "disabled" : "skipped";
}

static int do_list(char **paths, size_t n, bool json)
{
	struct bw_ruleset *rs = NULL;
	int r = cli_rules_load((const char *const *)paths, n, &rs);

	if (r)
		return r;
	if (json)
		printf("[");
	for (size_t i = 0; i < bw_ruleset_rule_count(rs); i++) {
		const struct bw_rule_info *ri = bw_ruleset_rule(rs, i);
		if (json) {
			printf("%s{\"rule\":", i ? "," : "");
			json_put_string(stdout, ri->name);
			printf(",\"priority\":\"%s\",\"source\":", bw_priority_name(ri->priority));
			json_put_string(stdout, ri->source);
			printf(",\"state\":\"%s\",\"desc\":", state_name(ri->state));
			json_put_string(stdout, ri->desc ? ri->desc : "");
			printf(",\"tags\":[");
			for (size_t t = 0; t < ri->ntags; t++) {
				if (t)
					putchar(',');
				json_put_string(stdout, ri->tags[t]);
			}
			printf("]");
			if (ri->skip_reason) {
				printf(",\"skip_reason\":");
				json_put_string(stdout, ri->skip_reason);
			}
			printf("}");
		} else {
			printf("%-60s %-13s %-9s %s\n", ri->name, bw_priority_name(ri->priority),
			       ri->source, state_name(ri->state));
		}
	}
	if (json)
		printf("]\n");
	else
		print_counts(rs, stdout);
	bw_ruleset_free(rs);
	return EXIT_OK;
}

int cmd_rules(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },  { "json", no_argument, NULL, 'j' },
		{ "validate", required_argument, NULL, 'V' }, { "list-rules", no_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },	    { "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	_cleanup_free_ char **paths = calloc((size_t)argc + 1, sizeof(char *));
	size_t n = 0;
	bool json = false;
	const char *mode = NULL;
	int c;

	if (!paths)
		return EXIT_ERROR;
	while ((c = getopt_long(argc, argv, "r:V:Lqdh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			paths[n++] = optarg;
			break;
		case 'V':
			mode = "validate";
			paths[n++] = optarg;
			break;
		case 'L':
			mode = "list";
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'd':
			cli.debug = true;
			break;
		case 'h':
			fputs(rules_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("rules", "unknown option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (!mode) {
		if (optind >= argc)
			return cli_usage_error("rules", "missing subcommand: validate or list");
		mode = argv[optind++];
	}
	for (; optind < argc; optind++)
		paths[n++] = argv[optind];
	if (!n)
		return cli_usage_error("rules", "no rules file given");
	if (!strcmp(mode, "validate"))
		return do_validate(paths, n);
	if (!strcmp(mode, "list"))
		return do_list(paths, n, json);
	return cli_usage_error("rules", "unknown subcommand `%s`", mode);
}
