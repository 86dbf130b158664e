/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule engine throughput.
 *
 *   syscall: all rules of the given syscall rule files loaded, a synthetic but
 *            realistic stream of 100,000 distinct lines (execs, opens,
 *            connects; deterministic) decoded and evaluated line by line into
 *            one reused event, as `bulwark replay` does: events/second of
 *            decode + evaluate, of decoding alone, and the difference.
 *   audit:   k8s_audit_rules.yaml over the upstream audit fixtures, decode +
 *            evaluate per event (what `bulwark audit` does per line).
 *
 * Timing is the best of ROUNDS rounds (the machine is shared). Prints
 * figures and rule counts; asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"

#define ROUNDS 7

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct bw_ruleset *load(char **paths, int n)
{
	const struct bw_source *srcs[] = { bw_replay_source(), bw_audit_source() };
	struct bw_ruleset *rs = bw_ruleset_new();
	struct bw_error *err = NULL;

	for (int i = 0; i < n; i++)
		if (bw_ruleset_load_path(rs, paths[i], &err) < 0) {
			fprintf(stderr, "cannot load %s: %s\n", paths[i], err->msg);
			exit(1);
		}
	if (bw_ruleset_compile(rs, srcs, 2, &err) < 0) {
		fprintf(stderr, "cannot compile: %s\n", err->msg);
		exit(1);
	}
	return rs;
}

static const char *const procs[] = { "bash", "nginx", "python3", "java", "node", "sshd", "curl",
				     "sh", "cat", "ls", "postgres", "redis-server" };
static const char *const files[] = { "/etc/passwd", "/usr/lib/x86_64-linux-gnu/libc.so.6",
				     "/proc/self/stat", "/var/log/nginx/access.log", "/tmp/x.txt",
				     "/etc/shadow", "/home/u/.bashrc", "/dev/null",
				     "/usr/share/zoneinfo/UTC", "/etc/ld.so.cache" };

/* One synthetic event line, deterministic in i. */
static int make_line(char *buf, size_t n, unsigned i)
{
	const char *p = procs[i % BW_ARRAY_SIZE(procs)], *pp = procs[(i / 7) % BW_ARRAY_SIZE(procs)];
	const char *f = files[(i / 3) % BW_ARRAY_SIZE(files)];
	const char *cont = (i % 5) ? "\"container.id\":\"3ad7b26ded6d\",\"container.image.repository\":\"docker.io/library/nginx\"," : "\"container.id\":\"host\",";
	unsigned kind = i % 10;

	if (kind < 2)
		return snprintf(buf, n,
				"{\"ts\":%u,\"evt.type\":\"execve\",\"evt.dir\":\"<\",\"evt.res\":\"SUCCESS\","
				"\"proc.name\":\"%s\",\"proc.exepath\":\"/usr/bin/%s\",\"proc.cmdline\":\"%s -c x\","
				"\"proc.args\":\"-c x\",\"proc.pname\":\"%s\",\"proc.aname\":[\"%s\",\"%s\",\"systemd\"],"
				"\"proc.tty\":0,\"user.name\":\"root\",\"user.uid\":0,\"user.loginuid\":-1,%s"
				"\"proc.is_exe_upper_layer\":false,\"evt.arg.flags\":\"\",\"proc.sname\":\"bash\"}",
				i, p, p, p, pp, p, pp, cont);
	if (kind < 8)
		return snprintf(buf, n,
				"{\"ts\":%u,\"evt.type\":\"openat\",\"evt.dir\":\"<\",\"proc.name\":\"%s\","
				"\"proc.pname\":\"%s\",\"proc.aname\":[\"%s\",\"%s\"],\"fd.name\":\"%s\","
				"\"fd.directory\":\"/etc\",\"fd.typechar\":\"f\",\"fd.type\":\"file\","
				"\"evt.is_open_read\":true,\"evt.is_open_write\":%s,"
				"\"evt.arg.flags\":\"O_RDONLY|O_CLOEXEC\",\"user.name\":\"root\",%s"
				"\"proc.cmdline\":\"%s\"}",
				i, p, pp, p, pp, f, (i % 4) ? "false" : "true", cont, p);
	return snprintf(buf, n,
			"{\"ts\":%u,\"evt.type\":\"connect\",\"evt.dir\":\"<\",\"proc.name\":\"%s\","
			"\"proc.pname\":\"%s\",\"fd.type\":\"ipv4\",\"fd.typechar\":\"4\",\"fd.l4proto\":\"tcp\","
			"\"fd.sip\":\"10.0.%u.%u\",\"fd.sport\":%u,\"fd.rip\":\"10.0.0.1\",\"fd.rport\":443,"
			"\"fd.name\":\"10.0.0.1:443->10.0.0.2:%u\",\"evt.rawres\":0,%s\"user.name\":\"www\"}",
			i, p, pp, i % 250, i % 200, 1024 + i % 60000, 1024 + i % 60000, cont);
}

/* The stream: nlines deterministic lines in one buffer. */
struct stream {
	char *buf;
	size_t *off, *len;
	unsigned n;
	size_t bytes;
};

static void make_stream(struct stream *st, unsigned n)
{
	char line[4096];

	st->buf = malloc((size_t)n * sizeof(line));
	st->off = calloc(n, sizeof(*st->off));
	st->len = calloc(n, sizeof(*st->len));
	if (!st->buf || !st->off || !st->len)
		exit(1);
	st->n = n;
	st->bytes = 0;
	for (unsigned i = 0; i < n; i++) {
		int len = make_line(line, sizeof(line), i);
		st->off[i] = st->bytes;
		st->len[i] = (size_t)len;
		memcpy(st->buf + st->bytes, line, (size_t)len);
		st->bytes += (size_t)len;
	}
}

static void bench_syscall(char **paths, int n, unsigned nevents)
{
	struct bw_ruleset *rs = load(paths, n);
	struct bw_matcher *m = NULL;
	struct bw_replay_decoder *d = NULL;
	struct bw_replay_event *e = NULL;
	struct bw_error *err = NULL;
	struct stream st;
	unsigned long long alerts = 0;
	double best_dec = 1e9, best_all = 1e9;

	if (bw_matcher_new(rs, bw_replay_source(), NULL, &m, &err) < 0 ||
	    bw_replay_decoder_new(m, &d, &err) < 0) {
		fprintf(stderr, "setup failed\n");
		exit(1);
	}
	make_stream(&st, nevents);
	/* Best of ROUNDS: decode only, then decode + evaluate, line by line,
	 * as `bulwark replay` does. The engine's share is the difference. */
	for (int round = 0; round < ROUNDS; round++) {
		double t0 = now();
		for (unsigned i = 0; i < st.n; i++)
			if (bw_replay_decode_into(d, st.buf + st.off[i], st.len[i], &e, &err) < 0) {
				fprintf(stderr, "decode: %s\n", err->msg);
				exit(1);
			}
		double t1 = now();
		alerts = 0;
		for (unsigned i = 0; i < st.n; i++) {
			bw_replay_decode_into(d, st.buf + st.off[i], st.len[i], &e, NULL);
			int x = bw_matcher_run(m, e, bw_replay_event_type(e), NULL, NULL);
			alerts += (unsigned long long)(x > 0 ? x : 0);
		}
		double t2 = now();
		if (t1 - t0 < best_dec)
			best_dec = t1 - t0;
		if (t2 - t1 < best_all)
			best_all = t2 - t1;
	}
	double eval = best_all - best_dec;
	printf("syscall: %zu rules loaded, %zu evaluated, %zu skipped, %zu disabled\n",
	       bw_ruleset_rule_count(rs), bw_matcher_rule_count(m),
	       bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED), bw_ruleset_count(rs, NULL, BW_RULE_DISABLED));
	printf("syscall: stream of %u events (20%% execve, 60%% openat, 20%% connect), avg %.0f bytes, %llu alerts\n",
	       st.n, (double)st.bytes / st.n, alerts);
	printf("syscall: decode + evaluate %.0f events/s per core (%.0f ns/event, best of %d)\n",
	       st.n / best_all, best_all / st.n * 1e9, ROUNDS);
	printf("syscall:   JSON decode alone %.0f events/s (%.0f ns/event); rule evaluation alone %.0f events/s (%.0f ns/event)\n",
	       st.n / best_dec, best_dec / st.n * 1e9, st.n / eval, eval / st.n * 1e9);
	bw_replay_event_free(e);
	free(st.buf);
	free(st.off);
	free(st.len);
	bw_replay_decoder_free(d);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
}

static void bench_audit(char *rules, char **inputs, int ninputs, unsigned reps)
{
	struct bw_ruleset *rs = load(&rules, 1);
	struct bw_matcher *m = NULL;
	struct bw_error *err = NULL;
	char **docs = calloc((size_t)ninputs, sizeof(*docs));
	size_t *lens = calloc((size_t)ninputs, sizeof(*lens));
	unsigned long long events = 0, alerts = 0, bytes = 0;
	int nd = 0;

	if (bw_matcher_new(rs, bw_audit_source(), NULL, &m, &err) < 0)
		exit(1);
	for (int i = 0; i < ninputs; i++) {
		if (bw_read_file(inputs[i], 1 << 24, &docs[nd], &lens[nd], &err) < 0)
			continue;
		struct bw_audit_batch *b = NULL;
		if (bw_audit_decode(docs[nd], lens[nd], &b, NULL) == 0) {
			bw_audit_batch_free(b);
			nd++;
		} else {
			free(docs[nd]);
		}
	}
	double dt = 1e9;
	for (int round = 0; round < ROUNDS; round++) {
		double t0 = now();
		events = alerts = bytes = 0;
		for (unsigned r = 0; r < reps; r++)
			for (int i = 0; i < nd; i++) {
				struct bw_audit_batch *b = NULL;
				if (bw_audit_decode(docs[i], lens[i], &b, NULL) < 0)
					continue;
				bytes += lens[i];
				for (size_t j = 0; j < bw_audit_batch_count(b); j++) {
					int x = bw_matcher_run(m, bw_audit_batch_event(b, j), -1, NULL, NULL);
					alerts += (unsigned long long)(x > 0 ? x : 0);
					events++;
				}
				bw_audit_batch_free(b);
			}
		if (now() - t0 < dt)
			dt = now() - t0;
	}
	printf("audit: %zu rules loaded, %zu evaluated\n", bw_ruleset_rule_count(rs),
	       bw_matcher_rule_count(m));
	printf("audit: decode + evaluate %.0f events/s per core (%.2f us/event, avg %.0f bytes, %llu events per round, %llu alerts, best of %d)\n",
	       events / dt, dt / events * 1e6, (double)bytes / events, events, alerts, ROUNDS);
	for (int i = 0; i < nd; i++)
		free(docs[i]);
	free(docs);
	free(lens);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "syscall")) {
		bench_syscall(argv + 2, argc - 2, 100000);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "audit")) {
		bench_audit(argv[2], argv + 3, argc - 3, 500);
		return 0;
	}
	fprintf(stderr, "usage: rules_bench syscall RULES... | audit RULES EVENTS...\n");
	return 2;
}
