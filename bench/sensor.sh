#!/usr/bin/env bash
# sensor.sh - the slowdown `bulwark watch` causes on syscall-heavy workloads.
#
# Runs each workload without and with the sensor running (all upstream
# stable Falco rules loaded, alerts discarded) in the same run, best of
# $RUNS, and prints the ratio, the events the sensor handled and dropped,
# and the sensor's own CPU time and peak memory. Needs root.
# Usage: bench/sensor.sh [RULES]   (default ../shared/corpus/falco/rules/rules/falco_rules.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
RULES=${1:-../shared/corpus/falco/rules/rules/falco_rules.yaml}
RUNS=${RUNS:-3}
BIN=${BULWARK_BIN:-build/bulwark}
TMP=$(mktemp -d); trap 'kill "${SENSOR:-}" 2>/dev/null || true; rm -rf "$TMP"' EXIT

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
# Workload 2: compiling a C project (bulwark's own image reader, -O2).
build_c() { for f in src/image/*.c src/core/*.c; do gcc -O2 -D_GNU_SOURCE -Iinclude -Isrc $(pkg-config --cflags jansson) -c "$f" -o "$TMP/o.o"; done; }

best() {
  local best="" t
  for _ in $(seq "$RUNS"); do
    t=$( { TIMEFORMAT=%R; time "$@" >/dev/null 2>&1; } 2>&1 )
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

base_open=$(best "$TMP/openloop")
base_build=$(best build_c)

"$BIN" watch -r "$RULES" -o /dev/null --stats -q 2> "$TMP/sensor.err" &
SENSOR=$!
for _ in $(seq 100); do grep -q . /proc/$SENSOR/status 2>/dev/null && [ -n "$(ls -l /proc/$SENSOR/fd 2>/dev/null | grep -c anon_inode)" ] && break; sleep 0.1; done
sleep 2
t0=$(cpu_ticks $SENSOR)
with_open=$(best "$TMP/openloop")
with_build=$(best build_c)
t1=$(cpu_ticks $SENSOR)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$SENSOR/status)
kill -INT $SENSOR; wait $SENSOR || true; SENSOR=
hz=$(getconf CLK_TCK)

printf '# sensor overhead, %d cores, best of %d, rules: %s\n' "$(nproc)" "$RUNS" "$RULES"
printf '%-34s %8s s  ->  %8s s   %+.1f%%\n' "open/read/close x200k" "$base_open" "$with_open" \
  "$(awk "BEGIN{print ($with_open/$base_open - 1) * 100}")"
printf '%-34s %8s s  ->  %8s s   %+.1f%%\n' "compile 16 C files (gcc -O2)" "$base_build" "$with_build" \
  "$(awk "BEGIN{print ($with_build/$base_build - 1) * 100}")"
printf '%-34s %.2f s CPU, peak %d MiB\n' "sensor itself during the runs" "$(awk "BEGIN{print ($t1-$t0)/$hz}")" $((hwm / 1024))
grep -E '^Sensor:' "$TMP/sensor.err" || true
