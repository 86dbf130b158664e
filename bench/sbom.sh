#!/usr/bin/env bash
# sbom.sh - time `bulwark sbom` (every package of an image) against the
# decompression floor, cold and with a warm layer cache.
#
# The floor is as in bench/image-files.sh: `igzip -dc` of each gzip layer
# blob, one process per layer, all cores busy. Each round times, one after
# the other so a busy machine hurts all alike: the floor, a cold scan
# (--no-cache: every layer read), a first scan into an empty cache (read +
# store), and a warm rescan (every layer from the cache). Prints the median
# of $RUNS rounds, the ratios (cold / floor, warm / cold) and the peak
# memory (RSS) of a cold scan. Targets (issue 3): cold <= 1.3x the floor,
# peak < 96 MiB, warm < 10% of cold. With ../shared/vulndata beside the
# clone (or $BULWARK_VULNDATA), also a complete vulnerability scan (every
# package matched against every OSV zip imported), cold: issue 4's target
# is under 1.5x the floor.
#
# Usage: bench/sbom.sh [IMAGES_DIR] [IMAGE]   (default: the `big` image in
# /var/tmp/bulwark-test-images)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-${BULWARK_TEST_IMAGES:-/var/tmp/bulwark-test-images}}
NAME=${2:-big}
RUNS=${RUNS:-5}
BIN=${BULWARK_BIN:-build/bulwark}
NPROC=$(nproc)
REF="oci:$DIR/$NAME.oci"
[ -x "$BIN" ] || { echo "build first: meson compile -C build" >&2; exit 1; }
[ -d "$DIR/$NAME.oci" ] || { echo "missing $DIR/$NAME.oci (make-test-images --only $NAME $DIR)" >&2; exit 1; }
command -v igzip >/dev/null || { echo "igzip missing: apt-get install isal" >&2; exit 1; }
CACHE=$(mktemp -d); trap 'rm -rf "$CACHE"' EXIT

# wall and CPU (user + sys, children included) seconds of a command
secs() { local t; t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 ); echo "$t" | awk '{print $1, $2 + $3}'; }
# median of column $1 of a file
median() { awk -v c="$1" '{print $c}' "$2" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
layout_blobs() {
  local lay=$1 man
  man=$(jq -r '.manifests[0].digest' "$lay/index.json" | cut -d: -f2)
  jq -r '.layers[].digest' "$lay/blobs/sha256/$man" | cut -d: -f2 | sed "s|^|$lay/blobs/sha256/|"
}
floor_gzip() { layout_blobs "$DIR/$NAME.oci" | xargs -P "$NPROC" -n 1 sh -c 'igzip -dc "$0" > /dev/null'; }
cold() { "$BIN" sbom -q -f json --no-cache "$REF"; }
first() { rm -rf "$CACHE/first"; "$BIN" sbom -q -f json --cache-dir "$CACHE/first" "$REF"; }
warm() { "$BIN" sbom -q -f json --cache-dir "$CACHE/warm" "$REF"; }
VULNDATA=${BULWARK_VULNDATA:-../shared/vulndata/osv}
scan() { "$BIN" vuln -q -f json --no-cache --db "$CACHE/full.db" "$REF"; }
if ls "$VULNDATA"/*/all.zip >/dev/null 2>&1; then
  "$BIN" db import -q --db "$CACHE/full.db" "$VULNDATA"/*/all.zip
else
  scan() { :; }
fi

echo "# bulwark sbom on $NAME, $NPROC cores, median of $RUNS rounds (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$DIR/$NAME.oci"/blobs/sha256/* > /dev/null
warm > /dev/null # fills the warm cache
n_pkgs=$(cold | jq .count)
: > "$CACHE/f"; : > "$CACHE/c"; : > "$CACHE/s"; : > "$CACHE/w"; : > "$CACHE/v"
for _ in $(seq "$RUNS"); do
  secs floor_gzip >> "$CACHE/f"
  secs cold >> "$CACHE/c"
  secs first >> "$CACHE/s"
  secs warm >> "$CACHE/w"
  secs scan >> "$CACHE/v"
done
v=$(median 1 "$CACHE/v")
f=$(median 1 "$CACHE/f"); c=$(median 1 "$CACHE/c"); s=$(median 1 "$CACHE/s"); w=$(median 1 "$CACHE/w")
fc=$(median 2 "$CACHE/f"); cc=$(median 2 "$CACHE/c"); wc=$(median 2 "$CACHE/w")
peak=$(/usr/bin/time -f %M "$BIN" sbom -q -f json --no-cache "$REF" 2>&1 >/dev/null | tail -1)
peak_w=$(/usr/bin/time -f %M "$BIN" sbom -q -f json --cache-dir "$CACHE/warm" "$REF" 2>&1 >/dev/null | tail -1)
printf '%-34s %8s s\n' "floor: igzip -dc per layer" "$f"
printf '%-34s %8s s   %.2fx floor   peak %d MiB   (%s packages)\n' "bulwark sbom, cold (--no-cache)" "$c" \
  "$(awk "BEGIN{print $c/$f}")" $((peak / 1024)) "$n_pkgs"
printf '%-34s %8s s   %.2fx floor\n' "bulwark sbom, empty cache (+store)" "$s" "$(awk "BEGIN{print $s/$f}")"
printf '%-34s %8s s   %.1f%% of cold   peak %d MiB\n' "bulwark sbom, warm cache" "$w" \
  "$(awk "BEGIN{print 100*$w/$c}")" $((peak_w / 1024))
[ -f "$CACHE/full.db" ] && printf '%-34s %8s s   %.2fx floor   (%s findings)\n' "bulwark vuln, full scan, cold" "$v" \
  "$(awk "BEGIN{print $v/$f}")" "$(scan | jq '.findings | length')"
# CPU time suffers less than wall time from other work on a busy machine.
printf '%-34s %8s s CPU, bulwark cold %s s CPU (%.2fx), warm %s s CPU (%.1f%% of cold)\n' "floor: igzip -dc per layer" "$fc" \
  "$cc" "$(awk "BEGIN{print $cc/$fc}")" "$wc" "$(awk "BEGIN{print 100*$wc/$cc}")"
echo "# rounds, wall s (floor cold first warm): $(paste -d/ <(cut -d' ' -f1 "$CACHE/f") <(cut -d' ' -f1 "$CACHE/c") \
  <(cut -d' ' -f1 "$CACHE/s") <(cut -d' ' -f1 "$CACHE/w") | tr '\n' ' ')"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
