#!/usr/bin/env bash
# Instructions per line, counted by callgrind, at the two ends of label-value repetition: a log
# whose lines all carry the same label values (every update finds the series its family
# resolved last), and one whose lines all carry new ones (every update creates a series: the
# lookup's miss path). Two emits a line, two labels each, through a rule file of their own.
#
# As test/bench/per_line_instructions.sh: `metrics-adapter once` over SMALL and LARGE lines,
# the difference of the totals divided by the difference of the lines. With --before BINARY,
# the same for that binary in the same run (a build of another commit), side by side.
#
# Usage: test/bench/emit_instructions.sh [--small N] [--large N] [--before BINARY]
# Environment: ADAPTER (default build/release/metrics-adapter, built here).
set -euo pipefail

usage="usage: $0 [--small N] [--large N] [--before BINARY]"
small=20000
large=100000
before=
while (($#)); do
  case $1 in
    --small) small=${2:?$usage}; shift ;;
    --large) large=${2:?$usage}; shift ;;
    --before) before=${2:?$usage}; shift ;;
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
scripts/deps.sh --require valgrind awk
if [ -z "${ADAPTER:-}" ]; then
  scripts/build.sh release metrics-adapter >/dev/null
  ADAPTER=$root/build/release/metrics-adapter
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/rules.yaml" <<'EOF'
metrics:
  - {name: bench_hits_total, type: counter, help: Hits., labels: [path, client]}
  - {name: bench_bytes_total, type: counter, help: Bytes., labels: [path, client]}
rules:
  - name: hit
    match: '^(?P<client>\S+) (?P<path>\S+) (?P<bytes>\d+)$'
    emit:
      - {metric: bench_hits_total, labels: &labels {path: $path, client: $client}}
      - {metric: bench_bytes_total, add: $bytes, labels: *labels}
EOF

# log KIND LINES: writes the log of LINES lines, same or distinct label values.
log() {
  awk -v kind="$1" -v n="$2" 'BEGIN {
    for (i = 0; i < n; i++) {
      if (kind == "repeated") print "10.1.2.3 /api/v2/orders 512"
      else printf "10.%d.%d.%d /api/v2/orders/%d 512\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256, i
    }
  }' >"$tmp/$1_$2.log"
}

# instructions BINARY KIND LINES: the total instructions of one `once` over that log.
instructions() {
  cat >"$tmp/config.yaml" <<EOF
limits:
  max_series_per_family: $((large + 1))
sources:
  - name: bench
    type: file
    paths: ["$tmp/$2_$3.log"]
    from_beginning: true
    parser: line
    rules: [$tmp/rules.yaml]
EOF
  valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind" \
    "$1" once --config.file="$tmp/config.yaml" >"$tmp/out" 2>"$tmp/valgrind" ||
    { cat "$tmp/valgrind" >&2; exit 1; }
  local expected=1
  [ "$2" = distinct ] && expected=$3
  local series
  series=$(grep -c '^bench_hits_total{' "$tmp/out" || true)
  [ "$series" = "$expected" ] || { echo "$2: $series series, expected $expected" >&2; exit 1; }
  awk '/^(summary|totals):/ { print $2; exit }' "$tmp/callgrind"
}

for kind in repeated distinct; do
  log "$kind" "$small"
  log "$kind" "$large"
done
binaries=("$ADAPTER")
[ -n "$before" ] && binaries=("$before" "$ADAPTER")
for binary in "${binaries[@]}"; do
  for kind in repeated distinct; do
    ir_small=$(instructions "$binary" "$kind" "$small")
    ir_large=$(instructions "$binary" "$kind" "$large")
    echo "$binary $kind: $(((ir_large - ir_small) / (large - small))) instructions a line"
  done
done
