/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_SENSOR_H
#define BW_SENSOR_H

/*
 * Events the kernel side of the sensor writes into its ring buffer. Shared
 * by bpf/sensor.bpf.c and src/runtime/sensor.c: fixed-width types only,
 * explicit padding, sizes checked on both sides.
 *
 * Syscalls are seen once, at their exit (one raw tracepoint for all of
 * them), and only those the loaded rules can match (sc_wanted, set by the
 * loader): paths are read and resolved against the directory fd or the
 * working directory there, in the kernel, and relative to the process's
 * root, so a container's paths read as the container sees them.
 */

#define BW_EV_COMM 16
#define BW_EV_PATH 256	 /* exec filename, cwd */
#define BW_EV_FPATH 512	 /* resolved paths of file syscalls */
#define BW_EV_ARGS 512
#define BW_EV_CGROUP 128
#define BW_EV_STR 64
#define BW_EV_UNIX 108

/* Highest syscall number the sensor dispatches on, plus one. */
#define BW_SC_MAX 512

enum bw_ev_type {
	BW_EV_EXEC = 1,	    /* struct bw_ev_exec */
	BW_EV_CLONE = 2,    /* struct bw_ev_clone: a new process (not a thread) */
	BW_EV_PROCEXIT = 3, /* struct bw_ev_hdr: a process's leader exited */
	BW_EV_FILE = 4,	    /* struct bw_ev_file or struct bw_ev_file2 */
	BW_EV_NET = 5,	    /* struct bw_ev_net */
	BW_EV_SYS = 6,	    /* struct bw_ev_sys */
};

/* Common to every event: who did it. */
struct bw_ev_hdr {
	__u32 type;
	__u32 pid;	/* tgid */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 loginuid;
	__u32 sc;	/* syscall number (x86_64 numbering), 0 for sched events */
	__u64 ts;	/* ns, CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__s64 res;	/* syscall result */
	__u64 cgroup_id; /* id (inode) of the task's cgroup v2 */
	/* Ids as seen from the task's own pid namespace (0: not visible
	 * there), and the session's and process group's ids in the initial
	 * namespace, which name their leaders in the process table. */
	__u32 vpid;
	__u32 vtid;
	__u32 vpgid;
	__u32 vsid;
	__u32 pvpid;	/* the parent's */
	__u32 pgid;
	__u32 sid;
	__u32 pad_ids;
	char comm[BW_EV_COMM];
};

struct bw_ev_exec {
	struct bw_ev_hdr h;
	__u32 args_len;	/* bytes of args (NUL-separated argv) */
	__u32 flags;	/* BW_EXEC_* */
	__u32 tty;	/* (major << 20) | minor of the controlling tty, 0 when none */
	__u32 pad;
	/* The executable's inode: number, and ctime and mtime in ns since the
	 * epoch (0 when unknown). */
	__u64 exe_ino;
	__u64 exe_ctime;
	__u64 exe_mtime;
	char cgroup[BW_EV_CGROUP]; /* leaf name of the task's cgroup v2 */
	char filename[BW_EV_PATH];
	char cwd[BW_EV_PATH];	   /* resolved in the kernel, relative to the root */
	char args[BW_EV_ARGS];
};

enum {
	BW_EXEC_MEMFD = 1 << 0, /* the executable lives only in memory (memfd:) */
	/* The executable is on overlayfs, in its upper (writable) layer, or
	 * only in a lower one. Neither: not on overlayfs. */
	BW_EXEC_UPPER = 1 << 1,
	BW_EXEC_LOWER = 1 << 2,
};

struct bw_ev_clone {
	struct bw_ev_hdr h;	/* the parent, which called fork/clone */
	__u32 child_pid;
	__u32 pad;
	char cgroup[BW_EV_CGROUP];
};

/*
 * A file syscall. path is the resolved path (absolute, not normalised; the
 * raw argument starts at raw_off), or the path of fd for fd-based calls
 * (fchmod, fchown, finit_module). struct bw_ev_file2 adds a second path
 * (rename, link, symlink: the new name; mount: the device, raw).
 */
struct bw_ev_file {
	struct bw_ev_hdr h;
	__s32 fd;	/* the fd argument, or the fd an open returned */
	__u32 flags;	/* open flags, unlinkat/renameat2/linkat/mount flags */
	__u32 mode;	/* open/mkdir/chmod mode */
	__u32 uid;	/* chown */
	__u32 gid;
	__u16 raw_off;	/* where the raw argument starts in path */
	__u16 raw_off2;
	__u32 pad0;
	__u32 pad;
	char path[BW_EV_FPATH];
};

struct bw_ev_file2 {
	struct bw_ev_file f;
	char path2[BW_EV_FPATH];
};

/* A socket syscall: the socket's own addresses, read from the kernel. */
struct bw_ev_net {
	struct bw_ev_hdr h;
	__s32 fd;	 /* the socket (accept: the new one) */
	__u16 family;	 /* AF_INET, AF_INET6, AF_UNIX */
	__u16 sotype;	 /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 proto;	 /* IPPROTO_* */
	__u16 lport;	 /* host order */
	__u16 rport;
	__u16 pad;
	__u32 arg;	 /* listen: backlog; accept4: flags */
	__u32 pad2;
	__u8 laddr[16];
	__u8 raddr[16];
	char path[BW_EV_UNIX]; /* AF_UNIX: the address's path */
	__u32 pad3;
};

/* Every other syscall: its arguments as numbers, the caller's
 * capabilities, and one string argument when it has one. */
struct bw_ev_sys {
	struct bw_ev_hdr h;
	__s64 args[6];
	__u64 cap_effective;
	__u64 cap_permitted;
	__u64 cap_inheritable;
	char str[BW_EV_STR]; /* memfd_create: name; init_module: param values */
};

/* Counters, per CPU (the "counters" map). */
enum {
	BW_CNT_DROPS = 0,  /* the ring buffer was full */
	BW_CNT_COMPAT = 1, /* 32-bit syscalls, not decoded */
	BW_CNT_QUIET = 2,  /* file events no rule can match, stopped in the kernel */
	BW_CNT_N = 3,
};

/*
 * Key of the "quiet" map: a file event (struct bw_ev_file) with everything
 * the rules may read of it but the process (its cgroup, credentials and
 * name included), its path zero-padded. User
 * space adds a key once the rules, evaluating such an event, read only
 * fields it determines and matched nothing; the kernel then drops equal
 * events. Paths longer than BW_QUIET_PATH - 1 are never keyed.
 */
#define BW_QUIET_PATH 128
#define BW_QUIET_MAX 16384

struct bw_quiet_key {
	__u32 sc;
	__u32 flags;
	__u32 mode;
	__s32 res;
	__u32 uid;
	__u32 gid;
	__u16 raw_off;
	__u16 pad;
	__u32 task_uid;
	__u64 cgroup_id;
	__u32 task_gid;
	__u32 loginuid;
	char comm[BW_EV_COMM];
	char path[BW_QUIET_PATH];
};

#if !defined(__bpf__) && !defined(__BPF__)
_Static_assert(sizeof(struct bw_ev_hdr) == 104, "bw_ev_hdr layout");
_Static_assert(sizeof(struct bw_ev_exec) == 104 + 16 + 24 + 128 + 256 + 256 + 512, "bw_ev_exec layout");
_Static_assert(sizeof(struct bw_ev_clone) == 104 + 8 + 128, "bw_ev_clone layout");
_Static_assert(sizeof(struct bw_ev_file) == 104 + 32 + 512, "bw_ev_file layout");
_Static_assert(sizeof(struct bw_ev_file2) == 104 + 32 + 1024, "bw_ev_file2 layout");
_Static_assert(sizeof(struct bw_ev_net) == 104 + 24 + 32 + 108 + 4, "bw_ev_net layout");
_Static_assert(sizeof(struct bw_ev_sys) == 104 + 48 + 24 + 64, "bw_ev_sys layout");
_Static_assert(sizeof(struct bw_quiet_key) == 64 + BW_QUIET_PATH, "bw_quiet_key layout");
#endif

#endif
