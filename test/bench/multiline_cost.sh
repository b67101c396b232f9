#!/usr/bin/env bash
# What `multiline:` costs: the same lines through `metrics-adapter once`,
# read by a file source without and with a multiline block, same rules.
#
#   access  an nginx access log from gen_access_log (combined + $request_time)
#           with nginx/combined_request_time.yaml; with `multiline: {start: '^\d'}`
#           every line is a record of its own: the joiner's whole cost (one
#           regex test and one copy per line) with nothing joined.
#   python  a Python `logging` log, generated here: INFO lines, and every
#           third event an ERROR with a traceback of 7 more lines, with
#           test/integration/multiline/python_exceptions.yaml; with
#           multiline each traceback is part of its record (without, the
#           traceback lines are unmatched records and no exception counts).
#
# Each run's exposition is checked (every request counted; every traceback
# counted once with multiline); the best of --runs (by CPU time) is printed,
# with the CPU cost of multiline relative to the run without.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/bench/lib.sh
. "$repo_root/test/bench/lib.sh"
bench_options "$@"
"$repo_root/scripts/deps.sh" --require /usr/bin/time || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/multiline_cost.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bench_build "$build_dir" metrics-adapter gen_access_log
adapter=$build_dir/metrics-adapter

# --- Inputs --------------------------------------------------------------------

"$build_dir/test/bench/gen_access_log" --lines "$lines" --seed 1 >"$tmp/access.log"
# Events of 1 line (INFO) or 9 (ERROR, a traceback, the exception) until
# `lines` lines; tracebacks are counted as written.
awk -v lines="$lines" -v out="$tmp/python.log" -v count="$tmp/tracebacks" 'BEGIN {
  split("ValueError KeyError ZeroDivisionError TimeoutError PaymentDeclined", classes, " ")
  n = 0; e = 0; tracebacks = 0
  while (n < lines) {
    ts = sprintf("2026-12-02 10:%02d:%02d,%03d", int(e / 60000) % 60, int(e / 1000) % 60, e % 1000)
    if (e % 3 == 2 && n + 9 <= lines) {
      printf "%s ERROR shop.checkout: order %d failed\n", ts, e > out
      print "Traceback (most recent call last):" > out
      printf "  File \"/srv/shop/checkout.py\", line %d, in handle\n", 100 + e % 50 > out
      print "    result = self.charge(order)" > out
      print "             ^^^^^^^^^^^^^^^^^^" > out
      printf "  File \"/srv/shop/payment.py\", line %d, in charge\n", 20 + e % 30 > out
      print "    raise PaymentError(response.reason)" > out
      printf "%s: order %d: upstream said no\n", classes[1 + e % 5], e > out
      n += 8; tracebacks++
    } else {
      printf "%s INFO shop.checkout: order %d received from 10.0.%d.%d\n", ts, e, e % 256, e % 200 > out
      n += 1
    }
    e++
  }
  print tracebacks > count
}'
tracebacks=$(cat "$tmp/tracebacks")

# config NAME LOG RULES [START]: an adapter config reading LOG from its start,
# with `multiline: {start: START}` if given.
config() {
  cat >"$tmp/$1.yaml" <<YAML
sources:
  - name: $1
    type: file
    paths: ["$2"]
    from_beginning: true
    rules: ["$3"]
YAML
  if [[ -n ${4:-} ]]; then printf "    multiline: {start: '%s'}\n" "$4" >>"$tmp/$1.yaml"; fi
}
config access_plain "$tmp/access.log" "$repo_root/rules/library/nginx/combined_request_time.yaml"
config access_multiline "$tmp/access.log" "$repo_root/rules/library/nginx/combined_request_time.yaml" '^\d'
python_rules=$repo_root/test/integration/multiline/python_exceptions.yaml
config python_plain "$tmp/python.log" "$python_rules"
config python_multiline "$tmp/python.log" "$python_rules" '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} '

# --- Runs ----------------------------------------------------------------------

# sample NAME SERIES_PREFIX: the sum of the samples whose name starts with it.
sample() { awk -v p="$2" 'index($1, p) == 1 { s += $2 } END { print s + 0 }' "$tmp/$1.prom"; }

check() {  # check WHAT GOT WANT
  [[ $2 == "$3" ]] || { echo "error: $1 is $2, want $3" >&2; exit 1; }
}

for name in access_plain access_multiline python_plain python_multiline; do
  echo "==> $name" >&2
  best_cpu_run "$runs" "$name" "$adapter" once --config.file="$tmp/$name.yaml"
done
for name in access_plain access_multiline; do
  check "$name requests" "$(sample "$name" 'http_server_requests_total{')" "$lines"
done
check "python_plain exceptions" "$(sample python_plain 'app_exceptions_total{')" 0
check "python_multiline exceptions" "$(sample python_multiline 'app_exceptions_total{')" "$tracebacks"

printf '%-8s %-10s %9s %9s %7s %7s %13s %8s %6s\n' case multiline lines records "wall s" "CPU s" \
  "lines/s CPU" "RSS MiB" cost
for case in access python; do
  base=
  for variant in plain multiline; do
    name=${case}_$variant
    read -r cpu wall rss <"$tmp/$name.best"
    records=$(sample "$name" 'metrics_adapter_lines_read_total{')
    [[ -n $base ]] || base=$cpu
    awk -v c="$case" -v v="$([[ $variant == plain ]] && echo no || echo yes)" -v l="$lines" \
      -v r="$records" -v w="$wall" -v u="$cpu" -v m="$rss" -v b="$base" 'BEGIN {
        cost = (v == "yes") ? sprintf("%+.0f%%", (u / b - 1) * 100) : "-"
        printf "%-8s %-10s %9d %9d %7.2f %7.2f %13.0f %8.1f %6s\n", c, v, l, r, w, u, l / u, m / 1024, cost
      }'
  done
done
echo "($runs runs each, best CPU time; $(nproc) cores; python log: $tracebacks tracebacks)"
