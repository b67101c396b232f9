#!/usr/bin/env bash
# Hot reload under live traffic. The config and rules live in a folder laid
# out the way Kubernetes mounts a ConfigMap (files are symlinks through
# `..data`, and an update swaps that one symlink). While a writer appends
# lines, the test reloads by SIGHUP, by POST /-/reload, by a ConfigMap swap,
# refuses a broken swap (the old rules keep counting), and adds a source;
# at the end every line must have been counted exactly once.
# Usage: test/integration/reload_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl || exit 1

tmp=$(mktemp -d)
writer_pid=
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
cleanup() {
  if [ -n "$writer_pid" ]; then kill "$writer_pid" 2>/dev/null || true; fi
  stop_adapter
  rm -rf "$tmp"
}
trap cleanup EXIT

cm=$tmp/configmap
# version NAME SOURCES_YAML: writes a ConfigMap version folder.
version() {
  mkdir -p "$cm/$1"
  cp "$root/rules/library/nginx/combined_request_time.yaml" "$cm/$1/rules.yaml"
  cp "$root/rules/schema/http.yaml" "$cm/$1/http.yaml"
  sed -i 's|schema: \[../../schema/http.yaml\]|schema: [http.yaml]|' "$cm/$1/rules.yaml"
  printf 'sources:\n%s\n' "$2" >"$cm/$1/adapter.yaml"
}
# activate NAME: the atomic symlink swap kubelet does.
activate() {
  ln -sfn "$1" "$cm/..data_tmp"
  mv -T "$cm/..data_tmp" "$cm/..data"
}
source_yaml() {  # source_yaml NAME LOG
  printf '  - {name: %s, type: file, paths: [%s], parser: line, rules: [rules.yaml]}\n' "$1" "$2"
}

version v1 "$(source_yaml access "$tmp/access.log")"
activate v1
for f in adapter.yaml rules.yaml http.yaml; do ln -s "..data/$f" "$cm/$f"; done
touch "$tmp/access.log" "$tmp/other.log"

start_adapter "$adapter" --config.file="$cm/adapter.yaml" --config.watch-interval=100ms \
  --web.enable-lifecycle
successes='^metrics_adapter_config_reloads_total\{result="success"\}'
failures='^metrics_adapter_config_reloads_total\{result="failure"\}'
requests='^http_server_requests_total\{http_request_method="GET",http_response_status_code="200"\}'

# A writer appends 4000 lines over about 4 seconds while the reloads happen.
lines=4000
(
  for i in $(seq "$lines"); do
    access_line GET 200 10 0.001
    ((i % 100 == 0)) && sleep 0.1
  done >>"$tmp/access.log"
) &
writer_pid=$!

kill -HUP "$adapter_pid"
wait_for_value "$successes" 1

[ "$(curl -sf --max-time 5 -X POST "$url/-/reload")" = ok ] || fail "POST /-/reload"
wait_for_value "$successes" 2

# A broken update is refused and the previous rules keep counting.
version v2 "$(source_yaml access "$tmp/access.log")"
sed -i 's/(?P<method>\[A-Z\]+)/(?P<method>[A-Z+)/' "$cm/v2/rules.yaml"
activate v2
wait_for_value "$failures" 1
wait_for_value '^metrics_adapter_config_last_reload_successful' 0
grep -q 'rules.yaml:[0-9]*:[0-9]*: error: rule \\"request\\": invalid regex' "$tmp/adapter.log" ||
  fail "the refused reload's error, with file:line:col, is not in the log"

# A good update that adds a source is applied; the first source keeps its position.
# Both logs count into the same series: the families are shared.
version v3 "$(source_yaml access "$tmp/access.log")
$(source_yaml other "$tmp/other.log")
shared_families: [http_server_requests_total, http_server_request_duration_seconds, http_server_response_body_size_bytes_total]"
activate v3
wait_for_value "$successes" 3
wait_for_value '^metrics_adapter_config_last_reload_successful' 1
for _ in $(seq 10); do access_line POST 201 10 0.001; done >>"$tmp/other.log"

wait "$writer_pid"
writer_pid=
wait_for_value "$requests" "$lines"
wait_for_value '^metrics_adapter_lines_read_total\{source="access"\}' "$lines"
wait_for_value '^http_server_requests_total\{http_request_method="POST",http_response_status_code="201"\}' 10
wait_for_value '^metrics_adapter_lines_unmatched_total\{source="access"\}' 0

stop_adapter_cleanly
echo "PASS: $lines lines counted exactly once across 3 reloads and 1 refused reload"
