#!/usr/bin/env bash
# Slow and idle clients against the running adapter, over real sockets
# (slow_clients.py): the probes must keep answering within their own
# timeouts (Kubernetes' default probe timeout is 1 s) and scrapes within 2 s.
#   - 100 slowloris connections (a request head at one byte a second) and
#     100 POSTs trickling a 1e9-byte body, all reopened when cut, for longer
#     than the read timeout: /healthz, /-/healthy and /metrics answer every
#     time; the adapter cuts them (bad_request, body_timeout) and counts them.
#     The adapter's RSS and threads meanwhile are printed.
#   - 2,000 idle connections: /healthz answers every time.
#   - a 1 GiB body to /metrics gets its 405 with flat memory, a 1 MiB header
#     is refused, explain input over its cap gets 413.
#   - --web.max-requests=2 with a pulled source that takes 2 s: of 6
#     concurrent scrapes 2 render and 4 get 503 at once, counted; /-/ready
#     answers meanwhile; the telemetry path is --web.telemetry-path's.
#   - an explain request trickling in when SIGTERM arrives: the adapter exits
#     0 within 3 s.
# Usage: test/integration/slow_clients_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl python3 sleep || exit 1

tmp=$(mktemp -d)
clients=()
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
cleanup() {
  local pid
  for pid in "${clients[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_adapter
  rm -rf "$tmp"
}
trap cleanup EXIT
slow=$root/test/integration/slow_clients.py
port() { echo "${url##*:}"; }

# probe PATH MAX_SECONDS: the path must answer 200 within MAX_SECONDS.
probe() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$2" "$url$1") || true
  [ "$code" = 200 ] || fail "$1 answered '$code' (000: nothing) within $2 s"
}

# status_of PID: "RSS_KiB threads" of a process.
status_of() { awk '/^VmRSS/ { r = $2 } /^Threads/ { t = $2 } END { print r, t }' "/proc/$1/status"; }

: >"$tmp/app.log"
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: app
    type: file
    paths: [$tmp/app.log]
    rules: [$root/rules/library/nginx/combined_request_time.yaml]
YAML

echo "== 200 slow connections held past the read timeout"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --web.enable-explain --web.read-timeout=3s
: >"$tmp/headers.out"
: >"$tmp/body.out"
timeout 60 python3 "$slow" hold "$(port)" headers 100 9 >"$tmp/headers.out" &
clients+=($!)
timeout 60 python3 "$slow" hold "$(port)" body 100 9 >"$tmp/body.out" &
clients+=($!)
for _ in $(seq 100); do
  [ "$(cat "$tmp/headers.out" "$tmp/body.out" | grep -c ready)" = 2 ] && break
  sleep 0.1
done
[ "$(cat "$tmp/headers.out" "$tmp/body.out" | grep -c ready)" = 2 ] || fail "slow clients did not connect"
peak_rss=0
for _ in $(seq 14); do
  probe /healthz 1
  probe /-/healthy 1
  probe /metrics 2
  read -r rss threads < <(status_of "$adapter_pid")
  [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
  sleep 0.5
done
echo "held: RSS peak ${peak_rss} KiB, ${threads} threads"
wait "${clients[@]}"
clients=()
grep -q '^closed=' "$tmp/headers.out" || fail "header client did not finish"
cut_heads=$(value 'metrics_adapter_http_connections_dropped_total\{reason="bad_request"\}')
cut_bodies=$(value 'metrics_adapter_http_connections_dropped_total\{reason="body_timeout"\}')
echo "cut: $cut_heads slow heads, $cut_bodies slow bodies; clients saw $(cat "$tmp/headers.out" "$tmp/body.out" | tr '\n' ' ')"
[ "${cut_heads:-0}" -ge 100 ] || fail "slow heads cut: '$cut_heads', want at least 100"
[ "${cut_bodies:-0}" -ge 100 ] || fail "slow bodies cut: '$cut_bodies', want at least 100"
healthz=$(value 'metrics_adapter_http_requests_total\{code="200",handler="/healthz"\}')
[ "$healthz" = 14 ] || fail "healthz counted $healthz, sent 14"

echo "== 2,000 idle connections"
timeout 60 python3 "$slow" hold "$(port)" idle 2000 6 >"$tmp/idle.out" &
clients+=($!)
for _ in $(seq 200); do grep -q ready "$tmp/idle.out" && break; sleep 0.1; done
grep -q ready "$tmp/idle.out" || fail "2,000 idle connections not opened"
for _ in $(seq 5); do
  probe /healthz 1
  sleep 0.5
done
wait "${clients[@]}"
clients=()

echo "== large heads and bodies"
read -r rss_before _ < <(status_of "$adapter_pid")
code=$(python3 "$slow" bigbody "$(port)" /metrics 1073741824)
[ "$code" = 405 ] || fail "1 GiB POST /metrics answered '$code', want 405"
read -r rss_after _ < <(status_of "$adapter_pid")
echo "1 GiB body drained: RSS ${rss_before} -> ${rss_after} KiB"
[ $((rss_after - rss_before)) -lt 65536 ] || fail "RSS grew from $rss_before to $rss_after KiB"
refused=$(value 'metrics_adapter_http_connections_dropped_total\{reason="bad_request"\}')
code=$(python3 "$slow" bighead "$(port)" 1048576)
case $code in
  400 | 413 | reset) ;;
  *) fail "a 1 MiB header answered '$code'" ;;
esac
wait_for_value 'metrics_adapter_http_connections_dropped_total\{reason="bad_request"\}' $((refused + 1))
code=$(head -c 100000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
  --data-binary @- "$url/-/explain?source=app") || true
[ "$code" = 413 ] || fail "100 kB of explain input answered '$code', want 413"
probe /healthz 1
stop_adapter_cleanly

echo "== --web.max-requests with renders that take 2 s"
cat >"$tmp/slow.yaml" <<YAML
sources:
  - name: slow_upstream
    type: exec
    command: [sleep, "2"]
    timeout: 5s
    rules: [$root/rules/library/nginx/stub_status.yaml]
YAML
start_adapter "$adapter" --config.file="$tmp/slow.yaml" --web.max-requests=2 --web.telemetry-path=/prom
for i in $(seq 6); do
  curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$url/prom" >"$tmp/scrape.$i" &
  clients+=($!)
done
sleep 0.5
probe /-/ready 1
probe /readyz 1
wait "${clients[@]}"
clients=()
ok=$(cat "$tmp"/scrape.* | grep -c '^200$' || true)
busy=$(cat "$tmp"/scrape.* | grep -c '^503$' || true)
echo "6 concurrent scrapes: $ok rendered, $busy got 503"
[ "$ok/$busy" = 2/4 ] || fail "$ok scrapes rendered and $busy got 503, want 2 and 4"
page=$(curl -sS --max-time 10 "$url/prom")
rejected=$(awk '$1 == "metrics_adapter_http_scrapes_rejected_total" { print $2 }' <<<"$page")
[ "$rejected" = 4 ] || fail "scrapes_rejected_total is '$rejected', want 4"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/metrics") || true
[ "$code" = 404 ] || fail "/metrics answered $code with --web.telemetry-path=/prom"
landing=$(curl -sS --max-time 2 "$url/")
grep -q '<td>slow_upstream</td><td>exec</td>' <<<"$landing" || fail "landing page lists no source: $landing"
grep -q 'href="/prom"' <<<"$landing" || fail "landing page does not link the telemetry path"
stop_adapter_cleanly

echo "== SIGTERM while an explain body trickles in"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --web.enable-explain
timeout 60 python3 "$slow" trickle "$(port)" "/-/explain?source=app" 30 >"$tmp/trickle.out" &
clients+=($!)
for _ in $(seq 100); do grep -q sending "$tmp/trickle.out" && break; sleep 0.1; done
grep -q sending "$tmp/trickle.out" || fail "the explain client did not connect"
sleep 1
kill -TERM "$adapter_pid"
started=$(date +%s%N)
for _ in $(seq 30); do kill -0 "$adapter_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$adapter_pid" 2>/dev/null && fail "still running 3 s after SIGTERM"
status=0
wait "$adapter_pid" || status=$?
adapter_pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
echo "exited $(( ($(date +%s%N) - started) / 1000000 )) ms after SIGTERM"
wait "${clients[@]}"
clients=()
[ "$(sed -n 2p "$tmp/trickle.out")" = 503 ] || fail "the trickling explain got '$(sed -n 2p "$tmp/trickle.out")', want 503"
echo "OK"
