#!/usr/bin/env bash
# A hostile log: a fresh value in a label on every one of 1M lines. The
# family must stop at its max_series, fold the rest into one overflow series
# (counted), keep every line counted, and stay within a memory bound.
# Usage: test/integration/cardinality_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
"$(dirname "$0")/../../scripts/deps.sh" --require /usr/bin/time || exit 1
lines=${LINES_OVERRIDE:-1000000}
max_series=10000
# Memory must not grow with the number of distinct values past the limit:
# the peak RSS for 1M lines may exceed that for 2 x max_series lines by at
# most this much (KiB). Comparing two runs of the same binary keeps the bound
# meaningful under sanitizers, whose own overhead is large but constant.
growth_bound_kib=$((16 * 1024))

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make_log() {  # make_log LINES FILE
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "login ok user=u%08d session=%x\n", i, i * 2654435761 % 4294967296 }' >"$2"
}
cat >"$tmp/rules.yaml" <<'YAML'
parser: line
metrics:
  - name: app_logins_total
    type: counter
    help: Logins by user (an unbounded label, on purpose).
    labels: [user]
rules:
  - name: login
    match: '^login ok user=(?P<user>\S+) '
    emit:
      - metric: app_logins_total
        labels: {user: $user}
tests:
  - input: "login ok user=alice session=1"
    expect: 'app_logins_total{user="alice"} 1'
YAML
cat >"$tmp/adapter.yaml" <<YAML
limits:
  max_series_per_family: $max_series
sources:
  - {name: app, type: file, paths: [app.log], parser: line, rules: [rules.yaml]}
YAML

# run_once LOG: runs `once` over LOG; sets rss_kib and seconds.
run_once() {
  cp "$1" "$tmp/app.log"
  /usr/bin/time -f '%M %e' -o "$tmp/time" "$adapter" once --config.file="$tmp/adapter.yaml" \
    >"$tmp/out.prom" 2>"$tmp/err.log"
  read -r rss_kib seconds <"$tmp/time"
}
make_log $((2 * max_series)) "$tmp/small.log"
run_once "$tmp/small.log"
baseline_kib=$rss_kib
make_log "$lines" "$tmp/big.log"
run_once "$tmp/big.log"

sample() { awk -v re="$1" '$0 ~ re { print $NF; exit }' "$tmp/out.prom"; }
fail() { echo "FAIL: $*"; exit 1; }
series=$(grep -c '^app_logins_total{' "$tmp/out.prom")
overflow=$(sample '^app_logins_total\{user="__overflow__"\}')
[ "$series" = $((max_series + 1)) ] || fail "$series series, want $max_series plus the overflow series"
[ "$overflow" = $((lines - max_series)) ] || fail "overflow series holds $overflow, want $((lines - max_series))"
[ "$(sample '^metrics_adapter_series_overflow_total\{family="app_logins_total"\}')" = $((lines - max_series)) ] ||
  fail "overflow counter"
[ "$(sample '^metrics_adapter_lines_read_total\{source="app"\}')" = "$lines" ] || fail "lines read"
[ $((rss_kib - baseline_kib)) -le "$growth_bound_kib" ] ||
  fail "peak RSS ${rss_kib} KiB for $lines lines vs ${baseline_kib} KiB for $((2 * max_series)): grows with distinct values"
echo "PASS: $lines distinct label values: $series series; peak RSS $((rss_kib / 1024)) MiB vs $((baseline_kib / 1024)) MiB for $((2 * max_series)) values; ${seconds} s"

