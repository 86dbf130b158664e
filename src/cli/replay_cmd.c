/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"
#include "cli/cli.h"

static const char replay_usage[] =
	"Usage: bulwark replay -r RULES [OPTIONS] FILE|-\n"
	"       bulwark replay -r RULES [OPTIONS] --replay FILE\n"
	"\n"
	"Run Falco syscall rules over a recorded event stream: JSON lines whose keys are\n"
	"Falco fields (evt.type, proc.name, fd.name, ...), described in\n"
	"docs/replay-format.md. Each alert is one Falco output line (or JSON).\n"
	"\n"
	"Options:\n"
	"  -r, --rules PATH         rules file or directory (repeatable, loaded in order)\n"
	"      --replay FILE        the event stream (same as the FILE argument)\n"
	"      --json               Falco's JSON alert format\n"
	"  -o, --output FILE        write alerts to FILE instead of stdout\n"
	"      --http-output URL    also POST each alert (Falco's JSON, Falcosidekick-\n"
	"                           compatible) to URL, from a bounded queue, with retries\n"
	"      --all-matches        alert for every matching rule (Falco rule_matching: all)\n"
	"  -p, --min-priority PRIO  ignore rules less severe than PRIO\n"
	"  -q, --quiet              no summary, only errors\n"
	"  -h, --help               show this help\n"
	"Malformed lines are reported with file and line and skipped.\n"
	"Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad rules or unreadable input.\n";

static int write_line(const char *line, size_t len, void *ud)
{
	FILE *f = ud;

	if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF)
		return -EIO;
	return 0;
}

struct run_ctx {
	struct bw_alerter *a;
	const char *name;
	size_t bad;
};

static int on_event(struct bw_replay_event *e, void *ud)
{
	struct run_ctx *c = ud;

	return bw_alerter_run(c->a, e, bw_replay_event_type(e)) < 0 ? -EIO : 0;
}

static int on_bad(uint64_t lineno, const char *msg, void *ud)
{
	struct run_ctx *c = ud;

	fprintf(stderr, "warning: %s:%llu: %s, skipping\n", c->name, (unsigned long long)lineno, msg);
	c->bad++;
	return 0;
}

static int run(struct bw_alerter *a, const char *path, size_t *bad)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct run_ctx c = { .a = a, .name = is_stdin ? "<stdin>" : path };
	struct bw_replay_decoder *d = NULL;
	struct bw_error *err = NULL;
	int r, ret = 0;

	if (fd < 0) {
		fprintf(stderr, "error: cannot open `%s`: %s\n", path, strerror(errno));
		return EXIT_INPUT;
	}
	if (bw_replay_decoder_new(bw_alerter_matcher(a), &d, &err) < 0) {
		if (!is_stdin)
			close(fd);
		return cli_fail(err);
	}
	r = bw_replay_read_fd(d, fd, on_event, on_bad, &c, &err);
	if (r == -EIO && !err) {
		fprintf(stderr, "error: cannot write alerts: %s\n", strerror(errno));
		ret = EXIT_ERROR;
	} else if (r < 0) {
		ret = cli_fail(err);
	}
	*bad = c.bad;
	bw_replay_decoder_free(d);
	if (!is_stdin)
		close(fd);
	return ret;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },   { "replay", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },	     { "output", required_argument, NULL, 'o' },
		{ "all-matches", no_argument, NULL, 'A' },   { "min-priority", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },	     { "debug", no_argument, NULL, 'd' },
		{ "http-output", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },	     { NULL, 0, NULL, 0 },
	};
	_cleanup_free_ const char **paths = calloc((size_t)argc + 1, sizeof(char *));
	struct alert_args aa = { .paths = paths, .ao = { .sz = sizeof(aa.ao), .min_priority = BW_PRIO_DEBUG } };
	struct bw_ruleset *rs = NULL;
	struct bw_alerter *a = NULL;
	struct bw_error *err = NULL;
	const char *input = NULL;
	FILE *out = stdout;
	struct bw_http_output *http = NULL;
	size_t bad = 0;
	int c, r;

	if (!paths)
		return EXIT_ERROR;
	while ((c = getopt_long(argc, argv, "r:o:p:qdh", opts, NULL)) != -1) {
		r = cli_alert_opt(&aa, c, optarg, "replay");
		if (r < 0)
			return -r;
		if (r)
			continue;
		switch (c) {
		case 'R':
			input = optarg;
			break;
		case 'h':
			fputs(replay_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("replay", "unknown option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (!aa.n)
		return cli_usage_error("replay", "no rules: give -r FILE|DIR");
	if (!input && optind + 1 == argc)
		input = argv[optind++];
	if (!input || optind != argc)
		return cli_usage_error("replay", "expected one input FILE or `-`");
	if ((r = cli_rules_load(aa.paths, aa.n, &rs)))
		return r;
	if (aa.output && strcmp(aa.output, "-") && !(out = fopen(aa.output, "we"))) {
		fprintf(stderr, "error: cannot open `%s` for writing: %s\n", aa.output, strerror(errno));
		bw_ruleset_free(rs);
		return EXIT_ERROR;
	}
	if (aa.http_url) {
		struct bw_http_output_opts ho = { .sz = sizeof(ho) };
		if (bw_http_output_new(aa.http_url, &ho, &http, &err) < 0) {
			r = cli_fail(err);
			goto done;
		}
		aa.ao.http = http;
	}
	if (bw_alerter_new(rs, bw_replay_source(), &aa.ao, write_line, out, &a, &err) < 0) {
		r = cli_fail(err);
		goto done;
	}
	if (!cli.quiet)
		fprintf(stderr, "Loaded %zu syscall rules (%zu rules in total, %zu skipped)\n",
			bw_matcher_rule_count(bw_alerter_matcher(a)), bw_ruleset_rule_count(rs),
			bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED));
	r = run(a, input, &bad);
	if (fflush(out) != 0 && !r) {
		fprintf(stderr, "error: cannot write alerts: %s\n", strerror(errno));
		r = EXIT_ERROR;
	}
	cli_http_finish(http);
	cli_alert_summary(a, bad);
done:
	if (out != stdout)
		fclose(out);
	bw_alerter_free(a);
	bw_http_output_free(http);
	bw_ruleset_free(rs);
	return r;
}
