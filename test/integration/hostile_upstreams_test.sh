#!/usr/bin/env bash
# Pulled sources against hostile upstreams: memory stays within the
# configured worst case and no scrape waits longer than a source's timeout.
#
# One python3 upstream on 127.0.0.1 serves 18 hostile sources: bodies three
# times max_body_bytes (announced by Content-Length, until close, and
# chunked), a body dripped a byte at a time, a hang after the request,
# bogus chunk sizes and a connection reset; beside them a healthy page and a
# slow one (answering after 3 s, past its 2 s timeout).
#   1. 30 scrapes one after the other: each answers within the longest
#      timeout plus a margin, every hostile source is down with its reason
#      counted on every scrape, the healthy one is up; the adapter's resident
#      memory (VmHWM, VmRSS from /proc) stays within the bound of the
#      README's formula, and does not grow from the 5th scrape to the 30th.
#   2. Six scrapes at once while the slow source hangs: all six finish
#      within its timeout plus a margin (they share one fetch: the upstream
#      sees one or two requests, not six).
#   3. A burst of 60 scrapes at 20 a second: at least 90% succeed within a
#      client timeout of 10 s.
#
# Memory under AddressSanitizer (the test build): the adapter runs with
# ASan's quarantine off, so freed buffers go back at once as in a release
# build; ASan's own start-up memory is in the measured start-up RSS, and its
# shadow (1/8 of what is allocated) is in the allowance. ASan's bookkeeping
# grows with every thread started (each scrape starts one per pulled source
# but one), so under ASan the growth from the 5th to the 30th scrape may be
# 1 MiB a scrape; a body kept per scrape (2 MiB) still fails. A release
# binary (malloc is glibc's, as tuned by the adapter) must not grow by one
# body.
# Usage: test/integration/hostile_upstreams_test.sh PATH_TO_metrics-adapter
# Environment, to measure other sizes by hand: MAX_BODY_BYTES, the sources'
# max_body_bytes (default 2 MiB; the bodies are three times that), and
# HOSTILE_TIMEOUT_MS, the hostile sources' timeout (default 1000).
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require python3 curl awk || exit 1

tmp=$(mktemp -d)
upstream_pid=
burst_pids=()
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
cleanup() {
  local pid
  for pid in "${burst_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$upstream_pid" ]; then kill "$upstream_pid" 2>/dev/null || true; fi
  stop_adapter
  rm -rf "$tmp"
}
trap cleanup EXIT

max_body=${MAX_BODY_BYTES:-$((2 << 20))}
[[ $max_body =~ ^[1-9][0-9]{0,9}$ ]] || fail "MAX_BODY_BYTES: a positive number of bytes"
hostile_timeout_ms=${HOSTILE_TIMEOUT_MS:-1000}
slow_timeout_ms=2000
longest_ms=$((hostile_timeout_ms > slow_timeout_ms ? hostile_timeout_ms : slow_timeout_ms))

cat >"$tmp/upstream.py" <<'PY'
import http.server, os, socket, struct, sys, threading, time

MAX_BODY = int(sys.argv[1])
BLOCK = b"x" * (1 << 20)
counts = {}
lock = threading.Lock()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def head(self, extra):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extra + b"\r\n")
    def big(self, chunked):
        # Three times the limit, in 1 MiB blocks, until the adapter hangs up.
        for _ in range(3 * MAX_BODY // len(BLOCK) + 1):
            if chunked:
                self.wfile.write(b"%x\r\n" % len(BLOCK) + BLOCK + b"\r\n")
            else:
                self.wfile.write(BLOCK)
    def do_GET(self):
        kind = self.path.split("?")[0].strip("/")
        with lock:
            counts[kind] = counts.get(kind, 0) + 1
        self.close_connection = True
        try:
            if kind == "ok":
                body = b'{"requests": 42}'
                self.head(b"Content-Length: %d\r\n" % len(body))
                self.wfile.write(body)
            elif kind == "slow":
                time.sleep(3)
                body = b'{"requests": 1}'
                self.head(b"Content-Length: %d\r\n" % len(body))
                self.wfile.write(body)
            elif kind == "count":
                body = str(counts.get("slow", 0)).encode()
                self.head(b"Content-Length: %d\r\n" % len(body))
                self.wfile.write(body)
            elif kind == "big_length":
                self.head(b"Content-Length: %d\r\n" % (3 * MAX_BODY))
                self.big(False)
            elif kind == "big_close":
                self.head(b"Connection: close\r\n")
                self.big(False)
            elif kind == "big_chunked":
                self.head(b"Transfer-Encoding: chunked\r\n")
                self.big(True)
            elif kind == "drip":
                self.head(b"Content-Length: 100000\r\n")
                for _ in range(100):  # 10 s at most
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            elif kind == "hang":
                time.sleep(10)
            elif kind == "bogus_chunks":
                self.head(b"Transfer-Encoding: chunked\r\n")
                self.wfile.write(b"zz-not-a-size\r\n" + b"y" * 100 + b"\r\n0\r\n\r\n")
            elif kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.send_error(404)
        except (ConnectionError, OSError):
            pass  # the adapter gave up (timeout, size limit), as it should

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # 20 sources connect at once; the default is 5

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$tmp/upstream.py" "$max_body" >"$tmp/upstream.port" 2>"$tmp/upstream.log" &
upstream_pid=$!
for _ in $(seq 100); do [ -s "$tmp/upstream.port" ] && break; sleep 0.05; done
upstream=$(head -1 "$tmp/upstream.port")
[ -n "$upstream" ] || fail "the upstream did not start"

cat >"$tmp/status.yaml" <<'YAML'
parser: json
# Twenty sources pull this format, each telling its series apart by `upstream`.
source_labels: [upstream]
metrics:
  - {name: app_requests_total, type: counter, help: Requests served., labels: []}
rules:
  - name: requests
    match: '^requests$'
    emit: [{metric: app_requests_total, set: $value}]
tests:
  - input: '{"requests": 9}'
    expect: |
      app_requests_total 9
YAML
# The 18 hostile sources: name, path, the reason each scrape must count.
hostile=()
for i in 1 2 3 4; do
  hostile+=("big_length$i big_length too_large" "big_close$i big_close too_large"
    "big_chunked$i big_chunked too_large")
done
hostile+=("drip1 drip timeout" "drip2 drip timeout" "hang1 hang timeout" "hang2 hang timeout"
  "bogus_chunks1 bogus_chunks protocol" "reset1 reset connect")
[ "${#hostile[@]}" = 18 ] || fail "the test lists ${#hostile[@]} hostile sources, not 18"
source_line() {  # NAME PATH TIMEOUT_MS
  printf '  - {name: %s, type: http, url: "http://127.0.0.1:%s/%s?%s", timeout: %sms, max_body_bytes: %s, rules: [status.yaml], labels: {upstream: %s}}\n' \
    "$1" "$upstream" "$2" "$1" "$3" "$max_body" "$1"
}
{
  echo "sources:"
  for entry in "${hostile[@]}"; do
    read -r name path _ <<<"$entry"
    source_line "$name" "$path" "$hostile_timeout_ms"
  done
  source_line ok ok "$hostile_timeout_ms"
  source_line slow slow "$slow_timeout_ms"
} >"$tmp/adapter.yaml"

"$adapter" test "$tmp/status.yaml" >/dev/null || fail "the test's own rule file does not pass its tests"
# Quarantine off: ASan would otherwise hold on to freed buffers (256 MiB).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
  start_adapter "$adapter" --config.file="$tmp/adapter.yaml"
status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$adapter_pid/status"; }
start_rss_kib=$(status_kib VmRSS)
asan=0
grep -q libasan "/proc/$adapter_pid/maps" && asan=1

# The worst case of the README (operations: memory): the start-up memory
# plus, for each pulled source, max_body_bytes of body (each one's fetch
# runs at once). The allowance covers the rest: renders, stores, curl
# handles and threads, and under ASan the shadow of the bodies (1/8).
sources=20
allowance_kib=$((24 * 1024 + asan * sources * max_body / 1024 / 8))
bound_kib=$((start_rss_kib + sources * max_body / 1024 + allowance_kib))

# 1. 30 scrapes one after the other.
margin_ms=1500
rss5_kib=
for round in $(seq 30); do
  start_ms=$(date +%s%3N)
  curl -sS -f --max-time 10 "$url/metrics" >"$tmp/scrape.txt" || fail "scrape $round failed"
  elapsed_ms=$(($(date +%s%3N) - start_ms))
  [ "$elapsed_ms" -lt $((longest_ms + margin_ms)) ] ||
    fail "scrape $round took ${elapsed_ms} ms; the longest source timeout is ${longest_ms} ms"
  for entry in "${hostile[@]}" "slow - timeout"; do
    read -r name _ reason <<<"$entry"
    [ "$(prom_value "$tmp/scrape.txt" "metrics_adapter_source_up{source=\"$name\",upstream=\"$name\"}")" = 0 ] ||
      fail "scrape $round: $name should be down"
    took=$(prom_value "$tmp/scrape.txt" "metrics_adapter_source_scrape_duration_seconds{source=\"$name\",upstream=\"$name\"}")
    timeout_ms=$hostile_timeout_ms
    [ "$name" = slow ] && timeout_ms=$slow_timeout_ms
    awk -v s="$took" -v max="$((timeout_ms + 1000))" 'BEGIN { exit !(s != "" && s * 1000 < max) }' ||
      fail "scrape $round: $name's fetch took '$took' s, over its timeout plus 1 s"
    got=$(prom_value "$tmp/scrape.txt" "metrics_adapter_source_scrape_errors_total{reason=\"$reason\",source=\"$name\"}")
    [ "$got" = "$round" ] || fail "scrape $round: $name counts '$got' errors of reason $reason, want $round; $(grep "source=\"$name\"" "$tmp/scrape.txt")"
  done
  [ "$(prom_value "$tmp/scrape.txt" 'metrics_adapter_source_up{source="ok",upstream="ok"}')" = 1 ] ||
    fail "scrape $round: ok should be up"
  [ "$(prom_value "$tmp/scrape.txt" 'app_requests_total{upstream="ok"}')" = 42 ] || fail "scrape $round: app_requests_total"
  if [ "$round" = 5 ]; then rss5_kib=$(status_kib VmRSS); fi
done
rss_kib=$(status_kib VmRSS)
hwm_kib=$(status_kib VmHWM)
echo "memory: start ${start_rss_kib} KiB, after 5 scrapes ${rss5_kib} KiB, after 30 ${rss_kib} KiB, peak ${hwm_kib} KiB; bound ${bound_kib} KiB"
[ "$hwm_kib" -le "$bound_kib" ] || fail "peak RSS ${hwm_kib} KiB over the bound of ${bound_kib} KiB"
# Growth from the 5th scrape to the 30th: less than one body (under ASan
# plus its bookkeeping, see above).
growth_bound_kib=$((max_body / 1024 + asan * 25 * 1024))
[ $((rss_kib - rss5_kib)) -lt "$growth_bound_kib" ] ||
  fail "RSS grew from ${rss5_kib} KiB (5 scrapes) to ${rss_kib} KiB (30 scrapes), over ${growth_bound_kib} KiB"

# 2. Six scrapes at once while the slow source hangs.
slow_before=$(curl -sS -f --max-time 5 "http://127.0.0.1:$upstream/count")
for i in 1 2 3 4 5 6; do
  curl -sS -f --max-time 10 -o /dev/null -w '%{time_total}\n' "$url/metrics" >"$tmp/at_once.$i" 2>&1 &
  burst_pids+=($!)
done
for pid in "${burst_pids[@]}"; do wait "$pid" || fail "one of six scrapes at once failed"; done
burst_pids=()
slow_requests=$(($(curl -sS -f --max-time 5 "http://127.0.0.1:$upstream/count") - slow_before))
times=$(cat "$tmp"/at_once.*)
echo "six scrapes at once: $(echo "$times" | tr '\n' ' ')s; the slow upstream saw $slow_requests request(s)"
echo "$times" | awk -v max=$((slow_timeout_ms + margin_ms)) '$1 * 1000 >= max { bad = 1 } END { exit bad }' ||
  fail "six scrapes at once took $(echo "$times" | tr '\n' ' ')s; the timeout is ${slow_timeout_ms} ms"
if [ "$slow_requests" -lt 1 ] || [ "$slow_requests" -gt 2 ]; then
  fail "six scrapes at once made $slow_requests requests to the slow upstream, want 1 (2 if they straddled)"
fi

# 3. 60 scrapes at 20 a second.
for i in $(seq 60); do
  (curl -sS -f --max-time 10 -o /dev/null "$url/metrics" 2>/dev/null && echo ok >"$tmp/burst.$i") &
  burst_pids+=($!)
  sleep 0.05
done
for pid in "${burst_pids[@]}"; do wait "$pid" || true; done
burst_pids=()
succeeded=$(find "$tmp" -name 'burst.*' | wc -l)
echo "burst: $succeeded of 60 scrapes at 20/s succeeded"
[ "$succeeded" -ge 54 ] || fail "only $succeeded of 60 scrapes at 20/s succeeded"
# Scrapes at once each run a thread per pulled source but one (up to 40
# scrapes x 19 threads here): under ASan a thread costs far more (its
# allocator cache, fake stack and bookkeeping), hence 64 MiB more there.
hwm_kib=$(status_kib VmHWM)
burst_bound_kib=$((bound_kib + asan * 64 * 1024))
[ "$hwm_kib" -le "$burst_bound_kib" ] ||
  fail "peak RSS ${hwm_kib} KiB after the bursts, over ${burst_bound_kib} KiB"
echo "PASS: 18 hostile upstreams: down with their reasons, memory peak ${hwm_kib} KiB within ${burst_bound_kib} KiB; concurrent scrapes share fetches"
