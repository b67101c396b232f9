#!/usr/bin/env bash
# Runs the adapter for real: it follows a log that grows while it runs, serves
# /metrics on a port chosen at run time, and its output must pass
# `promtool check metrics`, count every line exactly once, compress when asked
# and stop cleanly on SIGTERM.
# Usage: test/integration/promtool_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require promtool curl ps getconf || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; rm -rf "$tmp"' EXIT

# Lines already in the file when the adapter starts are skipped (it starts at the end).
for _ in 1 2 3; do access_line GET 200 100 0.010; done >"$tmp/access.log"
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: access
    type: file
    paths: [access.log]
    parser: line
    rules: [$root/rules/library/nginx/combined_request_time.yaml]
YAML
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --web.enable-explain

# Written after start: these are the lines that must be counted, exactly once each.
{
  for _ in $(seq 500); do access_line GET 200 1000 0.004; done
  for _ in $(seq 250); do access_line POST 201 10 0.300; done
  printf 'this is not an access log line\n'
} >>"$tmp/access.log"

wait_for_value '^http_server_requests_total\{http_request_method="GET",http_response_status_code="200"\}' 500
wait_for_value '^http_server_requests_total\{http_request_method="POST",http_response_status_code="201"\}' 250
wait_for_value '^metrics_adapter_lines_unmatched_total\{source="access"\}' 1
# The 3 lines present at start are skipped.
wait_for_value '^metrics_adapter_lines_read_total\{source="access"\}' 751
wait_for_value '^http_server_response_body_size_bytes_total\{http_request_method="GET",http_response_status_code="200"\}' 500000

curl -sf --max-time 5 "$url/metrics" >"$tmp/metrics.txt"
promtool check metrics <"$tmp/metrics.txt" || fail "promtool check metrics complained"
echo "promtool check metrics: clean ($(grep -vc '^#' "$tmp/metrics.txt") samples)"

# The process metrics, against what ps and /proc say of the running adapter.
# Its descriptors are counted with no scrape open; the scrape's own socket
# may add one. A connection of an earlier scrape may still be closing: the
# count is taken again until it is the same before and after a scrape.
count_fds() { find "/proc/$adapter_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
for _ in $(seq 50); do
  fds=$(count_fds)
  curl -sf --max-time 5 "$url/metrics" >"$tmp/metrics.txt"
  [ "$(count_fds)" = "$fds" ] && break
  fds=
  sleep 0.1
done
[ -n "$fds" ] || fail "the adapter's descriptors changed during each of 50 scrapes"
metric() { prom_value "$tmp/metrics.txt" "$1"; }
# within A B FRACTION: |A - B| <= FRACTION * B.
within() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= f * b) }'; }
open_fds=$(metric process_open_fds)
[ "$open_fds" = "$fds" ] || [ "$open_fds" = "$((fds + 1))" ] ||
  fail "process_open_fds is '$open_fds', /proc/$adapter_pid/fd holds $fds (+1 for the scrape)"
rss=$(($(ps -o rss= -p "$adapter_pid") * 1024))
within "$(metric process_resident_memory_bytes)" "$rss" 0.1 ||
  fail "process_resident_memory_bytes $(metric process_resident_memory_bytes), ps says $rss"
vsz=$(($(ps -o vsz= -p "$adapter_pid") * 1024))
within "$(metric process_virtual_memory_bytes)" "$vsz" 0.1 ||
  fail "process_virtual_memory_bytes $(metric process_virtual_memory_bytes), ps says $vsz"
ticks=$(getconf CLK_TCK)
boot=$(awk '$1 == "btime" { print $2 }' /proc/stat)
read -r start cpu < <(awk -v t="$ticks" -v b="$boot" \
  '{ sub(/.*\) /, ""); printf "%.2f %.2f\n", b + $20 / t, ($12 + $13) / t }' "/proc/$adapter_pid/stat")
same_number "$(metric process_start_time_seconds)" "$start" ||
  fail "process_start_time_seconds $(metric process_start_time_seconds), /proc says $start"
ps_start=$(date -d "$(ps -o lstart= -p "$adapter_pid")" +%s)
within "$(metric process_start_time_seconds)" "$ps_start" 1e-9 ||
  fail "process_start_time_seconds $(metric process_start_time_seconds), ps says $ps_start"
awk -v m="$(metric process_cpu_seconds_total)" -v c="$cpu" 'BEGIN { exit !(m > 0 && m <= c) }' ||
  fail "process_cpu_seconds_total $(metric process_cpu_seconds_total), /proc says $cpu since"
limit() {
  awk -v n="$1" 'index($0, n) == 1 { v = substr($0, length(n) + 1); split(v, f, " ");
                   print (f[1] == "unlimited" ? "18446744073709551615" : f[1]) }' \
    "/proc/$adapter_pid/limits"
}
same_number "$(metric process_max_fds)" "$(limit 'Max open files')" ||
  fail "process_max_fds $(metric process_max_fds), limits say $(limit 'Max open files')"
within "$(metric process_virtual_memory_max_bytes)" "$(limit 'Max address space')" 1e-9 ||
  fail "process_virtual_memory_max_bytes $(metric process_virtual_memory_max_bytes)"
echo "process metrics: $open_fds fds ($fds listed), rss $rss, started $start: as ps and /proc say"

curl -sf --max-time 5 -H 'Accept-Encoding: gzip' -D "$tmp/headers" -o "$tmp/metrics.gz" "$url/metrics"
grep -qi '^content-encoding: gzip' "$tmp/headers" || fail "no gzip when the client accepts it"
gzip -dc "$tmp/metrics.gz" | promtool check metrics || fail "gzipped exposition does not check"
[ "$(curl -sf --max-time 5 "$url/healthz")" = ok ] || fail "/healthz"
curl -sf --max-time 5 "$url/readyz" >/dev/null || fail "/readyz"

# The explain debug endpoint (enabled above), and lifecycle endpoints stay off.
access_line PUT 204 0 0.020 >"$tmp/explain.in"
curl -sf --max-time 5 --data-binary @"$tmp/explain.in" "$url/-/explain?source=access" >"$tmp/explain.out" ||
  fail "POST /-/explain"
grep -q '^rule "request" (.*): matched$' "$tmp/explain.out" || fail "explain: no matched rule"
grep -q '^  http_server_requests_total{http_request_method="PUT",http_response_status_code="204"} inc 1$' \
  "$tmp/explain.out" || fail "explain: no update line"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$url/-/explain?source=nope")" = 404 ] ||
  fail "explain of an unknown source should be 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$url/-/reload")" = 404 ] ||
  fail "/-/reload must not exist without --web.enable-lifecycle"
# Explaining counts nothing.
[ "$(value '^http_server_requests_total\{http_request_method="PUT"')" = "" ] || fail "explain changed the counts"

stop_adapter_cleanly
echo "PASS: promtool integration"
