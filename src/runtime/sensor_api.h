/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_RUNTIME_SENSOR_API_H
#define BW_RUNTIME_SENSOR_API_H

/*
 * The eBPF sensor (bpf/sensor.bpf.c): loads the CO-RE program, reads its
 * ring buffer and turns each kernel event into one line of the replay
 * format (docs/replay-format.md) with the proc.*, user.*, fd.*, evt.* and
 * container.* fields Falco rules use, so the rules engine consumes live
 * events exactly as it consumes recorded ones. It knows no rules.
 */

#include <stdio.h>

#include "bulwark/core.h"
#include "bulwark/rules.h"

struct bw_sensor;

/*
 * wants() is asked once per syscall the sensor can trace, with Falco's
 * event type name ("openat", "setuid", ...): only those it accepts are
 * handled in the kernel, the others cost one array lookup. NULL: all.
 * Process execution, fork and exit are always traced (they keep the
 * process table that gives proc.* fields their values).
 */
struct bw_sensor_opts {
	size_t sz;
	bool include_self; /* also report the sensor's own process */
	bool (*wants)(const char *evtype, void *userdata);
	void *wants_userdata;
	/* Wake the reader only once this many bytes wait in the ring buffer
	 * (bw_sensor_poll() also drains it when its timeout ends). 0: 256 KiB;
	 * 1: on every event. */
	uint32_t wakeup_bytes;
	/* Do not stop in the kernel the file events the rules showed to be of
	 * no interest (see bw_sensor_source()); for recording every event. */
	bool no_quiet;
	/* Ring buffer size in bytes: a power of two, at least the page size.
	 * 0: 16 MiB. When full, events are dropped and counted. */
	uint32_t ring_bytes;
};

struct bw_sensor_stats {
	uint64_t events;   /* decoded and delivered */
	uint64_t drops;    /* lost in the kernel: the ring buffer was full */
	uint64_t invalid;  /* malformed records from the kernel, skipped */
	uint64_t compat;   /* 32-bit syscalls, not decoded */
	uint64_t quiet;	   /* file events no rule can match, stopped in the kernel */
	uint64_t quiet_keys; /* keys of such events handed to the kernel */
	size_t syscalls;   /* syscalls traced (those wants() accepted) */
};

#define BW_SENSOR_WAKEUP_DEFAULT (256u << 10)

/* Checks privileges and kernel support (saying clearly what is missing),
 * mounts tracefs if needed, loads and attaches the program. */
BW_API int bw_sensor_open(const struct bw_sensor_opts *opts, struct bw_sensor **ret, struct bw_error **err);
BW_API struct bw_sensor *bw_sensor_free(struct bw_sensor *s);

/*
 * New rules for a running sensor: when every syscall wants() accepts is
 * already traced, forgets what the kernel stopped as of no interest to the
 * old rules (the quiet keys) and returns 0; -EAGAIN when the new rules need
 * a syscall the loaded program does not trace (open a new sensor).
 */
BW_API int bw_sensor_retarget(struct bw_sensor *s, bool (*wants)(const char *evtype, void *userdata),
			      void *userdata);

/*
 * The replay source (bw_replay_source()) that also notes which fields the
 * rules read. Compile the syscall rules against it and the sensor learns,
 * from each file event the rules evaluated without a match, whether the
 * verdict depended on anything but the event's kernel key (syscall, path,
 * flags, mode, result, owner): when not, no process can make an equal
 * event match, and the kernel stops equal events before the ring buffer.
 * One evaluation at a time (not thread-safe).
 */
BW_API const struct bw_source *bw_sensor_source(void);

/*
 * Called with each event as a replay-format JSON line (no newline). Returns
 * the number of alerts the rules raised (0: evaluated, no rule matched), 1
 * when the event was not evaluated, or a negative errno to stop.
 */
typedef int (*bw_sensor_event_fn)(const char *line, size_t len, void *userdata);

/* Waits up to timeout_ms for events and delivers what arrived. Returns the
 * number of events delivered, or a negative errno (-EINTR passes through
 * so a signal can stop the loop). */
BW_API int bw_sensor_poll(struct bw_sensor *s, int timeout_ms, bw_sensor_event_fn fn, void *userdata,
			  struct bw_error **err);
BW_API void bw_sensor_get_stats(struct bw_sensor *s, struct bw_sensor_stats *ret);

/* For tests and fuzzing: a sensor that loads nothing into the kernel, and
 * bw_sensor_feed(), which decodes one ring-buffer record (struct bw_ev_*
 * of bpf/sensor.h, checked like any input) as the poll loop does. Returns
 * fn's error, else 0. */
BW_API int bw_sensor_new_detached(struct bw_sensor **ret, struct bw_error **err);
BW_API int bw_sensor_feed(struct bw_sensor *s, const void *data, size_t size, bw_sensor_event_fn fn,
			  void *userdata);

/*
 * The name of id in an /etc/passwd or /etc/group stream (records
 * "name:password:id:..."): copies it into ret_name (n bytes) and returns 0;
 * -ENOENT when no record has that id, -ENAMETOOLONG when the name does not
 * fit, -EIO on a read error. Reads at most 65536 lines; a line longer than
 * 1 KiB is skipped whole.
 */
BW_API int bw_sensor_id_lookup(FILE *f, uint32_t id, char *ret_name, size_t n);

/*
 * For tests and fuzzing: the container.mount* members (a leading comma,
 * then `"container.mounts":"...","container.mount":[...]`, replay format)
 * that every event of a container carries, from the engine's JSON about
 * it: an OCI runtime config (containers/storage's userdata/config.json,
 * "mounts") or an engine API's inspect answer (docker's and podman's
 * "Mounts"). full_id tells the engine's own files (below
 * .../<full_id>/userdata) from the mounts the user asked for. On success
 * *ret is the caller's to free. Returns 0, -EINVAL (not JSON or no list of
 * mounts), -E2BIG (more than BW_MAX_CONTAINER_MOUNTS or their bytes), or
 * -ENOMEM.
 */
BW_API int bw_sensor_container_mounts(const char *json, size_t len, const char *full_id, char **ret,
				      struct bw_error **err);

/*
 * The k8s.* members (`,"k8s.ns.name":...,"k8s.pod.name":...,"k8s.pod.uid":...`)
 * of the events of a container whose runtime config (`annotations`) or
 * engine answer (`Config.Annotations`, else `Config.Labels`) carries the
 * pod's `io.kubernetes.pod.namespace`, `.name` and `.uid`; names longer
 * than 253 bytes are left out. Caller frees *ret. -EINVAL on bad JSON,
 * -ENOENT when nothing names a pod.
 */
BW_API int bw_sensor_container_k8s(const char *json, size_t len, char **ret, struct bw_error **err);

#endif
