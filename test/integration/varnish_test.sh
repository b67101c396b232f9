#!/usr/bin/env bash
# Varnish through the shipped rule file rules/library/varnish/varnishstat.yaml:
# a real varnishd (Debian `varnish`) on 127.0.0.1 with a private work dir
# (-n), in front of a python3 http.server backend, with a VCL that passes
# /pass and answers /synth itself. The test sends an exactly counted mix of
# hits, misses, passes, synthetic answers and requests Varnish rejects (400,
# 417); the running adapter runs `varnishstat -n DIR -j` at each scrape (an
# `exec` source) and must report exactly that load, exactly what
# `varnishstat -1` reports right after, and exactly what
# prometheus-varnish-exporter (Debian's reference exporter) reports for the
# same counters.
#
# Usage: test/integration/varnish_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root"/scripts/deps.sh --require varnishd varnishstat prometheus-varnish-exporter python3 curl setsid ||
  exit 1
export PATH="$PATH:/usr/sbin:/sbin"

tmp=$(mktemp -d)
# mktemp -d is 0700; varnish's unprivileged child reads its work dir here.
chmod 755 "$tmp"
# shellcheck source=test/integration/lib.sh
source "$root/test/integration/lib.sh"

backend_pid=
server_pid=
exporter_pid=
cleanup() {
  stop_adapter
  stop_server
  local pid
  for pid in "$backend_pid" "$exporter_pid"; do
    [ -n "$pid" ] || continue
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- The backend and varnish --------------------------------------------------

mkdir -p "$tmp/www/pass"
echo "cached page" >"$tmp/www/page.txt"
echo "passed page" >"$tmp/www/pass/page.txt"
start_static_backend "$tmp/www"

cat >"$tmp/default.vcl" <<VCL
vcl 4.1;
backend default { .host = "127.0.0.1"; .port = "$backend_port"; }
sub vcl_recv {
  if (req.url ~ "^/pass") { return (pass); }
  if (req.url ~ "^/synth") { return (synth(204)); }
}
VCL
# write_varnish_conf PORT: varnishd takes its listen address on the command
# line, so the "config" start_server_on_free_port writes is the command.
# -F: in the foreground; -T none: no management port; the shared memory
# varnishstat reads is in the -n dir; one malloc storage, s0, of 16 MiB.
write_varnish_conf() {
  cat >"$tmp/varnish.sh" <<SH
exec varnishd -F -n "$tmp/varnish" -a "127.0.0.1:$1" -f "$tmp/default.vcl" \\
  -P "$tmp/varnish.pid" -s s0=malloc,16m -T none
SH
}
start_server_on_free_port varnish write_varnish_conf "$tmp/varnish.pid" "$tmp/varnish.err" -- \
  sh "$tmp/varnish.sh"
varnish_port=$port
for _ in $(seq 100); do
  port_listening "$varnish_port" && break
  sleep 0.1
done
port_listening "$varnish_port" || fail "varnish does not listen on $varnish_port"
echo "$(varnishd -V 2>&1 | head -n 1) listening on 127.0.0.1:$varnish_port"

# --- The load -----------------------------------------------------------------

get() { # get PATH WANT_STATUS
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 5 \
    "http://127.0.0.1:$varnish_port$1") || true
  [ "$code" = "$2" ] || fail "GET $1 through varnish answered '$code', want $2"
}
raw() { # raw PRINTF_FORMAT WANT_STATUS: a request curl would not send
  local code
  # shellcheck disable=SC2016 # the inner shell expands $1 and $2
  code=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "$2" >&3; cat <&3' \
    _ "$varnish_port" "$1" | sed -n '1s/^HTTP\/1\.[01] \([0-9][0-9][0-9]\).*/\1/p') || true
  [ "$code" = "$2" ] || fail "raw request '$1' answered '$code', want $2"
}
hits=9 passes=3 synths=2
get /page.txt 200 # a miss
for _ in $(seq "$hits"); do get /page.txt 200; done
for _ in $(seq "$passes"); do get /pass/page.txt 200; done
for _ in $(seq "$synths"); do get /synth 204; done
get /missing 404 # a miss; the backend's 404 is cached
raw 'GET /a b c d HTTP/1.1\r\nHost: x\r\n\r\n' 400
raw 'GET /page.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-bogus\r\n\r\n' 417

# --- The adapter ----------------------------------------------------------------

cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: varnish
    type: exec
    command: [varnishstat, -n, "$tmp/varnish", -j]
    timeout: 5s
    rules: [$root/rules/library/varnish/varnishstat.yaml]
YAML
start_checked_adapter run --config.watch-interval=0s

scrape() {
  curl -sf --noproxy '*' --max-time 30 -o "$tmp/metrics.txt" "$url/metrics" || fail "scrape failed"
}
sample() { prom_value "$tmp/metrics.txt" "$1"; }
is() { # is SERIES WANT [WHY]
  local got
  got=$(sample "$1")
  if [ -z "$got" ] || ! same_number "$got" "$2"; then
    fail "$1 is '${got:-absent}', want $2${3:+ ($3)}"
  fi
}

# Varnish adds its worker threads' counts to the totals within a second:
# scrape until the last request is in (bounded).
requests=$((1 + hits + passes + synths + 1))
for _ in $(seq 50); do
  scrape
  [ "$(sample 'varnish_client_requests_rejected_total{http_response_status_code="417"}')" = 1 ] &&
    [ "$(sample cache_misses_total)" = 2 ] && break
  sleep 0.2
done
is 'metrics_adapter_source_up{source="varnish"}' 1

# The load, exactly.
is cache_hits_total "$hits"
is cache_misses_total 2 "the page and the missing page, once each"
is cache_items 2
is 'varnish_requests_total{handling="pass"}' "$passes"
is 'varnish_requests_total{handling="synth"}' "$synths"
is 'varnish_requests_total{handling="pipe"}' 0
is 'varnish_client_requests_rejected_total{http_response_status_code="400"}' 1 "spaces in the target"
is 'varnish_client_requests_rejected_total{http_response_status_code="417"}' 1 "an Expect Varnish does not know"
is varnish_backend_fetches_total $((2 + passes)) "two misses and the passes"
is 'varnish_backend_requests_total{backend="boot.default"}' $((2 + passes))
is varnish_backend_fetch_failures_total 0
is 'varnish_storage_bytes{storage="s0",state="used"}' \
  "$(awk -v u="$(sample 'varnish_storage_bytes{storage="s0",state="free"}')" 'BEGIN { print 16777216 - u }')" \
  "-s s0=malloc,16m: used + free"
is varnish_sessions_dropped_total 0
is varnish_threads_failed_total 0

# Every mapped counter as varnishstat itself prints it right after the
# scrape: nothing has reached varnish since.
varnishstat -n "$tmp/varnish" -1 >"$tmp/varnishstat.txt" || fail "varnishstat -1 failed"
counter() { awk -v c="$1" '$1 == c { print $2; exit }' "$tmp/varnishstat.txt"; }
checked=0
while read -r series counters; do
  want=0
  for c in ${counters//+/ }; do want=$((want + $(counter "$c"))); done
  is "$series" "$want" "varnishstat's $counters"
  checked=$((checked + 1))
done <<'COUNTERS'
server_requests_total MAIN.client_req
server_connections_accepted_total MAIN.sess_conn
cache_hits_total MAIN.cache_hit
cache_misses_total MAIN.cache_miss
cache_items MAIN.n_object
cache_evictions_total MAIN.n_lru_nuked
cache_expirations_total MAIN.n_expired
server_network_io_bytes_total{network_io_direction="receive"} MAIN.s_req_hdrbytes+MAIN.s_req_bodybytes
server_network_io_bytes_total{network_io_direction="transmit"} MAIN.s_resp_hdrbytes+MAIN.s_resp_bodybytes
varnish_requests_total{handling="hitpass"} MAIN.cache_hitpass
varnish_requests_total{handling="hitmiss"} MAIN.cache_hitmiss
varnish_backend_connections_total{state="success"} MAIN.backend_conn
varnish_backend_connections_total{state="reuse"} MAIN.backend_reuse
varnish_backend_connections_total{state="fail"} MAIN.backend_fail
varnish_threads MAIN.threads
varnish_threads_limited_total MAIN.threads_limited
varnish_thread_queue_length MAIN.thread_queue_len
varnish_sessions_queued_total MAIN.sess_queued
varnish_session_accept_failures_total MAIN.sess_fail
varnish_storage_bytes{storage="s0",state="used"} SMA.s0.g_bytes
varnish_storage_bytes{storage="s0",state="free"} SMA.s0.g_space
varnish_storage_allocation_failures_total{storage="s0"} SMA.s0.c_fail
COUNTERS
echo "varnish: $requests requests and 2 rejected ones counted exactly; $checked series equal to varnishstat's counters"

# prometheus-varnish-exporter runs varnishstat -j itself: the same counters
# under its names.
start_exporter prometheus-varnish-exporter -n "$tmp/varnish" -web.listen-address 127.0.0.1:@PORT@
mv "$tmp/exporter.prom" "$tmp/reference.txt"
stop_pid exporter_pid
compared=0
while read -r series reference; do
  want=$(prom_value "$tmp/reference.txt" "$reference")
  [ -n "$want" ] || fail "prometheus-varnish-exporter has no $reference"
  is "$series" "$want" "prometheus-varnish-exporter's $reference"
  compared=$((compared + 1))
done <<'REFERENCE'
server_requests_total varnish_main_client_req
server_connections_accepted_total varnish_main_sessions{type="conn"}
varnish_sessions_dropped_total varnish_main_sessions{type="dropped"}
varnish_session_accept_failures_total varnish_main_sessions{type="fail"}
cache_hits_total varnish_main_cache_hit
cache_misses_total varnish_main_cache_miss
cache_items varnish_main_n_object
cache_evictions_total varnish_main_n_lru_nuked
cache_expirations_total varnish_main_n_expired
varnish_requests_total{handling="pass"} varnish_main_s_pass
varnish_requests_total{handling="synth"} varnish_main_s_synth
varnish_requests_total{handling="pipe"} varnish_main_s_pipe
varnish_requests_total{handling="hitpass"} varnish_main_cache_hitpass
varnish_client_requests_rejected_total{http_response_status_code="400"} varnish_main_client_req_400
varnish_client_requests_rejected_total{http_response_status_code="417"} varnish_main_client_req_417
varnish_backend_connections_total{state="success"} varnish_main_backend_conn
varnish_backend_fetches_total varnish_main_fetch_total
varnish_backend_fetch_failures_total varnish_main_fetch{type="failed"}
varnish_backend_requests_total{backend="boot.default"} varnish_backend_req{backend="default",server="unknown"}
varnish_threads varnish_main_threads
varnish_threads_limited_total varnish_main_threads_limited
varnish_threads_failed_total varnish_main_threads_failed
varnish_storage_bytes{storage="s0",state="used"} varnish_sma_g_bytes{type="s0"}
varnish_storage_bytes{storage="s0",state="free"} varnish_sma_g_space{type="s0"}
varnish_storage_allocation_failures_total{storage="s0"} varnish_sma_c_fail{type="s0"}
REFERENCE
echo "varnish: $compared series equal to prometheus-varnish-exporter's"
stop_adapter_cleanly
echo "PASS: varnish through varnishstat -j ($requests requests; $checked counters; $compared reference series)"
