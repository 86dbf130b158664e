/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule engine throughput.
 *
 *   syscall: all rules of the given syscall rule files loaded; a stream of
 *            1,000,000 distinct deterministic events (20% execs, 60% opens,
 *            20% connects), shaped as `bulwark watch --events` records them
 *            (or, with --stream compact, the smaller lines of the first
 *            version of this benchmark), written to a temporary file and
 *            read back through bw_replay_read_fd() into the alerter, which
 *            is what `bulwark replay` does: events/second per core of read +
 *            decode + evaluate + format alerts, of decoding alone, and the
 *            difference, with the ratio to the 2M events/s target. With
 *            BULWARK_BIN set, also the real `bulwark replay -q` over the
 *            same file, its CPU time minus that of an empty stream.
 *   audit:   k8s_audit_rules.yaml over the upstream audit fixtures, decode +
 *            evaluate per event (what `bulwark audit` does per line).
 *
 * Timing is the best of ROUNDS rounds, in CPU time of the measuring thread
 * (or child), so other load on the machine inflates it less. Prints figures
 * and rule counts; asserts nothing about time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"

/* Rounds and events; RULES_BENCH_ROUNDS / RULES_BENCH_EVENTS override them
 * (for a profiler). */
static int ROUNDS = 7;

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

/* The compact line of the first benchmark (kept to compare with it). */
static int compact_line(char *buf, size_t n, unsigned i)
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

/* Files the sensor-shaped stream opens: ordinary ones, and (rarely) a
 * sensitive one, as a quiet production host does. */
static const char *const quiet_files[] = {
	"/etc/passwd", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/proc/self/stat",
	"/var/log/nginx/access.log", "/tmp/x.txt", "/home/u/.bashrc", "/dev/null",
	"/usr/share/zoneinfo/UTC", "/etc/ld.so.cache", "/srv/app/static/index.html",
	"/usr/lib/python3.11/json/__init__.py", "/etc/nsswitch.conf", "/etc/hosts",
	"/var/lib/postgresql/15/main/base/16384/2619", "/usr/lib/jvm/lib/modules",
};
/* Files it opens for writing. */
static const char *const written_files[] = { "/var/log/nginx/access.log", "/tmp/x.txt",
					     "/srv/app/cache/session.db", "/var/lib/redis/dump.rdb" };
/* Programs that exec: services and tools, not shells. */
static const char *const exec_procs[] = { "nginx", "python3", "java", "node", "curl",
					  "cat", "ls", "postgres", "redis-server", "grep" };

/*
 * A line as `bulwark watch --events` records it (src/runtime/sensor.c): the
 * process, its parent, ancestry, user and container on every event, then
 * the fields of the event type. One line in 32 has a command line with
 * escaped quotes, which takes the decoder's careful path. The alert rate
 * is that of a quiet host (about 0.2%): one event in 1000 opens
 * /etc/shadow and one in 1250 execs a shell under nginx (the upstream
 * rules "Read sensitive file untrusted"/"... trusted after startup" and
 * "Run shell untrusted" fire); everything else is ordinary activity.
 */
static int sensor_line(char *buf, size_t n, unsigned i)
{
	unsigned kind = i % 10, pid = 1000 + i % 30000;
	const char *p = procs[i % BW_ARRAY_SIZE(procs)], *pp = procs[(i / 7) % BW_ARRAY_SIZE(procs)];
	const char *f = quiet_files[(i / 3) % BW_ARRAY_SIZE(quiet_files)];
	const char *args = (i % 32) == 5 ? "-c \\\"echo hi > /tmp/x\\\"" : "-c x --flag=1";
	char common[2048], cont[256];
	int len;

	if (kind < 2) {
		/* execve: a tool started by a shell, or a shell under nginx */
		p = (i % 1250) == 0 ? "bash" : exec_procs[(i / 10) % BW_ARRAY_SIZE(exec_procs)];
		pp = (i % 1250) == 0 ? "nginx" : (i / 10) % 3 ? "bash" : "sh";
	}
	if ((i % 4) == 0)
		f = written_files[(i / 4) % BW_ARRAY_SIZE(written_files)];
	if (kind >= 2 && kind < 8 && (i % 1000) == 2)
		f = "/etc/shadow";
	if (i % 5)
		snprintf(cont, sizeof(cont),
			 "\"container.id\":\"3ad7b26ded6d\",\"container.name\":\"web-%u\","
			 "\"container.image.repository\":\"docker.io/library/nginx\","
			 "\"container.image.tag\":\"1.25\"", i % 7);
	else
		snprintf(cont, sizeof(cont), "\"container.id\":\"host\",\"container.name\":\"host\"");
	len = snprintf(common, sizeof(common),
		       "{\"ts\":%llu,\"evt.type\":\"%s\",\"evt.dir\":\"<\",\"evt.rawres\":%d,"
		       "\"evt.res\":\"%s\",\"proc.pid\":%u,\"thread.tid\":%u,\"proc.ppid\":%u,"
		       "\"proc.name\":\"%s\",\"proc.exepath\":\"/usr/bin/%s\",\"proc.exe\":\"%s\","
		       "\"proc.args\":\"%s\",\"proc.cmdline\":\"%s %s\",\"proc.cwd\":\"/srv/app/\","
		       "\"proc.pname\":\"%s\",\"proc.pcmdline\":\"%s -D\",\"proc.pexepath\":\"/usr/sbin/%s\","
		       "\"proc.aname\":[\"%s\",\"%s\",\"containerd-shim\",\"systemd\"],\"proc.tty\":0,"
		       "\"user.uid\":%u,\"user.name\":\"%s\",\"user.loginuid\":-1,\"group.gid\":%u,%s",
		       1700000000000000000ull + (unsigned long long)i * 1000,
		       kind < 2 ? "execve" : kind < 8 ? "openat" : "connect", (i % 13) ? 3 : -2,
		       (i % 13) ? "SUCCESS" : "ENOENT", pid, pid, 1 + i % 999, p, p, p, args, p, args, pp,
		       pp, pp, p, pp, (i % 3) ? 0 : 1000, (i % 3) ? "root" : "www", (i % 3) ? 0 : 1000,
		       cont);
	if (len < 0 || (size_t)len >= sizeof(common))
		return -1;
	if (kind < 2)
		return snprintf(buf, n, "%s,\"evt.arg.flags\":\"\",\"proc.is_exe_from_memfd\":false}",
				common);
	if (kind < 8) {
		const char *slash = strrchr(f, '/');
		return snprintf(buf, n,
				"%s,\"fd.name\":\"%s\",\"fd.directory\":\"%.*s\",\"fd.filename\":\"%s\","
				"\"fd.typechar\":\"f\",\"fd.num\":%u,\"evt.is_open_read\":true,"
				"\"evt.is_open_write\":%s,\"evt.arg\":{\"flags\":\"%s\",\"name\":\"%s\","
				"\"mode\":0}}",
				common, f, (int)(slash == f ? 1 : slash - f), f, slash + 1, 3 + i % 60,
				(i % 4) ? "false" : "true",
				(i % 4) ? "O_RDONLY|O_CLOEXEC" : "O_RDWR|O_CREAT|O_CLOEXEC", f);
	}
	return snprintf(buf, n,
			"%s,\"fd.typechar\":\"4\",\"fd.sip\":\"10.0.%u.%u\",\"fd.sport\":%u,"
			"\"fd.rip\":\"10.0.%u.%u\",\"fd.rport\":%u,\"fd.name\":\"10.0.%u.%u:%u\","
			"\"fd.sockfamily\":\"ip\"}",
			common, i % 250, i % 200, 443, i % 250, i % 200, 443, i % 250, i % 200, 443);
}

/* Writes nevents lines to a temporary file; returns its descriptor. */
static int make_stream(const char *kind, unsigned nevents, size_t *ret_bytes)
{
	char path[256] = "/tmp/bulwark-rules-bench-XXXXXX", line[4096];
	int fd;
	FILE *f;
	size_t bytes = 0;

	const char *keep = getenv("RULES_BENCH_KEEP");

	if (keep && *keep)
		snprintf(path, sizeof(path), "%s", keep), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	else
		fd = mkstemp(path);
	if (fd < 0 || (!(keep && *keep) && unlink(path) < 0) || !(f = fdopen(dup(fd), "w"))) {
		perror("temporary stream");
		exit(1);
	}
	for (unsigned i = 0; i < nevents; i++) {
		int len = !strcmp(kind, "compact") ? compact_line(line, sizeof(line), i)
						   : sensor_line(line, sizeof(line), i);
		if (len < 0 || (size_t)len >= sizeof(line)) {
			fprintf(stderr, "line %u too long\n", i);
			exit(1);
		}
		fprintf(f, "%s\n", line);
		bytes += (size_t)len + 1;
	}
	if (fclose(f) != 0) {
		perror("temporary stream");
		exit(1);
	}
	*ret_bytes = bytes;
	return fd;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_alert(const char *line, size_t len, void *ud)
{
	(void)line;
	*(size_t *)ud += len + 1;
	return 0;
}

static int run_event(struct bw_replay_event *e, void *ud)
{
	return bw_alerter_run(ud, e, bw_replay_event_type(e)) < 0 ? -EIO : 0;
}

static int skip_event(struct bw_replay_event *e, void *ud)
{
	(void)e;
	(void)ud;
	return 0;
}

static int bad_line(uint64_t lineno, const char *msg, void *ud)
{
	(void)ud;
	fprintf(stderr, "line %llu: %s\n", (unsigned long long)lineno, msg);
	return -EINVAL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n times (sorted in place). */
static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* Best thread CPU time of ROUNDS reads of the stream through fn, and the
 * median in *ret_median. */
static double time_stream(struct bw_replay_decoder *d, int fd, bw_replay_event_fn fn, void *ud,
			  double *ret_median)
{
	struct bw_error *err = NULL;
	double best = 1e9, t_all[64];

	for (int round = 0; round < ROUNDS; round++) {
		if (lseek(fd, 0, SEEK_SET) < 0)
			exit(1);
		double t0 = cpu_now();
		if (bw_replay_read_fd(d, fd, fn, bad_line, ud, &err) < 0) {
			fprintf(stderr, "replay: %s\n", err ? err->msg : "failed");
			exit(1);
		}
		double t = cpu_now() - t0;
		if (round < 64)
			t_all[round] = t;
		if (t < best)
			best = t;
	}
	*ret_median = median(t_all, ROUNDS < 64 ? ROUNDS : 64);
	return best;
}

/* User + system CPU seconds of `bulwark replay -q -r RULES... FILE`. */
static double time_cli(const char *bin, char **rules, int nrules, const char *input, long *maxrss_kb)
{
	char **argv = calloc((size_t)(2 * nrules + 5), sizeof(*argv));
	int k = 0, status;
	struct rusage ru;
	pid_t pid;

	argv[k++] = (char *)bin;
	argv[k++] = "replay";
	argv[k++] = "-q";
	for (int i = 0; i < nrules; i++) {
		argv[k++] = "-r";
		argv[k++] = rules[i];
	}
	argv[k++] = (char *)input;
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execv(bin, argv);
		_exit(127);
	}
	free(argv);
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s replay failed\n", bin);
		exit(1);
	}
	if (maxrss_kb && ru.ru_maxrss > *maxrss_kb)
		*maxrss_kb = ru.ru_maxrss;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

#define TARGET 2e6

static void bench_syscall(const char *kind, const char *cli, char **paths, int n, unsigned nevents)
{
	struct bw_ruleset *rs = load(paths, n);
	struct bw_alerter *a = NULL;
	struct bw_replay_decoder *d = NULL;
	struct bw_error *err = NULL;
	struct bw_alerter_opts ao = { .sz = sizeof(ao), .min_priority = BW_PRIO_DEBUG };
	size_t bytes, out_bytes = 0;
	int fd = make_stream(kind, nevents, &bytes);

	if (bw_alerter_new(rs, bw_replay_source(), &ao, count_alert, &out_bytes, &a, &err) < 0 ||
	    bw_replay_decoder_new(bw_alerter_matcher(a), &d, &err) < 0) {
		fprintf(stderr, "setup failed\n");
		exit(1);
	}
	double dec_med, all_med;
	double dec = time_stream(d, fd, skip_event, NULL, &dec_med);
	double all = time_stream(d, fd, run_event, a, &all_med);
	double eval = all - dec;
	printf("syscall: %zu rules loaded, %zu evaluated, %zu skipped, %zu disabled\n",
	       bw_ruleset_rule_count(rs), bw_matcher_rule_count(bw_alerter_matcher(a)),
	       bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED), bw_ruleset_count(rs, NULL, BW_RULE_DISABLED));
	printf("syscall: %s stream, %u events (20%% execve, 60%% openat, 20%% connect), avg %.0f bytes, %llu alerts per pass\n",
	       kind, nevents, (double)bytes / nevents,
	       (unsigned long long)(bw_alerter_alerts(a) / ROUNDS));
	printf("syscall: read + decode + evaluate + alert (bw_replay_read_fd, as bulwark replay): %.0f events/s per core, %.0f ns/event, %.2fx the 2M target (CPU time, best of %d)\n",
	       nevents / all, all / nevents * 1e9, nevents / all / TARGET, ROUNDS);
	printf("syscall:   median of %d: %.0f events/s per core, %.2fx the 2M target\n", ROUNDS,
	       nevents / all_med, nevents / all_med / TARGET);
	printf("syscall:   decode alone %.0f events/s (%.0f ns/event, %.2f GB/s); rules alone %.0f events/s (%.0f ns/event)\n",
	       nevents / dec, dec / nevents * 1e9, bytes / dec / 1e9, nevents / eval, eval / nevents * 1e9);
	if (cli) {
		/* The real command, minus what it costs to start and load the
		 * rules (the same command over an empty stream). */
		char path[64], empty[] = "/tmp/bulwark-rules-bench-empty-XXXXXX";
		int efd = mkstemp(empty);
		double best = 1e9, base = 1e9, ts[5];
		long rss = 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		for (int round = 0; round < 5; round++) {
			double t = time_cli(cli, paths, n, path, &rss),
			       b = time_cli(cli, paths, n, empty, NULL);
			best = t < best ? t : best;
			base = b < base ? b : base;
			ts[round] = t;
		}
		double med = median(ts, 5);
		close(efd);
		unlink(empty);
		printf("syscall: `bulwark replay -q` end to end: %.0f events/s per core (%.3f s CPU for the stream, %.3f s to start and load rules), %.2fx the 2M target; median of 5: %.0f events/s, %.2fx; peak RSS %.1f MiB for a %.0f MiB stream\n",
		       nevents / (best - base), best - base, base, nevents / (best - base) / TARGET,
		       nevents / (med - base), nevents / (med - base) / TARGET, rss / 1024.0,
		       bytes / 1048576.0);
	}
	close(fd);
	bw_replay_decoder_free(d);
	bw_alerter_free(a);
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
		const char *kind = "sensor", *cli = getenv("BULWARK_BIN");
		int i = 2;
		if (cli && !*cli)
			cli = NULL;
		if (argc > 3 && !strcmp(argv[i], "--stream")) {
			kind = argv[i + 1];
			i += 2;
		}
		unsigned nevents = 1000000;
		if (getenv("RULES_BENCH_EVENTS"))
			nevents = (unsigned)atoi(getenv("RULES_BENCH_EVENTS"));
		if (getenv("RULES_BENCH_ROUNDS"))
			ROUNDS = atoi(getenv("RULES_BENCH_ROUNDS"));
		bench_syscall(kind, cli, argv + i, argc - i, nevents);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "audit")) {
		bench_audit(argv[2], argv + 3, argc - 3, 500);
		return 0;
	}
	fprintf(stderr, "usage: rules_bench syscall [--stream sensor|compact] RULES... | audit RULES EVENTS...\n");
	return 2;
}
