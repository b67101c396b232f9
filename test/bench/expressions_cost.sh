#!/usr/bin/env bash
# What expressions, conditions and state tables cost: the same generated nginx
# access log (gen_access_log: combined + $request_time) through
# `metrics-adapter once` with test/bench/expressions/plain.yaml (plain
# captures, a second regex for slow requests) and expressions.yaml (an
# expression for every value, a rule and an emit condition, a state table
# read and written on every line). The best of --runs (by CPU time) of each
# is printed, and the cost of the second relative to the first.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/bench/lib.sh
. "$repo_root/test/bench/lib.sh"
bench_options "$@"
"$repo_root/scripts/deps.sh" --require /usr/bin/time awk || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/expressions_cost.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bench_build "$build_dir" metrics-adapter gen_access_log
adapter=$build_dir/metrics-adapter
"$build_dir/test/bench/gen_access_log" --lines "$lines" --seed 1 >"$tmp/access.log"

# best_cpu RULES NAME: the best CPU seconds (user + sys) of `runs` runs with
# rule file RULES; the exposition of the last run is kept in $tmp/NAME.prom.
best_cpu() {
  local rules=$1 name=$2
  cat >"$tmp/$name.config.yaml" <<EOF2
sources:
  - name: access
    type: file
    paths: [$tmp/access.log]
    from_beginning: true
    rules: [$rules]
EOF2
  best_cpu_run "$runs" "$name" "$adapter" once --log.level=error --config.file="$tmp/$name.config.yaml"
  awk '{ print $1 }' "$tmp/$name.best"
}

plain=$(best_cpu "$repo_root/test/bench/expressions/plain.yaml" plain)
expr=$(best_cpu "$repo_root/test/bench/expressions/expressions.yaml" expressions)

# Both count every request and the same slow requests.
requests() { awk '/^http_server_requests_total/ { n += $2 } END { print n + 0 }' "$tmp/$1.prom"; }
slow() { awk '/^bench_slow_requests_total/ { n += $2 } END { print n + 0 }' "$tmp/$1.prom"; }
# (The generator's lines with a user name holding spaces or no method are
# left to rules these files do not have: well under 1%.)
if [[ $(requests plain) != "$(requests expressions)" || $(requests plain) -lt $((lines * 99 / 100)) ]]; then
  echo "FAIL: requests counted: plain $(requests plain), expressions $(requests expressions) of $lines" >&2
  exit 1
fi
if [[ $(slow plain) != "$(slow expressions)" ]]; then
  echo "FAIL: slow requests: plain $(slow plain), expressions $(slow expressions)" >&2
  exit 1
fi

awk -v lines="$lines" -v p="$plain" -v e="$expr" 'BEGIN {
  printf "%d lines, best CPU seconds of each:\n", lines
  printf "  plain captures, a regex per condition   %6.2f s  (%.2f us/line)\n", p, p * 1e6 / lines
  printf "  expressions, conditions, a state table  %6.2f s  (%.2f us/line)  %+.1f%%\n", e, e * 1e6 / lines, (e / p - 1) * 100
}'
