/* SPDX-License-Identifier: Apache-2.0 */
/* The sensor's decoding of ring-buffer records (no kernel needed): path
 * normalisation and resolution, open flags and modes, socket ends, the
 * process table kept by exec and fork, records of a bad size, and a
 * container's mounts (container.mount*) from its runtime config as the
 * rules engine reads them. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include <linux/types.h>

#include "bulwark/runtime.h"
#include "runtime/sensor_api.h"
#include "../../bpf/sensor.h"

static json_t *last;
static int calls;

static int keep(const char *line, size_t len, void *ud)
{
	(void)ud;
	json_decref(last);
	last = json_loadb(line, len, 0, NULL);
	assert_non_null(last);
	calls++;
	return 0;
}

static const char *str(const char *key)
{
	const char *v = json_string_value(json_object_get(last, key));
	assert_non_null(v);
	return v;
}

static const char *arg(const char *key)
{
	return json_string_value(json_object_get(json_object_get(last, "evt.arg"), key));
}

static json_int_t num(const char *key)
{
	json_t *v = json_object_get(last, key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void hdr(struct bw_ev_hdr *h, uint32_t type, uint32_t pid, uint32_t ppid, uint32_t sc, int64_t res,
		const char *comm)
{
	h->type = type;
	h->pid = h->tid = pid;
	h->ppid = ppid;
	h->loginuid = UINT32_MAX;
	h->sc = sc;
	h->ts = 1000;
	h->res = res;
	h->cgroup_id = 424242;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
}

static struct bw_sensor *sensor(void)
{
	struct bw_sensor *s = NULL;

	assert_int_equal(bw_sensor_new_detached(&s, NULL), 0);
	return s;
}

static void test_open_paths(void **state)
{
	struct bw_sensor *s = sensor();
	struct bw_ev_file f = { 0 };

	(void)state;
	hdr(&f.h, BW_EV_FILE, 999901, 1, 257, 3, "cat");
	f.flags = 0;
	snprintf(f.path, sizeof(f.path), "/etc/../etc/./shadow");
	assert_int_equal(bw_sensor_feed(s, &f, sizeof(f), keep, NULL), 0);
	assert_string_equal(str("evt.type"), "openat");
	assert_string_equal(str("fd.name"), "/etc/shadow");
	assert_string_equal(str("fd.nameraw"), "/etc/../etc/./shadow");
	assert_string_equal(str("fd.directory"), "/etc");
	assert_string_equal(str("fd.filename"), "shadow");
	assert_string_equal(str("fd.typechar"), "f");
	assert_int_equal(num("fd.num"), 3);
	assert_true(json_is_true(json_object_get(last, "evt.is_open_read")));
	assert_true(json_is_false(json_object_get(last, "evt.is_open_write")));
	assert_string_equal(arg("flags"), "O_RDONLY");

	/* resolved in the kernel: "/tmp/wx/sub" + "/" + "../f1", raw part at 12 */
	hdr(&f.h, BW_EV_FILE, 999901, 1, 257, -2, "sh");
	f.flags = 01101; /* O_WRONLY|O_CREAT|O_TRUNC */
	snprintf(f.path, sizeof(f.path), "/tmp/wx/sub/../f1");
	f.raw_off = 12;
	assert_int_equal(bw_sensor_feed(s, &f, sizeof(f), keep, NULL), 0);
	assert_string_equal(str("fd.name"), "/tmp/wx/f1");
	assert_string_equal(str("fd.nameraw"), "../f1");
	assert_string_equal(str("evt.res"), "ENOENT");
	assert_int_equal(num("fd.num"), -1);
	assert_string_equal(arg("flags"), "O_WRONLY|O_CREAT|O_TRUNC");
	assert_true(json_is_true(json_object_get(last, "evt.is_open_write")));

	/* ".." never climbs above the root; an unterminated path is cut */
	f.raw_off = 0;
	memset(f.path, 'a', sizeof(f.path));
	memcpy(f.path, "/../..//x/", 10);
	assert_int_equal(bw_sensor_feed(s, &f, sizeof(f), keep, NULL), 0);
	assert_true(strncmp(str("fd.name"), "/x/aaaa", 7) == 0);
	bw_sensor_free(s);
}

static void test_chmod_and_rename(void **state)
{
	struct bw_sensor *s = sensor();
	struct bw_ev_file f = { 0 };
	struct bw_ev_file2 r = { 0 };

	(void)state;
	hdr(&f.h, BW_EV_FILE, 999902, 1, 268, 0, "chmod");
	f.mode = 04755;
	snprintf(f.path, sizeof(f.path), "/tmp/x");
	assert_int_equal(bw_sensor_feed(s, &f, sizeof(f), keep, NULL), 0);
	assert_string_equal(str("evt.type"), "fchmodat");
	assert_string_equal(arg("filename"), "/tmp/x");
	assert_non_null(strstr(arg("mode"), "S_ISUID"));
	assert_non_null(strstr(arg("mode"), "S_IXOTH"));
	assert_null(strstr(arg("mode"), "S_ISGID"));

	hdr(&r.f.h, BW_EV_FILE, 999902, 1, 266, 0, "ln");
	snprintf(r.f.path, sizeof(r.f.path), "/tmp/l");
	snprintf(r.path2, sizeof(r.path2), "../etc/shadow");
	assert_int_equal(bw_sensor_feed(s, &r, sizeof(r), keep, NULL), 0);
	assert_string_equal(str("evt.type"), "symlinkat");
	assert_string_equal(arg("target"), "../etc/shadow"); /* kept as written */
	assert_string_equal(arg("linkpath"), "/tmp/l");

	hdr(&r.f.h, BW_EV_FILE, 999902, 1, 316, 0, "mv");
	snprintf(r.f.path, sizeof(r.f.path), "/usr/bin/a");
	snprintf(r.path2, sizeof(r.path2), "/usr/bin/../b");
	assert_int_equal(bw_sensor_feed(s, &r, sizeof(r), keep, NULL), 0);
	assert_string_equal(arg("oldpath"), "/usr/bin/a");
	assert_string_equal(arg("newpath"), "/usr/b");
	bw_sensor_free(s);
}

static void test_sockets(void **state)
{
	struct bw_sensor *s = sensor();
	struct bw_ev_net n = { 0 };
	const unsigned char lo[4] = { 127, 0, 0, 1 }, ten[4] = { 10, 0, 0, 1 };

	(void)state;
	hdr(&n.h, BW_EV_NET, 999903, 1, 42, -115, "nc");
	n.family = 2;
	n.sotype = 1;
	n.proto = 6;
	n.lport = 40000;
	n.rport = 4444;
	memcpy(n.laddr, lo, 4);
	memcpy(n.raddr, ten, 4);
	assert_int_equal(bw_sensor_feed(s, &n, sizeof(n), keep, NULL), 0);
	assert_string_equal(str("evt.res"), "EINPROGRESS");
	assert_string_equal(str("fd.l4proto"), "tcp");
	assert_string_equal(str("fd.sip"), "10.0.0.1");
	assert_int_equal(num("fd.sport"), 4444);
	assert_string_equal(str("fd.cip"), "127.0.0.1");
	assert_string_equal(str("fd.name"), "127.0.0.1:40000->10.0.0.1:4444");
	assert_string_equal(str("fd.typechar"), "4");

	/* accept: this end serves */
	hdr(&n.h, BW_EV_NET, 999903, 1, 288, 7, "srv");
	n.lport = 80;
	n.rport = 5555;
	memcpy(n.laddr, ten, 4);
	memcpy(n.raddr, lo, 4);
	assert_int_equal(bw_sensor_feed(s, &n, sizeof(n), keep, NULL), 0);
	assert_string_equal(str("fd.sip"), "10.0.0.1");
	assert_int_equal(num("fd.sport"), 80);
	assert_string_equal(str("fd.cip"), "127.0.0.1");
	assert_int_equal(num("fd.num"), 7);
	bw_sensor_free(s);
}

static void test_process_table(void **state)
{
	struct bw_sensor *s = sensor();
	struct bw_ev_exec e = { 0 };
	struct bw_ev_clone c = { 0 };
	struct bw_ev_sys y = { 0 };
	static const char argv[] = "sh\0-c\0echo \"hi\"";

	(void)state;
	hdr(&e.h, BW_EV_EXEC, 999904, 1, 0, 0, "sh");
	snprintf(e.filename, sizeof(e.filename), "/bin/sh");
	snprintf(e.cwd, sizeof(e.cwd), "/srv");
	snprintf(e.cgroup, sizeof(e.cgroup), "libpod-%s.scope",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	memcpy(e.args, argv, sizeof(argv));
	e.args_len = sizeof(argv);
	e.tty = (136u << 20) | 3;
	e.flags = BW_EXEC_UPPER;
	e.exe_ino = 77;
	e.exe_ctime = 5;
	e.exe_mtime = 4;
	assert_int_equal(bw_sensor_feed(s, &e, sizeof(e), keep, NULL), 0);
	assert_string_equal(str("evt.type"), "execve");
	assert_true(json_is_true(json_object_get(last, "proc.is_exe_upper_layer")));
	assert_true(json_is_false(json_object_get(last, "proc.is_exe_lower_layer")));
	assert_string_equal(str("evt.arg.flags"), "EXE_UPPER_LAYER");
	assert_int_equal(num("proc.exe_ino"), 77);
	assert_int_equal(num("proc.exe_ino.ctime"), 5);
	assert_int_equal(num("proc.exe_ino.mtime"), 4);
	/* its fork was not seen: no start, no duration */
	assert_null(json_object_get(last, "proc.exe_ino.ctime_duration_proc_start"));
	assert_string_equal(str("proc.cmdline"), "sh -c echo \"hi\"");
	assert_string_equal(str("proc.cwd"), "/srv/");
	assert_string_equal(str("container.id"), "0123456789ab");
	assert_int_equal(num("proc.tty"), (136 << 20) | 3);

	/* a fork: the child starts as a copy, its parent is the shell */
	hdr(&c.h, BW_EV_CLONE, 999904, 1, 0, 999905, "sh");
	c.child_pid = 999905;
	assert_int_equal(bw_sensor_feed(s, &c, sizeof(c), keep, NULL), 0);
	assert_string_equal(str("evt.type"), "clone");
	hdr(&y.h, BW_EV_SYS, 999905, 999904, 319, 3, "sh");
	snprintf(y.str, sizeof(y.str), "x\"\xff");
	assert_int_equal(bw_sensor_feed(s, &y, sizeof(y), keep, NULL), 0);
	assert_string_equal(str("evt.type"), "memfd_create");
	assert_string_equal(str("proc.exepath"), "/bin/sh");
	assert_string_equal(str("proc.pname"), "sh");
	/* the child runs the parent's executable, forked at ts 1000 */
	assert_true(json_is_true(json_object_get(last, "proc.is_exe_upper_layer")));
	assert_int_equal(num("proc.exe_ino.ctime_duration_proc_start"), num("ts") - 5);
	assert_string_equal(str("container.id"), "0123456789ab");
	assert_string_equal(arg("name"), "x\"\xc3\xbf"); /* escaped as \u00ff */

	/* exit forgets it */
	hdr(&y.h, BW_EV_PROCEXIT, 999905, 999904, 0, 0, "sh");
	assert_int_equal(bw_sensor_feed(s, &y.h, sizeof(y.h), keep, NULL), 0);
	assert_string_equal(str("evt.type"), "procexit");
	bw_sensor_free(s);
}

static void ids(struct bw_ev_hdr *h, uint32_t vpid, uint32_t pvpid, uint32_t vsid, uint32_t sid)
{
	h->vpid = h->vtid = vpid;
	h->pvpid = pvpid;
	h->vpgid = h->vsid = vsid;
	h->pgid = h->sid = sid;
}

static bool flag(const char *key)
{
	json_t *v = json_object_get(last, key);

	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

/* Ids as a pid namespace sees them, and the session leader's name, also
 * once the leader has exited (then the eldest ancestor in its session).
 * Pids above the kernel's limit (2^22) so /proc knows none of them. */
static void test_namespace_ids(void **state)
{
	struct bw_sensor *s = sensor();
	struct bw_ev_exec e = { 0 };
	struct bw_ev_clone c = { 0 };
	struct bw_ev_hdr x = { 0 };

	(void)state;
	/* the container's init, vpid 1, leads its session */
	hdr(&e.h, BW_EV_EXEC, 5000010, 5000001, 0, 0, "bash");
	ids(&e.h, 1, 0, 1, 5000010);
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/bash");
	memcpy(e.args, "bash", 5);
	e.args_len = 5;
	assert_int_equal(bw_sensor_feed(s, &e, sizeof(e), keep, NULL), 0);
	assert_int_equal(num("proc.pid"), 5000010);
	assert_int_equal(num("proc.vpid"), 1);
	assert_int_equal(num("thread.vtid"), 1);
	assert_int_equal(num("proc.sid"), 1);
	assert_true(flag("proc.is_sid_leader"));
	assert_true(flag("proc.is_vpgid_leader"));
	assert_string_equal(str("proc.sname"), "bash");
	assert_string_equal(str("proc.sid.exepath"), "/usr/bin/bash");

	/* bash -> sh -> cat, all in bash's session and process group */
	hdr(&c.h, BW_EV_CLONE, 5000010, 5000001, 0, 5000011, "bash");
	ids(&c.h, 1, 0, 1, 5000010);
	c.child_pid = 5000011;
	assert_int_equal(bw_sensor_feed(s, &c, sizeof(c), keep, NULL), 0);
	hdr(&e.h, BW_EV_EXEC, 5000011, 5000010, 0, 0, "sh");
	ids(&e.h, 2, 1, 1, 5000010);
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/sh");
	memcpy(e.args, "sh", 3);
	e.args_len = 3;
	assert_int_equal(bw_sensor_feed(s, &e, sizeof(e), keep, NULL), 0);
	hdr(&c.h, BW_EV_CLONE, 5000011, 5000010, 0, 5000012, "sh");
	ids(&c.h, 2, 1, 1, 5000010);
	c.child_pid = 5000012;
	assert_int_equal(bw_sensor_feed(s, &c, sizeof(c), keep, NULL), 0);
	hdr(&e.h, BW_EV_EXEC, 5000012, 5000011, 0, 0, "cat");
	ids(&e.h, 3, 2, 1, 5000010);
	snprintf(e.filename, sizeof(e.filename), "/usr/bin/cat");
	memcpy(e.args, "cat", 4);
	e.args_len = 4;
	assert_int_equal(bw_sensor_feed(s, &e, sizeof(e), keep, NULL), 0);
	assert_int_equal(num("proc.pid"), 5000012);
	assert_int_equal(num("proc.vpid"), 3);
	assert_int_equal(num("proc.pvpid"), 2);
	assert_int_equal(num("proc.vpgid"), 1);
	assert_false(flag("proc.is_sid_leader"));
	assert_false(flag("proc.is_vpgid_leader"));
	assert_string_equal(str("proc.sname"), "bash");
	assert_string_equal(str("proc.vpgid.name"), "bash");

	/* the leader exits: the eldest ancestor left in the session names it */
	hdr(&x, BW_EV_PROCEXIT, 5000010, 5000001, 0, 0, "bash");
	ids(&x, 1, 0, 1, 5000010);
	assert_int_equal(bw_sensor_feed(s, &x, sizeof(x), keep, NULL), 0);
	hdr(&x, BW_EV_PROCEXIT, 5000012, 5000011, 0, 0, "cat");
	ids(&x, 3, 2, 1, 5000010);
	assert_int_equal(bw_sensor_feed(s, &x, sizeof(x), keep, NULL), 0);
	assert_string_equal(str("proc.sname"), "sh");
	assert_string_equal(str("proc.sid.exepath"), "/usr/bin/sh");

	/* a process whose ids the kernel could not see has none */
	memset(&x, 0, sizeof(x));
	hdr(&x, BW_EV_PROCEXIT, 5000013, 5000011, 0, 0, "x");
	assert_int_equal(bw_sensor_feed(s, &x, sizeof(x), keep, NULL), 0);
	assert_null(json_object_get(last, "proc.vpid"));
	assert_null(json_object_get(last, "proc.sname"));
	bw_sensor_free(s);
}

static void test_bad_records(void **state)
{
	struct bw_sensor *s = sensor();
	struct bw_ev_file f = { 0 };
	struct bw_sensor_stats st;
	int before = calls;

	(void)state;
	hdr(&f.h, BW_EV_FILE, 999906, 1, 257, 3, "cat");
	assert_int_equal(bw_sensor_feed(s, &f, sizeof(f) - 1, keep, NULL), 0); /* short */
	assert_int_equal(bw_sensor_feed(s, &f, 10, keep, NULL), 0);		/* shorter than a header */
	f.h.type = 99;
	assert_int_equal(bw_sensor_feed(s, &f, sizeof(f), keep, NULL), 0);	/* unknown type */
	f.h.type = BW_EV_FILE;
	f.h.sc = 9999;
	assert_int_equal(bw_sensor_feed(s, &f, sizeof(f), keep, NULL), 0);	/* unknown syscall */
	assert_int_equal(calls, before);
	bw_sensor_get_stats(s, &st);
	assert_int_equal(st.invalid, 4);
	assert_int_equal(st.events, 0);
	bw_sensor_free(s);
}

/* ---------------------------------------------------------------- mounts */

/* The id of the podman container tests/data/sensor/podman-config.json
 * comes from (podman run --runtime runc -v /srv:/srv:rshared
 * -v /etc:/host-etc:ro -v /proc:/hostproc ...; trimmed to mounts and
 * annotations). */
#define FIXTURE_ID "32c76cb92d6a94e102d2b5f0cc49133ffd6bed48086e915d25f1a0d3b50268fd"

static char *fixture_named(const char *name, size_t *len)
{
	const char *root = getenv("BULWARK_SOURCE_ROOT");
	char path[1024], *data = NULL;

	snprintf(path, sizeof(path), "%s/tests/data/sensor/%s", root ? root : ".", name);
	assert_int_equal(bw_read_file(path, 1 << 20, &data, len, NULL), 0);
	return data;
}

static char *fixture(size_t *len)
{
	return fixture_named("podman-config.json", len);
}

/* The members as an object of their own (they start with a comma). */
static json_t *members(const char *m)
{
	char buf[1 << 16];
	json_t *j;

	assert_int_equal(m[0], ',');
	snprintf(buf, sizeof(buf), "{%s}", m + 1);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	return j;
}

/* Runs the rule over one execve of a container with these members (NULL:
 * on the host) and returns its text output, or "" when it did not match. */
static const char *run_rule(const char *members_json, const char *cond, const char *output)
{
	static char out[4096];
	const struct bw_source *src = bw_replay_source();
	struct bw_ruleset *rs = bw_ruleset_new();
	struct bw_matcher *m = NULL;
	struct bw_replay_decoder *d = NULL;
	struct bw_replay_event *e = NULL;
	struct bw_error *err = NULL;
	struct bw_buf b = BW_BUF_INIT(1 << 16);
	char yaml[4096], line[1 << 16];

	snprintf(yaml, sizeof(yaml), "- rule: r\n  desc: d\n  condition: evt.type = execve and (%s)\n"
		 "  output: \"%s\"\n  priority: INFO\n", cond, output);
	snprintf(line, sizeof(line), "{\"ts\":1,\"evt.type\":\"execve\",\"container.id\":\"%s\"%s}",
		 members_json ? "32c76cb92d6a" : "host", members_json ? members_json : "");
	assert_int_equal(bw_ruleset_load_string(rs, "t.yaml", yaml, strlen(yaml), &err), 0);
	assert_int_equal(bw_ruleset_compile(rs, &src, 1, &err), 0);
	assert_int_equal(bw_matcher_new(rs, src, NULL, &m, &err), 0);
	assert_int_equal(bw_replay_decoder_new(m, &d, &err), 0);
	assert_int_equal(bw_replay_decode_into(d, line, strlen(line), &e, &err), 0);
	out[0] = 0;
	if (bw_matcher_run(m, e, bw_replay_event_type(e), NULL, NULL) == 1) {
		assert_int_equal(bw_matcher_format_text(m, bw_ruleset_rule(rs, 0), e, &b), 0);
		snprintf(out, sizeof(out), "%s", strstr(b.data, "Informational ") + 14);
	}
	bw_buf_done(&b);
	bw_replay_event_free(e);
	bw_replay_decoder_free(d);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
	return out;
}

/* Upstream's sandbox macro (falco-sandbox_rules.yaml), as written. */
#define SENSITIVE_MOUNT                                                                            \
	"not container.mount.dest[/proc*] in (\"<NA>\",\"N/A\") or "                       \
	"not container.mount.dest[/var/run/docker.sock] in (\"<NA>\",\"N/A\") or "          \
	"not container.mount.dest[/] in (\"<NA>\",\"N/A\") or "                             \
	"not container.mount.dest[/etc] in (\"<NA>\",\"N/A\") or "                          \
	"not container.mount.dest[/root*] in (\"<NA>\",\"N/A\")"

static void test_container_mounts(void **state)
{
	size_t len;
	char *cfg = fixture(&len), *mj = NULL;
	struct bw_error *err = NULL;
	json_t *j;

	(void)state;
	assert_int_equal(bw_sensor_container_mounts(cfg, len, FIXTURE_ID, &mj, &err), 0);
	free(cfg);
	/* Only the binds the user asked for, in the runtime's order: not proc,
	 * sysfs, tmpfs, devpts, mqueue, cgroup, nor podman's own files. */
	j = members(mj);
	assert_string_equal(json_string_value(json_object_get(j, "container.mounts")),
			    "/srv:/srv::true:rshared,/etc:/host-etc::false:rprivate,"
			    "/proc:/hostproc::true:rprivate");
	assert_int_equal(json_array_size(json_object_get(j, "container.mount")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "container.mount"), 1)),
			    "/etc:/host-etc::false:rprivate");
	json_decref(j);

	/* By number, by source (dest by destination), globs, and no match. */
	assert_string_equal(run_rule(mj, "container.id != host",
				     "%container.mount.dest[/proc*] %container.mount.dest[/etc] "
				     "%container.mount.source[/host-etc] %container.mount[1] "
				     "%container.mount.rdwr[/etc] %container.mount.propagation[0] "
				     "m=%container.mount.mode[/e?c] %container.mount.dest[/root*] "
				     "%container.mount[7] %container.mount.source[/nowhere] "
				     "%container.mount.dest[/*oc]"),
			    "/hostproc /host-etc /etc /etc:/host-etc::false:rprivate false rshared m= "
			    "<NA> <NA> <NA> /hostproc");
	assert_string_equal(run_rule(mj, SENSITIVE_MOUNT, "%container.mount.dest[/etc]"), "/host-etc");
	assert_string_equal(run_rule(mj, "container.mount.dest[/et] = /host-etc", "x"), "");
	free(mj);

	/* A container with no mount of its own: "<NA>", the macro is false. */
	const char *none = "{\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
			   "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/run/containers/"
			   "storage/overlay-containers/" FIXTURE_ID "/userdata/hosts\",\"options\":[\"bind\"]}]}";
	assert_int_equal(bw_sensor_container_mounts(none, strlen(none), FIXTURE_ID, &mj, &err), 0);
	assert_string_equal(mj, ",\"container.mounts\":\"\",\"container.mount\":[]");
	assert_string_equal(run_rule(mj, SENSITIVE_MOUNT, "x"), "");
	assert_string_equal(run_rule(mj, "container.mount.dest[/proc*] = \"<NA>\"", "%container.mount[0]"),
			    "<NA>");
	free(mj);
	/* On the host the fields are unavailable, as in Falco. */
	assert_string_equal(run_rule(NULL, "not container.mount.dest[/etc] exists", "h"), "h");

	/* An engine's inspect answer (docker's and podman's API), with a
	 * type-less OCI bind beside it ignored: "Mounts" is the engine's. */
	const char *api = "{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/var/run/docker.sock\","
			  "\"Destination\":\"/var/run/docker.sock\",\"Mode\":\"ro\",\"RW\":false,"
			  "\"Propagation\":\"rprivate\"},{\"Type\":\"tmpfs\",\"Destination\":\"/t\"}]}";
	assert_int_equal(bw_sensor_container_mounts(api, strlen(api), "x", &mj, &err), 0);
	assert_string_equal(mj, ",\"container.mounts\":\"/var/run/docker.sock:/var/run/docker.sock:ro:"
				"false:rprivate,:/t::false:\",\"container.mount\":[\"/var/run/docker.sock:"
				"/var/run/docker.sock:ro:false:rprivate\",\":/t::false:\"]");
	assert_string_equal(run_rule(mj, SENSITIVE_MOUNT, "%container.mount.source[/t]"), "");
	free(mj);
	const char *oci_untyped = "{\"mounts\":[{\"destination\":\"/r\",\"source\":\"/\",\"options\":[\"rbind\",\"ro\"]},"
				  "{\"destination\":\"/q\",\"source\":\"/x:\\\"y\\\"\",\"type\":\"bind\"}]}";
	assert_int_equal(bw_sensor_container_mounts(oci_untyped, strlen(oci_untyped), "x", &mj, &err), 0);
	assert_string_equal(mj, ",\"container.mounts\":\"/:/r::false:,/x:\\\"y\\\":/q::true:\","
				"\"container.mount\":[\"/:/r::false:\",\"/x:\\\"y\\\":/q::true:\"]");
	assert_string_equal(run_rule(mj, SENSITIVE_MOUNT, "%container.mount.source[/q] %container.mount.dest[/x*]"),
			    "/x:\"y\" /q");
	free(mj);

	/* Bad input: an error that says what, nothing returned. */
	mj = NULL;
	assert_int_equal(bw_sensor_container_mounts("{\"mounts\": [", 12, "x", &mj, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "invalid JSON at line 1"));
	err = bw_error_free(err);
	assert_int_equal(bw_sensor_container_mounts("{\"mounts\": 3}", 13, "x", &mj, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "no list of mounts"));
	err = bw_error_free(err);
	struct bw_buf many = BW_BUF_INIT(1 << 20);
	bw_buf_puts(&many, "{\"Mounts\":[");
	for (unsigned i = 0; i <= BW_MAX_CONTAINER_MOUNTS; i++)
		bw_buf_printf(&many, "%s{\"Source\":\"/s\",\"Destination\":\"/d%u\"}", i ? "," : "", i);
	bw_buf_puts(&many, "]}");
	assert_int_equal(bw_sensor_container_mounts(many.data, many.len, "x", &mj, &err), -E2BIG);
	assert_non_null(strstr(err->msg, "more than 256 mounts"));
	err = bw_error_free(err);
	bw_buf_done(&many);
	assert_null(mj);
}

/* Names from passwd and group files as a container may hold them. */
static void test_id_lookup(void **state)
{
	static const char db[] = "root:x:0:0:root:/root:/bin/bash\n"
				 "+nis::::::\n"
				 "nogroup::65534:\n"
				 "app:x:1000:1000::/home/app:/bin/sh\n"
				 "bad:x:12x:1\n"
				 "neg:x:-5:1\n"
				 ":x:7:\n"
				 "wheel:x:10:alice,bob";
	char name[32];
	FILE *f;

	(void)state;
#define LOOKUP(id, want_r)                                                   \
	do {                                                                 \
		f = fmemopen((void *)db, sizeof(db) - 1, "r");               \
		assert_non_null(f);                                          \
		assert_int_equal(bw_sensor_id_lookup(f, id, name, sizeof(name)), want_r); \
		fclose(f);                                                   \
	} while (0)
	LOOKUP(0, 0);
	assert_string_equal(name, "root");
	LOOKUP(1000, 0);
	assert_string_equal(name, "app");
	LOOKUP(65534, 0); /* an empty password field */
	assert_string_equal(name, "nogroup");
	LOOKUP(10, 0); /* the last line, without a newline */
	assert_string_equal(name, "wheel");
	LOOKUP(12, -ENOENT); /* not a number */
	LOOKUP(7, -ENOENT);  /* no name */
	LOOKUP(4294967291u, -ENOENT);
	LOOKUP(4242, -ENOENT);

	/* A record longer than a line buffer: its tail is not a record. */
	char big[4096];
	int n = snprintf(big, sizeof(big), "long:x:1:");
	memset(big + n, 'a', 2000);
	snprintf(big + n + 2000, sizeof(big) - n - 2000, "evil:x:99:\nok:x:99:\n");
	f = fmemopen(big, strlen(big), "r");
	assert_int_equal(bw_sensor_id_lookup(f, 99, name, sizeof(name)), 0);
	assert_string_equal(name, "ok");
	fclose(f);
	/* A name longer than the caller's buffer. */
	f = fmemopen((void *)db, sizeof(db) - 1, "r");
	assert_int_equal(bw_sensor_id_lookup(f, 1000, name, 3), -ENAMETOOLONG);
	fclose(f);
#undef LOOKUP
}

/* The sensor's own process: user.name and group.name from the host's
 * files, user.loginname only with a login user. */
static void test_user_group_names(void **state)
{
	struct bw_sensor *s = sensor();
	struct bw_ev_sys y = { 0 };

	(void)state;
	hdr(&y.h, BW_EV_SYS, (uint32_t)getpid(), 1, 319, 3, "t");
	y.h.cgroup_id = 1; /* the host */
	assert_int_equal(bw_sensor_feed(s, &y, sizeof(y), keep, NULL), 0);
	assert_string_equal(str("user.name"), "root");
	assert_string_equal(str("group.name"), "root");
	assert_null(json_object_get(last, "user.loginname"));
	y.h.loginuid = 0;
	y.h.gid = 4242424; /* in no group file */
	assert_int_equal(bw_sensor_feed(s, &y, sizeof(y), keep, NULL), 0);
	assert_string_equal(str("user.loginname"), "root");
	assert_null(json_object_get(last, "group.name"));
	assert_int_equal(num("group.gid"), 4242424);
	bw_sensor_free(s);
}

/* ---------------------------------------------------------------- Kubernetes */

/* A pod's names from the annotations a CRI runtime writes into the OCI
 * config (tests/data/sensor/crio-config.json, in CRI-O's keys), or from
 * the labels of an engine's answer; as the rules read them. */
static void test_container_k8s(void **state)
{
	struct bw_error *err = NULL;
	size_t len;
	char *data = fixture_named("crio-config.json", &len), *k = NULL;

	(void)state;
	assert_int_equal(bw_sensor_container_k8s(data, len, &k, &err), 0);
	json_t *j = members(k);
	assert_string_equal(json_string_value(json_object_get(j, "k8s.ns.name")), "shop");
	assert_string_equal(json_string_value(json_object_get(j, "k8s.pod.name")), "web-7d4b9c6f5-x2kqp");
	assert_string_equal(json_string_value(json_object_get(j, "k8s.pod.uid")),
			    "5f0c2a7e-3b1d-4e52-9a8c-1d2e3f4a5b6c");
	json_decref(j);
	assert_string_equal(run_rule(k, "k8s.ns.name = shop", "%k8s.ns.name %k8s.pod.name"), "shop web-7d4b9c6f5-x2kqp");
	free(k);
	free(data);

	/* docker's answer, labels as dockershim set them */
	const char *api = "{\"Config\":{\"Labels\":{\"io.kubernetes.pod.namespace\":\"kube-system\","
			  "\"io.kubernetes.pod.name\":\"dns\\\"x\"}}}";
	k = NULL;
	assert_int_equal(bw_sensor_container_k8s(api, strlen(api), &k, &err), 0);
	assert_string_equal(k, ",\"k8s.ns.name\":\"kube-system\",\"k8s.pod.name\":\"dns\\\"x\"");
	free(k);

	/* podman's own container: no pod, nothing; bad JSON: an error */
	data = fixture(&len);
	k = NULL;
	assert_int_equal(bw_sensor_container_k8s(data, len, &k, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "no pod annotations"));
	err = bw_error_free(err);
	free(data);
	assert_int_equal(bw_sensor_container_k8s("{\"annotations\": {", 16, &k, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "invalid JSON at line 1"));
	err = bw_error_free(err);
	/* a name longer than Kubernetes allows is left out */
	char big[600];
	snprintf(big, sizeof(big), "{\"annotations\":{\"io.kubernetes.pod.name\":\"%0300d\"}}", 0);
	assert_int_equal(bw_sensor_container_k8s(big, strlen(big), &k, &err), -ENOENT);
	err = bw_error_free(err);
	assert_null(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_paths),   cmocka_unit_test(test_chmod_and_rename),
		cmocka_unit_test(test_sockets),	     cmocka_unit_test(test_process_table),
		cmocka_unit_test(test_bad_records), cmocka_unit_test(test_namespace_ids),
		cmocka_unit_test(test_container_mounts), cmocka_unit_test(test_id_lookup),
		cmocka_unit_test(test_user_group_names), cmocka_unit_test(test_container_k8s),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	json_decref(last);
	return r;
}
