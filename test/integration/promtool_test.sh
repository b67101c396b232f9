#!/usr/bin/env bash
# Runs the adapter for real: it follows a log that grows while it runs, serves
# /metrics on a port chosen at run time, and its output must pass
# `promtool check metrics`, count every line exactly once, compress when asked
# and stop cleanly on SIGTERM.
# Usage: test/integration/promtool_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v promtool >/dev/null || { echo "FAIL: promtool not found (Debian package prometheus)"; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- adapter log:"; cat "$tmp/adapter.log" || true; exit 1; }

line() {  # line METHOD STATUS BYTES SECONDS
  printf '10.0.0.%d - - [25/Nov/2026:10:00:00 +0000] "%s /item/%d HTTP/1.1" %s %s "-" "curl/8.0" %s\n' \
    "$((RANDOM % 250))" "$1" "$RANDOM" "$2" "$3" "$4"
}

# Lines already in the file when the adapter starts are skipped (it starts at the end).
for _ in 1 2 3; do line GET 200 100 0.010; done >"$tmp/access.log"
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: access
    type: file
    paths: [access.log]
    parser: line
    rules: [$root/rules/library/nginx/combined_request_time.yaml]
YAML

"$adapter" --config.file="$tmp/adapter.yaml" --web.listen-address=127.0.0.1:0 2>"$tmp/adapter.log" &
pid=$!

port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/adapter.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "adapter exited at start"
  sleep 0.1
done
[ -n "$port" ] || fail "adapter did not report its port within 10 s"
url="http://127.0.0.1:$port"

# Written after start: these are the lines that must be counted, exactly once each.
for _ in $(seq 500); do line GET 200 1000 0.004; done >>"$tmp/access.log"
for _ in $(seq 250); do line POST 201 10 0.300; done >>"$tmp/access.log"
printf 'this is not an access log line\n' >>"$tmp/access.log"

value() {  # value SERIES_REGEX: the sample value of the first matching series, or empty
  curl -sf --max-time 5 "$url/metrics" | awk -v re="$1" '$0 ~ re { print $NF; exit }'
}
get_series='^http_server_requests_total\{http_request_method="GET",http_response_status_code="200"\}'
post_series='^http_server_requests_total\{http_request_method="POST",http_response_status_code="201"\}'
for _ in $(seq 100); do
  [ "$(value "$get_series")" = 500 ] && [ "$(value "$post_series")" = 250 ] && break
  sleep 0.1
done
[ "$(value "$get_series")" = 500 ] || fail "GET 200 count is '$(value "$get_series")', want 500"
[ "$(value "$post_series")" = 250 ] || fail "POST 201 count is '$(value "$post_series")', want 250"
[ "$(value '^metrics_adapter_lines_unmatched_total\{source="access"\}')" = 1 ] ||
  fail "unmatched lines should be 1"
[ "$(value '^metrics_adapter_lines_read_total\{source="access"\}')" = 751 ] ||
  fail "lines read should be 751 (the 3 lines present at start are skipped)"
[ "$(value '^http_server_response_body_size_bytes_total\{http_request_method="GET",http_response_status_code="200"\}')" = 500000 ] ||
  fail "GET bytes should be 500000"

curl -sf --max-time 5 "$url/metrics" >"$tmp/metrics.txt"
promtool check metrics <"$tmp/metrics.txt" || fail "promtool check metrics complained"
echo "promtool check metrics: clean ($(grep -vc '^#' "$tmp/metrics.txt") samples)"

curl -sf --max-time 5 -H 'Accept-Encoding: gzip' -D "$tmp/headers" -o "$tmp/metrics.gz" "$url/metrics"
grep -qi '^content-encoding: gzip' "$tmp/headers" || fail "no gzip when the client accepts it"
gzip -dc "$tmp/metrics.gz" | promtool check metrics || fail "gzipped exposition does not check"
[ "$(curl -sf --max-time 5 "$url/healthz")" = ok ] || fail "/healthz"
curl -sf --max-time 5 "$url/readyz" >/dev/null || fail "/readyz"

kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "still running 5 s after SIGTERM"; fi
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
echo "PASS: promtool integration"
