// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The kernel side of `bulwark watch`: tracepoints on process execution,
 * file opens, connects and ptrace write events into one ring buffer. Paths
 * and addresses are read here, once, at the syscall's exit, so user space
 * never chases pointers into a process that may be gone.
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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Events lost because the ring buffer was full, one slot per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Syscall arguments saved at entry, keyed by thread, read at exit. */
struct open_args {
	const char *path;
	__u32 flags;
	__u32 mode;
	__s32 dirfd;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct open_args);
} pending_open SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, const void *);
} pending_connect SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&drops, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline bool skip_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_pid;
}

static __always_inline void fill_hdr(struct bw_ev_hdr *h, __u32 type, __s64 res)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid(), uid_gid = bpf_get_current_uid_gid();
	struct tty_struct *tty;
	const char *cg;

	h->type = type;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->ts = bpf_ktime_get_ns();
	h->res = res;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->loginuid = BPF_CORE_READ(task, loginuid.val);
	h->tty = 0;
	tty = BPF_CORE_READ(task, signal, tty);
	if (tty) {
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		h->tty = (major << 20) | (minor & 0xfffff);
	}
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->cgroup[0] = 0;
	cg = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name);
	if (cg)
		bpf_probe_read_kernel_str(h->cgroup, sizeof(h->cgroup), cg);
}

/* ---------------------------------------------------------------- exec */

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct bw_ev_exec *e;
	unsigned long start, end, len;
	unsigned int off;
	const unsigned char *dname;
	char prefix[8] = {};

	if (skip_self())
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_hdr(&e->h, BW_EV_EXEC, 0);
	off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
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
	dname = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
	if (dname && bpf_probe_read_kernel(prefix, 6, dname) == 0 && prefix[0] == 'm' && prefix[1] == 'e' &&
	    prefix[2] == 'm' && prefix[3] == 'f' && prefix[4] == 'd' && prefix[5] == ':')
		e->flags |= 1;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---------------------------------------------------------------- open */

static __always_inline int open_enter(int dirfd, const char *path, __u32 flags, __u32 mode)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args a = { .path = path, .flags = flags, .mode = mode, .dirfd = dirfd };

	if (skip_self())
		return 0;
	bpf_map_update_elem(&pending_open, &tid, &a, BPF_ANY);
	return 0;
}

static __always_inline int open_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args *a = bpf_map_lookup_elem(&pending_open, &tid);
	struct bw_ev_open *e;

	if (!a)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		bpf_map_delete_elem(&pending_open, &tid);
		return 0;
	}
	fill_hdr(&e->h, BW_EV_OPEN, ret);
	e->flags = a->flags;
	e->mode = a->mode;
	e->dirfd = a->dirfd;
	e->pad = 0;
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), a->path) < 0)
		e->path[0] = 0;
	bpf_map_delete_elem(&pending_open, &tid);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((int)ctx->args[0], (const char *)ctx->args[1], (__u32)ctx->args[2], (__u32)ctx->args[3]);
}

SEC("tp/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(-100 /* AT_FDCWD */, (const char *)ctx->args[0], (__u32)ctx->args[1], (__u32)ctx->args[2]);
}

SEC("tp/syscalls/sys_exit_open")
int exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* ---------------------------------------------------------------- connect */

SEC("tp/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	const void *addr = (const void *)ctx->args[1];

	if (skip_self())
		return 0;
	bpf_map_update_elem(&pending_connect, &tid, &addr, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	const void **pa = bpf_map_lookup_elem(&pending_connect, &tid);
	const void *ua;
	struct bw_ev_connect *e;
	__u16 family = 0;

	if (!pa)
		return 0;
	ua = *pa;
	bpf_map_delete_elem(&pending_connect, &tid);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_hdr(&e->h, BW_EV_CONNECT, ctx->ret);
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->path[0] = 0;
	e->port = 0;
	e->pad = 0;
	e->pad2 = 0;
	bpf_probe_read_user(&family, sizeof(family), ua);
	e->family = family;
	if (family == 2 /* AF_INET */) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), ua);
		e->port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(e->addr, &sin.sin_addr, 4);
	} else if (family == 10 /* AF_INET6 */) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), ua);
		e->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(e->addr, &sin6.sin6_addr, 16);
	} else if (family == 1 /* AF_UNIX */) {
		bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)ua + 2);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---------------------------------------------------------------- ptrace */

SEC("tp/syscalls/sys_enter_ptrace")
int enter_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	struct bw_ev_ptrace *e;

	if (skip_self())
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_hdr(&e->h, BW_EV_PTRACE, 0);
	e->request = (__s64)ctx->args[0];
	e->target = (__s64)ctx->args[1];
	bpf_ringbuf_submit(e, 0);
	return 0;
}
