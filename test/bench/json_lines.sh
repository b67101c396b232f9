#!/usr/bin/env bash
# Speed benchmark: JSON lines (NDJSON) through the json parser on a file source.
#
# Generates a reproducible log of JSON lines, about 250 bytes and 10 fields each (what a
# python or Java service writes with a JSON log formatter), and runs
#   metrics-adapter once --config.file=CFG
# over it with five rules (level and status counters, duration and size sums, an upstream
# label), under GNU time, and prints lines/s wall and CPU and peak RSS, best of --runs.
#
# Correctness check: every line counted (lines_read), no parse error, and the level counter
# summing to the line count; the script exits 1 if not. It never fails on speed.
set -euo pipefail

usage() {
  cat <<USAGE
usage: $(basename "$0") [--lines N] [--build-dir DIR] [--runs N]
  --lines N        lines in the generated log (default 1000000)
  --build-dir DIR  a CMake build dir with metrics-adapter built (default build/release)
  --runs N         runs; the fastest by wall time is reported (default 3)
USAGE
}

root=$(cd "$(dirname "$0")/../.." && pwd)
lines=1000000 build_dir=$root/build/release runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) lines=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath "$2"); shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
"$root/scripts/deps.sh" --require python3 /usr/bin/time || exit 2
adapter=$build_dir/metrics-adapter
[ -x "$adapter" ] || { echo "error: $adapter not built (scripts/build.sh release metrics-adapter)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/app.log" "$lines" <<'PY'
import json, random, sys
path, lines = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
levels = ["INFO"] * 8 + ["WARNING", "ERROR"]
routes = ["/api/v1/items", "/api/v1/orders", "/api/v1/users/profile", "/healthz", "/static/app.js"]
with open(path, "w") as out:
    for i in range(lines):
        out.write(json.dumps({
            "ts": f"2026-12-02T17:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}Z",
            "level": rng.choice(levels),
            "logger": "app.http.access",
            "msg": "request completed",
            "method": rng.choice(["GET", "GET", "GET", "POST", "PUT"]),
            "route": rng.choice(routes),
            "status": rng.choice([200, 200, 200, 201, 304, 404, 500]),
            "duration_ms": round(rng.uniform(0.2, 900.0), 3),
            "bytes": rng.randint(0, 60000),
            "upstream": {"name": rng.choice(["api-a", "api-b"]), "attempts": 1},
        }, separators=(",", ":")) + "\n")
PY

cat >"$tmp/rules.yaml" <<'YAML'
parser: json
metrics:
  - {name: app_log_records_total, type: counter, help: Records by level., labels: [level]}
  - {name: app_http_status_total, type: counter, help: Sum of status codes seen., labels: []}
  - {name: app_request_duration_seconds_total, type: counter, help: Request time., unit: seconds}
  - {name: app_response_bytes_total, type: counter, help: Response body bytes.}
  - {name: app_upstream_records_total, type: counter, help: Records by upstream., labels: [upstream]}
rules:
  - {name: level, match: '^level$', emit: [{metric: app_log_records_total, labels: {level: '${label.value}'}}]}
  - {name: status, match: '^status$', emit: [{metric: app_http_status_total}]}
  - {name: duration, match: '^duration_ms$', emit: [{metric: app_request_duration_seconds_total, add: $value, unit: ms}]}
  - {name: bytes, match: '^bytes$', emit: [{metric: app_response_bytes_total, add: $value}]}
  - {name: upstream, match: '^upstream\.name$', emit: [{metric: app_upstream_records_total, labels: {upstream: '${label.value}'}}]}
tests:
  - name: one line
    input: |
      {"level":"INFO","status":200,"duration_ms":4,"bytes":10,"upstream":{"name":"api-a"}}
    expect: |
      app_log_records_total{level="INFO"} 1
      app_response_bytes_total 10
YAML
cat >"$tmp/adapter.yaml" <<'YAML'
sources:
  - {name: app, type: file, paths: [app.log], parser: json, rules: [rules.yaml]}
YAML
"$adapter" check --config.file="$tmp/adapter.yaml" >/dev/null

best=
for _ in $(seq "$runs"); do
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$adapter" once --config.file="$tmp/adapter.yaml" \
    >"$tmp/out.prom" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
  read -r wall user sys rss <"$tmp/time"
  if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
    best="$wall $user $sys $rss"
  fi
done

read_lines=$(awk '$1 == "metrics_adapter_lines_read_total{source=\"app\"}" { print $2 }' "$tmp/out.prom")
levels=$(awk 'index($1, "app_log_records_total{") == 1 { s += $2 } END { print s + 0 }' "$tmp/out.prom")
errors=$(awk 'index($1, "metrics_adapter_parse_errors_total{") == 1 { s += $2 } END { print s + 0 }' "$tmp/out.prom")
[ "$read_lines" = "$lines" ] || { echo "FAIL: read $read_lines lines of $lines"; exit 1; }
[ "$levels" = "$lines" ] || { echo "FAIL: levels sum to $levels, want $lines"; exit 1; }
[ "$errors" = 0 ] || { echo "FAIL: $errors parse errors"; exit 1; }

read -r wall user sys rss <<<"$best"
bytes=$(stat -c %s "$tmp/app.log")
awk -v n="$lines" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
  printf "%-26s %9s %8s %8s %13s %13s %8s\n", "what", "lines", "wall s", "CPU s", "lines/s wall", "lines/s CPU", "RSS MiB"
  printf "%-26s %9d %8.2f %8.2f %13.0f %13.0f %8.1f\n", "json lines, 5 rules", n, w, u + s, n / w, n / (u + s), r / 1024
  printf "(%.0f bytes a line on average; every line counted, no parse error)\n", b / n
}'
