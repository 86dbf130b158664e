/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_SENSOR_H
#define BW_SENSOR_H

/*
 * Events the kernel side of the sensor writes into its ring buffer. Shared
 * by bpf/sensor.bpf.c and src/runtime/sensor.c: fixed-width types only,
 * explicit padding, sizes checked on both sides.
 */

#define BW_EV_COMM 16
#define BW_EV_PATH 256
#define BW_EV_ARGS 512
#define BW_EV_CGROUP 128

enum bw_ev_type {
	BW_EV_EXEC = 1,
	BW_EV_OPEN = 2,
	BW_EV_CONNECT = 3,
	BW_EV_PTRACE = 4,
	BW_EV_EXIT = 5,
	BW_EV_MEMFD = 6,
	BW_EV_CHMOD = 7,
	BW_EV_UNLINK = 8,
};

/* Common to every event: who did it. */
struct bw_ev_hdr {
	__u32 type;
	__u32 pid;    /* tgid */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 loginuid;
	__u32 tty;    /* (major << 20) | minor of the controlling tty, 0 when none */
	__u64 ts;     /* ns, CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__s64 res;    /* syscall result */
	char comm[BW_EV_COMM];
	char cgroup[BW_EV_CGROUP]; /* leaf name of the task's cgroup v2 */
};

struct bw_ev_exec {
	struct bw_ev_hdr h;
	__u32 args_len;	/* bytes of args (NUL-separated argv) */
	__u32 flags;	/* bit 0: exe from memfd */
	char filename[BW_EV_PATH];
	char args[BW_EV_ARGS];
};

struct bw_ev_open {
	struct bw_ev_hdr h;
	__u32 flags;
	__u32 mode;
	__s32 dirfd;
	__u32 pad;
	char path[BW_EV_PATH];
};

struct bw_ev_connect {
	struct bw_ev_hdr h;
	__u16 family;
	__u16 port; /* host order */
	__u32 pad;
	__u8 addr[16];
	char path[108]; /* AF_UNIX */
	__u32 pad2;
};

struct bw_ev_ptrace {
	struct bw_ev_hdr h;
	__s64 request;
	__s64 target;
};

#if !defined(__bpf__) && !defined(__BPF__)
_Static_assert(sizeof(struct bw_ev_hdr) == 192, "bw_ev_hdr layout");
_Static_assert(sizeof(struct bw_ev_exec) == 192 + 8 + 256 + 512, "bw_ev_exec layout");
_Static_assert(sizeof(struct bw_ev_open) == 192 + 16 + 256, "bw_ev_open layout");
_Static_assert(sizeof(struct bw_ev_connect) == 192 + 8 + 16 + 108 + 4, "bw_ev_connect layout");
_Static_assert(sizeof(struct bw_ev_ptrace) == 192 + 16, "bw_ev_ptrace layout");
#endif

#endif
