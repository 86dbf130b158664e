/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "bulwark/runtime.h"
#include "cli/cli.h"
#include "runtime/sensor_api.h"

static const char help[] =
	"Usage: bulwark watch -r RULES [-r ...] [OPTIONS]\n"
	"\n"
	"Watch this machine and its containers with an eBPF sensor and raise an\n"
	"alert whenever a Falco rule matches: process execution, fork and exit, file\n"
	"opens, unlink/rename/mkdir/chmod/chown/link, sockets (connect, accept, bind,\n"
	"listen), setuid family, ptrace, mount, modules, memfd_create, bpf,\n"
	"unshare/setns and capset are traced in the kernel (only the syscalls the\n"
	"rules can match), attributed to their container (podman, docker,\n"
	"containerd, CRI-O) and evaluated as Falco evaluates them.\n"
	"Stops on SIGINT or SIGTERM. SIGHUP loads the rule files again: errors are\n"
	"printed with file and line and the rules in use stay.\n"
	"\n"
	"Options:\n"
	"  -r, --rules PATH       rules file or directory (repeatable)\n"
	"      --json             alerts as Falco's JSON\n"
	"  -o, --output FILE      write alerts to FILE\n"
	"  -p, --min-priority P   only alerts of this priority or higher\n"
	"      --events FILE      also record every event, in the replay format\n"
	"                         (docs/replay-format.md), for `bulwark replay`\n"
	"      --duration SECS    stop after SECS seconds\n"
	"      --stats            print events, alerts and drops when stopping\n"
	"      --buffer-size N    ring buffer size (power of two; K and M suffixes;\n"
	"                         default 16M); when it fills, events are dropped\n"
	"                         and counted\n"
	"  -q, --quiet            print only errors\n"
	"  -d, --debug            print debug messages\n"
	"  -h, --help             show this help\n"
	"Needs root and a kernel with BTF; tracefs is mounted when missing.\n";

static volatile sig_atomic_t stop, reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

struct watch {
	struct bw_alerter *a;
	struct bw_replay_decoder *d;
	struct bw_replay_event *e;
	FILE *events;
	uint64_t bad;
};

/* Only what some loaded rule can match is traced in the kernel; recording
 * (--events) takes everything. */
static bool rules_want(const char *evtype, void *ud)
{
	struct watch *w = ud;

	return w->events || bw_matcher_wants_evtype(bw_alerter_matcher(w->a), evtype);
}

static int write_alert(const char *line, size_t len, void *ud)
{
	FILE *f = ud;

	if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF || fflush(f) != 0)
		return -EIO;
	return 0;
}

static int on_event(const char *line, size_t len, void *ud)
{
	struct watch *w = ud;
	struct bw_error *err = NULL;

	if (w->events) {
		fwrite(line, 1, len, w->events);
		putc('\n', w->events);
	}
	/* One event is reused for the whole stream: no allocation per event. */
	if (bw_replay_decode_into(w->d, line, len, &w->e, &err) < 0) {
		bw_log(BW_LOG_DEBUG, "sensor event not decoded: %s", err && err->msg ? err->msg : "?");
		bw_error_free(err);
		w->bad++;
		return 1; /* not evaluated */
	}
	int r = bw_alerter_run(w->a, w->e, bw_replay_event_type(w->e));
	return r < 0 ? -EIO : r;
}

static void print_loaded(struct watch *w, struct bw_ruleset *rs, struct bw_sensor *s)
{
	struct bw_sensor_stats st;

	if (cli.quiet)
		return;
	bw_sensor_get_stats(s, &st);
	fprintf(stderr, "Watching: %zu syscall rules loaded (%zu rules in total, %zu skipped), %zu syscalls traced\n",
		bw_matcher_rule_count(bw_alerter_matcher(w->a)), bw_ruleset_rule_count(rs),
		bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED), st.syscalls);
}

/*
 * SIGHUP: loads the rule files again. Rules with errors are reported with
 * file and line, as at start, and the rules in use stay. Good ones replace
 * them; when they need a syscall the running program does not trace, a new
 * sensor is started before the old one stops.
 */
static void reload_rules(struct watch *w, struct alert_args *aa, FILE *out, struct bw_ruleset **rs,
			 struct bw_sensor **s, const struct bw_sensor_opts *so)
{
	struct watch old = *w;
	struct bw_ruleset *nrs = NULL;
	struct bw_sensor *ns = NULL;
	struct bw_error *err = NULL;

	reload = 0;
	fprintf(stderr, "Reloading rules (SIGHUP)\n");
	if (cli_rules_load_src(aa->paths, aa->n, bw_sensor_source(), &nrs)) {
		fprintf(stderr, "warning: kept the %zu syscall rules in use\n",
			bw_matcher_rule_count(bw_alerter_matcher(w->a)));
		return;
	}
	w->a = NULL;
	w->d = NULL;
	w->e = NULL;
	if (bw_alerter_new(nrs, bw_sensor_source(), &aa->ao, write_alert, out, &w->a, &err) < 0 ||
	    bw_replay_decoder_new(bw_alerter_matcher(w->a), &w->d, &err) < 0)
		goto keep;
	if (bw_sensor_retarget(*s, rules_want, w) < 0) {
		if (bw_sensor_open(so, &ns, &err) < 0) {
			bw_error_wrap(&err, "cannot start a sensor for the new rules");
			goto keep;
		}
		bw_sensor_free(*s);
		*s = ns;
	}
	cli_alert_summary(old.a, 0);
	bw_replay_event_free(old.e);
	bw_replay_decoder_free(old.d);
	bw_alerter_free(old.a);
	bw_ruleset_free(*rs);
	*rs = nrs;
	print_loaded(w, *rs, *s);
	return;
keep:
	fprintf(stderr, "warning: %s; kept the rules in use\n", err && err->msg ? err->msg : "out of memory");
	bw_error_free(err);
	bw_replay_decoder_free(w->d);
	bw_alerter_free(w->a);
	bw_ruleset_free(nrs);
	*w = old;
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },	{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },	{ "min-priority", required_argument, NULL, 'p' },
		{ "events", required_argument, NULL, 'E' },	{ "duration", required_argument, NULL, 'D' },
		{ "stats", no_argument, NULL, 'S' },		{ "quiet", no_argument, NULL, 'q' },
		{ "debug", no_argument, NULL, 'd' },		{ "help", no_argument, NULL, 'h' },
		{ "buffer-size", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_free_ const char **paths = calloc((size_t)argc + 1, sizeof(char *));
	struct alert_args aa = { .paths = paths, .ao = { .sz = sizeof(aa.ao), .min_priority = BW_PRIO_DEBUG } };
	struct bw_sensor_opts so = { .sz = sizeof(so) };
	struct bw_ruleset *rs = NULL;
	struct bw_sensor *s = NULL;
	struct bw_error *err = NULL;
	struct watch w = { 0 };
	const char *events = NULL;
	FILE *out = stdout;
	long duration = 0;
	bool stats = false;
	int c, r = EXIT_OK;

	if (!paths)
		return EXIT_ERROR;
	while ((c = getopt_long(argc, argv, "r:o:p:qdh", opts, NULL)) != -1) {
		r = cli_alert_opt(&aa, c, optarg, "watch");
		if (r < 0)
			return -r;
		if (r)
			continue;
		switch (c) {
		case 'E':
			events = optarg;
			break;
		case 'D': {
			char *end;
			duration = strtol(optarg, &end, 10);
			if (*end || duration <= 0)
				return cli_usage_error("watch", "bad --duration `%s`", optarg);
			break;
		}
		case 'S':
			stats = true;
			break;
		case 'B': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end == 'K' || *end == 'k')
				v <<= 10, end++;
			else if (*end == 'M' || *end == 'm')
				v <<= 20, end++;
			if (*end || v == 0 || v > (1ul << 30))
				return cli_usage_error("watch", "bad --buffer-size `%s`", optarg);
			so.ring_bytes = (uint32_t)v;
			break;
		}
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("watch", "unknown option `%s`", argv[optind - 1]);
		}
	}
	cli_setup_logging();
	if (!aa.n)
		return cli_usage_error("watch", "no rules: give -r FILE|DIR");
	if (optind != argc)
		return cli_usage_error("watch", "unexpected argument `%s`", argv[optind]);
	if ((r = cli_rules_load_src(aa.paths, aa.n, bw_sensor_source(), &rs)))
		return r;
	if (aa.output && strcmp(aa.output, "-") && !(out = fopen(aa.output, "we"))) {
		fprintf(stderr, "error: cannot open `%s` for writing: %s\n", aa.output, strerror(errno));
		bw_ruleset_free(rs);
		return EXIT_ERROR;
	}
	if (events && !(w.events = fopen(events, "we"))) {
		fprintf(stderr, "error: cannot open `%s` for writing: %s\n", events, strerror(errno));
		r = EXIT_ERROR;
		goto done;
	}
	if (bw_alerter_new(rs, bw_sensor_source(), &aa.ao, write_alert, out, &w.a, &err) < 0 ||
	    bw_replay_decoder_new(bw_alerter_matcher(w.a), &w.d, &err) < 0) {
		r = cli_fail(err);
		goto done;
	}
	so.wants = rules_want;
	so.no_quiet = events != NULL; /* a recording keeps every event */
	so.wants_userdata = &w;
	if (bw_sensor_open(&so, &s, &err) < 0) {
		bw_error_wrap(&err, "cannot start the sensor");
		r = cli_fail(err);
		if (r == EXIT_INPUT)
			r = EXIT_ERROR;
		goto done;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	print_loaded(&w, rs, s);
	time_t end = duration ? time(NULL) + duration : 0;
	while (!stop && (!end || time(NULL) < end)) {
		if (reload)
			reload_rules(&w, &aa, out, &rs, &s, &so);
		int p = bw_sensor_poll(s, 200, on_event, &w, &err);
		if (p == -EINTR)
			continue;
		if (p < 0) {
			r = cli_fail(err);
			err = NULL;
			break;
		}
	}
	if (stats || !cli.quiet) {
		struct bw_sensor_stats st;
		bw_sensor_get_stats(s, &st);
		fprintf(stderr,
			"Sensor: %llu events, %llu dropped in the kernel, %llu invalid, %llu not decoded, "
			"%llu 32-bit syscalls skipped, %llu stopped in the kernel as of no interest (%llu keys)\n",
			(unsigned long long)st.events, (unsigned long long)st.drops, (unsigned long long)st.invalid,
			(unsigned long long)w.bad, (unsigned long long)st.compat, (unsigned long long)st.quiet,
			(unsigned long long)st.quiet_keys);
		cli_alert_summary(w.a, 0);
	}
done:
	bw_sensor_free(s);
	bw_replay_event_free(w.e);
	bw_replay_decoder_free(w.d);
	bw_alerter_free(w.a);
	if (w.events)
		fclose(w.events);
	if (out != stdout)
		fclose(out);
	bw_ruleset_free(rs);
	return r;
}
