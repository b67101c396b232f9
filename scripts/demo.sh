#!/usr/bin/env bash
# The bundled demo: a small legacy "app" writes a rotating access log, and
# metrics-adapter follows it with the shipped nginx rules and serves the
# normalized metrics on /metrics.
# Usage: scripts/demo.sh [--seconds N] [--port P]
#   --seconds N  how long to run (default 30; 0 runs until Ctrl-C)
#   --port P     where to serve /metrics (default 9469; a free port if taken)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=30
port=9469
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

scripts/deps.sh build
scripts/build.sh release metrics-adapter

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! port_free "$port"; then
  for candidate in $(seq 19469 19569); do
    if port_free "$candidate"; then port=$candidate; break; fi
  done
fi

cat >"$work/adapter.yaml" <<YAML
web:
  listen_address: "127.0.0.1:$port"
sources:
  - name: app_access
    type: file
    paths: [logs/access.log]
    parser: line
    rules: [$root/rules/library/nginx/combined_request_time.yaml]
YAML

scripts/demo/legacy_app.sh "$work/logs" 25 200 &
pids+=($!)
build/release/metrics-adapter --config.file="$work/adapter.yaml" 2>"$work/adapter.log" &
pids+=($!)

url="http://127.0.0.1:$port/metrics"
for _ in $(seq 50); do
  curl -sf --max-time 2 "$url" >/dev/null && break
  sleep 0.2
done
curl -sf --max-time 2 "$url" >/dev/null || { cat "$work/adapter.log"; echo "the adapter did not start" >&2; exit 1; }

echo
echo "metrics-adapter is serving the legacy app's metrics at $url"
echo "(the app writes $work/logs/access.log and rotates it every 200 lines)"
echo

start=$SECONDS
while ((seconds == 0 || SECONDS - start < seconds)); do
  sleep 5
  echo "---- $(date -u +%H:%M:%S) sample of $url"
  curl -sf --max-time 2 "$url" | grep -E \
    -e '^http_server_requests_total\{http_request_method="(GET|POST|_OTHER)",http_response_status_code="(200|404|405)"' \
    -e '^http_server_request_duration_seconds_(sum|count)\{http_request_method="GET",http_response_status_code="200"' \
    -e '^http_server_request_duration_seconds_bucket\{http_request_method="GET",http_response_status_code="200",le="0.1"' \
    -e '^http_server_response_body_size_bytes_total\{http_request_method="GET",http_response_status_code="200"' \
    -e '^metrics_adapter_(lines_read|lines_unmatched|file_rotations)_total'
done
echo
echo "demo over; run with --seconds 0 to keep it running"
