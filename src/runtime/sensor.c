/* SPDX-License-Identifier: Apache-2.0 */
#include <bpf/libbpf.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <linux/types.h>

#include "bulwark/limits.h"
#include "bulwark/runtime.h"
#include "runtime/sensor_api.h"
#include "sensor.h"
#include "sensor.skel.h"

#define MAX_PROCS 65536u
#define MAX_CONTAINERS 4096u
#define ENGINE_REPLY_MAX (4u << 20)

struct proc {
	uint32_t ppid;
	uint32_t tty;
	uint32_t pgid;	/* host ids of its process group and session, 0 when unknown */
	uint32_t sid;
	uint64_t start;	/* bpf_ktime_get_ns() of its fork, 0 when unknown */
	char comm[BW_EV_COMM];
	char exepath[BW_EV_PATH];
	char *args;	/* argv[1..] joined by spaces */
	char *exe;	/* argv[0] */
	char cwd[BW_EV_PATH + 1]; /* with a trailing slash, as Falco's proc.cwd */
	bool memfd;	/* its executable lives only in memory */
	bool upper;	/* its executable is on overlayfs, in the upper layer */
	bool lower;	/* ... in a lower layer */
	uint64_t exe_ino;
	uint64_t exe_ctime; /* ns since the epoch, 0 when unknown */
	uint64_t exe_mtime;
};

struct container {
	char id[13];
	char full_id[65];
	int tries;	  /* engine lookups so far */
	time_t tried_at;
	char *name;
	char *image;	  /* repository */
	char *image_tag;
	int privileged;	      /* 1, 0, or -1 when no one said */
	char *mounts;	      /* the container.mount* members of its events; NULL: unknown */
	char *k8s;	      /* its k8s.* members; NULL: none known */
	struct bw_map *users; /* uid -> name, from the container's /etc/passwd ("": none) */
	struct bw_map *groups; /* gid -> name, from its /etc/group */
	uint32_t init_pid;     /* host pid of its pid 1, 0 when not seen */
	uint64_t start_ts;     /* ns since the epoch of its pid 1's fork, 0 when not seen */
};

struct bw_sensor {
	struct sensor_bpf *skel;
	struct ring_buffer *rb;
	struct bw_map *procs;	   /* "pid" -> struct proc (NULL: exited) */
	struct bw_map *containers; /* cgroup leaf -> struct container (NULL: host) */
	struct bw_map *cgroups;	   /* "cgroup id" -> its leaf name */
	uint64_t evnum;
	struct bw_map *host_users;
	struct bw_map *host_groups;
	int64_t mono_to_real;	   /* add to a bpf_ktime_get_ns() stamp */
	struct bw_buf line;
	bw_sensor_event_fn fn;
	void *ud;
	int cb_err;
	struct bw_sensor_stats st;
	size_t n_procs, n_containers;
	size_t n_wanted;
	bool want_clone, want_procexit; /* deliver them (they are always traced) */
	bool quiet;			/* add keys to the kernel's quiet map */
};

/* ---------------------------------------------------------------- tracking source */

/* Fields a file event's quiet key determines (struct bw_quiet_key): the
 * event's own, and those of its cgroup, credentials and process name. Not the container's
 * name and image, which may become known only later. */
static const char *const key_fields[] = {
	"evt.type",	"evt.dir",	"evt.rawres",	  "evt.res",	  "evt.arg",	 "evt.is_open_read",
	"evt.is_open_write", "evt.is_open_exec", "fd.name", "fd.nameraw", "fd.directory", "fd.filename",
	"fd.typechar",	"fd.type",	"fd.num",	  "container.id", "user.uid",	 "user.name",
	"user.loginuid", "group.gid",	"proc.name", "user.loginname", "group.name",
};

static struct {
	struct bw_source src;
	const struct bw_source *inner;
	bool *keyed; /* by field index */
	bool tainted; /* a field outside the key was read */
} track;

static size_t track_extract(void *evt, const struct bw_field_ref *ref, const struct bw_value **ret)
{
	if (ref->field >= track.src.nfields || !track.keyed[ref->field])
		track.tainted = true;
	return track.inner->extract(evt, ref, ret);
}

const struct bw_source *bw_sensor_source(void)
{
	if (track.keyed)
		return &track.src;
	track.inner = bw_replay_source();
	track.src = *track.inner;
	track.keyed = calloc(track.src.nfields + 1, sizeof(*track.keyed));
	if (!track.keyed)
		return track.inner;
	for (size_t i = 0; i < track.src.nfields; i++)
		for (size_t j = 0; j < BW_ARRAY_SIZE(key_fields); j++)
			if (!strcmp(track.src.fields[i].name, key_fields[j]))
				track.keyed[i] = true;
	track.src.extract = track_extract;
	return &track.src;
}

/* ---------------------------------------------------------------- setup */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf = NULL, *line, *save = NULL;

	if (level == LIBBPF_DEBUG && !bw_log_enabled(BW_LOG_DEBUG))
		return 0;
	if (vasprintf(&buf, fmt, ap) < 0)
		return 0;
	/* The verifier's log comes as one message: one log line per line. */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		bw_log(level == LIBBPF_WARN ? BW_LOG_WARN : BW_LOG_DEBUG, "libbpf: %s", line);
	free(buf);
	return 0;
}

static int ensure_tracefs(struct bw_error **err)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0)
		return bw_error_set(err, -errno,
				    "tracefs is not mounted and mounting it failed: %s "
				    "(try `mount -t tracefs nodev /sys/kernel/tracing`)",
				    strerror(errno));
	bw_log(BW_LOG_INFO, "mounted tracefs on /sys/kernel/tracing");
	return 0;
}

static int handle_event(void *ctx, void *data, size_t size);

/* The syscalls the kernel side decodes (x86_64 numbers), by Falco's
 * event type names. */
static const struct {
	uint16_t nr;
	const char *name;
} syscalls[] = {
	{ 2, "open" },		{ 32, "dup" },		   { 33, "dup2" },	     { 41, "socket" },
	{ 42, "connect" },	{ 43, "accept" },	   { 49, "bind" },	     { 50, "listen" },
	{ 82, "rename" },	{ 83, "mkdir" },	   { 84, "rmdir" },	     { 85, "creat" },
	{ 86, "link" },		{ 87, "unlink" },	   { 88, "symlink" },	     { 90, "chmod" },
	{ 91, "fchmod" },	{ 92, "chown" },	   { 93, "fchown" },	     { 94, "lchown" },
	{ 101, "ptrace" },	{ 105, "setuid" },	   { 106, "setgid" },	     { 113, "setreuid" },
	{ 114, "setregid" },	{ 117, "setresuid" },	   { 119, "setresgid" },     { 126, "capset" },
	{ 165, "mount" },	{ 166, "umount2" },	   { 175, "init_module" },   { 257, "openat" },
	{ 258, "mkdirat" },	{ 260, "fchownat" },	   { 263, "unlinkat" },	     { 264, "renameat" },
	{ 265, "linkat" },	{ 266, "symlinkat" },	   { 268, "fchmodat" },	     { 272, "unshare" },
	{ 288, "accept4" },	{ 292, "dup3" },	   { 308, "setns" },	     { 313, "finit_module" },
	{ 316, "renameat2" },	{ 319, "memfd_create" },   { 321, "bpf" },	     { 323, "userfaultfd" },
	{ 437, "openat2" },	{ 452, "fchmodat2" },
};

static const char *syscall_name(uint32_t nr)
{
	for (size_t i = 0; i < BW_ARRAY_SIZE(syscalls); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

int bw_sensor_new_detached(struct bw_sensor **ret, struct bw_error **err)
{
	struct bw_sensor *s = calloc(1, sizeof(*s));
	struct timespec mono, real;

	if (!s)
		return bw_error_set(err, -ENOMEM, "out of memory");
	s->line = BW_BUF_INIT(1u << 16);
	s->procs = bw_map_new();
	s->containers = bw_map_new();
	s->host_users = bw_map_new();
	s->host_groups = bw_map_new();
	s->cgroups = bw_map_new();
	if (!s->procs || !s->containers || !s->host_users || !s->host_groups || !s->cgroups) {
		bw_sensor_free(s);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	s->want_clone = s->want_procexit = true;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	s->mono_to_real = ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
	*ret = s;
	return 0;
}

int bw_sensor_open(const struct bw_sensor_opts *opts, struct bw_sensor **ret, struct bw_error **err)
{
	struct bw_sensor *s;
	struct stat st;
	int r;

	if (geteuid() != 0)
		return bw_error_set(err, -EPERM, "the sensor needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
	if (stat("/sys/kernel/btf/vmlinux", &st) < 0)
		return bw_error_set(err, -ENOTSUP,
				    "this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
	r = ensure_tracefs(err);
	if (r < 0)
		return r;
	r = bw_sensor_new_detached(&s, err);
	if (r < 0)
		return r;
	libbpf_set_print(libbpf_print);
	s->skel = sensor_bpf__open();
	if (!s->skel) {
		r = -errno;
		bw_sensor_free(s);
		return bw_error_set(err, r, "cannot open the eBPF program: %s", strerror(-r));
	}
	if (!(opts && opts->include_self))
		s->skel->rodata->self_pid = (uint32_t)getpid();
	for (size_t i = 0; i < BW_ARRAY_SIZE(syscalls); i++) {
		bool want = !(opts && opts->wants) || opts->wants(syscalls[i].name, opts->wants_userdata);
		if (want && !s->skel->rodata->sc_wanted[syscalls[i].nr])
			s->n_wanted++;
		s->skel->rodata->sc_wanted[syscalls[i].nr] |= want;
	}
	if (opts && opts->ring_bytes) {
		long page = sysconf(_SC_PAGESIZE);
		uint32_t n = opts->ring_bytes;
		if ((page > 0 && n < (uint32_t)page) || (n & (n - 1))) {
			bw_sensor_free(s);
			return bw_error_set(err, -EINVAL,
					    "ring buffer size %u is not a power of two of at least the page size (%ld)",
					    n, page);
		}
		r = bpf_map__set_max_entries(s->skel->maps.events, n);
		if (r < 0) {
			bw_sensor_free(s);
			return bw_error_set(err, r, "cannot size the ring buffer: %s", strerror(-r));
		}
	}
	s->quiet = !(opts && opts->no_quiet);
	s->want_clone = !(opts && opts->wants) || opts->wants("clone", opts->wants_userdata);
	s->want_procexit = !(opts && opts->wants) || opts->wants("procexit", opts->wants_userdata);
	s->skel->rodata->wakeup_bytes = opts && opts->wakeup_bytes ? opts->wakeup_bytes : BW_SENSOR_WAKEUP_DEFAULT;
	/* at most a quarter of the ring, so the reader is woken long before it fills */
	if (s->skel->rodata->wakeup_bytes > bpf_map__max_entries(s->skel->maps.events) / 4)
		s->skel->rodata->wakeup_bytes = bpf_map__max_entries(s->skel->maps.events) / 4;
	if (s->skel->rodata->wakeup_bytes == 1)
		s->skel->rodata->wakeup_bytes = 0;
	r = sensor_bpf__load(s->skel);
	if (r < 0) {
		bw_sensor_free(s);
		return bw_error_set(err, r,
				    "cannot load the eBPF program: %s (run with --debug for the verifier's log)",
				    strerror(-r));
	}
	r = sensor_bpf__attach(s->skel);
	if (r < 0) {
		bw_sensor_free(s);
		return bw_error_set(err, r, "cannot attach to the kernel's tracepoints: %s", strerror(-r));
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), handle_event, s, NULL);
	if (!s->rb) {
		r = -errno;
		bw_sensor_free(s);
		return bw_error_set(err, r, "cannot open the ring buffer: %s", strerror(-r));
	}
	*ret = s;
	return 0;
}

static void free_proc(void *v)
{
	struct proc *p = v;

	if (p) {
		free(p->args);
		free(p->exe);
		free(p);
	}
}

static void free_container(void *v)
{
	struct container *c = v;

	if (c) {
		free(c->name);
		free(c->image);
		free(c->image_tag);
		free(c->mounts);
		free(c->k8s);
		bw_map_free_with(c->users, free);
		bw_map_free_with(c->groups, free);
		free(c);
	}
}

struct bw_sensor *bw_sensor_free(struct bw_sensor *s)
{
	if (!s)
		return NULL;
	ring_buffer__free(s->rb);
	sensor_bpf__destroy(s->skel);
	bw_map_free_with(s->procs, free_proc);
	bw_map_free_with(s->containers, free_container);
	bw_map_free_with(s->host_users, free);
	bw_map_free_with(s->host_groups, free);
	bw_map_free_with(s->cgroups, free);
	bw_buf_done(&s->line);
	free(s);
	return NULL;
}

static uint64_t counter(struct bw_sensor *s, uint32_t k)
{
	uint64_t total = 0;
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu > 0 && s->skel) {
		uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
		if (v && bpf_map__lookup_elem(s->skel->maps.counters, &k, sizeof(k), v, sizeof(*v) * (size_t)ncpu,
					      0) == 0)
			for (int i = 0; i < ncpu; i++)
				total += v[i];
		free(v);
	}
	return total;
}

void bw_sensor_get_stats(struct bw_sensor *s, struct bw_sensor_stats *ret)
{
	s->st.drops = counter(s, BW_CNT_DROPS);
	s->st.compat = counter(s, BW_CNT_COMPAT);
	s->st.quiet = counter(s, BW_CNT_QUIET);
	s->st.syscalls = s->n_wanted;
	*ret = s->st;
}

/* Forgets every quiet key: in the map and in each CPU's last hit. */
static int forget_quiet(struct bw_sensor *s)
{
	size_t n = 0, vsz = bpf_map__value_size(s->skel->maps.keybuf_map);
	int ncpu = libbpf_num_possible_cpus(), r = 0;
	struct bw_quiet_key *keys = calloc(BW_QUIET_MAX, sizeof(*keys));
	uint32_t zero = 0;
	void *v;

	/* The keys first, then their deletion: a walk that deletes as it goes
	 * loses its place. */
	if (!keys)
		return -ENOMEM;
	while (n < BW_QUIET_MAX && bpf_map__get_next_key(s->skel->maps.quiet, n ? &keys[n - 1] : NULL,
							 &keys[n], sizeof(*keys)) == 0)
		n++;
	for (size_t i = 0; i < n; i++)
		(void)bpf_map__delete_elem(s->skel->maps.quiet, &keys[i], sizeof(*keys), 0);
	free(keys);
	if (ncpu <= 0 || !(v = calloc((size_t)ncpu, vsz)))
		return -ENOMEM;
	r = bpf_map__update_elem(s->skel->maps.keybuf_map, &zero, sizeof(zero), v, vsz * (size_t)ncpu, BPF_ANY);
	free(v);
	s->st.quiet_keys = 0;
	return r;
}

int bw_sensor_retarget(struct bw_sensor *s, bool (*wants)(const char *evtype, void *userdata), void *ud)
{
	if (!s->skel)
		return -EINVAL;
	for (size_t i = 0; i < BW_ARRAY_SIZE(syscalls); i++)
		if (!s->skel->rodata->sc_wanted[syscalls[i].nr] && (!wants || wants(syscalls[i].name, ud)))
			return -EAGAIN;
	s->want_clone = !wants || wants("clone", ud);
	s->want_procexit = !wants || wants("procexit", ud);
	return forget_quiet(s);
}

/* ---------------------------------------------------------------- JSON */

/* Hot path: every event is formatted here, so no printf. */
static void put_escaped(struct bw_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;

	for (; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			continue;
		bw_buf_append(b, run, (size_t)(p - run));
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			bw_buf_append(b, esc, 2);
		} else {
			char esc[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			bw_buf_append(b, esc, 6);
		}
		run = p + 1;
	}
	bw_buf_append(b, run, (size_t)(p - run));
}

static void put_str(struct bw_buf *b, const char *s)
{
	bw_buf_append(b, "\"", 1);
	put_escaped(b, s);
	bw_buf_append(b, "\"", 1);
}

/* "a" or "a rest" as one JSON string (Falco's proc.cmdline). */
static void put_cmdline(struct bw_buf *b, const char *a, const char *rest)
{
	bw_buf_append(b, "\"", 1);
	put_escaped(b, a);
	if (rest && *rest) {
		bw_buf_append(b, " ", 1);
		put_escaped(b, rest);
	}
	bw_buf_append(b, "\"", 1);
}

static void put_num(struct bw_buf *b, long long v)
{
	char tmp[24], *w = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		*--w = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--w = '-';
	bw_buf_append(b, w, (size_t)(tmp + sizeof(tmp) - w));
}

static char *u32_str(uint32_t v, char buf[12])
{
	char *w = buf + 11;

	*w = 0;
	do {
		*--w = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return w;
}

static void put_key(struct bw_buf *b, const char *k)
{
	bw_buf_append(b, ",\"", 2);
	bw_buf_puts(b, k);
	bw_buf_append(b, "\":", 2);
}

static void kv_str(struct bw_buf *b, const char *k, const char *v)
{
	if (!v)
		return;
	put_key(b, k);
	put_str(b, v);
}

static void kv_bool(struct bw_buf *b, const char *k, bool v)
{
	put_key(b, k);
	bw_buf_puts(b, v ? "true" : "false");
}

static void kv_num(struct bw_buf *b, const char *k, long long v)
{
	put_key(b, k);
	put_num(b, v);
}

/* ---------------------------------------------------------------- processes */

/* Copies a bounded, possibly unterminated kernel string. */
static void kstr(char *dst, size_t cap, const char *src, size_t srccap)
{
	size_t n = strnlen(src, srccap);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}


static bool read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = 0;
	return true;
}

/* What /proc still says about a process we did not see start. */
static struct proc *proc_from_procfs(uint32_t pid)
{
	struct proc *p = calloc(1, sizeof(*p));
	char path[64], buf[4096];
	ssize_t n;

	if (!p)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if (read_small(path, buf, sizeof(buf))) {
		buf[strcspn(buf, "\n")] = 0;
		kstr(p->comm, sizeof(p->comm), buf, sizeof(buf));
	}
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_small(path, buf, sizeof(buf))) {
		const char *rp = strrchr(buf, ')');
		unsigned ppid = 0, pgid = 0, sid = 0;
		int tty = 0;
		if (rp && sscanf(rp + 1, " %*c %u %u %u %d", &ppid, &pgid, &sid, &tty) >= 1) {
			p->ppid = ppid;
			p->pgid = pgid;
			p->sid = sid;
		}
		/* tty_nr: minor in bits 0-7 and 20-31, major in 8-19 */
		p->tty = ((((unsigned)tty >> 8) & 0xfff) << 20) | ((unsigned)tty & 0xff) |
			 ((((unsigned)tty >> 20) & 0xfff) << 8);
	}
	snprintf(path, sizeof(path), "/proc/%u/cwd", pid);
	n = readlink(path, p->cwd, sizeof(p->cwd) - 2);
	p->cwd[n > 0 ? n : 0] = 0;
	if (n > 0 && p->cwd[n - 1] != '/')
		strcat(p->cwd, "/");
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, p->exepath, sizeof(p->exepath) - 1);
	p->exepath[n > 0 ? n : 0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			p->exe = strdup(buf);
			size_t first = strlen(buf) + 1;
			for (ssize_t i = (ssize_t)first; i < n; i++)
				if (buf[i] == 0 && i + 1 < n)
					buf[i] = ' ';
			p->args = strdup((ssize_t)first < n ? buf + first : "");
		}
	}
	return p;
}

/* The process table is bounded: past MAX_PROCS it starts over rather than
 * grow without end. Called between events only, so that no event holds a
 * pointer into it. */
static void procs_trim(struct bw_sensor *s)
{
	if (s->n_procs < MAX_PROCS && s->procs)
		return;
	bw_map_free_with(s->procs, free_proc);
	s->procs = bw_map_new();
	s->n_procs = 0;
}

/* Stores p as pid's entry, freeing the one it replaces. */
static struct proc *proc_put(struct bw_sensor *s, uint32_t pid, struct proc *p)
{
	char kb[12], *key = u32_str(pid, kb);
	struct proc *old;

	if (!s->procs) {
		free_proc(p);
		return NULL;
	}
	old = bw_map_get(s->procs, key);
	if (!bw_map_has(s->procs, key))
		s->n_procs++;
	if (bw_map_put(s->procs, key, p) < 0) {
		free_proc(p);
		return NULL;
	}
	free_proc(old);
	return p;
}

static struct proc *proc_get(struct bw_sensor *s, uint32_t pid)
{
	char kb[12];
	struct proc *p;

	if (pid == 0 || !s->procs)
		return NULL;
	p = bw_map_get(s->procs, u32_str(pid, kb));
	if (p)
		return p;
	p = proc_from_procfs(pid);
	return p ? proc_put(s, pid, p) : NULL;
}

/* ---------------------------------------------------------------- containers */

/* "libpod-<64 hex>[.scope]", "docker-<hex>.scope", "cri-containerd-<hex>.scope",
 * "crio-<hex>.scope" or a bare 64-hex directory (cgroupfs drivers). */
static bool container_id_of(const char *leaf, char id[13])
{
	static const char *prefixes[] = { "libpod-", "docker-", "cri-containerd-", "crio-", "" };

	for (size_t i = 0; i < BW_ARRAY_SIZE(prefixes); i++) {
		size_t pl = strlen(prefixes[i]), n = 0;
		if (strncmp(leaf, prefixes[i], pl) != 0)
			continue;
		const char *h = leaf + pl;
		while ((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f'))
			n++;
		if (n == 64 && (h[n] == 0 || !strcmp(h + n, ".scope"))) {
			memcpy(id, h, 12);
			id[12] = 0;
			return true;
		}
	}
	return false;
}

struct reply {
	struct bw_buf b;
};

static size_t reply_write(char *p, size_t sz, size_t n, void *ud)
{
	struct reply *r = ud;

	return bw_buf_append(&r->b, p, sz * n) < 0 ? 0 : sz * n;
}

/* Asks a container engine's API socket about a container. */
static json_t *engine_inspect(const char *sock, const char *url)
{
	struct stat st;
	struct reply r = { BW_BUF_INIT(ENGINE_REPLY_MAX) };
	CURL *c;
	json_t *j = NULL;
	long code = 0;

	if (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 500L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) == CURLE_OK && curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
	    code == 200 && r.b.data)
		j = json_loadb(r.b.data, r.b.len, 0, NULL);
	curl_easy_cleanup(c);
	bw_buf_done(&r.b);
	return j;
}

static void split_image(struct container *c, const char *ref)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':'), *at = strchr(ref, '@');

	if (at) {
		c->image = strndup(ref, (size_t)(at - ref));
	} else if (colon && (!slash || colon > slash)) {
		c->image = strndup(ref, (size_t)(colon - ref));
		c->image_tag = strdup(colon + 1);
	} else {
		c->image = strdup(ref);
	}
}

/* containers/storage (podman, buildah, CRI-O) records every container in a
 * JSON list before it starts: its names and, in "metadata", the image's
 * name. Reading it needs no engine and takes no lock, so it answers even
 * while the engine is busy creating the container. */
static bool storage_lookup(struct container *c, const char *path, const char *full_id)
{
	char *data = NULL;
	size_t len = 0;
	json_t *list, *e;
	size_t i;
	bool found = false;

	if (bw_read_file(path, ENGINE_REPLY_MAX * 8, &data, &len, NULL) < 0)
		return false;
	list = json_loadb(data, len, 0, NULL);
	free(data);
	json_array_foreach(list, i, e) {
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *name = json_string_value(json_array_get(json_object_get(e, "names"), 0));
		const char *meta = json_string_value(json_object_get(e, "metadata"));

		if (!id || strcmp(id, full_id) != 0)
			continue;
		if (name && !c->name)
			c->name = strdup(name);
		if (meta && !c->image) {
			json_t *m = json_loads(meta, 0, NULL);
			const char *image = json_string_value(json_object_get(m, "image-name"));
			if (image && *image)
				split_image(c, image);
			json_decref(m);
		}
		found = c->name != NULL;
		break;
	}
	json_decref(list);
	return found;
}

/* ---------------------------------------------------------------- mounts */

static const char *const propagations[] = { "rprivate", "private", "rshared",	  "shared",
					     "rslave",	 "slave",   "runbindable", "unbindable" };

static bool has_opt(json_t *opts, const char *o)
{
	size_t i;
	json_t *v;

	json_array_foreach(opts, i, v) {
		const char *s = json_string_value(v);
		if (s && !strcmp(s, o))
			return true;
	}
	return false;
}

/* Whether path lies in the engine's own directory for the container
 * (".../<full id>/userdata/..."), where podman keeps the files it binds
 * into every container: /etc/hosts, /etc/resolv.conf, /etc/hostname,
 * /run/.containerenv and /dev/shm. */
static bool engine_file(const char *path, const char *full_id)
{
	size_t n = strlen(full_id);

	for (const char *p = path; n && (p = strstr(p, full_id)); p++)
		if (p > path && p[-1] == '/' && !strncmp(p + n, "/userdata", 9) &&
		    (p[n + 9] == '/' || p[n + 9] == 0))
			return true;
	return false;
}

/* One mount as Falco prints it, source:dest:mode:rdwr:propagation, escaped
 * for the inside of a JSON string, to both buffers. Returns 0 or -E2BIG
 * (or -ENOMEM): a buffer refused bytes. */
static int put_mount(struct bw_buf *all, struct bw_buf *list, const char *src, const char *dst,
		     const char *mode, bool rw, const char *prop)
{
	struct bw_buf one = BW_BUF_INIT(BW_MAX_CONTAINER_MOUNTS_JSON);
	int r = 0;

	/* Escaped, a byte takes at most six: so one never refuses a byte. */
	if (strlen(src) + strlen(dst) + strlen(mode) + strlen(prop) + 16 > BW_MAX_CONTAINER_MOUNTS_JSON / 6)
		return -E2BIG;
	put_escaped(&one, src);
	bw_buf_append(&one, ":", 1);
	put_escaped(&one, dst);
	bw_buf_append(&one, ":", 1);
	put_escaped(&one, mode);
	bw_buf_puts(&one, rw ? ":true:" : ":false:");
	put_escaped(&one, prop);
	if (!one.data)
		r = -ENOMEM;
	if (!r && all->len)
		r = bw_buf_append(all, ",", 1);
	if (!r)
		r = bw_buf_append(all, one.data, one.len);
	if (!r)
		r = bw_buf_append(list, list->len > 1 ? ",\"" : "\"", list->len > 1 ? 2 : 1);
	if (!r)
		r = bw_buf_append(list, one.data, one.len);
	if (!r)
		r = bw_buf_append(list, "\"", 1);
	bw_buf_done(&one);
	return r < 0 ? r : 0;
}

/*
 * The container's mounts as the engine lists them, from an OCI runtime
 * config ("mounts": destination, type, source, options) or an engine's
 * inspect answer ("Mounts": Source, Destination, Mode, RW, Propagation).
 * Of the runtime config, only bind mounts count (volumes are binds there
 * too): the runtime's proc, sysfs, tmpfs, devpts, mqueue and cgroup file
 * systems are no host path, and the engine's own files are no mount the
 * user asked for; neither is in the engine's list. Podman leaves the mode
 * of a bind empty, so do we. Returns 0 with *ret the replay-format members
 * (caller frees), -EINVAL when j has no list of mounts, -E2BIG, -ENOMEM.
 */
static int mounts_render(json_t *j, const char *full_id, char **ret)
{
	struct bw_buf all = BW_BUF_INIT(BW_MAX_CONTAINER_MOUNTS_JSON);
	struct bw_buf list = BW_BUF_INIT(BW_MAX_CONTAINER_MOUNTS_JSON);
	struct bw_buf out = BW_BUF_INIT(2 * BW_MAX_CONTAINER_MOUNTS_JSON + 64);
	json_t *oci = json_object_get(j, "mounts"), *api = json_object_get(j, "Mounts"), *m;
	size_t i, n = 0;
	int r = 0;

	if (!json_is_array(oci) && !json_is_array(api))
		return -EINVAL;
	r = bw_buf_append(&list, "[", 1);
	json_array_foreach(json_is_array(oci) ? oci : api, i, m) {
		const char *src, *dst, *mode = "", *prop = "";
		bool rw;
		if (r < 0)
			break;
		if (json_is_array(oci)) {
			json_t *opts = json_object_get(m, "options");
			const char *type = json_string_value(json_object_get(m, "type"));
			if (!(type ? !strcmp(type, "bind") : has_opt(opts, "bind") || has_opt(opts, "rbind")))
				continue;
			src = json_string_value(json_object_get(m, "source"));
			dst = json_string_value(json_object_get(m, "destination"));
			if (!src || !dst || engine_file(src, full_id))
				continue;
			rw = !has_opt(opts, "ro");
			for (size_t k = 0; k < BW_ARRAY_SIZE(propagations); k++)
				if (has_opt(opts, propagations[k])) {
					prop = propagations[k];
					break;
				}
		} else {
			src = json_string_value(json_object_get(m, "Source"));
			dst = json_string_value(json_object_get(m, "Destination"));
			mode = json_string_value(json_object_get(m, "Mode")) ?: "";
			prop = json_string_value(json_object_get(m, "Propagation")) ?: "";
			rw = json_is_true(json_object_get(m, "RW"));
			if (!dst)
				continue;
			src = src ?: "";
		}
		r = ++n > BW_MAX_CONTAINER_MOUNTS ? -E2BIG : put_mount(&all, &list, src, dst, mode, rw, prop);
	}
	if (!r)
		r = bw_buf_append(&list, "]", 1);
	if (!r)
		r = bw_buf_puts(&out, ",\"container.mounts\":\"");
	if (!r && all.len)
		r = bw_buf_append(&out, all.data, all.len);
	if (!r)
		r = bw_buf_puts(&out, "\",\"container.mount\":");
	if (!r)
		r = bw_buf_append(&out, list.data, list.len);
	if (!r && !(*ret = bw_buf_steal(&out)))
		r = -ENOMEM;
	bw_buf_done(&all);
	bw_buf_done(&list);
	bw_buf_done(&out);
	return r < 0 ? r : 0;
}

/* A runtime config or engine answer for the tests' entry points; NULL, with
 * the position of the fault in *err, when it is not JSON. */
static json_t *load_json(const char *json, size_t len, struct bw_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(json, len, 0, &je);

	if (!j)
		bw_error_set(err, -EINVAL, "invalid JSON at line %d column %d: %s", je.line, je.column,
			     je.text);
	return j;
}

int bw_sensor_container_mounts(const char *json, size_t len, const char *full_id, char **ret,
			       struct bw_error **err)
{
	json_t *j = load_json(json, len, err);
	char *s = NULL;
	int r;

	if (!j)
		return -EINVAL;
	r = mounts_render(j, full_id, &s);
	json_decref(j);
	if (r == -EINVAL)
		return bw_error_set(err, r, "no list of mounts (`mounts` or `Mounts`)");
	if (r == -E2BIG)
		return bw_error_set(err, r, "more than %u mounts or %u bytes of them", BW_MAX_CONTAINER_MOUNTS,
				    BW_MAX_CONTAINER_MOUNTS_JSON);
	if (r < 0)
		return bw_error_set(err, r, "out of memory");
	*ret = s;
	return 0;
}

/* ---------------------------------------------------------------- Kubernetes */

#define K8S_NAME_MAX 253 /* a DNS subdomain, Kubernetes's longest name */

/*
 * The k8s.* members of a container's events, from the pod's annotations
 * that CRI runtimes put in the OCI runtime config (`annotations`) or from
 * an engine's answer (`Config.Annotations`, then `Config.Labels`, where
 * dockershim and containerd keep them). -ENOENT when none names a pod.
 */
static int k8s_render(json_t *j, char **ret)
{
	static const char *const keys[][2] = {
		{ "io.kubernetes.pod.namespace", "k8s.ns.name" },
		{ "io.kubernetes.pod.name", "k8s.pod.name" },
		{ "io.kubernetes.pod.uid", "k8s.pod.uid" },
	};
	json_t *cfg = json_object_get(j, "Config");
	json_t *from[] = { json_object_get(j, "annotations"), json_object_get(cfg, "Annotations"),
			   json_object_get(cfg, "Labels") };
	struct bw_buf out = BW_BUF_INIT(8192); /* three escaped names fit */
	bool any = false;

	for (size_t i = 0; i < BW_ARRAY_SIZE(from) && !any; i++) {
		if (!json_is_object(from[i]))
			continue;
		for (size_t k = 0; k < BW_ARRAY_SIZE(keys); k++) {
			const char *v = json_string_value(json_object_get(from[i], keys[k][0]));
			if (!v || !v[0] || strlen(v) > K8S_NAME_MAX)
				continue;
			kv_str(&out, keys[k][1], v);
			any = true;
		}
	}
	if (!any) {
		bw_buf_done(&out);
		return -ENOENT;
	}
	*ret = bw_buf_steal(&out);
	return *ret ? 0 : -ENOMEM;
}

int bw_sensor_container_k8s(const char *json, size_t len, char **ret, struct bw_error **err)
{
	json_t *j = load_json(json, len, err);
	char *s = NULL;
	int r;

	if (!j)
		return -EINVAL;
	r = k8s_render(j, &s);
	json_decref(j);
	if (r == -ENOENT)
		return bw_error_set(err, r, "no pod annotations (`io.kubernetes.pod.*`)");
	if (r < 0)
		return bw_error_set(err, r, "out of memory");
	*ret = s;
	return 0;
}

static void container_k8s(struct container *c, json_t *j)
{
	if (!c->k8s)
		k8s_render(j, &c->k8s);
}

static void container_mounts(struct container *c, json_t *j)
{
	char *s = NULL;
	int r;

	if (c->mounts)
		return;
	r = mounts_render(j, c->full_id, &s);
	if (r == -E2BIG)
		bw_log(BW_LOG_WARN, "container %s: more than %u mounts or %u bytes of them, ignoring", c->id,
		       BW_MAX_CONTAINER_MOUNTS, BW_MAX_CONTAINER_MOUNTS_JSON);
	c->mounts = s;
}

/* What podman's runtime config beside the storage's list says: whether it
 * ran the container privileged (its annotation), and the mounts. */
static void storage_config(struct container *c, const char *store, const char *full_id)
{
	char path[512], *data = NULL;
	const char *slash = strrchr(store, '/'), *v;
	size_t len = 0;
	json_t *j;

	snprintf(path, sizeof(path), "%.*s/%s/userdata/config.json", (int)(slash - store), store, full_id);
	if (bw_read_file(path, ENGINE_REPLY_MAX, &data, &len, NULL) < 0)
		return;
	j = json_loadb(data, len, 0, NULL);
	free(data);
	v = json_string_value(json_object_get(json_object_get(j, "annotations"), "io.podman.annotations.privileged"));
	if (v)
		c->privileged = !strcasecmp(v, "true");
	container_mounts(c, j);
	container_k8s(c, j);
	json_decref(j);
}

static void container_lookup(struct container *c, const char *full_id)
{
	static const char *stores[] = {
		"/var/lib/containers/storage/overlay-containers/containers.json",
		"/run/containers/storage/overlay-containers/volatile-containers.json",
		"/var/lib/containers/storage/vfs-containers/containers.json",
	};
	char url[256];
	json_t *j;
	const char *name = NULL, *image = NULL;

	for (size_t i = 0; i < BW_ARRAY_SIZE(stores); i++)
		if (storage_lookup(c, stores[i], full_id)) {
			storage_config(c, stores[i], full_id);
			return;
		}
	snprintf(url, sizeof(url), "http://d/v4.0.0/libpod/containers/%s/json", full_id);
	j = engine_inspect("/run/podman/podman.sock", url);
	if (!j) {
		snprintf(url, sizeof(url), "http://d/containers/%s/json", full_id);
		j = engine_inspect("/var/run/docker.sock", url);
	}
	if (j) {
		name = json_string_value(json_object_get(j, "Name"));
		image = json_string_value(json_object_get(j, "ImageName"));
		if (!image)
			image = json_string_value(json_object_get(json_object_get(j, "Config"), "Image"));
		if (name && !c->name)
			c->name = strdup(name[0] == '/' ? name + 1 : name);
		if (image && !c->image)
			split_image(c, image);
		json_t *pv = json_object_get(json_object_get(j, "HostConfig"), "Privileged");
		if (json_is_boolean(pv))
			c->privileged = json_is_true(pv);
		container_mounts(c, j);
		container_k8s(c, j);
		json_decref(j);
	}
}

/* An engine may not answer while it is still creating the container (it
 * holds the container's lock): ask again a few times, a second apart,
 * while its name or its mounts are unknown. */
#define LOOKUP_TRIES 5

static void container_refresh(struct container *c)
{
	time_t now = time(NULL);

	if ((c->name && c->mounts) || c->tries >= LOOKUP_TRIES || (c->tries && now - c->tried_at < 1))
		return;
	c->tries++;
	c->tried_at = now;
	container_lookup(c, c->full_id);
}

static struct container *container_get(struct bw_sensor *s, const char *leaf)
{
	struct container *c;
	char id[13];

	if (bw_map_has(s->containers, leaf)) {
		c = bw_map_get(s->containers, leaf);
		if (c)
			container_refresh(c);
		return c;
	}
	c = NULL;
	if (container_id_of(leaf, id)) {
		c = calloc(1, sizeof(*c));
		if (c) {
			const char *h = strrchr(leaf, '-');
			memcpy(c->id, id, sizeof(id));
			snprintf(c->full_id, sizeof(c->full_id), "%.64s", h ? h + 1 : leaf);
			c->privileged = -1;
			c->users = bw_map_new();
			c->groups = bw_map_new();
			container_refresh(c);
		}
	}
	if (s->n_containers >= MAX_CONTAINERS) {
		bw_map_free_with(s->containers, free_container);
		s->containers = bw_map_new();
		s->n_containers = 0;
	}
	if (!s->containers || bw_map_put(s->containers, leaf, c) < 0) {
		free_container(c);
		return NULL;
	}
	s->n_containers++;
	return c;
}

/* ---------------------------------------------------------------- user and group names */

#define ID_DB_MAX_LINES 65536u /* lines read of one passwd or group file */
#define ID_DB_MAX_NAMES 4096u  /* names kept per container */
#define ID_DB_LINE 1024u

int bw_sensor_id_lookup(FILE *f, uint32_t id, char *ret_name, size_t n)
{
	char line[ID_DB_LINE];
	bool whole = true; /* line starts a record */

	for (unsigned i = 0; i < ID_DB_MAX_LINES && fgets(line, sizeof(line), f); i++) {
		bool starts = whole;
		size_t len = strlen(line);

		/* A record longer than the buffer: skip its rest, never read
		 * a piece of it as a record of its own. */
		whole = len > 0 && line[len - 1] == '\n';
		if (!starts)
			continue;
		/* name:password:id:... (passwd and group alike) */
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;
		if (!c1 || !c2 || c1 == line || line[0] == '+' || line[0] == '-')
			continue;
		errno = 0;
		unsigned long v = strtoul(c2 + 1, &end, 10);
		if (errno || end == c2 + 1 || (*end != ':' && *end != '\n' && *end) || v != id || c2[1] == '-')
			continue;
		if ((size_t)(c1 - line) >= n)
			return -ENAMETOOLONG;
		memcpy(ret_name, line, c1 - line);
		ret_name[c1 - line] = 0;
		return 0;
	}
	return ferror(f) ? -EIO : -ENOENT;
}

/*
 * Opens etc/NAME in the process's own root (a container's, when it runs in
 * one) without leaving it: its symlinks resolve inside that root, and only
 * a regular file is read (a FIFO there must not stall the sensor). NULL
 * when there is none or the process is gone.
 */
static FILE *open_in_root(uint32_t pid, const char *name)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char path[40];
	struct stat st;
	int root, fd;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/root", pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return NULL;
	fd = (int)syscall(SYS_openat2, root, name, &how, sizeof(how));
	close(root);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	return f;
}

/* The name of id in the process's etc/passwd or etc/group (or, when the
 * process is gone by now, in that of fallback, which shares its root),
 * cached in m (misses too, once the file was read through). NULL when it
 * has none. */
static const char *id_name(struct bw_map *m, uint32_t pid, uint32_t fallback, const char *file, uint32_t id)
{
	char key[16], name[ID_DB_LINE];
	const char *v;
	FILE *f;
	int r;

	if (!m)
		return NULL;
	snprintf(key, sizeof(key), "%u", id);
	if (bw_map_has(m, key)) {
		v = bw_map_get(m, key);
		return v && v[0] ? v : NULL;
	}
	f = open_in_root(pid, file);
	if (!f && fallback && fallback != pid)
		f = open_in_root(fallback, file);
	if (!f)
		return NULL;
	r = bw_sensor_id_lookup(f, id, name, sizeof(name));
	fclose(f);
	if (r < 0 && r != -ENOENT)
		return NULL;
	if (bw_map_size(m) >= ID_DB_MAX_NAMES)
		return NULL;
	char *copy = strdup(r == 0 ? name : "");
	if (copy && bw_map_put(m, key, copy) < 0)
		free(copy);
	v = bw_map_get(m, key);
	return v && v[0] ? v : NULL;
}

static const char *user_name(struct bw_sensor *s, struct container *c, uint32_t pid, uint32_t uid)
{
	return id_name(c ? c->users : s->host_users, pid, c ? c->init_pid : 1, "etc/passwd", uid);
}

static const char *group_name(struct bw_sensor *s, struct container *c, uint32_t pid, uint32_t gid)
{
	return id_name(c ? c->groups : s->host_groups, pid, c ? c->init_pid : 1, "etc/group", gid);
}

/* ---------------------------------------------------------------- cgroups */

/* The leaf name of a cgroup, by id: learnt from exec and fork events, else
 * from /proc/PID/cgroup of the process that did it. */
static const char *cgroup_leaf(struct bw_sensor *s, uint64_t cgid, uint32_t pid)
{
	char key[24], path[64], buf[1024];
	const char *leaf;
	char *v;

	snprintf(key, sizeof(key), "%llu", (unsigned long long)cgid);
	leaf = bw_map_get(s->cgroups, key);
	if (leaf)
		return leaf;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	if (!read_small(path, buf, sizeof(buf)))
		return "";
	/* cgroup v2: "0::/machine.slice/libpod-<id>.scope" */
	char *line = strstr(buf, "0::");
	if (!line)
		return "";
	line[strcspn(line, "\n")] = 0;
	leaf = strrchr(line, '/');
	leaf = leaf ? leaf + 1 : line + 3;
	if (bw_map_size(s->cgroups) >= MAX_CONTAINERS * 4)
		return leaf[0] ? "" : "";
	v = strdup(leaf);
	if (!v || bw_map_put(s->cgroups, key, v) < 0) {
		free(v);
		return "";
	}
	return v;
}

static void cgroup_learn(struct bw_sensor *s, uint64_t cgid, const char *name, size_t cap)
{
	char key[24], leaf[BW_EV_CGROUP + 1], *v;
	const char *old;

	kstr(leaf, sizeof(leaf), name, cap);
	if (!leaf[0])
		return; /* the kernel could not read it */
	snprintf(key, sizeof(key), "%llu", (unsigned long long)cgid);
	old = bw_map_get(s->cgroups, key);
	if ((old && !strcmp(old, leaf)) || bw_map_size(s->cgroups) >= MAX_CONTAINERS * 4)
		return;
	v = strdup(leaf);
	if (!v || bw_map_put(s->cgroups, key, v) < 0) {
		free(v);
		return;
	}
	free((char *)old);
}

/* ---------------------------------------------------------------- events */

static void open_flags(uint32_t f, char out[256])
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ O_CREAT, "O_CREAT" },	      { O_EXCL, "O_EXCL" },	    { O_NOCTTY, "O_NOCTTY" },
		{ O_TRUNC, "O_TRUNC" },	      { O_APPEND, "O_APPEND" },	    { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" },	      { O_DIRECT, "O_DIRECT" },	    { O_LARGEFILE, "O_LARGEFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" },
		{ O_CLOEXEC, "O_CLOEXEC" },   { O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE" },
	};
	uint32_t acc = f & O_ACCMODE;

	snprintf(out, 256, "%s", acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "O_RDONLY");
	for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
		if ((f & names[i].bit) == names[i].bit && names[i].bit)
			strncat(out, "|", 255 - strlen(out)), strncat(out, names[i].name, 255 - strlen(out));
}

/* A file mode as Falco prints it: the permission bits by name. */
static void mode_flags(uint32_t m, char out[256])
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ 01, "S_IXOTH" },  { 02, "S_IWOTH" },	{ 04, "S_IROTH" },  { 010, "S_IXGRP" },
		{ 020, "S_IWGRP" }, { 040, "S_IRGRP" }, { 0100, "S_IXUSR" }, { 0200, "S_IWUSR" },
		{ 0400, "S_IRUSR" }, { 01000, "S_ISVTX" }, { 02000, "S_ISGID" }, { 04000, "S_ISUID" },
	};

	out[0] = 0;
	for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
		if (m & names[i].bit) {
			if (out[0])
				strncat(out, "|", 255 - strlen(out));
			strncat(out, names[i].name, 255 - strlen(out));
		}
}

/* Capabilities as Falco prints them: names separated by spaces. */
static void cap_names(uint64_t caps, struct bw_buf *b)
{
	static const char *const names[] = {
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
		"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
		"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
		"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
		"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
		"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
		"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
	};
	bool first = true;

	bw_buf_append(b, "\"", 1);
	for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
		if (caps & (1ull << i)) {
			if (!first)
				bw_buf_append(b, " ", 1);
			bw_buf_puts(b, names[i]);
			first = false;
		}
	bw_buf_append(b, "\"", 1);
}

static const char *ptrace_request(int64_t r)
{
	switch (r) {
	case 0: return "PTRACE_TRACEME";
	case 1: return "PTRACE_PEEKTEXT";
	case 2: return "PTRACE_PEEKDATA";
	case 4: return "PTRACE_POKETEXT";
	case 5: return "PTRACE_POKEDATA";
	case 7: return "PTRACE_CONT";
	case 12: return "PTRACE_GETREGS";
	case 13: return "PTRACE_SETREGS";
	case 16: return "PTRACE_ATTACH";
	case 17: return "PTRACE_DETACH";
	case 0x4206: return "PTRACE_SEIZE";
	default: return "PTRACE_UNKNOWN";
	}
}

/*
 * Normalises an absolute path as Falco's fd.name: no empty or "."
 * components, ".." removes the one before (never above the root), no
 * trailing slash.
 */
static void normalize(char *out, size_t cap, const char *in)
{
	size_t n = 0;

	if (in[0] != '/') {
		snprintf(out, cap, "%s", in);
		return;
	}
	while (*in) {
		const char *c;
		size_t len;
		while (*in == '/')
			in++;
		c = in;
		len = strcspn(c, "/");
		in += len;
		if (len == 0 || (len == 1 && c[0] == '.'))
			continue;
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		if (n + 1 + len + 1 > cap)
			break;
		out[n++] = '/';
		memcpy(out + n, c, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = 0;
}

/*
 * The leader of p's session (want_sid) or process group: the process whose
 * host pid is the id, else, as Falco, the eldest ancestor that shares it.
 * NULL when neither is known.
 */
static struct proc *leader_of(struct bw_sensor *s, const struct bw_ev_hdr *h, bool want_sid)
{
	uint32_t id = want_sid ? h->sid : h->pgid, anc = h->ppid;
	struct proc *l, *eldest = NULL;

	if (id == 0)
		return NULL;
	/* An entry with no name: neither seen nor in /proc (it exited). */
	l = proc_get(s, id);
	if (l && l->comm[0])
		return l;
	for (int depth = 0; depth < 16 && anc > 1; depth++) {
		struct proc *a = proc_get(s, anc);
		if (!a || !a->comm[0] || (want_sid ? a->sid : a->pgid) != id)
			break;
		eldest = a;
		anc = a->ppid;
	}
	if (!eldest && (l = proc_get(s, h->pid)) && l->comm[0])
		eldest = l;
	return eldest;
}

/* Falco's pid-namespace fields: the ids as the process's own namespace
 * sees them, and the names of its session's and process group's leaders. */
static void ns_fields(struct bw_sensor *s, const struct bw_ev_hdr *h)
{
	struct bw_buf *b = &s->line;
	struct proc *p = proc_get(s, h->pid), *l;

	if (p) { /* keep the table's ids current: setsid() and setpgid() change them */
		p->pgid = h->pgid;
		p->sid = h->sid;
	}
	if (h->vpid) {
		kv_num(b, "proc.vpid", h->vpid);
		kv_num(b, "thread.vtid", h->vtid);
		kv_num(b, "proc.pvpid", h->pvpid);
	}
	if (h->vpgid) {
		kv_num(b, "proc.vpgid", h->vpgid);
		kv_bool(b, "proc.is_vpgid_leader", h->vpgid == h->vpid);
	}
	if (h->vsid) {
		kv_num(b, "proc.sid", h->vsid);
		kv_bool(b, "proc.is_sid_leader", h->vsid == h->vpid);
	}
	l = leader_of(s, h, true);
	if (l) {
		kv_str(b, "proc.sname", l->comm);
		kv_str(b, "proc.sid.exe", l->exe);
		kv_str(b, "proc.sid.exepath", l->exepath[0] ? l->exepath : NULL);
	}
	l = leader_of(s, h, false);
	if (l) {
		kv_str(b, "proc.vpgid.name", l->comm);
		kv_str(b, "proc.vpgid.exe", l->exe);
		kv_str(b, "proc.vpgid.exepath", l->exepath[0] ? l->exepath : NULL);
	}
}

/* The executable's inode and times, as Falco's proc.exe_ino.*: the
 * duration runs from the inode's last status change to the process's fork,
 * when both are known and in that order. */
static void exe_fields(struct bw_sensor *s, const struct proc *p)
{
	struct bw_buf *b = &s->line;

	if (p->exe_ino)
		kv_num(b, "proc.exe_ino", (long long)p->exe_ino);
	if (p->exe_ctime)
		kv_num(b, "proc.exe_ino.ctime", (long long)p->exe_ctime);
	if (p->exe_mtime)
		kv_num(b, "proc.exe_ino.mtime", (long long)p->exe_mtime);
	if (p->exe_ctime && p->start) {
		uint64_t start = p->start + (uint64_t)s->mono_to_real;
		if (start >= p->exe_ctime && start - p->exe_ctime <= INT64_MAX)
			kv_num(b, "proc.exe_ino.ctime_duration_proc_start", (long long)(start - p->exe_ctime));
	}
}

/* The fields of the process (and its ancestry, container and user) that
 * every event carries. */
static void common_fields(struct bw_sensor *s, const struct bw_ev_hdr *h, const char *type)
{
	struct bw_buf *b = &s->line;
	char comm[BW_EV_COMM + 1];
	struct proc *p = proc_get(s, h->pid), *pp;
	struct container *c;
	const char *uname;

	kstr(comm, sizeof(comm), h->comm, sizeof(h->comm));
	c = container_get(s, cgroup_leaf(s, h->cgroup_id, h->pid));
	bw_buf_puts(b, "{\"ts\":");
	put_num(b, (long long)(uint64_t)(h->ts + (uint64_t)s->mono_to_real)); /* wraps, never overflows */
	kv_num(b, "evt.num", (long long)++s->evnum);
	kv_str(b, "evt.type", type);
	kv_str(b, "evt.dir", "<");
	kv_num(b, "evt.rawres", (long long)h->res);
	kv_str(b, "evt.res", h->res >= 0 ? "SUCCESS"
			     : h->res > -4096 ? (strerrorname_np((int)-h->res) ?: "EUNKNOWN") : "EUNKNOWN");
	kv_num(b, "proc.pid", h->pid);
	kv_num(b, "thread.tid", h->tid);
	kv_num(b, "proc.ppid", h->ppid);
	kv_str(b, "proc.name", comm);
	ns_fields(s, h);
	if (p) {
		kv_str(b, "proc.exepath", p->exepath[0] ? p->exepath : NULL);
		kv_str(b, "proc.exe", p->exe);
		kv_str(b, "proc.args", p->args ? p->args : "");
		put_key(b, "proc.cmdline");
		put_cmdline(b, comm, p->args);
		kv_str(b, "proc.cwd", p->cwd[0] ? p->cwd : NULL);
		kv_num(b, "proc.tty", p->tty);
		kv_bool(b, "proc.is_exe_from_memfd", p->memfd);
		kv_bool(b, "proc.is_exe_upper_layer", p->upper);
		kv_bool(b, "proc.is_exe_lower_layer", p->lower);
		exe_fields(s, p);
		if (p->start && h->ts >= p->start)
			kv_num(b, "proc.duration", (long long)(h->ts - p->start));
	}
	pp = proc_get(s, h->ppid);
	if (pp) {
		kv_str(b, "proc.pname", pp->comm);
		put_key(b, "proc.pcmdline");
		put_cmdline(b, pp->comm, pp->args);
		kv_str(b, "proc.pexepath", pp->exepath[0] ? pp->exepath : NULL);
		kv_str(b, "proc.pexe", pp->exe);
	}
	/* Ancestry: element 0 is the process itself, as Falco indexes it. */
	bw_buf_puts(b, ",\"proc.aname\":[");
	put_str(b, comm);
	uint32_t anc = h->ppid;
	for (int depth = 0; depth < 8 && anc > 1; depth++) {
		struct proc *a = proc_get(s, anc);
		if (!a)
			break;
		bw_buf_puts(b, ",");
		put_str(b, a->comm);
		anc = a->ppid;
	}
	bw_buf_puts(b, "]");
	/* The container's pid 1: its root for names once a process is gone,
	 * and its fork, the container's start (container.start_ts). */
	if (c && h->vpid == 1) {
		c->init_pid = h->pid;
		if (p && p->start && !c->start_ts)
			c->start_ts = p->start + (uint64_t)s->mono_to_real;
	}
	kv_num(b, "user.uid", h->uid);
	uname = user_name(s, c, h->pid, h->uid);
	kv_str(b, "user.name", uname ? uname : (h->uid == 0 ? "root" : NULL));
	kv_num(b, "user.loginuid", h->loginuid == UINT32_MAX ? -1 : (long long)h->loginuid);
	/* No login user (loginuid -1): no name, Falco's <NA>. */
	if (h->loginuid != UINT32_MAX) {
		uname = user_name(s, c, h->pid, h->loginuid);
		kv_str(b, "user.loginname", uname ? uname : (h->loginuid == 0 ? "root" : NULL));
	}
	kv_num(b, "group.gid", h->gid);
	uname = group_name(s, c, h->pid, h->gid);
	kv_str(b, "group.name", uname ? uname : (h->gid == 0 ? "root" : NULL));
	if (c) {
		kv_str(b, "container.id", c->id);
		kv_str(b, "container.name", c->name);
		kv_str(b, "container.image.repository", c->image);
		kv_str(b, "container.image.tag", c->image_tag);
		if (c->privileged >= 0)
			kv_bool(b, "container.privileged", c->privileged);
		if (c->mounts)
			bw_buf_puts(b, c->mounts);
		if (c->k8s)
			bw_buf_puts(b, c->k8s);
		if (c->start_ts && c->start_ts <= INT64_MAX)
			kv_num(b, "container.start_ts", (long long)c->start_ts);
	} else {
		kv_str(b, "container.id", "host");
		kv_str(b, "container.name", "host");
	}
}

static int decode_exec(struct bw_sensor *s, const struct bw_ev_exec *e)
{
	char key[12];
	struct proc *p, *old;
	size_t len = e->args_len < BW_EV_ARGS ? e->args_len : BW_EV_ARGS;
	char argv[BW_EV_ARGS + 1];

	cgroup_learn(s, e->h.cgroup_id, e->cgroup, sizeof(e->cgroup));
	/* Record the new program before describing it; it keeps its fork time. */
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	old = s->procs ? bw_map_get(s->procs, u32_str(e->h.pid, key)) : NULL;
	p->start = old ? old->start : 0;
	p->ppid = e->h.ppid;
	p->tty = e->tty;
	p->memfd = e->flags & BW_EXEC_MEMFD;
	p->upper = e->flags & BW_EXEC_UPPER;
	p->lower = !p->upper && (e->flags & BW_EXEC_LOWER);
	p->exe_ino = e->exe_ino;
	/* Kernel times are bounded like any input: beyond 2^63 ns they are
	 * not times. */
	p->exe_ctime = e->exe_ctime <= INT64_MAX ? e->exe_ctime : 0;
	p->exe_mtime = e->exe_mtime <= INT64_MAX ? e->exe_mtime : 0;
	if (p->exe_ino > INT64_MAX)
		p->exe_ino = 0;
	kstr(p->comm, sizeof(p->comm), e->h.comm, sizeof(e->h.comm));
	kstr(p->exepath, sizeof(p->exepath), e->filename, sizeof(e->filename));
	kstr(p->cwd, sizeof(p->cwd) - 1, e->cwd, sizeof(e->cwd));
	if (p->cwd[0] && p->cwd[strlen(p->cwd) - 1] != '/')
		strcat(p->cwd, "/"); /* Falco's proc.cwd ends with a slash */
	memcpy(argv, e->args, len);
	argv[len] = 0;
	size_t first = strnlen(argv, len);
	p->exe = strndup(argv, first);
	for (size_t i = first + 1; i < len; i++)
		if (argv[i] == 0 && i + 1 < len)
			argv[i] = ' ';
	p->args = strdup(first + 1 < len ? argv + first + 1 : "");
	if (!p->exe || !p->args) {
		free_proc(p);
		return -ENOMEM;
	}
	if (!proc_put(s, e->h.pid, p))
		return -ENOMEM;

	common_fields(s, &e->h, "execve");
	/* Falco's execve flags, in its order. */
	char flags[64];
	snprintf(flags, sizeof(flags), "%s%s%s", p->upper ? "EXE_UPPER_LAYER|" : "",
		 p->memfd ? "EXE_FROM_MEMFD|" : "", p->lower ? "EXE_LOWER_LAYER|" : "");
	if (flags[0])
		flags[strlen(flags) - 1] = 0;
	kv_str(&s->line, "evt.arg.flags", flags);
	kv_str(&s->line, "evt.arg.filename", p->exepath);
	return 0;
}

/* A new process starts as a copy of its parent. */
static int decode_clone(struct bw_sensor *s, const struct bw_ev_clone *e)
{
	struct proc *parent = proc_get(s, e->h.pid), *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	cgroup_learn(s, e->h.cgroup_id, e->cgroup, sizeof(e->cgroup));
	if (parent) {
		*p = *parent;
		p->exe = parent->exe ? strdup(parent->exe) : NULL;
		p->args = parent->args ? strdup(parent->args) : NULL;
	} else {
		kstr(p->comm, sizeof(p->comm), e->h.comm, sizeof(e->h.comm));
	}
	p->ppid = e->h.pid;
	p->start = e->h.ts;
	if (!proc_put(s, e->child_pid, p))
		return -ENOMEM;
	if (!s->want_clone)
		return 1;
	common_fields(s, &e->h, "clone");
	return 0;
}

static int decode_procexit(struct bw_sensor *s, const struct bw_ev_hdr *h)
{
	char key[12];
	struct proc *p;
	int r = 1;

	if (s->want_procexit) {
		common_fields(s, h, "procexit");
		r = 0;
	}
	/* Forget it once described: the pid may come back as another process. */
	const char *k = u32_str(h->pid, key);
	p = s->procs ? bw_map_get(s->procs, k) : NULL;
	if (p && bw_map_put(s->procs, k, NULL) == 0)
		free_proc(p);
	return r;
}

/* fd.name and its parts, from a resolved path. */
static void fd_path_fields(struct bw_buf *b, const char *full)
{
	char dir[BW_EV_FPATH * 2 + 2];
	const char *slash = strrchr(full, '/');

	kv_str(b, "fd.name", full);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash == full ? 1 : slash - full) : 0, full);
	kv_str(b, "fd.directory", dir);
	kv_str(b, "fd.filename", slash ? slash + 1 : full);
}

static int decode_file(struct bw_sensor *s, const struct bw_ev_file *e, const char *path2_raw)
{
	struct bw_buf *b = &s->line;
	const char *type = syscall_name(e->h.sc);
	char raw[BW_EV_FPATH + 1], path[BW_EV_FPATH * 2 + 2], path2[BW_EV_FPATH * 2 + 2] = "", flags[256];
	uint32_t sc = e->h.sc, acc = e->flags & O_ACCMODE;

	if (!type)
		return -EINVAL;
	kstr(raw, sizeof(raw), e->path, sizeof(e->path));
	normalize(path, sizeof(path), raw);
	if (path2_raw) {
		char r2[BW_EV_FPATH + 1];
		kstr(r2, sizeof(r2), path2_raw, BW_EV_FPATH);
		/* symlink targets and mount devices are kept as written */
		if (sc == 88 || sc == 266 || sc == 165)
			snprintf(path2, sizeof(path2), "%s", r2);
		else
			normalize(path2, sizeof(path2), r2);
	}
	common_fields(s, &e->h, type);
	switch (sc) {
	case 2: case 85: case 257: case 437: /* open, creat, openat, openat2 */
		open_flags(e->flags, flags);
		fd_path_fields(b, path);
		kv_str(b, "fd.nameraw", e->raw_off <= strlen(raw) ? raw + e->raw_off : raw);
		kv_str(b, "fd.typechar", (e->flags & O_DIRECTORY) ? "d" : "f");
		kv_str(b, "fd.type", (e->flags & O_DIRECTORY) ? "directory" : "file");
		kv_num(b, "fd.num", e->h.res >= 0 ? e->h.res : -1);
		kv_bool(b, "evt.is_open_read", acc == O_RDONLY || acc == O_RDWR);
		kv_bool(b, "evt.is_open_write", acc == O_WRONLY || acc == O_RDWR);
		kv_bool(b, "evt.is_open_exec", false);
		bw_buf_puts(b, ",\"evt.arg\":{\"flags\":");
		put_str(b, flags);
		kv_str(b, "name", path);
		kv_num(b, "mode", e->mode);
		kv_num(b, "fd", e->h.res);
		bw_buf_puts(b, "}");
		return 0;
	case 87: case 84: /* unlink, rmdir */
		kv_str(b, "evt.arg.path", path);
		return 0;
	case 263: /* unlinkat */
		bw_buf_puts(b, ",\"evt.arg\":{\"name\":");
		put_str(b, path);
		kv_num(b, "flags", e->flags);
		bw_buf_puts(b, "}");
		return 0;
	case 83: case 258: /* mkdir, mkdirat */
		mode_flags(e->mode, flags);
		bw_buf_puts(b, ",\"evt.arg\":{\"path\":");
		put_str(b, path);
		kv_str(b, "mode", flags);
		bw_buf_puts(b, "}");
		return 0;
	case 90: case 268: case 452: case 91: /* chmod, fchmodat, fchmodat2, fchmod */
		mode_flags(e->mode, flags);
		if (sc == 91)
			fd_path_fields(b, path);
		bw_buf_puts(b, ",\"evt.arg\":{\"mode\":");
		put_str(b, flags);
		kv_str(b, "filename", path);
		if (sc == 91)
			kv_num(b, "fd", e->fd);
		bw_buf_puts(b, "}");
		return 0;
	case 92: case 94: case 260: case 93: /* chown, lchown, fchownat, fchown */
		if (sc == 93)
			fd_path_fields(b, path);
		bw_buf_puts(b, ",\"evt.arg\":{\"path\":");
		put_str(b, path);
		kv_str(b, sc == 260 ? "pathname" : "filename", path);
		kv_num(b, "uid", e->uid);
		kv_num(b, "gid", e->gid);
		if (sc == 93)
			kv_num(b, "fd", e->fd);
		bw_buf_puts(b, "}");
		return 0;
	case 82: case 264: case 316: case 86: case 265: /* rename*, link* */
		bw_buf_puts(b, ",\"evt.arg\":{\"oldpath\":");
		put_str(b, path);
		kv_str(b, "newpath", path2);
		kv_num(b, "flags", e->flags);
		bw_buf_puts(b, "}");
		return 0;
	case 88: case 266: /* symlink, symlinkat: path is the link */
		bw_buf_puts(b, ",\"evt.arg\":{\"target\":");
		put_str(b, path2);
		kv_str(b, "linkpath", path);
		bw_buf_puts(b, "}");
		return 0;
	case 165: /* mount */
		bw_buf_puts(b, ",\"evt.arg\":{\"dev\":");
		put_str(b, path2);
		kv_str(b, "dir", path);
		kv_num(b, "flags", e->flags);
		bw_buf_puts(b, "}");
		return 0;
	case 166: /* umount2 */
		bw_buf_puts(b, ",\"evt.arg\":{\"name\":");
		put_str(b, path);
		kv_num(b, "flags", e->flags);
		bw_buf_puts(b, "}");
		return 0;
	case 313: /* finit_module */
		fd_path_fields(b, path);
		bw_buf_puts(b, ",\"evt.arg\":{\"fd\":");
		put_num(b, e->fd);
		kv_num(b, "flags", e->flags);
		bw_buf_puts(b, "}");
		return 0;
	}
	return -EINVAL;
}

static const char *l4proto(const struct bw_ev_net *e)
{
	if (e->family == AF_UNIX)
		return NULL;
	switch (e->proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return "icmp";
	case IPPROTO_RAW: return "raw";
	}
	/* the socket had no protocol yet: guess from its type */
	return e->sotype == SOCK_STREAM ? "tcp" : e->sotype == SOCK_DGRAM ? "udp" : NULL;
}

static int decode_net(struct bw_sensor *s, const struct bw_ev_net *e)
{
	struct bw_buf *b = &s->line;
	const char *type = syscall_name(e->h.sc), *proto = l4proto(e);
	char lip[64] = "", rip[64] = "", name[300];
	uint32_t sc = e->h.sc;
	/* client and server ends: accept and listen/bind sockets serve */
	bool serving = sc == 43 || sc == 288 || sc == 50 || sc == 49;

	if (!type)
		return -EINVAL;
	common_fields(s, &e->h, type);
	if (e->family == AF_INET || e->family == AF_INET6) {
		const char *cip, *sip;
		unsigned cport, sport;
		inet_ntop(e->family, e->laddr, lip, sizeof(lip));
		inet_ntop(e->family, e->raddr, rip, sizeof(rip));
		cip = serving ? rip : lip;
		sip = serving ? lip : rip;
		cport = serving ? e->rport : e->lport;
		sport = serving ? e->lport : e->rport;
		kv_str(b, "fd.typechar", e->family == AF_INET ? "4" : "6");
		kv_str(b, "fd.type", e->family == AF_INET ? "ipv4" : "ipv6");
		kv_str(b, "fd.sockfamily", "ip");
		kv_str(b, "fd.l4proto", proto);
		kv_str(b, "fd.cip", cip);
		kv_num(b, "fd.cport", cport);
		kv_str(b, "fd.sip", sip);
		kv_num(b, "fd.sport", sport);
		kv_str(b, "fd.lip", lip);
		kv_num(b, "fd.lport", e->lport);
		kv_str(b, "fd.rip", rip);
		kv_num(b, "fd.rport", e->rport);
		/* "either end" fields: the peer, which is what rules ask about */
		kv_str(b, "fd.ip", serving && sc != 43 && sc != 288 ? lip : rip);
		kv_num(b, "fd.port", serving && sc != 43 && sc != 288 ? e->lport : e->rport);
		kv_str(b, "fd.net", serving && sc != 43 && sc != 288 ? lip : rip);
		kv_str(b, "fd.cnet", cip);
		kv_str(b, "fd.snet", sip);
		kv_str(b, "fd.lnet", lip);
		kv_str(b, "fd.rnet", rip);
		if (sc == 50 || sc == 49)
			snprintf(name, sizeof(name), "%s:%u", lip, e->lport);
		else
			snprintf(name, sizeof(name), "%s:%u->%s:%u", cip, cport, sip, sport);
		kv_str(b, "fd.name", name);
		kv_bool(b, "fd.connected", sc != 50 && sc != 49 && e->h.res >= 0);
	} else if (e->family == AF_UNIX) {
		char path[BW_EV_UNIX + 1];
		kstr(path, sizeof(path), e->path, sizeof(e->path));
		/* an abstract address starts with NUL; Falco prints it with '@' */
		kv_str(b, "fd.typechar", "u");
		kv_str(b, "fd.type", "unix");
		kv_str(b, "fd.sockfamily", "unix");
		kv_str(b, "fd.name", path);
	} else if (sc == 32 || sc == 33 || sc == 292) {
		kv_str(b, "fd.type", "file");
	}
	kv_num(b, "fd.num", sc == 43 || sc == 288 || sc == 32 || sc == 33 || sc == 292 ? e->h.res : e->fd);
	bw_buf_puts(b, ",\"evt.arg\":{\"fd\":");
	put_num(b, e->fd);
	if (sc == 50)
		kv_num(b, "backlog", e->arg);
	if (sc == 288)
		kv_num(b, "flags", e->arg);
	if (sc == 42 || sc == 49)
		kv_str(b, "addr", e->family == AF_UNIX ? name : rip[0] || lip[0] ? name : "");
	bw_buf_puts(b, "}");
	return 0;
}

static const char *socket_domain(int64_t d)
{
	switch (d) {
	case AF_UNIX: return "AF_UNIX";
	case AF_INET: return "AF_INET";
	case AF_INET6: return "AF_INET6";
	case AF_NETLINK: return "AF_NETLINK";
	case AF_PACKET: return "AF_PACKET";
	default: return "AF_UNKNOWN";
	}
}

static void unshare_flags(int64_t f, char out[256])
{
	static const struct {
		int64_t bit;
		const char *name;
	} names[] = {
		{ 0x00000100, "CLONE_VM" },	   { 0x00000200, "CLONE_FS" },	      { 0x00000400, "CLONE_FILES" },
		{ 0x00020000, "CLONE_NEWNS" },	   { 0x02000000, "CLONE_NEWCGROUP" }, { 0x04000000, "CLONE_NEWUTS" },
		{ 0x08000000, "CLONE_NEWIPC" },	   { 0x10000000, "CLONE_NEWUSER" },   { 0x20000000, "CLONE_NEWPID" },
		{ 0x40000000, "CLONE_NEWNET" },	   { 0x00000080, "CLONE_NEWTIME" },   { 0x00040000, "CLONE_SYSVSEM" },
	};

	out[0] = 0;
	for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
		if (f & names[i].bit) {
			if (out[0])
				strncat(out, "|", 255 - strlen(out));
			strncat(out, names[i].name, 255 - strlen(out));
		}
}

static int decode_sys(struct bw_sensor *s, const struct bw_ev_sys *e)
{
	struct bw_buf *b = &s->line;
	const char *type = syscall_name(e->h.sc);
	char str[BW_EV_STR + 1], flags[256];
	const __s64 *a = e->args;

	if (!type)
		return -EINVAL;
	kstr(str, sizeof(str), e->str, sizeof(e->str));
	common_fields(s, &e->h, type);
	put_key(b, "thread.cap_effective");
	cap_names(e->cap_effective, b);
	put_key(b, "thread.cap_permitted");
	cap_names(e->cap_permitted, b);
	put_key(b, "thread.cap_inheritable");
	cap_names(e->cap_inheritable, b);
	bw_buf_puts(b, ",\"evt.arg\":{\"res\":");
	put_num(b, (long long)e->h.res);
	switch (e->h.sc) {
	case 101: /* ptrace */
		kv_str(b, "request", ptrace_request(a[0]));
		kv_num(b, "pid", a[1]);
		break;
	case 105: case 106: /* setuid, setgid */
		kv_num(b, e->h.sc == 105 ? "uid" : "gid", (uint32_t)a[0]);
		break;
	case 113: case 114: /* setreuid, setregid */
		kv_num(b, e->h.sc == 113 ? "ruid" : "rgid", (int32_t)a[0]);
		kv_num(b, e->h.sc == 113 ? "euid" : "egid", (int32_t)a[1]);
		break;
	case 117: case 119: /* setresuid, setresgid */
		kv_num(b, e->h.sc == 117 ? "ruid" : "rgid", (int32_t)a[0]);
		kv_num(b, e->h.sc == 117 ? "euid" : "egid", (int32_t)a[1]);
		kv_num(b, e->h.sc == 117 ? "suid" : "sgid", (int32_t)a[2]);
		break;
	case 126: /* capset: the capabilities it left */
		put_key(b, "cap_effective");
		cap_names(e->cap_effective, b);
		put_key(b, "cap_permitted");
		cap_names(e->cap_permitted, b);
		put_key(b, "cap_inheritable");
		cap_names(e->cap_inheritable, b);
		break;
	case 175: /* init_module */
		kv_num(b, "length", a[1]);
		kv_str(b, "uargs", str);
		break;
	case 319: /* memfd_create */
		kv_str(b, "name", str);
		kv_num(b, "flags", a[1]);
		break;
	case 321: /* bpf */
		kv_num(b, "cmd", a[0]);
		break;
	case 272: /* unshare */
		unshare_flags(a[0], flags);
		kv_str(b, "flags", flags);
		break;
	case 308: /* setns */
		unshare_flags(a[1], flags);
		kv_num(b, "fd", a[0]);
		kv_str(b, "nstype", flags);
		break;
	case 41: /* socket */
		kv_str(b, "domain", socket_domain(a[0]));
		kv_num(b, "type", a[1] & 0xf);
		kv_num(b, "proto", a[2]);
		break;
	case 323: /* userfaultfd */
		kv_num(b, "flags", a[0]);
		break;
	}
	bw_buf_puts(b, "}");
	if (e->h.sc == 41 && e->h.res >= 0)
		kv_num(b, "fd.num", e->h.res);
	return 0;
}

/* No rule can match an event equal to e: tell the kernel to stop them. */
static void quiet_add(struct bw_sensor *s, const struct bw_ev_file *e)
{
	struct bw_quiet_key k;
	size_t n = strnlen(e->path, sizeof(e->path));
	uint8_t one = 1;

	if (n >= BW_QUIET_PATH || !s->skel)
		return;
	memset(&k, 0, sizeof(k));
	k.sc = e->h.sc;
	k.flags = e->flags;
	k.mode = e->mode;
	k.res = (int32_t)e->h.res;
	k.uid = e->uid;
	k.gid = e->gid;
	k.raw_off = e->raw_off;
	k.cgroup_id = e->h.cgroup_id;
	k.task_uid = e->h.uid;
	k.task_gid = e->h.gid;
	k.loginuid = e->h.loginuid;
	memcpy(k.comm, e->h.comm, sizeof(k.comm));
	memcpy(k.path, e->path, n);
	if (bpf_map__update_elem(s->skel->maps.quiet, &k, sizeof(k), &one, sizeof(one), BPF_ANY) == 0)
		s->st.quiet_keys++;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct bw_sensor *s = ctx;
	const struct bw_ev_hdr *h = data;
	int r;

	/* Kernel records are checked like any input. */
	if (size < sizeof(*h)) {
		s->st.invalid++;
		return 0;
	}
	bw_buf_reset(&s->line);
	procs_trim(s);
	switch (h->type) {
	case BW_EV_EXEC:
		r = size == sizeof(struct bw_ev_exec) ? decode_exec(s, data) : -EINVAL;
		break;
	case BW_EV_CLONE:
		r = size == sizeof(struct bw_ev_clone) ? decode_clone(s, data) : -EINVAL;
		break;
	case BW_EV_PROCEXIT:
		r = size == sizeof(struct bw_ev_hdr) ? decode_procexit(s, data) : -EINVAL;
		break;
	case BW_EV_FILE:
		if (size == sizeof(struct bw_ev_file))
			r = decode_file(s, data, NULL);
		else if (size == sizeof(struct bw_ev_file2))
			r = decode_file(s, data, ((const struct bw_ev_file2 *)data)->path2);
		else
			r = -EINVAL;
		break;
	case BW_EV_NET:
		r = size == sizeof(struct bw_ev_net) ? decode_net(s, data) : -EINVAL;
		break;
	case BW_EV_SYS:
		r = size == sizeof(struct bw_ev_sys) ? decode_sys(s, data) : -EINVAL;
		break;
	default:
		r = -EINVAL;
	}
	if (r > 0)
		return 0; /* kept for the process table only */
	if (r < 0 || bw_buf_puts(&s->line, "}") < 0) {
		s->st.invalid++;
		return 0;
	}
	s->st.events++;
	track.tainted = false;
	r = s->fn(s->line.data, s->line.len, s->ud);
	if (r < 0) {
		s->cb_err = r;
		return r; /* stops ring_buffer__poll */
	}
	if (r == 0 && !track.tainted && s->quiet && track.keyed && h->type == BW_EV_FILE &&
	    size == sizeof(struct bw_ev_file))
		quiet_add(s, data);
	return 0;
}

int bw_sensor_poll(struct bw_sensor *s, int timeout_ms, bw_sensor_event_fn fn, void *ud, struct bw_error **err)
{
	uint64_t before = s->st.events;
	int r;

	s->fn = fn;
	s->ud = ud;
	s->cb_err = 0;
	r = ring_buffer__poll(s->rb, timeout_ms);
	/* Wakeups are batched: drain what waits below the threshold too. */
	if (r >= 0 && s->cb_err == 0)
		r = ring_buffer__consume(s->rb);
	if (s->cb_err < 0)
		return bw_error_set(err, s->cb_err, "event consumer failed: %s", strerror(-s->cb_err));
	if (r < 0) {
		if (r == -EINTR)
			return r;
		return bw_error_set(err, r, "cannot read the ring buffer: %s", strerror(-r));
	}
	return (int)(s->st.events - before);
}

int bw_sensor_feed(struct bw_sensor *s, const void *data, size_t size, bw_sensor_event_fn fn, void *ud)
{
	s->fn = fn;
	s->ud = ud;
	s->cb_err = 0;
	handle_event(s, (void *)data, size);
	return s->cb_err;
}
