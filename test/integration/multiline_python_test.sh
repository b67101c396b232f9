#!/usr/bin/env bash
# Multi-line records from a real Python program: python_app.py logs COUNT
# exceptions with their tracebacks (logger.exception) through the `logging`
# module while the adapter follows the log with `multiline: {start: ...}`.
# Every logged exception must be exactly one record, counted under its class
# (a bounded label: classes outside the rule file's set count as _OTHER), and
# every INFO record once; no record may be cut or begin without its start
# line. `once` over the finished log must give the same numbers.
# Usage: test/integration/multiline_python_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require python3 curl || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; rm -rf "$tmp"' EXIT

count=300
here=$root/test/integration/multiline
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: python
    type: file
    paths: [app.log]
    from_beginning: true
    rules: [$here/python_exceptions.yaml]
    multiline:
      start: '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} '
      flush_after: 200ms
YAML
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"

timeout 120 python3 "$here/python_app.py" "$tmp/app.log" "$count" >"$tmp/logged.txt" ||
  fail "python_app.py failed"
declare -A logged
while read -r name number; do logged[$name]=$number; done <"$tmp/logged.txt"
[ "${logged[INFO]}" = "$count" ] || fail "python_app.py logged ${logged[INFO]} INFO records"

# The exposition's name for each class: the bounded set, else _OTHER.
label_of() {
  case $1 in
    ValueError | KeyError | ZeroDivisionError | TimeoutError | IndexError) echo "$1" ;;
    *) echo _OTHER ;;
  esac
}
declare -A want
for name in "${!logged[@]}"; do
  [ "$name" = INFO ] && continue
  label=$(label_of "$name")
  want[$label]=$((${want[$label]:-0} + logged[$name]))
done
[ "${#want[@]}" -ge 5 ] || fail "python_app.py logged only ${!want[*]}"

# The last record is complete once flush_after has passed without a line.
wait_for_value '^app_log_records_total[{]level="ERROR"[}]' "$count"
wait_for_value '^app_log_records_total[{]level="INFO"[}]' "$count"
curl -sf --max-time 5 "$url/metrics" >"$tmp/run.prom" || fail "scrape failed"
timeout 60 "$adapter" once --config.file="$tmp/adapter.yaml" >"$tmp/once.prom" 2>"$tmp/once.err" ||
  { cat "$tmp/once.err"; fail "metrics-adapter once failed"; }

records=$((2 * count))
size=$(stat -c %s "$tmp/app.log")
for mode in run once; do
  prom=$tmp/$mode.prom
  for label in "${!want[@]}"; do
    got=$(prom_value "$prom" "app_exceptions_total{exception=\"$label\"}")
    [ "$got" = "${want[$label]}" ] || fail "$mode: $label counted '$got' times, logged ${want[$label]}"
  done
  same_number "$(prom_sum "$prom" app_exceptions_total)" "$count" ||
    fail "$mode: $(prom_sum "$prom" app_exceptions_total) exceptions counted, $count logged"
  for series in "metrics_adapter_lines_read_total{source=\"python\"} $records" \
    "metrics_adapter_lines_unmatched_total{source=\"python\"} 0" \
    "metrics_adapter_bytes_read_total{source=\"python\"} $size"; do
    got=$(prom_value "$prom" "${series% *}")
    [ "$got" = "${series##* }" ] || fail "$mode: ${series% *} is '$got', want ${series##* }"
  done
  got=$(awk '/^metrics_adapter_rule_matches_total[{]rule="exception",/ { print $2 }' "$prom")
  [ "$got" = "$count" ] || fail "$mode: the exception rule matched '$got' records, want $count"
  ! grep -q '^metrics_adapter_records_\(cut\|without_start\)_total' "$prom" ||
    fail "$mode: records were cut or began without a start: $(grep '^metrics_adapter_records_' "$prom")"
done
echo "python logging: $count tracebacks and $count INFO lines ($records records," \
  "$(wc -l <"$tmp/app.log") lines): each counted once under its class, running and in once"
stop_adapter_cleanly
