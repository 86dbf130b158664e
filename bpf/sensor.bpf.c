// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The kernel side of `bulwark watch`. Process lifecycle comes from the
 * sched tracepoints (exec, fork, exit); every traced syscall is seen once,
 * at its exit, by one BTF raw tracepoint that reads the arguments from the
 * saved user registers, so there is no per-syscall entry state to keep.
 * Only syscalls the loaded rules can match are handled (sc_wanted, set by
 * the loader before load); the rest return after two array lookups. Paths
 * and addresses are read here, once, so user space never chases pointers
 * into a process that may be gone; relative paths are resolved against the
 * directory fd or the working directory, up to the process's root.
 *
 * Syscall numbers are x86_64's; a 32-bit (ia32 compat) syscall is mapped
 * to the x86_64 number of the same call and its arguments are taken from
 * the ia32 registers. The few that have no such twin (socketcall, the
 * 16-bit uid calls) are counted and skipped.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sensor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Tunables set by the loader before load. */
const volatile __u32 self_pid = 0;
const volatile __u8 sc_wanted[BW_SC_MAX] = {};
/* Ring buffer wakeups: only once this many bytes wait (0: every event).
 * User space also drains on a timer, so nothing waits for long. */
const volatile __u32 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_CNT_N);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Events no loaded rule can match, whatever process causes them: user
 * space adds the key of a file event when the rules, evaluating it, read
 * only fields the key determines and matched nothing. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BW_QUIET_MAX);
	__type(key, struct bw_quiet_key);
	__type(value, __u8);
} quiet SEC(".maps");

struct keybuf {
	struct bw_quiet_key k;
	struct bw_quiet_key last; /* the last key found quiet on this CPU */
	char full[BW_EV_FPATH];
};

/* Whether k is in the quiet map; a loop repeating one event is answered
 * from the CPU's last hit without hashing the key again. */
static __always_inline bool is_quiet(struct keybuf *kb)
{
	const __u64 *a = (const __u64 *)&kb->k, *b = (const __u64 *)&kb->last;
	__u64 diff = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(kb->k) / 8); i++)
		diff |= a[i] ^ b[i];
	if (!diff)
		return true;
	if (!bpf_map_lookup_elem(&quiet, &kb->k))
		return false;
	__builtin_memcpy(&kb->last, &kb->k, sizeof(kb->k));
	return true;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct keybuf);
} keybuf_map SEC(".maps");

/* Per-CPU room to assemble a path: the directory part is written
 * backwards so that it ends at SCR_BASE_END, the raw argument follows. */
#define SCR_SIZE 2048
#define SCR_MASK 1023
#define SCR_BASE_END 1023
#define MAX_DEPTH 48

struct scratch {
	char b[SCR_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

#define AT_FDCWD -100
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define TS_COMPAT 0x0002

enum {
	SC_OPEN = 2, SC_DUP = 32, SC_DUP2 = 33, SC_DUP3 = 292, SC_SOCKET = 41, SC_CONNECT = 42, SC_ACCEPT = 43, SC_BIND = 49,
	SC_LISTEN = 50, SC_RENAME = 82, SC_MKDIR = 83, SC_RMDIR = 84, SC_CREAT = 85, SC_LINK = 86,
	SC_UNLINK = 87, SC_SYMLINK = 88, SC_CHMOD = 90, SC_FCHMOD = 91, SC_CHOWN = 92, SC_FCHOWN = 93,
	SC_LCHOWN = 94, SC_PTRACE = 101, SC_SETUID = 105, SC_SETGID = 106, SC_SETREUID = 113,
	SC_SETREGID = 114, SC_SETRESUID = 117, SC_SETRESGID = 119, SC_CAPSET = 126, SC_MOUNT = 165,
	SC_UMOUNT2 = 166, SC_INIT_MODULE = 175, SC_OPENAT = 257, SC_MKDIRAT = 258, SC_FCHOWNAT = 260,
	SC_UNLINKAT = 263, SC_RENAMEAT = 264, SC_LINKAT = 265, SC_SYMLINKAT = 266, SC_FCHMODAT = 268,
	SC_UNSHARE = 272, SC_ACCEPT4 = 288, SC_SETNS = 308, SC_FINIT_MODULE = 313, SC_RENAMEAT2 = 316,
	SC_MEMFD_CREATE = 319, SC_BPF = 321, SC_USERFAULTFD = 323, SC_OPENAT2 = 437, SC_FCHMODAT2 = 452,
};

/* ia32 syscall number -> the x86_64 number of the same call (0: none
 * traced), for the calls the handler traces; arch/x86/entry/syscalls/
 * syscall_32.tbl. IA32_SKIP marks a call that would be traced but is not
 * decoded: counted (BW_CNT_COMPAT) when its x86_64 twin is wanted. */
#define IA32_SKIP 0x8000
#define IA32_NR 0x1ff
const volatile __u16 ia32_sc[BW_SC_MAX] = {
	/* socketcall multiplexes the socket calls; the 16-bit uid calls */
	[102] = IA32_SKIP | SC_CONNECT, [16] = IA32_SKIP | SC_LCHOWN, [182] = IA32_SKIP | SC_CHOWN,
	[95] = IA32_SKIP | SC_FCHOWN, [23] = IA32_SKIP | SC_SETUID, [46] = IA32_SKIP | SC_SETGID,
	[70] = IA32_SKIP | SC_SETREUID, [71] = IA32_SKIP | SC_SETREGID, [164] = IA32_SKIP | SC_SETRESUID,
	[170] = IA32_SKIP | SC_SETRESGID,
	[5] = SC_OPEN, [8] = SC_CREAT, [9] = SC_LINK, [10] = SC_UNLINK, [15] = SC_CHMOD,
	[21] = SC_MOUNT, [26] = SC_PTRACE, [38] = SC_RENAME, [39] = SC_MKDIR, [40] = SC_RMDIR,
	[41] = SC_DUP, [52] = SC_UMOUNT2, [63] = SC_DUP2, [83] = SC_SYMLINK, [94] = SC_FCHMOD,
	[128] = SC_INIT_MODULE, [185] = SC_CAPSET, [198] = SC_LCHOWN, [203] = SC_SETREUID,
	[204] = SC_SETREGID, [207] = SC_FCHOWN, [208] = SC_SETRESUID, [210] = SC_SETRESGID,
	[212] = SC_CHOWN, [213] = SC_SETUID, [214] = SC_SETGID, [295] = SC_OPENAT, [296] = SC_MKDIRAT,
	[298] = SC_FCHOWNAT, [301] = SC_UNLINKAT, [302] = SC_RENAMEAT, [303] = SC_LINKAT,
	[304] = SC_SYMLINKAT, [306] = SC_FCHMODAT, [310] = SC_UNSHARE, [330] = SC_DUP3,
	[346] = SC_SETNS, [350] = SC_FINIT_MODULE, [353] = SC_RENAMEAT2, [356] = SC_MEMFD_CREATE,
	[357] = SC_BPF, [359] = SC_SOCKET, [361] = SC_BIND, [362] = SC_CONNECT, [363] = SC_LISTEN,
	[364] = SC_ACCEPT4, [374] = SC_USERFAULTFD, [437] = SC_OPENAT2, [452] = SC_FCHMODAT2,
};

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += 1; /* per CPU, and a program does not migrate */
}

/* Wake the reader once, when the waiting data crosses wakeup_bytes; a
 * wakeup per event would cost more than the event (the reader also drains
 * on a timer, so a missed crossing only delays). */
static __always_inline __u64 rb_flags(__u64 size)
{
	__u64 avail;

	if (!wakeup_bytes)
		return 0;
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	return avail >= wakeup_bytes && avail < wakeup_bytes + size + 64 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void *reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		count(BW_CNT_DROPS);
	return e;
}

/* ---------------------------------------------------------------- pid namespaces */

#define MAX_PID_NS_LEVEL 32

/* pid's number in the namespace ns at level (0 when it has none there),
 * as the kernel's pid_nr_ns(). */
static __always_inline __u32 pid_nr_ns(struct pid *pid, unsigned int level, struct pid_namespace *ns)
{
	struct upid up = {};

	if (!pid || level > BPF_CORE_READ(pid, level) || level > MAX_PID_NS_LEVEL)
		return 0;
	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 63]);
	return up.ns == ns ? up.nr : 0;
}

/* The task's ids as its own pid namespace sees them (Falco's proc.vpid,
 * thread.vtid, proc.vpgid, proc.sid, proc.pvpid), and its session's and
 * process group's ids on the host. */
static __noinline void fill_ids(struct bw_ev_hdr *h, struct task_struct *t)
{
	struct pid *tp = BPF_CORE_READ(t, thread_pid);
	struct pid *pg = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	struct pid *sp = BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]);
	struct pid_namespace *ns = NULL;
	unsigned int level = 0;
	struct upid up = {};

	if (tp) {
		level = BPF_CORE_READ(tp, level);
		if (level > MAX_PID_NS_LEVEL)
			level = 0;
		bpf_core_read(&up, sizeof(up), &tp->numbers[level & 63]);
		ns = up.ns;
	}
	h->vtid = pid_nr_ns(tp, level, ns);
	h->vpid = pid_nr_ns(BPF_CORE_READ(t, group_leader, thread_pid), level, ns);
	h->vpgid = pid_nr_ns(pg, level, ns);
	h->vsid = pid_nr_ns(sp, level, ns);
	h->pvpid = pid_nr_ns(BPF_CORE_READ(t, real_parent, group_leader, thread_pid), level, ns);
	h->pgid = pid_nr_ns(pg, 0, BPF_CORE_READ(pg, numbers[0].ns));
	h->sid = pid_nr_ns(sp, 0, BPF_CORE_READ(sp, numbers[0].ns));
	h->pad_ids = 0;
}

static __always_inline void fill_hdr(struct bw_ev_hdr *h, __u32 type, __u32 sc, __s64 res)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid(), uid_gid = bpf_get_current_uid_gid();

	h->type = type;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->sc = sc;
	h->ts = bpf_ktime_get_ns();
	h->res = res;
	h->ppid = t->real_parent->tgid;
	h->loginuid = t->loginuid.val;
	h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	fill_ids(h, t);
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void cgroup_name(char *dst, struct task_struct *t)
{
	const char *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, name);

	dst[0] = 0;
	if (cg)
		bpf_probe_read_kernel_str(dst, BW_EV_CGROUP, cg);
}

/* ---------------------------------------------------------------- paths */

static __always_inline struct file *fd_file(struct task_struct *t, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **arr;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	arr = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

struct walk {
	struct dentry *d, *root_d;
	struct vfsmount *vmnt, *root_m;
	struct mount *m;
	int pos;
};

/* One step up: a name, or a crossing from a mount's root to its mount
 * point. Runs under bpf_loop() so the verifier checks it once. */
static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	__u32 k = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &k);
	/* locals: CO-RE reads must start from kernel types */
	struct dentry *d = w->d, *parent;
	struct vfsmount *vmnt = w->vmnt;
	struct mount *m = w->m;
	const unsigned char *name;
	__u32 len;
	int pos = w->pos;

	if (!s || (d == w->root_d && vmnt == w->root_m))
		return 1;
	if (d == BPF_CORE_READ(vmnt, mnt_root)) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m || !mp)
			return 1;
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = mp;
		w->vmnt = &mp->mnt;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d || !parent)
		return 1;
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > 255 || (int)len + 1 > pos || pos > SCR_BASE_END)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&s->b[pos & SCR_MASK], len & 255, name);
	pos -= 1;
	s->b[pos & SCR_MASK] = '/';
	w->pos = pos;
	w->d = parent;
	return 0;
}

/*
 * Writes the path of (d, vmnt) as seen from the task's root so that it ends
 * at the scratch buffer's SCR_BASE_END (exclusive); returns where it
 * starts. The root itself is the empty string.
 */
static __always_inline int walk_path(struct dentry *d, struct vfsmount *vmnt)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct walk w = {
		.d = d,
		.vmnt = vmnt,
		.m = container_of(vmnt, struct mount, mnt),
		.root_d = BPF_CORE_READ(t, fs, root.dentry),
		.root_m = BPF_CORE_READ(t, fs, root.mnt),
		.pos = SCR_BASE_END,
	};

	bpf_loop(MAX_DEPTH, walk_step, &w, 0);
	return w.pos;
}

/*
 * Resolves the user path up against dirfd (AT_FDCWD: the working
 * directory) into dst (BW_EV_FPATH bytes): absolute paths are taken as
 * they are. Sets *raw_off to where the argument starts in dst.
 */
static __noinline int resolve_into(char *dst, __u16 *raw_off, int dirfd, const char *up)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 k = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &k);
	struct dentry *d;
	struct vfsmount *mnt;
	long n;
	int pos;

	*raw_off = 0;
	dst[0] = 0;
	if (!up)
		return 0;
	/* Most paths are absolute: one read and done. */
	n = bpf_probe_read_user_str(dst, BW_EV_FPATH, up);
	if (n <= 0)
		return 0;
	if (dst[0] == '/' || !s)
		return n;
	if (dirfd == AT_FDCWD) {
		d = BPF_CORE_READ(t, fs, pwd.dentry);
		mnt = BPF_CORE_READ(t, fs, pwd.mnt);
	} else {
		struct file *f = fd_file(t, dirfd);
		if (!f)
			return n;
		d = BPF_CORE_READ(f, f_path.dentry);
		mnt = BPF_CORE_READ(f, f_path.mnt);
	}
	pos = walk_path(d, mnt);
	s->b[SCR_BASE_END] = '/';
	bpf_probe_read_kernel(&s->b[SCR_BASE_END + 1], n & (BW_EV_FPATH - 1), dst);
	s->b[(SCR_BASE_END + n) & (SCR_SIZE - 1)] = 0;
	n = SCR_BASE_END + n - pos + 1; /* bytes from pos, with the NUL */
	if (n > BW_EV_FPATH - 1)
		n = BW_EV_FPATH - 1;
	if (pos < 0)
		pos = 0;
	bpf_probe_read_kernel(dst, n & (BW_EV_FPATH - 1), &s->b[pos & SCR_MASK]);
	dst[BW_EV_FPATH - 1] = 0;
	*raw_off = SCR_BASE_END + 1 - pos;
	return n;
}

/* The path an fd refers to, from the root (fchmod, fchown, finit_module). */
static __noinline int fd_path_into(char *dst, int fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *f = fd_file(t, fd);
	__u32 k = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &k);
	int pos, n;

	dst[0] = 0;
	if (!f || !s)
		return 0;
	pos = walk_path(BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
	n = SCR_BASE_END - pos;
	if (n <= 0) {
		dst[0] = '/';
		dst[1] = 0;
		return 2;
	}
	if (n > BW_EV_FPATH - 1)
		n = BW_EV_FPATH - 1;
	if (pos < 0)
		pos = 0;
	bpf_probe_read_kernel(dst, n & (BW_EV_FPATH - 1), &s->b[pos & SCR_MASK]);
	dst[n & (BW_EV_FPATH - 1)] = 0;
	return n + 1;
}

/* ---------------------------------------------------------------- processes */

/* ---------------------------------------------------------------- executables */

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Older layouts of struct inode, for CO-RE: 6.6 to 6.10 kept ctime in
 * __i_ctime; before 6.6 both times were struct timespec64. */
struct inode___v66 {
	struct timespec64 __i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

static __always_inline __u64 ts_ns(__s64 sec, __s64 nsec)
{
	return sec > 0 ? (__u64)sec * 1000000000ull + (__u64)nsec : 0;
}

/*
 * The running executable's inode number and times, and where it lives on
 * overlayfs: an overlay inode (struct ovl_inode wraps the VFS inode) whose
 * upper dentry is set and positive was copied up or written in the
 * container's upper (writable) layer; otherwise it comes from a lower
 * (image) layer. Kernels without the field report neither.
 */
static __always_inline void exe_inode(struct bw_ev_exec *e, struct file *exe)
{
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	struct dentry *upper = NULL;

	e->exe_ino = e->exe_ctime = e->exe_mtime = 0;
	if (!ino)
		return;
	e->exe_ino = BPF_CORE_READ(ino, i_ino);
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		e->exe_ctime = ts_ns(BPF_CORE_READ(ino, i_ctime_sec), BPF_CORE_READ(ino, i_ctime_nsec));
		e->exe_mtime = ts_ns(BPF_CORE_READ(ino, i_mtime_sec), BPF_CORE_READ(ino, i_mtime_nsec));
	} else if (bpf_core_field_exists(((struct inode___v66 *)ino)->__i_ctime)) {
		struct inode___v66 *o = (void *)ino;
		e->exe_ctime = ts_ns(BPF_CORE_READ(o, __i_ctime.tv_sec), BPF_CORE_READ(o, __i_ctime.tv_nsec));
		e->exe_mtime = ts_ns(BPF_CORE_READ(o, i_mtime.tv_sec), BPF_CORE_READ(o, i_mtime.tv_nsec));
	} else if (bpf_core_field_exists(((struct inode___old *)ino)->i_ctime)) {
		struct inode___old *o = (void *)ino;
		e->exe_ctime = ts_ns(BPF_CORE_READ(o, i_ctime.tv_sec), BPF_CORE_READ(o, i_ctime.tv_nsec));
		e->exe_mtime = ts_ns(BPF_CORE_READ(o, i_mtime.tv_sec), BPF_CORE_READ(o, i_mtime.tv_nsec));
	}
	if (BPF_CORE_READ(ino, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC ||
	    !bpf_core_field_exists(struct ovl_inode, __upperdentry))
		return;
	struct ovl_inode *oi = (void *)((char *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode));
	upper = BPF_CORE_READ(oi, __upperdentry);
	if (upper && BPF_CORE_READ(upper, d_inode))
		e->flags |= BW_EXEC_UPPER;
	else
		e->flags |= BW_EXEC_LOWER;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct bw_ev_exec *e;
	unsigned long start, end, len;
	const unsigned char *dname;
	struct tty_struct *tty;
	struct file *exe;
	char prefix[8] = {};
	__u32 k = 0;
	struct scratch *s;
	int pos, n;

	if ((bpf_get_current_pid_tgid() >> 32) == self_pid)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, BW_EV_EXEC, 0, 0);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > BW_EV_ARGS)
		len = BW_EV_ARGS;
	e->args_len = 0;
	if (len > 0 && bpf_probe_read_user(e->args, len & (BW_EV_ARGS - 1) ?: BW_EV_ARGS, (void *)start) == 0)
		e->args_len = len;
	/* An executable that lives only in memory: memfd_create names it
	 * "memfd:<name>". */
	e->flags = 0;
	exe = BPF_CORE_READ(task, mm, exe_file);
	dname = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
	if (dname && bpf_probe_read_kernel(prefix, 6, dname) == 0 && prefix[0] == 'm' && prefix[1] == 'e' &&
	    prefix[2] == 'm' && prefix[3] == 'f' && prefix[4] == 'd' && prefix[5] == ':')
		e->flags |= BW_EXEC_MEMFD;
	exe_inode(e, exe);
	e->tty = 0;
	e->pad = 0;
	tty = BPF_CORE_READ(task, signal, tty);
	if (tty) {
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		e->tty = (major << 20) | (minor & 0xfffff);
	}
	cgroup_name(e->cgroup, task);
	e->cwd[0] = 0;
	s = bpf_map_lookup_elem(&scratch_map, &k);
	if (s) {
		pos = walk_path(BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt));
		n = SCR_BASE_END - pos;
		if (n > BW_EV_PATH - 1)
			n = BW_EV_PATH - 1;
		if (n > 0 && pos >= 0) {
			bpf_probe_read_kernel(e->cwd, n & (BW_EV_PATH - 1), &s->b[pos & SCR_MASK]);
			e->cwd[n & (BW_EV_PATH - 1)] = 0;
		} else {
			e->cwd[0] = '/';
			e->cwd[1] = 0;
		}
	}
	bpf_ringbuf_submit(e, rb_flags(sizeof(*e)));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct bw_ev_clone *e;

	/* Threads share their process's entry: only new processes. */
	if (child->pid != child->tgid || parent->tgid == self_pid)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, BW_EV_CLONE, 0, child->tgid);
	e->child_pid = child->tgid;
	e->pad = 0;
	cgroup_name(e->cgroup, child);
	bpf_ringbuf_submit(e, rb_flags(sizeof(*e)));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct bw_ev_hdr *e;

	if (p->pid != p->tgid || p->tgid == self_pid)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(e, BW_EV_PROCEXIT, 0, p->exit_code);
	bpf_ringbuf_submit(e, rb_flags(sizeof(*e)));
	return 0;
}

/* ---------------------------------------------------------------- syscalls */

struct sc_args {
	unsigned long a[6];
};

/* What a file syscall names (BPF functions take at most five arguments). */
struct file_req {
	const char *p1, *p2; /* p1 NULL: the path of fd */
	int dfd1, dfd2;
	int fd;
	__u32 flags, mode, uid, gid;
	bool raw2;
};

static __noinline int emit_file(__u32 nr, long ret, struct file_req *r)
{
	__u32 zero = 0;
	struct keybuf *kb = bpf_map_lookup_elem(&keybuf_map, &zero);
	struct bw_ev_file *e;
	__u16 raw_off = 0;
	int len;

	if (!kb)
		return 0;
	__builtin_memset(&kb->k, 0, sizeof(kb->k));
	kb->k.sc = nr;
	kb->k.flags = r->flags;
	kb->k.mode = r->mode;
	kb->k.res = ret;
	kb->k.uid = r->uid;
	kb->k.gid = r->gid;
	{
		struct task_struct *t = bpf_get_current_task_btf();
		__u64 uid_gid = bpf_get_current_uid_gid();
		kb->k.task_uid = (__u32)uid_gid;
		kb->k.task_gid = uid_gid >> 32;
		kb->k.loginuid = t->loginuid.val;
		kb->k.cgroup_id = t->cgroups->dfl_cgrp->kn->id;
		bpf_get_current_comm(kb->k.comm, sizeof(kb->k.comm));
	}
	/* Fast path, for a short absolute path: read it straight into the key
	 * and stop here if no rule can match such an event. */
	if (r->p1) {
		len = bpf_probe_read_user_str(kb->k.path, BW_QUIET_PATH, r->p1);
		if (len > 0 && len < BW_QUIET_PATH && kb->k.path[0] == '/' && is_quiet(kb)) {
			count(BW_CNT_QUIET);
			return 0;
		}
		len = resolve_into(kb->full, &raw_off, r->dfd1, r->p1);
	} else {
		len = fd_path_into(kb->full, r->fd);
	}
	/* Known to be of no interest: stop here, before the ring buffer. */
	if (len > 0 && len <= BW_QUIET_PATH && raw_off) {
		__builtin_memset(kb->k.path, 0, sizeof(kb->k.path));
		kb->k.raw_off = raw_off;
		bpf_probe_read_kernel(kb->k.path, len & (BW_QUIET_PATH * 2 - 1), kb->full);
		if (is_quiet(kb)) {
			count(BW_CNT_QUIET);
			return 0;
		}
	}
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, BW_EV_FILE, nr, ret);
	e->fd = r->fd;
	e->flags = r->flags;
	e->mode = r->mode;
	e->uid = r->uid;
	e->gid = r->gid;
	e->raw_off = raw_off;
	e->raw_off2 = 0;
	e->pad0 = 0;
	e->pad = 0;
	bpf_probe_read_kernel(e->path, sizeof(e->path), kb->full);
	bpf_ringbuf_submit(e, rb_flags(sizeof(*e)));
	return 0;
}

/* Two paths; the second is taken raw when raw2 (a symlink's target, a
 * mount's device). */
static __noinline int emit_file2(__u32 nr, long ret, struct file_req *r)
{
	struct bw_ev_file2 *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_hdr(&e->f.h, BW_EV_FILE, nr, ret);
	e->f.fd = -1;
	e->f.flags = r->flags;
	e->f.mode = 0;
	e->f.uid = 0;
	e->f.gid = 0;
	e->f.pad0 = 0;
	e->f.pad = 0;
	resolve_into(e->f.path, &e->f.raw_off, r->dfd1, r->p1);
	if (r->raw2) {
		e->f.raw_off2 = 0;
		e->path2[0] = 0;
		if (r->p2)
			bpf_probe_read_user_str(e->path2, sizeof(e->path2), r->p2);
	} else {
		resolve_into(e->path2, &e->f.raw_off2, r->dfd2, r->p2);
	}
	bpf_ringbuf_submit(e, rb_flags(sizeof(*e)));
	return 0;
}

static __always_inline void sock_addrs(struct bw_ev_net *e, struct socket *sock)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);

	if (!sk)
		return;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sotype = BPF_CORE_READ(sk, sk_type);
	e->proto = BPF_CORE_READ(sk, sk_protocol);
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == 2 /* AF_INET */) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->laddr, &l, 4);
		__builtin_memcpy(e->raddr, &r, 4);
	} else if (e->family == 10 /* AF_INET6 */) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	} else if (e->family == 1 /* AF_UNIX */) {
		struct unix_sock *u = (struct unix_sock *)sk;
		struct unix_address *ua = BPF_CORE_READ(u, addr);
		if (ua)
			bpf_probe_read_kernel_str(e->path, sizeof(e->path), &ua->name[0].sun_path);
	}
}

/* A user sockaddr (connect's and bind's argument) overrides the remote or
 * local end: a connect in progress has no peer on the socket yet. */
static __always_inline void user_addr(struct bw_ev_net *e, const void *ua, bool remote)
{
	__u16 family = 0;

	if (!ua || bpf_probe_read_user(&family, sizeof(family), ua) < 0)
		return;
	if (family == 2) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), ua);
		e->family = family;
		if (remote) {
			e->rport = bpf_ntohs(sin.sin_port);
			__builtin_memcpy(e->raddr, &sin.sin_addr, 4);
		} else {
			e->lport = bpf_ntohs(sin.sin_port);
			__builtin_memcpy(e->laddr, &sin.sin_addr, 4);
		}
	} else if (family == 10) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), ua);
		e->family = family;
		if (remote) {
			e->rport = bpf_ntohs(sin6.sin6_port);
			__builtin_memcpy(e->raddr, &sin6.sin6_addr, 16);
		} else {
			e->lport = bpf_ntohs(sin6.sin6_port);
			__builtin_memcpy(e->laddr, &sin6.sin6_addr, 16);
		}
	} else if (family == 1) {
		e->family = family;
		bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)ua + 2);
	}
}

struct net_req {
	const void *ua; /* a user sockaddr, or NULL */
	int fd;
	__u32 arg;
	bool remote;	/* ua is the remote end (connect) */
};

static __noinline int emit_net(__u32 nr, long ret, struct net_req *r)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct bw_ev_net *e = reserve(sizeof(*e));
	struct file *f;

	if (!e)
		return 0;
	fill_hdr(&e->h, BW_EV_NET, nr, ret);
	e->fd = r->fd;
	e->family = 0;
	e->sotype = 0;
	e->proto = 0;
	e->lport = 0;
	e->rport = 0;
	e->pad = 0;
	e->arg = r->arg;
	e->pad2 = 0;
	e->pad3 = 0;
	__builtin_memset(e->laddr, 0, sizeof(e->laddr));
	__builtin_memset(e->raddr, 0, sizeof(e->raddr));
	e->path[0] = 0;
	f = fd_file(t, r->fd);
	if (f) {
		__u16 m = BPF_CORE_READ(f, f_inode, i_mode);
		if ((m & 0170000) == 0140000 /* S_IFSOCK */)
			sock_addrs(e, BPF_CORE_READ(f, private_data));
	}
	if (r->ua)
		user_addr(e, r->ua, r->remote);
	bpf_ringbuf_submit(e, rb_flags(sizeof(*e)));
	return 0;
}

static __noinline int emit_sys(__u32 nr, long ret, struct sc_args *a, const char *str, bool user_str)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bw_ev_sys *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_hdr(&e->h, BW_EV_SYS, nr, ret);
	for (int i = 0; i < 6; i++)
		e->args[i] = (__s64)a->a[i];
	e->cap_effective = *(__u64 *)&t->cred->cap_effective;
	e->cap_permitted = *(__u64 *)&t->cred->cap_permitted;
	e->cap_inheritable = *(__u64 *)&t->cred->cap_inheritable;
	e->str[0] = 0;
	if (str && user_str)
		bpf_probe_read_user_str(e->str, sizeof(e->str), str);
	bpf_ringbuf_submit(e, rb_flags(sizeof(*e)));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	struct task_struct *t;
	struct sc_args a;
	__u16 nr64;

	if (nr < 0 || nr >= BW_SC_MAX)
		return 0;
	nr64 = ia32_sc[nr & (BW_SC_MAX - 1)];
	/* wanted neither as an x86_64 nor as an ia32 number: one lookup more */
	if (!sc_wanted[nr & (BW_SC_MAX - 1)] && !(nr64 && sc_wanted[nr64 & IA32_NR]))
		return 0;
	t = bpf_get_current_task_btf();
	if (t->thread_info.status & TS_COMPAT) {
		if (!nr64 || !sc_wanted[nr64 & IA32_NR])
			return 0;
		if (nr64 & IA32_SKIP) {
			if ((bpf_get_current_pid_tgid() >> 32) != self_pid)
				count(BW_CNT_COMPAT);
			return 0;
		}
		nr = nr64;
		/* ia32 arguments: 32 bits each, pointers zero-extended */
		a.a[0] = (__u32)regs->bx;
		a.a[1] = (__u32)regs->cx;
		a.a[2] = (__u32)regs->dx;
		a.a[3] = (__u32)regs->si;
		a.a[4] = (__u32)regs->di;
		a.a[5] = (__u32)regs->bp;
	} else {
		a.a[0] = regs->di;
		a.a[1] = regs->si;
		a.a[2] = regs->dx;
		a.a[3] = regs->r10;
		a.a[4] = regs->r8;
		a.a[5] = regs->r9;
	}
	if (!sc_wanted[nr & (BW_SC_MAX - 1)] || (bpf_get_current_pid_tgid() >> 32) == self_pid)
		return 0;

/* Defaults first, the call's own fields override them. */
#pragma clang diagnostic ignored "-Winitializer-overrides"
#define FILE1(...) ({ struct file_req r = { .fd = -1, __VA_ARGS__ }; emit_file(nr, ret, &r); })
#define FILE2(...) ({ struct file_req r = { .fd = -1, __VA_ARGS__ }; emit_file2(nr, ret, &r); })
#define NET(...) ({ struct net_req r = { __VA_ARGS__ }; emit_net(nr, ret, &r); })
#define P(i) ((const char *)a.a[i])
	switch (nr) {
	case SC_OPEN:
		return FILE1(.dfd1 = AT_FDCWD, .p1 = P(0), .fd = ret, .flags = a.a[1], .mode = a.a[2]);
	case SC_CREAT:
		return FILE1(.dfd1 = AT_FDCWD, .p1 = P(0), .fd = ret, .flags = O_CREAT | O_WRONLY | O_TRUNC,
			     .mode = a.a[1]);
	case SC_OPENAT:
		return FILE1(.dfd1 = a.a[0], .p1 = P(1), .fd = ret, .flags = a.a[2], .mode = a.a[3]);
	case SC_OPENAT2: {
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), (const void *)a.a[2]);
		return FILE1(.dfd1 = a.a[0], .p1 = P(1), .fd = ret, .flags = how.flags, .mode = how.mode);
	}
	case SC_UNLINK:
	case SC_RMDIR:
		return FILE1(.dfd1 = AT_FDCWD, .p1 = P(0));
	case SC_MKDIR:
	case SC_CHMOD:
		return FILE1(.dfd1 = AT_FDCWD, .p1 = P(0), .mode = a.a[1]);
	case SC_UNLINKAT:
		return FILE1(.dfd1 = a.a[0], .p1 = P(1), .fd = a.a[0], .flags = a.a[2]);
	case SC_MKDIRAT:
	case SC_FCHMODAT:
		return FILE1(.dfd1 = a.a[0], .p1 = P(1), .fd = a.a[0], .mode = a.a[2]);
	case SC_FCHMODAT2:
		return FILE1(.dfd1 = a.a[0], .p1 = P(1), .fd = a.a[0], .mode = a.a[2], .flags = a.a[3]);
	case SC_FCHMOD:
		return FILE1(.fd = a.a[0], .mode = a.a[1]);
	case SC_CHOWN:
	case SC_LCHOWN:
		return FILE1(.dfd1 = AT_FDCWD, .p1 = P(0), .uid = a.a[1], .gid = a.a[2]);
	case SC_FCHOWN:
		return FILE1(.fd = a.a[0], .uid = a.a[1], .gid = a.a[2]);
	case SC_FCHOWNAT:
		return FILE1(.dfd1 = a.a[0], .p1 = P(1), .fd = a.a[0], .uid = a.a[2], .gid = a.a[3], .flags = a.a[4]);
	case SC_UMOUNT2:
		return FILE1(.dfd1 = AT_FDCWD, .p1 = P(0), .flags = a.a[1]);
	case SC_FINIT_MODULE:
		return FILE1(.fd = a.a[0], .flags = a.a[2]);
	case SC_RENAME:
	case SC_LINK:
		return FILE2(.dfd1 = AT_FDCWD, .p1 = P(0), .dfd2 = AT_FDCWD, .p2 = P(1));
	case SC_RENAMEAT:
		return FILE2(.dfd1 = a.a[0], .p1 = P(1), .dfd2 = a.a[2], .p2 = P(3));
	case SC_RENAMEAT2:
	case SC_LINKAT:
		return FILE2(.dfd1 = a.a[0], .p1 = P(1), .dfd2 = a.a[2], .p2 = P(3), .flags = a.a[4]);
	case SC_SYMLINK: /* path: the link; path2: the target, raw */
		return FILE2(.dfd1 = AT_FDCWD, .p1 = P(1), .p2 = P(0), .raw2 = true);
	case SC_SYMLINKAT:
		return FILE2(.dfd1 = a.a[1], .p1 = P(2), .p2 = P(0), .raw2 = true);
	case SC_MOUNT: /* path: the mount point; path2: the device, raw */
		return FILE2(.dfd1 = AT_FDCWD, .p1 = P(1), .p2 = P(0), .raw2 = true, .flags = a.a[3]);
	case SC_CONNECT:
		return NET(.fd = a.a[0], .ua = (const void *)a.a[1], .remote = true);
	case SC_BIND:
		return NET(.fd = a.a[0], .ua = (const void *)a.a[1]);
	case SC_ACCEPT:
	case SC_ACCEPT4:
		return NET(.fd = ret, .arg = nr == SC_ACCEPT4 ? a.a[3] : 0);
	case SC_LISTEN:
		return NET(.fd = a.a[0], .arg = a.a[1]);
	case SC_DUP:
	case SC_DUP2:
	case SC_DUP3: /* the duplicated fd's socket, if it is one */
		return NET(.fd = a.a[0], .arg = a.a[1]);
	case SC_MEMFD_CREATE:
		return emit_sys(nr, ret, &a, P(0), true);
	case SC_INIT_MODULE:
		return emit_sys(nr, ret, &a, P(2), true);
	default:
		return emit_sys(nr, ret, &a, NULL, false);
	}
#undef FILE1
#undef FILE2
#undef NET
#undef P
}
