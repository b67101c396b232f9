#!/usr/bin/env bash
# The running adapter follows a pattern over directories that do not exist
# when it starts (`pods/*/app/**/*.log`, compressed and numbered rotations
# excluded) and counts every line written there exactly; a path that matches
# nothing is said out loud: a warning in `check` and in the log, and
# metrics_adapter_source_files 0.
# Usage: test/integration/globs_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl gzip || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; rm -rf "$tmp"' EXIT

mkdir "$tmp/pods"
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: pods
    type: file
    paths: [pods/*/app/**/*.log]
    exclude: ["*.gz", "*.[0-9]"]
    rules: [$root/rules/library/nginx/combined_request_time.yaml]
  - name: typo
    type: file
    paths: [nowhere/access.log]
    rules: [$root/rules/library/nginx/combined_request_time.yaml]
# Both sources are logs of one service: their requests add up.
shared_families:
  - http_server_requests_total
  - http_server_request_duration_seconds
  - http_server_response_body_size_bytes_total
YAML

# check: the missing directory is a warning, not an error.
"$adapter" check --config.file="$tmp/adapter.yaml" >"$tmp/check.out" 2>"$tmp/check.err" ||
  { cat "$tmp/check.err"; fail "check refused a config whose directory is missing"; }
grep -q "adapter.yaml:9:12: warning: directory \"$tmp/nowhere\" of path \"$tmp/nowhere/access.log\" does not exist" \
  "$tmp/check.err" || { cat "$tmp/check.err"; fail "check did not warn about the missing directory"; }
[ "$(grep -c warning "$tmp/check.err")" = 1 ] || { cat "$tmp/check.err"; fail "check warned more than once"; }

start_adapter "$adapter" --config.file="$tmp/adapter.yaml"
wait_for_value '^metrics_adapter_source_files\{source="typo"\}' 0
wait_for_value '^metrics_adapter_source_files\{source="pods"\}' 0

# Directories made after start, at several depths; excluded and unmatched
# files beside them.
mkdir -p "$tmp/pods/web-1/app" "$tmp/pods/web-2/app/nginx/v1" "$tmp/pods/web-3/sidecar"
for _ in $(seq 300); do access_line GET 200 100 0.010; done >"$tmp/pods/web-1/app/access.log"
for _ in $(seq 200); do access_line POST 201 10 0.020; done >"$tmp/pods/web-2/app/nginx/v1/access.log"
for _ in $(seq 50); do access_line GET 200 100 0.010; done >"$tmp/pods/web-2/app/nginx/v1/access.log.1"
for _ in $(seq 50); do access_line GET 200 100 0.010; done | gzip >"$tmp/pods/web-1/app/old.log.gz"
for _ in $(seq 50); do access_line GET 200 100 0.010; done >"$tmp/pods/web-3/sidecar/access.log"

wait_for_value '^metrics_adapter_source_files\{source="pods"\}' 2
wait_for_value '^http_server_requests_total\{http_request_method="GET",http_response_status_code="200"\}' 300
wait_for_value '^http_server_requests_total\{http_request_method="POST",http_response_status_code="201"\}' 200
wait_for_value '^metrics_adapter_lines_read_total\{source="pods"\}' 500
# A third directory appears while it runs.
mkdir -p "$tmp/pods/web-4/app"
for _ in $(seq 25); do access_line GET 200 100 0.010; done >"$tmp/pods/web-4/app/access.log"
wait_for_value '^metrics_adapter_lines_read_total\{source="pods"\}' 525
wait_for_value '^metrics_adapter_source_files\{source="pods"\}' 3
wait_for_value '^metrics_adapter_file_lag_bytes\{source="pods"\}' 0
[ "$(value '^metrics_adapter_lines_read_total\{source="typo"\}')" = 0 ] || fail "typo read lines"
[ "$(value '^metrics_adapter_source_files\{source="typo"\}')" = 0 ] || fail "typo follows files"

last_read=$(value '^metrics_adapter_source_last_read_timestamp_seconds\{source="pods"\}')
now=$(date +%s)
awk -v t="$last_read" -v now="$now" 'BEGIN { exit !(t > now - 600 && t <= now + 1) }' ||
  fail "last read timestamp $last_read is not close to now ($now)"
[ -z "$(value '^metrics_adapter_source_last_read_timestamp_seconds\{source="typo"\}')" ] ||
  fail "typo has a last read timestamp though it read nothing"

# The log: one warning for each empty pattern at start, news when pods matched.
[ "$(grep -c "level=warn.*source typo: path \\\\\"$tmp/nowhere/access.log\\\\\" matches no file" "$tmp/adapter.log")" = 1 ] ||
  fail "no single warning about the path that matches nothing"
grep -q "level=info.*source pods: path .*matches 2 file(s) now\|level=info.*source pods: path .*matches 1 file(s) now" \
  "$tmp/adapter.log" || fail "no news that the pods pattern matches"

stop_adapter_cleanly
echo "PASS: globs integration"
