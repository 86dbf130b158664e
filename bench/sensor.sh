#!/usr/bin/env bash
# sensor.sh - the slowdown `bulwark watch` causes on syscall-heavy workloads.
#
# Runs each workload without the sensor, then with it (the given Falco
# rules loaded, alerts discarded), then without again, in the same run, and
# prints medians of $RUNS runs of each: the workload's CPU time (user + sys,
# what the sensor's kernel side adds to every syscall; steady on a busy
# machine) and its wall time (also counts the sensor's own CPU when cores
# are short), the ratio to the floor (without the sensor), the events the
# sensor delivered, dropped and stopped in the kernel, and its own CPU time
# and peak memory. For reference it also runs the sensor with a single exec
# rule: no syscall handled, only the kernel's syscall tracepoint path, which
# any syscall sensor pays on every syscall. Needs root.
# Usage: bench/sensor.sh [RULES...]   (default: upstream stable rules,
#        ../shared/corpus/falco/rules/rules/falco_rules.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
RULES=("$@")
[ ${#RULES[@]} -gt 0 ] || RULES=(../shared/corpus/falco/rules/rules/falco_rules.yaml)
RUNS=${RUNS:-5}
BIN=${BULWARK_BIN:-build/bulwark}
TMP=$(mktemp -d); trap 'kill "${SENSOR:-}" "${PERF:-}" 2>/dev/null || true; rm -rf "$TMP"' EXIT

# Workload 1: 200,000 open/read/close of one file.
cat > "$TMP/openloop.c" <<'C'
#include <fcntl.h>
#include <unistd.h>
int main(void)
{
	char b[64];
	for (int i = 0; i < 200000; i++) {
		int fd = open("/etc/hostname", O_RDONLY);
		if (fd < 0 || read(fd, b, sizeof(b)) < 0)
			return 1;
		close(fd);
	}
	return 0;
}
C
gcc -O2 -o "$TMP/openloop" "$TMP/openloop.c"
# Workload 2: compiling a C project (bulwark's core and image reader, -O2),
# one gcc per file as make does.
cat > "$TMP/build.sh" <<SH
#!/bin/sh
for f in src/image/*.c src/core/*.c; do
  gcc -O2 -D_GNU_SOURCE -Iinclude -Isrc $(pkg-config --cflags jansson) -c "\$f" -o "$TMP/o.o" || exit 1
done
SH
chmod +x "$TMP/build.sh"

# run NAME CMD: appends "wall cpu" of one run to $TMP/NAME
run() { /usr/bin/time -f "%e %U %S" -o "$TMP/t" "$2" >/dev/null 2>&1; awk '{print $1, $2 + $3}' "$TMP/t" >> "$TMP/$1"; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
col() { awk -v c="$2" '{print $c}' "$TMP/$1" | median; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for _ in $(seq "$RUNS"); do run base_open "$TMP/openloop"; run base_build "$TMP/build.sh"; done

# with_sensor TAG RULES...: runs both workloads $RUNS times under the sensor
with_sensor() {
  local tag=$1 args=() t0 t1; shift
  for r in "$@"; do args+=(-r "$r"); done
  "$BIN" watch "${args[@]}" -o /dev/null --stats -q 2> "$TMP/$tag.err" &
  SENSOR=$!
  for _ in $(seq 100); do ls -l /proc/$SENSOR/fd 2>/dev/null | grep -q anon_inode:bpf-ringbuf && break; sleep 0.1; done
  sleep 2
  t0=$(cpu_ticks $SENSOR)
  for _ in $(seq "$RUNS"); do run ${tag}_open "$TMP/openloop"; run ${tag}_build "$TMP/build.sh"; done
  t1=$(cpu_ticks $SENSOR)
  echo "$(( t1 - t0 )) $(awk '/VmHWM/ {print $2}' /proc/$SENSOR/status)" > "$TMP/$tag.self"
  kill -INT $SENSOR; wait $SENSOR || true; SENSOR=
}
# Reference: the sensor with one exec rule, so no syscall is handled: what
# the kernel's syscall tracepoint path alone costs every syscall.
printf -- '- rule: exec\n  desc: d\n  condition: evt.type = execve and proc.name = nosuchprogram\n  output: o\n  priority: INFO\n' > "$TMP/exec.yaml"
with_sensor with "${RULES[@]}"
with_sensor tp "$TMP/exec.yaml"
# Reference without BPF: perf counting one syscall's tracepoint
# (syscalls:sys_exit_openat) turns on the same slow syscall path for every
# task; this is what any syscall-tracepoint hook costs on this kernel.
if command -v perf >/dev/null && perf stat -e syscalls:sys_exit_openat -a -o /dev/null true 2>/dev/null; then
  perf stat -e syscalls:sys_exit_openat -a -o /dev/null -- sleep 100000 & PERF=$!
  sleep 1
  for _ in $(seq "$RUNS"); do run perf_open "$TMP/openloop"; run perf_build "$TMP/build.sh"; done
  # perf stops when its workload does (a background job ignores SIGINT)
  pkill -P $PERF sleep || true; wait $PERF 2>/dev/null || true; PERF=
fi
read ticks hwm < "$TMP/with.self"
hz=$(getconf CLK_TCK)
for _ in $(seq "$RUNS"); do run base_open "$TMP/openloop"; run base_build "$TMP/build.sh"; done

printf '# sensor overhead, %d cores, medians of %d runs (floor: %d runs without the sensor, before and after)\n' \
  "$(nproc)" "$RUNS" $((2 * RUNS))
printf '# rules: %s\n' "${RULES[*]}"
printf '%-30s %-5s %9s %9s %8s   %-18s %s\n' workload time floor sensor ratio "(exec rule only)" "(perf tracepoint, no BPF)"
for w in open build; do
  name=$([ $w = open ] && echo "open/read/close x200k" || echo "compile 16 C files (gcc -O2)")
  for c in 2 1; do
    b=$(col base_$w $c); s=$(col with_$w $c); t=$(col tp_$w $c)
    pf=n/a; [ -s "$TMP/perf_$w" ] && pf=$(awk "BEGIN{printf \"%.3fx\", $(col perf_$w $c) / $b}")
    printf '%-30s %-5s %8.3fs %8.3fs %7.3fx   %-18s %s\n' "$name" "$([ $c = 2 ] && echo cpu || echo wall)" "$b" "$s" \
      "$(awk "BEGIN{print $s / $b}")" "$(awk "BEGIN{printf \"%.3fx\", $t / $b}")" "$pf"
  done
done
printf '%-30s %.2f s CPU over all runs with it, peak %d MiB\n' "sensor itself" "$(awk "BEGIN{print $ticks/$hz}")" $((hwm / 1024))
grep -E '^Sensor:' "$TMP/with.err" || true
