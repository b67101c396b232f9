#!/usr/bin/env bash
# A config file far over the size limit (100 MB) is refused on SIGHUP and by
# the change watcher without being read: the error names the file and the
# limit, the old config keeps counting, the resident memory does not grow by
# the file's size, and the watcher does not retry the same file again and
# again. A good config afterwards is loaded.
# Usage: test/integration/config_limit_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl truncate || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; rm -rf "$tmp"' EXIT

cat >"$tmp/rules.yaml" <<'YAML'
parser: line
metrics:
  - {name: limit_test_lines_total, type: counter, help: Lines read.}
rules:
  - name: any
    match: '^line'
    emit: [{metric: limit_test_lines_total}]
YAML
cat >"$tmp/adapter.yaml" <<'YAML'
sources:
  - {name: app, type: file, paths: [app.log], rules: [rules.yaml], poll_interval: 50ms}
YAML
cp "$tmp/adapter.yaml" "$tmp/good.yaml"
: >"$tmp/app.log"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --config.watch-interval=100ms
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$adapter_pid/status"; }
printf 'line 1\nline 2\n' >>"$tmp/app.log"
wait_for_value '^limit_test_lines_total ' 2
before=$(rss_kib)

# 100 MB: the valid config, then a sparse tail (reading it would cost 100 MB
# all the same). Swapped in whole, as an editor or a ConfigMap update does.
cp "$tmp/good.yaml" "$tmp/big.yaml"
truncate -s 100M "$tmp/big.yaml"
mv "$tmp/big.yaml" "$tmp/adapter.yaml"
kill -HUP "$adapter_pid"
failures='^metrics_adapter_config_reloads_total\{result="failure"\}'
# Refused by SIGHUP, and maybe by the watcher first (it looks every 100ms).
for _ in $(seq 100); do
  grep -q 'reload (SIGHUP) refused' "$tmp/adapter.log" && break
  sleep 0.1
done
grep -q 'reload (SIGHUP) refused' "$tmp/adapter.log" || fail "SIGHUP did not refuse the big config"
grep -q "$tmp/adapter.yaml: error: file is 104857600 bytes, over the limit of 16 MiB" \
  "$tmp/adapter.log" || fail "the refusal does not name the file and the limit"
wait_for_value '^metrics_adapter_config_last_reload_successful ' 0
refused=$(value "$failures")
((refused == 1 || refused == 2)) || fail "$refused refused reloads, want 1 or 2 (SIGHUP, watcher)"

# A second of watching (ten intervals): the watcher leaves the refused file
# alone; another SIGHUP is refused again.
sleep 1
[ "$(value "$failures")" = "$refused" ] ||
  fail "the watcher retried the unchanged file: $(value "$failures") failures"
kill -HUP "$adapter_pid"
wait_for_value "$failures" $((refused + 1))
printf 'line 3\n' >>"$tmp/app.log"
wait_for_value '^limit_test_lines_total ' 3
after=$(rss_kib)
grown=$(((after - before) / 1024))
((grown < 32)) || fail "resident memory grew by $grown MiB ($before KiB -> $after KiB)"
echo "100 MB config refused $((refused + 1)) times (SIGHUP twice, the watcher at most once), not retried by the watcher; old config kept; RSS $before -> $after KiB"

cp "$tmp/good.yaml" "$tmp/adapter.yaml"
wait_for_value '^metrics_adapter_config_last_reload_successful ' 1
echo "the good config back: reloaded by the watcher"
