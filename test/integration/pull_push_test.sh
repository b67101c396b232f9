#!/usr/bin/env bash
# Pulled and pushed sources together, with every way an upstream can fail.
# A small upstream (python3's http.server, on 127.0.0.1) serves a JSON status
# page, a slow page, a 503, a 20 MB page and broken JSON; one source points
# at a closed port. Each scrape of the adapter must answer in time, report
# `up` 1 only for the healthy sources, leave the failed ones' series absent,
# count the failures by reason, and keep the statsd listener counting every
# packet sent to it, junk and oversized packets dropped and counted, and
# datagrams the kernel drops for a full receive buffer counted exactly.
# Usage: test/integration/pull_push_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require python3 curl || exit 1

tmp=$(mktemp -d)
upstream_pid=
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
cleanup() {
  if [ -n "$upstream_pid" ]; then kill "$upstream_pid" 2>/dev/null || true; fi
  stop_adapter
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/upstream.py" <<'PY'
import http.server, json, sys, time

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def send(self, code, body):
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:
            pass  # the adapter gave up (timeout, size limit), as it should
    def do_GET(self):
        if self.path == "/status":
            self.send(200, json.dumps({"connections": {"active": 7, "idle": 3},
                                       "requests": 1234, "healthy": True}).encode())
        elif self.path == "/slow":
            time.sleep(3)
            self.send(200, b'{"requests": 1}')
        elif self.path == "/broken":
            self.send(503, b'{"error": "down"}')
        elif self.path == "/huge":
            self.send(200, b'{"pad": "' + b"x" * (20 << 20) + b'"}')
        elif self.path == "/malformed":
            self.send(200, b'{"uptime": 5, "oops"')
        else:
            self.send(404, b"{}")

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$tmp/upstream.py" >"$tmp/upstream.port" 2>"$tmp/upstream.log" &
upstream_pid=$!
for _ in $(seq 100); do [ -s "$tmp/upstream.port" ] && break; sleep 0.05; done
upstream=$(head -1 "$tmp/upstream.port")
[ -n "$upstream" ] || fail "the upstream did not start"
# A port nobody listens on: bind one, remember it, let it go.
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$tmp/status.yaml" <<'YAML'
parser: json
# Six sources pull pages of this one format: each tells its series apart
# with its own `upstream` label.
source_labels: [upstream]
metrics:
  - {name: app_connections, type: gauge, help: Open connections by state., labels: [state]}
  - {name: app_requests_total, type: counter, help: Requests served., labels: [app_instance]}
  - {name: app_healthy, type: gauge, help: Whether the app says it is healthy., labels: []}
rules:
  - name: connections
    match: '^connections\.(?P<state>active|idle)$'
    emit: [{metric: app_connections, set: $value, labels: {state: $state}}]
  - name: requests
    match: '^requests$'
    emit: [{metric: app_requests_total, set: $value, labels: {app_instance: "${label.instance}"}}]
  - name: healthy
    match: '^healthy$'
    emit: [{metric: app_healthy, set: $value}]
tests:
  - input: '{"connections": {"active": 2}, "requests": 9, "healthy": false}'
    expect: |
      app_connections{state="active"} 2
      app_requests_total{app_instance=""} 9
      app_healthy 0
YAML
cat >"$tmp/statsd.yaml" <<'YAML'
parser: statsd
metrics:
  - {name: app_jobs_total, type: counter, help: Jobs done., labels: [queue]}
  - {name: app_job_duration_seconds, type: histogram, help: Job duration., labels: [queue], buckets: [0.01, 0.1, 1]}
rules:
  - name: jobs
    match: '^jobs\.(?P<queue>[a-z]+)\.done$'
    emit: [{metric: app_jobs_total, add: $value, labels: {queue: $queue}}]
  - name: duration
    match: '^jobs\.(?P<queue>[a-z]+)\.duration$'
    emit: [{metric: app_job_duration_seconds, observe: $value, unit: ms, labels: {queue: $queue}}]
tests:
  - input: "jobs.mail.done:2|c\njobs.mail.duration:50|ms"
    expect: |
      app_jobs_total{queue="mail"} 2
      app_job_duration_seconds_count{queue="mail"} 1
YAML
pull() {  # pull NAME PATH [extra yaml]
  printf '  - {name: %s, type: http, url: "http://127.0.0.1:%s%s", timeout: 500ms, max_body_bytes: 1048576, rules: [status.yaml], labels: {upstream: %s}}\n' "$1" "$2" "$3" "$1"
}
{
  echo "sources:"
  pull ok "$upstream" /status
  pull slow "$upstream" /slow
  pull broken "$upstream" /broken
  pull huge "$upstream" /huge
  pull malformed "$upstream" /malformed
  pull refused "$closed_port" /status
  echo "  - {name: statsd, type: udp, listen_address: \"127.0.0.1:0\", max_line_bytes: 1024, rules: [statsd.yaml]}"
} >"$tmp/adapter.yaml"

"$adapter" test "$tmp/status.yaml" "$tmp/statsd.yaml" >/dev/null || fail "the test's own rule files do not pass their tests"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"

# Every scrape answers in time although one upstream hangs (timeouts run in parallel).
start_ms=$(date +%s%3N)
curl -sf --max-time 5 "$url/metrics" >"$tmp/scrape1.txt" || fail "scrape failed"
elapsed_ms=$(($(date +%s%3N) - start_ms))
[ "$elapsed_ms" -lt 2500 ] || fail "a scrape took ${elapsed_ms} ms with a 500 ms source timeout"

sample() { awk -v re="$1" '$0 ~ re { print $NF; exit }' "$tmp/scrape1.txt"; }
# up carries the source's constant labels too.
[ "$(sample '^metrics_adapter_source_up\{source="ok",upstream="ok"\}')" = 1 ] || fail "ok should be up"
# malformed answers, but with a body the parser refuses whole: down too.
for source in slow broken huge refused malformed; do
  [ "$(sample "^metrics_adapter_source_up\\{source=\"$source\",upstream=\"$source\"\\}")" = 0 ] || fail "$source should be down"
done
[ "$(sample '^app_connections\{state="active",upstream="ok"\}')" = 7 ] || fail "app_connections active"
[ "$(sample '^app_healthy\{upstream="ok"\} ')" = 1 ] || fail "app_healthy"
# Only the healthy page's series: the failed sources' are absent, not stale.
[ "$(grep -c '^app_requests_total' "$tmp/scrape1.txt")" = 1 ] || fail "failed sources left series behind"
[ "$(sample '^app_requests_total')" = 1234 ] || fail "requests from the healthy page"
for reason in timeout http_status too_large connect parse; do
  grep -q "^metrics_adapter_source_scrape_errors_total{.*reason=\"$reason\"" "$tmp/scrape1.txt" ||
    fail "no scrape error counted with reason $reason"
done
grep -q '^metrics_adapter_parse_errors_total{.*reason="invalid_json".*} 1' "$tmp/scrape1.txt" ||
  fail "the malformed page's parse error is not counted"
promtool check metrics <"$tmp/scrape1.txt" || fail "promtool check metrics complained"
# metrics_adapter_series counts the series a pulled source served in this scrape.
for family in app_connections app_requests_total app_healthy; do
  served=$(grep -Ec "^${family}(\{| )" "$tmp/scrape1.txt")
  [ "$served" -gt 0 ] || fail "no $family series served"
  [ "$(sample "^metrics_adapter_series\\{family=\"${family}\"\\}")" = "$served" ] ||
    fail "metrics_adapter_series{family=\"$family\"} is not the $served series served"
done
# File events are counted for file sources only: none for a pulled source or a listener.
if grep -E '^metrics_adapter_(file_rotations|files_deleted|read_errors)_total\{.*source="(ok|statsd)"' "$tmp/scrape1.txt"; then
  fail "a pulled source or a listener exports a file source's counters"
fi

# statsd: 300 packets of 3 lines, then junk and an oversized packet.
port=$(sed -n 's/.*source statsd: listening on .*(port \([0-9]*\)).*/\1/p' "$tmp/adapter.log" | head -1)
[ -n "$port" ] || fail "the statsd listener did not report its port"
for i in $(seq 300); do
  printf 'jobs.mail.done:1|c\njobs.mail.duration:%d|ms\njobs.sms.done:2|c|@0.5\n' $((i % 200)) >"/dev/udp/127.0.0.1/$port"
done
printf 'this is not statsd\n' >"/dev/udp/127.0.0.1/$port"
# One datagram over max_line_bytes (bash would split a long write into several).
python3 -c "import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x' * 4000, ('127.0.0.1', int(sys.argv[1])))" "$port"
wait_for_value '^app_jobs_total\{queue="mail"\}' 300
wait_for_value '^app_jobs_total\{queue="sms"\}' 1200   # 2 per line at sample rate 0.5
wait_for_value '^app_job_duration_seconds_count\{queue="mail"\}' 300
wait_for_value '^metrics_adapter_parse_errors_total\{reason="[a-z_]+",source="statsd"\}' 1
wait_for_value '^metrics_adapter_lines_dropped_total\{reason="too_large",source="statsd"\}' 1

# Datagrams the kernel drops: frozen (SIGSTOP), the adapter drains nothing,
# so a burst overflows the statsd socket's receive buffer (4 MiB at most).
# The kernel reports its drop count with the next datagram it queues, and a
# marker sent while the buffer is still full is dropped (and counted) too:
# send markers until every datagram sent is either counted by the rules or
# counted as dropped. Neither count can run ahead of the truth, so equality
# means both are exact.
burst=50000
kill -STOP "$adapter_pid"
python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[2])): s.sendto(b'jobs.burst.done:1|c', ('127.0.0.1', int(sys.argv[1])))
" "$port" "$burst"
kill -CONT "$adapter_pid"
sent=$burst
accounted=
for _ in $(seq 50); do
  printf 'jobs.marker.done:1|c\n' >"/dev/udp/127.0.0.1/$port"
  sent=$((sent + 1))
  sleep 0.1
  curl -sf --max-time 5 "$url/metrics" >"$tmp/scrape2.txt" || fail "scrape failed"
  counted=$(awk '/^app_jobs_total\{queue="(burst|marker)"\} / { s += $NF } END { print s + 0 }' "$tmp/scrape2.txt")
  kernel_drops=$(awk '/^metrics_adapter_lines_dropped_total\{reason="receive_buffer_full",source="statsd"\} / { print $NF }' "$tmp/scrape2.txt")
  if [ $((counted + ${kernel_drops:-0})) = "$sent" ]; then accounted=1; break; fi
done
[ -n "$accounted" ] || fail "of $sent datagrams $counted counted and ${kernel_drops:-no} dropped by the kernel"
[ "${kernel_drops:-0}" -gt 0 ] || fail "a burst of $burst datagrams at a frozen adapter dropped none"
echo "statsd: of $sent datagrams (a burst at a frozen adapter, then markers) $counted counted, $kernel_drops dropped by the kernel"

# The upstream goes away: the next scrape still answers, everything pulled is down.
kill "$upstream_pid"
wait "$upstream_pid" 2>/dev/null || true
upstream_pid=
wait_for_value '^metrics_adapter_source_up\{source="ok",upstream="ok"\}' 0
curl -sf --max-time 5 "$url/metrics" | grep -q '^app_connections' && fail "stale series after the upstream died"

# A pulled source removed from the config takes its up and duration with it.
grep -v 'name: broken,' "$tmp/adapter.yaml" >"$tmp/adapter.next" && mv "$tmp/adapter.next" "$tmp/adapter.yaml"
kill -HUP "$adapter_pid"
gone=
for _ in $(seq 100); do
  curl -sf --max-time 5 "$url/metrics" >"$tmp/scrape3.txt" || fail "scrape failed"
  if ! grep -Eq '^metrics_adapter_source_(up|scrape_duration_seconds)\{source="broken"[,}]' "$tmp/scrape3.txt"; then
    gone=1
    break
  fi
  sleep 0.1
done
[ -n "$gone" ] || fail "the removed source's up and duration stayed after the reload"
grep -q '^metrics_adapter_source_up{source="slow",upstream="slow"} 0' "$tmp/scrape3.txt" || fail "a kept source lost its up"

stop_adapter_cleanly
echo "PASS: pulled sources (up, absent series on failure, reasons, parse errors, removal) and a statsd listener (drops included)"
