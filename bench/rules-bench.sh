#!/bin/sh
# Rule engine benchmark: builds bench/rules_bench.c against the library of a
# meson build dir and runs it on the upstream rules in ../shared/corpus/falco,
# through the library and through the build's `bulwark replay`.
#   bench/rules-bench.sh [BUILD_DIR]     (default: build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
corpus=${BULWARK_SHARED:-$root/../shared}/corpus/falco
out=$build/rules_bench
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$root/include" "$here/rules_bench.c" "$build/src/libbulwark.a" \
	$(pkg-config --libs yaml-0.1 jansson libcurl libcrypto libzstd libisal) -lpthread -o "$out"
export BULWARK_BIN="$build/bulwark"
echo "== all stable syscall rules (falco_rules.yaml), sensor-shaped stream"
"$out" syscall "$corpus/rules/rules/falco_rules.yaml"
echo "== all stable syscall rules, the compact stream of the first benchmark"
"$out" syscall --stream compact "$corpus/rules/rules/falco_rules.yaml"
echo "== stable + incubating + sandbox, sensor-shaped stream"
"$out" syscall "$corpus/rules/rules/falco_rules.yaml" "$corpus/rules/rules/falco-incubating_rules.yaml" \
	"$corpus/rules/rules/falco-sandbox_rules.yaml"
echo "== k8s audit rules over the upstream audit fixtures"
"$out" audit "$corpus/plugins/k8saudit/rules/k8s_audit_rules.yaml" "$corpus"/legacy-tests/trace_files/k8s_audit/*.json
