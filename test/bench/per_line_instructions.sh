#!/usr/bin/env bash
# Instructions per line of the nginx benchmark log, counted by callgrind (deterministic, so a
# change to the per-line path can be measured on a busy machine).
#
# Runs `metrics-adapter once` with test/bench/adapter/bench.yaml (the shipped nginx rule file:
# three emits per line) under valgrind --tool=callgrind over two generated logs of SMALL and
# LARGE lines, and prints the difference of their totals divided by the difference of their
# lines: the cost of one line without start-up and exit. Then the share of that (inclusive, on
# the LARGE log) the store's update path takes: SeriesStore::ApplyLocked, with the series
# lookup inside it.
#
# Usage: test/bench/per_line_instructions.sh [--small N] [--large N]
# Environment: ADAPTER (default build/release/metrics-adapter, built here), JOBS.
set -euo pipefail

usage="usage: $0 [--small N] [--large N]"
small=20000
large=120000
while (($#)); do
  case $1 in
    --small) small=${2:?$usage}; shift ;;
    --large) large=${2:?$usage}; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
if ! [[ $small =~ ^[1-9][0-9]*$ && $large =~ ^[1-9][0-9]*$ ]] || ((large <= small)); then
  echo "--small and --large: positive, large > small" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
scripts/deps.sh --require valgrind callgrind_annotate
scripts/build.sh release gen_access_log >/dev/null
if [ -z "${ADAPTER:-}" ]; then
  scripts/build.sh release metrics-adapter >/dev/null
  ADAPTER=$root/build/release/metrics-adapter
fi
gen=$root/build/release/test/bench/gen_access_log

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# instructions LINES: the total instructions of one `once` over a log of LINES lines.
instructions() {
  "$gen" --lines "$1" >"$tmp/access_$1.log"
  sed -e "s|@ACCESS_LOG@|$tmp/access_$1.log|" \
    -e "s|\.\./\.\./\.\./rules/|$root/rules/|" test/bench/adapter/bench.yaml >"$tmp/bench_$1.yaml"
  valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind_$1" \
    "$ADAPTER" once --config.file="$tmp/bench_$1.yaml" >"$tmp/out_$1" 2>"$tmp/valgrind_$1" ||
    { cat "$tmp/valgrind_$1" >&2; exit 1; }
  grep -q "^http_server_requests_total" "$tmp/out_$1" || { echo "no requests counted" >&2; exit 1; }
  awk '/^(summary|totals):/ { print $2; exit }' "$tmp/callgrind_$1"
}

ir_small=$(instructions "$small")
ir_large=$(instructions "$large")
per_line=$(((ir_large - ir_small) / (large - small)))
apply=$(callgrind_annotate --inclusive=yes --threshold=100 "$tmp/callgrind_$large" 2>/dev/null |
  awk '/SeriesStore::ApplyLocked/ && !found { gsub(",", "", $1); print $1; found = 1 }')
echo "instructions: $ir_small for $small lines, $ir_large for $large lines"
echo "per line: $per_line"
if [ -n "$apply" ]; then
  awk -v a="$apply" -v t="$ir_large" -v n="$large" 'BEGIN {
    printf "SeriesStore::ApplyLocked (inclusive): %.0f per line, %.1f%% of the run\n", a / n, 100 * a / t }'
fi
