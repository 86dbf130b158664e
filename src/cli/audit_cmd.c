/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"
#include "cli/cli.h"

static const char audit_usage[] =
	"Usage: bulwark audit -r RULES [OPTIONS] FILE|-\n"
	"       bulwark audit -r RULES [OPTIONS] --listen [HOST]:PORT\n"
	"\n"
	"Run Falco k8s_audit rules (k8s_audit_rules.yaml as upstream writes it) over\n"
	"Kubernetes audit events: a log file as the API server's log backend writes it\n"
	"(one audit.k8s.io/v1 Event or EventList per line), or the EventList POSTs of\n"
	"its webhook backend. Each alert is one Falco output line (or JSON with --json).\n"
	"\n"
	"Options:\n"
	"  -r, --rules PATH         rules file or directory (repeatable, loaded in order)\n"
	"      --listen ADDR        serve the webhook backend on ADDR (e.g. :9765);\n"
	"                           SIGHUP reloads the rules, keeping the ones in use\n"
	"                           if the files have errors\n"
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

static volatile bool stop;
static volatile sig_atomic_t reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = true;
}

struct out {
	FILE *f;
	bool flush; /* webhook: alerts as they happen */
};

static int write_line(const char *line, size_t len, void *ud)
{
	struct out *o = ud;

	if (fwrite(line, 1, len, o->f) != len || putc('\n', o->f) == EOF)
		return -EIO;
	if (o->flush)
		fflush(o->f);
	return 0;
}

/* The webhook's rules, replaced on SIGHUP. */
struct served {
	struct alert_args *aa;
	struct out *o;
	struct bw_ruleset *rs;
	struct bw_alerter *a;
};

/*
 * SIGHUP: loads the rule files again. Rules with errors are reported with
 * file and line, as at start, and the rules in use stay; good ones replace
 * them between two requests.
 */
static void reload_rules(struct served *sv)
{
	struct bw_ruleset *rs = NULL;
	struct bw_alerter *a = NULL;
	struct bw_error *err = NULL;

	reload = 0;
	fprintf(stderr, "Reloading rules (SIGHUP)\n");
	if (cli_rules_load(sv->aa->paths, sv->aa->n, &rs)) {
		fprintf(stderr, "warning: kept the %zu k8s_audit rules in use\n",
			bw_matcher_rule_count(bw_alerter_matcher(sv->a)));
		return;
	}
	if (bw_alerter_new(rs, bw_audit_source(), &sv->aa->ao, write_line, sv->o, &a, &err) < 0) {
		fprintf(stderr, "warning: %s; kept the rules in use\n",
			err && err->msg ? err->msg : "cannot use the new rules");
		bw_error_free(err);
		bw_ruleset_free(rs);
		return;
	}
	fprintf(stderr, "Loaded %zu k8s_audit rules (%zu rules in total, %zu skipped)\n",
		bw_matcher_rule_count(bw_alerter_matcher(a)), bw_ruleset_rule_count(rs),
		bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED));
	cli_alert_summary(sv->a, 0);
	bw_alerter_free(sv->a);
	bw_ruleset_free(sv->rs);
	sv->a = a;
	sv->rs = rs;
}

static int on_webhook_event(void *evt, void *ud)
{
	struct served *sv = ud;

	if (reload)
		reload_rules(sv);
	if (!evt)
		return 0;
	return bw_alerter_run(sv->a, evt, -1) < 0 ? -EIO : 0;
}

static int read_file(struct bw_alerter *a, const char *path, size_t *bad)
{
	struct cli_line_reader rd = { .fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0 };
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	char *line = NULL;
	size_t len = 0, lineno = 0;
	int r, ret = 0;

	if (rd.fd < 0) {
		fprintf(stderr, "error: cannot open `%s`: %s\n", path, strerror(errno));
		return EXIT_INPUT;
	}
	while ((r = cli_line_next(&rd, BW_MAX_AUDIT_BATCH_SIZE, &line, &len)) != 0) {
		struct bw_audit_batch *b = NULL;
		struct bw_error *err = NULL;
		size_t i = 0;

		lineno++;
		if (r == -ENOMEM || (r < 0 && r != -E2BIG)) {
			fprintf(stderr, "error: %s: %s\n", name, strerror(-r));
			ret = EXIT_ERROR;
			break;
		}
		if (r == -E2BIG) {
			fprintf(stderr, "warning: %s:%zu: audit event larger than %u bytes, skipping\n",
				name, lineno, BW_MAX_AUDIT_BATCH_SIZE);
			(*bad)++;
			continue;
		}
		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i == len)
			continue;
		if (bw_audit_decode(line, len, &b, &err) < 0) {
			fprintf(stderr, "warning: %s:%zu: %s, skipping\n", name, lineno,
				err && err->msg ? err->msg : "invalid event");
			bw_error_free(err);
			(*bad)++;
			continue;
		}
		for (size_t j = 0; j < bw_audit_batch_count(b) && !ret; j++)
			if (bw_alerter_run(a, bw_audit_batch_event(b, j), -1) < 0) {
				fprintf(stderr, "error: cannot write alerts: %s\n", strerror(errno));
				ret = EXIT_ERROR;
			}
		bw_audit_batch_free(b);
		if (ret)
			break;
	}
	cli_line_reader_done(&rd);
	if (strcmp(path, "-"))
		close(rd.fd);
	return ret;
}

/* Falco's closing summary, on stderr. */
void cli_alert_summary(struct bw_alerter *a, size_t bad)
{
	const char *name, *prio;
	uint64_t count;

	if (cli.quiet)
		return;
	fprintf(stderr, "Events: %llu, alerts: %llu", (unsigned long long)bw_alerter_events(a),
		(unsigned long long)bw_alerter_alerts(a));
	if (bad)
		fprintf(stderr, ", skipped inputs: %zu", bad);
	fputc('\n', stderr);
	if (bw_alerter_alerts(a))
		fprintf(stderr, "Triggered rules by rule name:\n");
	for (size_t i = 0; bw_alerter_rule_hits(a, i, &name, &prio, &count); i++)
		if (count)
			fprintf(stderr, "   %s: %llu\n", name, (unsigned long long)count);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },   { "listen", required_argument, NULL, 'l' },
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
	struct out o = { .f = stdout };
	const char *listen_addr = NULL;
	struct bw_http_output *http = NULL;
	size_t bad = 0;
	int c, r;

	if (!paths)
		return EXIT_ERROR;
	while ((c = getopt_long(argc, argv, "r:o:p:qdh", opts, NULL)) != -1) {
		r = cli_alert_opt(&aa, c, optarg, "audit");
		if (r < 0)
			return -r;
		if (r)
			continue;
		switch (c) {
		case 'l':
			listen_addr = optarg;
			break;
		case 'h':
			fputs(audit_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("audit", "unknown option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (!aa.n)
		return cli_usage_error("audit", "no rules: give -r FILE|DIR");
	if (!listen_addr && optind + 1 != argc)
		return cli_usage_error("audit", "expected one input FILE or `-`");
	if (listen_addr && optind != argc)
		return cli_usage_error("audit", "--listen takes no input file");
	if ((r = cli_rules_load(aa.paths, aa.n, &rs)))
		return r;
	if (aa.output && strcmp(aa.output, "-") && !(o.f = fopen(aa.output, "we"))) {
		fprintf(stderr, "error: cannot open `%s` for writing: %s\n", aa.output, strerror(errno));
		bw_ruleset_free(rs);
		return EXIT_ERROR;
	}
	o.flush = listen_addr != NULL;
	if (aa.http_url) {
		struct bw_http_output_opts ho = { .sz = sizeof(ho) };
		if (bw_http_output_new(aa.http_url, &ho, &http, &err) < 0) {
			r = cli_fail(err);
			goto out;
		}
		aa.ao.http = http;
	}
	if (bw_alerter_new(rs, bw_audit_source(), &aa.ao, write_line, &o, &a, &err) < 0) {
		r = cli_fail(err);
		goto out;
	}
	if (!cli.quiet)
		fprintf(stderr, "Loaded %zu k8s_audit rules (%zu rules in total, %zu skipped)\n",
			bw_matcher_rule_count(bw_alerter_matcher(a)), bw_ruleset_rule_count(rs),
			bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED));
	if (listen_addr) {
		struct served sv = { .aa = &aa, .o = &o, .rs = rs, .a = a };
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		if (bw_audit_listen(listen_addr, on_webhook_event, &sv, &stop, &err) < 0)
			r = cli_fail(err);
		a = sv.a;
		rs = sv.rs;
	} else {
		r = read_file(a, argv[optind], &bad);
	}
	if (fflush(o.f) != 0 && !r) {
		fprintf(stderr, "error: cannot write alerts: %s\n", strerror(errno));
		r = EXIT_ERROR;
	}
	cli_http_finish(http);
	cli_alert_summary(a, bad);
out:
	if (o.f != stdout)
		fclose(o.f);
	bw_alerter_free(a);
	bw_http_output_free(http);
	bw_ruleset_free(rs);
	return r;
}
