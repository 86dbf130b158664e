/* SPDX-License-Identifier: Apache-2.0 */
#include <bpf/libbpf.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <linux/types.h>

#include "runtime/sensor_api.h"
#include "sensor.h"
#include "sensor.skel.h"

#define MAX_PROCS 65536u
#define MAX_CONTAINERS 4096u
#define ENGINE_REPLY_MAX (4u << 20)

struct proc {
	uint32_t ppid;
	char comm[BW_EV_COMM];
	char exepath[BW_EV_PATH];
	char *args;	/* argv[1..] joined by spaces */
	char *exe;	/* argv[0] */
	char cwd[BW_EV_PATH];
};

struct container {
	char id[13];
	char full_id[65];
	int tries;	  /* engine lookups so far */
	time_t tried_at;
	char *name;
	char *image;	  /* repository */
	char *image_tag;
	struct bw_map *users; /* uid -> name, from the container's /etc/passwd */
};

struct bw_sensor {
	struct sensor_bpf *skel;
	struct ring_buffer *rb;
	struct bw_map *procs;	   /* "pid" -> struct proc */
	struct bw_map *containers; /* cgroup leaf -> struct container (NULL: host) */
	struct bw_map *host_users;
	int64_t mono_to_real;	   /* add to a bpf_ktime_get_ns() stamp */
	struct bw_buf line;
	bw_sensor_event_fn fn;
	void *ud;
	int cb_err;
	struct bw_sensor_stats st;
	size_t n_procs, n_containers;
};

/* ---------------------------------------------------------------- setup */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	if (level == LIBBPF_DEBUG && !bw_log_enabled(BW_LOG_DEBUG))
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	bw_log(level == LIBBPF_WARN ? BW_LOG_WARN : BW_LOG_DEBUG, "libbpf: %s", buf);
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

int bw_sensor_open(const struct bw_sensor_opts *opts, struct bw_sensor **ret, struct bw_error **err)
{
	struct bw_sensor *s;
	struct stat st;
	struct timespec mono, real;
	int r;

	if (geteuid() != 0)
		return bw_error_set(err, -EPERM, "the sensor needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
	if (stat("/sys/kernel/btf/vmlinux", &st) < 0)
		return bw_error_set(err, -ENOTSUP,
				    "this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
	r = ensure_tracefs(err);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return bw_error_set(err, -ENOMEM, "out of memory");
	s->line = BW_BUF_INIT(1u << 16);
	s->procs = bw_map_new();
	s->containers = bw_map_new();
	s->host_users = bw_map_new();
	if (!s->procs || !s->containers || !s->host_users) {
		bw_sensor_free(s);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	s->mono_to_real = ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);

	libbpf_set_print(libbpf_print);
	s->skel = sensor_bpf__open();
	if (!s->skel) {
		r = -errno;
		bw_sensor_free(s);
		return bw_error_set(err, r, "cannot open the eBPF program: %s", strerror(-r));
	}
	if (!(opts && opts->include_self))
		s->skel->rodata->self_pid = (uint32_t)getpid();
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
		bw_map_free_with(c->users, free);
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
	bw_buf_done(&s->line);
	free(s);
	return NULL;
}

void bw_sensor_get_stats(struct bw_sensor *s, struct bw_sensor_stats *ret)
{
	uint64_t total = 0;
	int ncpu = libbpf_num_possible_cpus();
	uint32_t k = 0;

	if (ncpu > 0) {
		uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
		if (v && bpf_map__lookup_elem(s->skel->maps.drops, &k, sizeof(k), v, sizeof(*v) * (size_t)ncpu, 0) == 0)
			for (int i = 0; i < ncpu; i++)
				total += v[i];
		free(v);
	}
	s->st.drops = total;
	*ret = s->st;
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
		unsigned ppid = 0;
		if (rp && sscanf(rp + 1, " %*c %u", &ppid) == 1)
			p->ppid = ppid;
	}
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

static struct proc *proc_get(struct bw_sensor *s, uint32_t pid)
{
	char kb[12], *key;
	struct proc *p;

	if (pid == 0)
		return NULL;
	key = u32_str(pid, kb);
	p = bw_map_get(s->procs, key);
	if (p)
		return p;
	p = proc_from_procfs(pid);
	if (!p)
		return NULL;
	if (s->n_procs >= MAX_PROCS) {
		/* A bounded cache: start over rather than grow without end. */
		bw_map_free_with(s->procs, free_proc);
		s->procs = bw_map_new();
		s->n_procs = 0;
		if (!s->procs) {
			free_proc(p);
			return NULL;
		}
	}
	if (bw_map_put(s->procs, key, p) < 0) {
		free_proc(p);
		return NULL;
	}
	s->n_procs++;
	return p;
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
		if (name)
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
		if (storage_lookup(c, stores[i], full_id))
			return;
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
		if (name)
			c->name = strdup(name[0] == '/' ? name + 1 : name);
		if (image && !c->image)
			split_image(c, image);
		json_decref(j);
	}
}

/* An engine may not answer while it is still creating the container (it
 * holds the container's lock): ask again a few times, a second apart. */
#define LOOKUP_TRIES 5

static void container_refresh(struct container *c)
{
	time_t now = time(NULL);

	if (c->name || c->tries >= LOOKUP_TRIES || (c->tries && now - c->tried_at < 1))
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
			c->users = bw_map_new();
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

/* The user's name as the process's own /etc/passwd says (a container's,
 * when it runs in one). */
static const char *user_name(struct bw_sensor *s, struct container *c, uint32_t pid, uint32_t uid)
{
	struct bw_map *m = c ? c->users : s->host_users;
	char key[16], path[64], line[1024];
	FILE *f;
	const char *found = NULL;

	if (!m)
		return NULL;
	snprintf(key, sizeof(key), "%u", uid);
	if (bw_map_has(m, key))
		return bw_map_get(m, key);
	snprintf(path, sizeof(path), "/proc/%u/root/etc/passwd", pid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *name = strtok(line, ":");
			strtok(NULL, ":");
			char *u = strtok(NULL, ":");
			if (name && u && (uint32_t)strtoul(u, NULL, 10) == uid) {
				found = name;
				break;
			}
		}
		if (found && bw_map_size(m) < 4096) {
			char *v = strdup(found);
			if (v && bw_map_put(m, key, v) < 0)
				free(v);
			fclose(f);
			return bw_map_get(m, key);
		}
		fclose(f);
	}
	return NULL;
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
		{ O_CLOEXEC, "O_CLOEXEC" },
	};
	uint32_t acc = f & O_ACCMODE;

	snprintf(out, 256, "%s", acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "O_RDONLY");
	for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
		if ((f & names[i].bit) == names[i].bit && names[i].bit)
			strncat(out, "|", 255 - strlen(out)), strncat(out, names[i].name, 255 - strlen(out));
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

/* The fields of the process (and its ancestry, container and user) that
 * every event carries. */
static void common_fields(struct bw_sensor *s, const struct bw_ev_hdr *h, const char *type, const char *dir)
{
	struct bw_buf *b = &s->line;
	char cg[BW_EV_CGROUP + 1], comm[BW_EV_COMM + 1];
	struct proc *p = proc_get(s, h->pid), *pp;
	struct container *c;
	const char *uname;

	kstr(cg, sizeof(cg), h->cgroup, sizeof(h->cgroup));
	kstr(comm, sizeof(comm), h->comm, sizeof(h->comm));
	c = container_get(s, cg);
	bw_buf_puts(b, "{\"ts\":");
	put_num(b, (long long)((int64_t)h->ts + s->mono_to_real));
	kv_str(b, "evt.type", type);
	kv_str(b, "evt.dir", dir);
	kv_num(b, "evt.rawres", (long long)h->res);
	kv_str(b, "evt.res", h->res >= 0 ? "SUCCESS" : (strerrorname_np((int)-h->res) ?: "EUNKNOWN"));
	kv_num(b, "proc.pid", h->pid);
	kv_num(b, "thread.tid", h->tid);
	kv_num(b, "proc.ppid", h->ppid);
	kv_str(b, "proc.name", comm);
	if (p) {
		kv_str(b, "proc.exepath", p->exepath[0] ? p->exepath : NULL);
		kv_str(b, "proc.exe", p->exe);
		kv_str(b, "proc.args", p->args ? p->args : "");
		put_key(b, "proc.cmdline");
		put_cmdline(b, comm, p->args);
		kv_str(b, "proc.cwd", p->cwd[0] ? p->cwd : NULL);
	}
	pp = proc_get(s, h->ppid);
	if (pp) {
		kv_str(b, "proc.pname", pp->comm);
		put_key(b, "proc.pcmdline");
		put_cmdline(b, pp->comm, pp->args);
		kv_str(b, "proc.pexepath", pp->exepath[0] ? pp->exepath : NULL);
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
	kv_num(b, "proc.tty", h->tty);
	kv_num(b, "user.uid", h->uid);
	uname = user_name(s, c, h->pid, h->uid);
	kv_str(b, "user.name", uname ? uname : (h->uid == 0 ? "root" : NULL));
	kv_num(b, "user.loginuid", h->loginuid == UINT32_MAX ? -1 : (long long)h->loginuid);
	kv_num(b, "group.gid", h->gid);
	if (c) {
		kv_str(b, "container.id", c->id);
		kv_str(b, "container.name", c->name);
		kv_str(b, "container.image.repository", c->image);
		kv_str(b, "container.image.tag", c->image_tag);
	} else {
		kv_str(b, "container.id", "host");
		kv_str(b, "container.name", "host");
	}
}

static int decode_exec(struct bw_sensor *s, const struct bw_ev_exec *e)
{
	char key[16], path[64];
	struct proc *p;
	ssize_t n;
	size_t len = e->args_len < BW_EV_ARGS ? e->args_len : BW_EV_ARGS;

	/* Record the new program before describing it. */
	snprintf(key, sizeof(key), "%u", e->h.pid);
	p = bw_map_get(s->procs, key);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || bw_map_put(s->procs, key, p) < 0) {
			free(p);
			return -ENOMEM;
		}
		s->n_procs++;
	}
	p->ppid = e->h.ppid;
	kstr(p->comm, sizeof(p->comm), e->h.comm, sizeof(e->h.comm));
	kstr(p->exepath, sizeof(p->exepath), e->filename, sizeof(e->filename));
	free(p->exe);
	free(p->args);
	{
		char argv[BW_EV_ARGS + 1];
		memcpy(argv, e->args, len);
		argv[len] = 0;
		size_t first = strnlen(argv, len);
		p->exe = strndup(argv, first);
		for (size_t i = first + 1; i < len; i++)
			if (argv[i] == 0 && i + 1 < len)
				argv[i] = ' ';
		p->args = strdup(first + 1 < len ? argv + first + 1 : "");
	}
	snprintf(path, sizeof(path), "/proc/%u/cwd", e->h.pid);
	n = readlink(path, p->cwd, sizeof(p->cwd) - 1);
	p->cwd[n > 0 ? n : 0] = 0;
	if (n > 0 && (size_t)n < sizeof(p->cwd) - 1 && p->cwd[n - 1] != '/')
		strcat(p->cwd, "/"); /* Falco's proc.cwd ends with a slash */

	common_fields(s, &e->h, "execve", "<");
	kv_str(&s->line, "evt.arg.flags", (e->flags & 1) ? "EXE_FROM_MEMFD" : "");
	kv_bool(&s->line, "proc.is_exe_from_memfd", e->flags & 1);
	return 0;
}

static int decode_open(struct bw_sensor *s, const struct bw_ev_open *e)
{
	char path[BW_EV_PATH + 1], full[2 * BW_EV_PATH + 2], flags[256];
	struct bw_buf *b = &s->line;
	uint32_t acc = e->flags & O_ACCMODE;

	kstr(path, sizeof(path), e->path, sizeof(e->path));
	if (path[0] == '/' || e->dirfd != AT_FDCWD) {
		snprintf(full, sizeof(full), "%s", path);
	} else {
		struct proc *p = proc_get(s, e->h.pid);
		snprintf(full, sizeof(full), "%s%s", p && p->cwd[0] ? p->cwd : "", path);
	}
	open_flags(e->flags, flags);
	common_fields(s, &e->h, "openat", "<");
	kv_str(b, "fd.name", full);
	{
		char dir[sizeof(full)];
		const char *slash = strrchr(full, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash == full ? 1 : slash - full) : 0, full);
		kv_str(b, "fd.directory", dir);
		kv_str(b, "fd.filename", slash ? slash + 1 : full);
	}
	kv_str(b, "fd.typechar", (e->flags & O_DIRECTORY) ? "d" : "f");
	kv_num(b, "fd.num", (long long)e->h.res);
	kv_bool(b, "evt.is_open_read", acc == O_RDONLY || acc == O_RDWR);
	kv_bool(b, "evt.is_open_write", acc == O_WRONLY || acc == O_RDWR);
	bw_buf_puts(b, ",\"evt.arg\":{\"flags\":");
	put_str(b, flags);
	kv_str(b, "name", path);
	kv_num(b, "mode", e->mode);
	bw_buf_puts(b, "}");
	return 0;
}

static int decode_connect(struct bw_sensor *s, const struct bw_ev_connect *e)
{
	struct bw_buf *b = &s->line;
	char ip[64] = "", name[200];

	common_fields(s, &e->h, "connect", "<");
	if (e->family == AF_INET || e->family == AF_INET6) {
		inet_ntop(e->family, e->addr, ip, sizeof(ip));
		kv_str(b, "fd.typechar", e->family == AF_INET ? "4" : "6");
		kv_str(b, "fd.sip", ip);
		kv_num(b, "fd.sport", e->port);
		kv_str(b, "fd.rip", ip);
		kv_num(b, "fd.rport", e->port);
		snprintf(name, sizeof(name), "%s:%u", ip, e->port);
		kv_str(b, "fd.name", name);
		kv_str(b, "fd.sockfamily", "ip");
	} else if (e->family == AF_UNIX) {
		char path[sizeof(e->path) + 1];
		kstr(path, sizeof(path), e->path, sizeof(e->path));
		kv_str(b, "fd.typechar", "u");
		kv_str(b, "fd.name", path);
		kv_str(b, "fd.sockfamily", "unix");
	}
	return 0;
}

static int decode_ptrace(struct bw_sensor *s, const struct bw_ev_ptrace *e)
{
	common_fields(s, &e->h, "ptrace", ">");
	bw_buf_puts(&s->line, ",\"evt.arg\":{\"request\":");
	put_str(&s->line, ptrace_request(e->request));
	bw_buf_printf(&s->line, ",\"pid\":%lld}", (long long)e->target);
	return 0;
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
	switch (h->type) {
	case BW_EV_EXEC:
		r = size == sizeof(struct bw_ev_exec) ? decode_exec(s, data) : -EINVAL;
		break;
	case BW_EV_OPEN:
		r = size == sizeof(struct bw_ev_open) ? decode_open(s, data) : -EINVAL;
		break;
	case BW_EV_CONNECT:
		r = size == sizeof(struct bw_ev_connect) ? decode_connect(s, data) : -EINVAL;
		break;
	case BW_EV_PTRACE:
		r = size == sizeof(struct bw_ev_ptrace) ? decode_ptrace(s, data) : -EINVAL;
		break;
	default:
		r = -EINVAL;
	}
	if (r == -EINVAL) {
		s->st.invalid++;
		return 0;
	}
	if (r < 0 || bw_buf_puts(&s->line, "}") < 0) {
		s->st.invalid++;
		return 0;
	}
	s->st.events++;
	r = s->fn(s->line.data, s->line.len, s->ud);
	if (r < 0) {
		s->cb_err = r;
		return r; /* stops ring_buffer__poll */
	}
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
	if (s->cb_err < 0)
		return bw_error_set(err, s->cb_err, "event consumer failed: %s", strerror(-s->cb_err));
	if (r < 0) {
		if (r == -EINTR)
			return r;
		return bw_error_set(err, r, "cannot read the ring buffer: %s", strerror(-r));
	}
	return (int)(s->st.events - before);
}
