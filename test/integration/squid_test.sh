#!/usr/bin/env bash
# rules/library/squid/counters.yaml and access_log.yaml against a real
# Squid (Debian's squid) on 127.0.0.1 with its own config in a temp dir, in
# front of a python3 backend. The adapter reads the cache manager counters
# (an http source on Squid's own port) and follows the native access log
# (a file source). Between two scrapes curl sends through the proxy an
# exactly counted load: a file fetched again and again (a miss, then
# revalidations Squid counts as hits), a missing file (404), a POST the
# backend does not implement (501) and an origin that refuses connections
# (503). The counters' deltas and the log's series must be exactly that
# load; the values must equal Squid's own page and what the reference
# exporter (prometheus-squid-exporter) serves; a stopped Squid gives the
# counters source up 0 and no http_proxy_client_ series.
# Usage: test/integration/squid_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require squid prometheus-squid-exporter python3 curl || exit 1

tmp=$(mktemp -d)
# shellcheck disable=SC2034  # read by name in stop_pid: ${!1}
backend_pid='' squid_pid='' exporter_pid=''
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; stop_pid exporter_pid; stop_pid squid_pid; stop_pid backend_pid; rm -rf "$tmp"' EXIT

# --- The backend and Squid ----------------------------------------------------

pick_ports 3
backend_port=${ports[0]} squid_port=${ports[1]} closed_port=${ports[2]}
mkdir "$tmp/www"
echo hello >"$tmp/www/a.txt"
setsid python3 -m http.server "$backend_port" --bind 127.0.0.1 --directory "$tmp/www" \
  >"$tmp/backend.log" 2>&1 &
# shellcheck disable=SC2034  # stopped by name (stop_pid) in the EXIT trap
backend_pid=$!
# Squid started as root drops to its cache_effective_user (Debian's
# "proxy"), which must be able to write its logs.
mkdir "$tmp/squid"
chmod 755 "$tmp"
chmod 777 "$tmp/squid"
cat >"$tmp/squid/squid.conf" <<CONF
http_port 127.0.0.1:$squid_port
visible_hostname localhost
pid_filename $tmp/squid/squid.pid
cache_log $tmp/squid/cache.log
access_log stdio:$tmp/squid/access.log squid
cache_store_log none
coredump_dir $tmp/squid
cache_mem 8 MB
pinger_enable off
# Every cached copy stale at once: each fetch after the first is a
# revalidation with the backend, whatever the file's age.
refresh_pattern . 0 0% 0
shutdown_lifetime 1 seconds
http_access allow localhost manager
http_access deny manager
http_access allow localhost
http_access deny all
CONF
setsid squid -N -f "$tmp/squid/squid.conf" >"$tmp/squid.out" 2>&1 &
squid_pid=$!
for _ in $(seq 100); do
  curl -sf --max-time 2 "http://127.0.0.1:$squid_port/squid-internal-mgr/counters" >/dev/null 2>&1 &&
    curl -sf --max-time 2 "http://127.0.0.1:$backend_port/a.txt" >/dev/null 2>&1 && break
  kill -0 "$squid_pid" 2>/dev/null || { cat "$tmp/squid.out" "$tmp/squid/cache.log"; fail "squid exited at start"; }
  sleep 0.1
done

# --- The adapter --------------------------------------------------------------

cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: squid_counters
    type: http
    url: http://127.0.0.1:$squid_port/squid-internal-mgr/counters
    timeout: 5s
    rules: [$root/rules/library/squid/counters.yaml]
  - name: squid_log
    type: file
    paths: [$tmp/squid/access.log]
    from_beginning: true
    rules: [$root/rules/library/squid/access_log.yaml]
YAML
start_checked_adapter run

# --- The load -----------------------------------------------------------------

fetches=15 missing=4 posts=3 refused=2
proxy=(curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' -x "127.0.0.1:$squid_port")
scrape_up before squid_counters
{
  for _ in $(seq "$fetches"); do "${proxy[@]}" "http://127.0.0.1:$backend_port/a.txt"; done
  for i in $(seq "$missing"); do "${proxy[@]}" "http://127.0.0.1:$backend_port/missing$i"; done
  for _ in $(seq "$posts"); do "${proxy[@]}" -d x=1 "http://127.0.0.1:$backend_port/a.txt"; done
  for _ in $(seq "$refused"); do "${proxy[@]}" "http://127.0.0.1:$closed_port/"; done
} >"$tmp/codes.txt"
[ "$(sort "$tmp/codes.txt" | uniq -c | awk '{printf "%s:%s ", $2, $1}')" = \
  "200:$fetches 404:$missing 501:$posts 503:$refused " ] ||
  fail "the load got answers $(sort "$tmp/codes.txt" | uniq -c | tr '\n' ' ')"
load=$((fetches + missing + posts + refused))
# Squid has logged the last requests sent. (The log is checked at the end,
# with `once`: every scrape of the adapter adds a line to it, the counters
# source's own request, and is a client request the counters count.)
for _ in $(seq 100); do
  [ "$(grep -c ' TCP_MISS/503 ' "$tmp/squid/access.log" || true)" = "$refused" ] && break
  sleep 0.1
done
[ "$(grep -c ' TCP_MISS/503 ' "$tmp/squid/access.log" || true)" = "$refused" ] ||
  fail "squid logged $(grep -c ' TCP_MISS/503 ' "$tmp/squid/access.log" || true) of $refused 503 requests in 10 s"
# Squid counts an origin request once its server connection is done,
# which may be after the client has its answer: read the page until they
# are all there, and count those reads (each is a client request).
origin=$((fetches + missing + posts))
polls=0
for _ in $(seq 100); do
  polls=$((polls + 1))
  got=$(curl -sf --max-time 5 "http://127.0.0.1:$squid_port/squid-internal-mgr/counters" |
    awk '$1 == "server.http.requests" { print $3 }')
  [ "$got" = "$origin" ] && break
  sleep 0.1
done
[ "$got" = "$origin" ] || fail "squid counts $got origin requests after 10 s, $origin made"
scrape_up after squid_counters

# --- Exactly the load ---------------------------------------------------------

# The load, the first scrape's own cache manager request (counted once it
# was done) and the test's reads of the page.
expect_delta http_proxy_client_requests_total $((load + 1 + polls)) "client requests"
# The first fetch is a miss; refresh_pattern makes the copy stale at once,
# so Squid revalidates each later one (Last-Modified) and counts it a hit.
expect_delta http_proxy_client_hits_total $((fetches - 1)) "revalidated fetches"
# Origin requests: every fetch (revalidations included), 404 and POST; the
# refused origin never got one.
expect_delta 'http_proxy_server_requests_total{protocol="http"}' "$origin" "origin requests"

# --- The same numbers as Squid's and the reference exporter's --------------

curl -sf --max-time 5 "http://127.0.0.1:$squid_port/squid-internal-mgr/counters" >"$tmp/counters.txt" ||
  fail "reading mgr:counters failed"
counter() { awk -v k="$1" '$1 == k { print $3 }' "$tmp/counters.txt"; }
start_exporter prometheus-squid-exporter \
  -squid-hostname 127.0.0.1 -squid-port "$squid_port" -listen 127.0.0.1:@PORT@
grep -q '^squid_up{.*} 1' "$tmp/exporter.prom" || { cat "$tmp/exporter.out"; fail "squid-exporter is not up"; }
# Counters no cache manager request changes (those are client requests
# served by Squid itself: no hit, no origin request).
declare -A same=(
  [http_proxy_client_hits_total]='client_http.hits squid_client_http_hits_total'
  [http_proxy_client_errors_total]='client_http.errors squid_client_http_errors_total'
  ['http_proxy_server_requests_total{protocol="http"}']='server.http.requests squid_server_http_requests_total'
  ['http_proxy_server_errors_total{protocol="http"}']='server.http.errors squid_server_http_errors_total'
  [http_proxy_aborted_requests_total]='aborted_requests -'
)
for series in "${!same[@]}"; do
  read -r key reference <<<"${same[$series]}"
  got=$(prom_value "$tmp/after.prom" "$series")
  [ "$got" = "$(counter "$key")" ] || fail "$series is $got, Squid's $key $(counter "$key")"
  [ "$reference" = - ] || [ "$got" = "$(prom_value "$tmp/exporter.prom" "$reference")" ] ||
    fail "$series is $got, squid-exporter's $reference $(prom_value "$tmp/exporter.prom" "$reference")"
done
# KiB counters, in bytes here.
got=$(prom_value "$tmp/after.prom" 'http_proxy_server_io_bytes_total{protocol="http",network_io_direction="receive"}')
[ "$got" = $(($(counter server.http.kbytes_in) * 1024)) ] ||
  fail "origin bytes received $got, Squid's server.http.kbytes_in $(counter server.http.kbytes_in) KiB"
# The requests before the adapter's second scrape, that scrape, the
# test's own read of the page: all counted by the time the exporter reads.
got=$(prom_value "$tmp/after.prom" http_proxy_client_requests_total)
[ "$(prom_value "$tmp/exporter.prom" squid_client_http_requests_total)" = $((got + 2)) ] ||
  fail "squid-exporter says $(prom_value "$tmp/exporter.prom" squid_client_http_requests_total) client requests, the adapter $got two requests before"
stop_pid exporter_pid

# --- A stopped Squid ----------------------------------------------------------

stop_pid squid_pid
expect_down squid_counters http_proxy_client_ squid

# The whole log, once Squid is stopped and wrote its last line, read by
# `once`: every line a request, the bytes the log's sum.
log=$tmp/squid/access.log
cat >"$tmp/log_only.yaml" <<YAML
sources:
  - name: squid_log
    type: file
    paths: [$log]
    from_beginning: true
    rules: [$root/rules/library/squid/access_log.yaml]
YAML
timeout 60 "$adapter" once --config.file="$tmp/log_only.yaml" >"$tmp/once.prom" 2>"$tmp/once.err" ||
  { cat "$tmp/once.err"; fail "metrics-adapter once failed"; }
lines=$(wc -l <"$log")
same_number "$(prom_sum "$tmp/once.prom" http_proxy_requests_total)" "$lines" ||
  fail "$(prom_sum "$tmp/once.prom" http_proxy_requests_total) requests from the log, it has $lines lines"
same_number "$(prom_sum "$tmp/once.prom" http_proxy_response_size_bytes_total)" \
  "$(awk '{ s += $5 } END { print s }' "$log")" || fail "bytes from the log differ from the log's sum"
same_number "$(prom_sum "$tmp/once.prom" http_proxy_request_duration_seconds_sum)" \
  "$(awk '{ s += $2 } END { printf "%.3f\n", s / 1000 }' "$log")" || fail "durations from the log differ from the log's sum"
for status_want in "404:$missing" "501:$posts" "503:$refused"; do
  status=${status_want%%:*} want=${status_want#*:}
  got=$(awk -v s="$status" 'index($1, "http_proxy_requests_total{") == 1 && index($1, "http_response_status_code=\"" s "\"") { n += $2 } END { print n + 0 }' "$tmp/once.prom")
  [ "$got" = "$want" ] || fail "$got logged requests with status $status, $want sent"
done
got=$(prom_value "$tmp/once.prom" 'http_proxy_requests_total{http_request_method="GET",http_response_status_code="200",cache_result="TCP_REFRESH_UNMODIFIED"}')
[ "$got" = $((fetches - 1)) ] || fail "$got revalidated fetches logged, want $((fetches - 1))"
got=$(prom_value "$tmp/once.prom" 'http_proxy_requests_total{http_request_method="POST",http_response_status_code="501",cache_result="TCP_MISS"}')
[ "$got" = "$posts" ] || fail "$got POSTs logged, $posts sent"
[ "$(prom_value "$tmp/once.prom" 'metrics_adapter_lines_unmatched_total{source="squid_log"}')" = 0 ] ||
  fail "unmatched access log lines"

echo "squid: $load requests through the proxy ($fetches fetches, $missing 404, $posts 501," \
  "$refused 503) counted exactly by the counters and the access log; same values as Squid" \
  "and squid-exporter; down gives up 0"
stop_adapter_cleanly
