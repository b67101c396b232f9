#!/usr/bin/env bash
# The positions file across adapter restarts, with the real binary and a real
# writer process (log_writer):
#   1. a clean stop (SIGTERM), then while the adapter is down: a held partial
#      line completed, rename + create, copytruncate, delete + recreate; after
#      the restart every line written is counted exactly once over both runs
#      (by line number), and the positions saved at the end match the files;
#   2. a corrupt positions file: a warning naming it, every file read from its
#      start, counted in load_errors;
#   3. a clean restart reads nothing again; a reload keeps the positions of
#      the sources it keeps and drops those of a source it removes;
#   4. kill -9 after a periodic save: no line lost, and the lines counted again
#      are at most those written after that save (the writer is paused around
#      the kill, so the bound is exact); the resume is reported as unclean;
#   5. an unwritable positions file: logged and counted, the adapter runs on.
# Usage: test/integration/positions_test.sh PATH_TO_metrics-adapter PATH_TO_log_writer
set -euo pipefail
usage="usage: $0 PATH_TO_metrics-adapter PATH_TO_log_writer"
adapter=$(realpath "${1:?$usage}")
log_writer=$(realpath "${2:?$usage}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; rm -rf "$tmp"' EXIT
mkdir "$tmp/logs"

# One series per line log_writer writes: a line counted twice shows as 2.
cat >"$tmp/lines.yaml" <<'YAML'
parser: line
metrics:
  - name: test_lines_total
    type: counter
    help: Lines seen, by the writer's line number and tag.
    labels: [n, tag]
rules:
  - name: line
    match: '^line (?P<n>\d+) (?P<tag>\w+) '
    emit:
      - metric: test_lines_total
        labels: {n: $n, tag: $tag}
YAML

# write FILE TAG LINES [log_writer flags]: appends LINES numbered lines.
write() {
  local file=$1 tag=$2 lines=$3
  shift 3
  "$log_writer" --path "$tmp/logs/$file" --tag "$tag" --lines "$lines" "$@" ||
    fail "log_writer failed on $file"
}
size() { stat -c %s "$tmp/logs/$1"; }
lines_read() { printf '^metrics_adapter_lines_read_total\\{source="%s"\\}' "$1"; }

# saved_offset POSITIONS_FILE LOG: the offset saved for logs/LOG, or empty.
saved_offset() {
  grep -F "\"path\": \"$tmp/logs/$1\"" "$2" 2>/dev/null |
    sed -n 's/.*"offset": \([0-9]*\).*/\1/p' | head -1
}

# snapshot NAME: keeps the test_lines_total samples of the running adapter.
snapshot() {
  curl -sf --max-time 5 "$url/metrics" | grep '^test_lines_total{' >"$tmp/$1.samples" ||
    fail "no test_lines_total samples"
}

# check_once WANT SNAPSHOT...: over the snapshots, every line is counted
# exactly once and there are WANT lines.
check_once() {
  local want=$1
  shift
  local files=() name
  for name in "$@"; do files+=("$tmp/$name.samples"); done
  awk '{ sum[$1] += $2 } END {
         for (s in sum) { n++; if (sum[s] != 1) { print "counted " sum[s] " times: " s; bad++ } }
         print n " lines"; exit bad > 0 }' "${files[@]}" >"$tmp/check.out" ||
    { cat "$tmp/check.out"; fail "a line was counted more than once"; }
  [ "$(tail -1 "$tmp/check.out")" = "$want lines" ] ||
    fail "$(tail -1 "$tmp/check.out") counted, $want written"
}

# --- 1. clean stop, rotations while down ------------------------------------
cat >"$tmp/adapter.yaml" <<YAML
positions:
  path: positions.json
  sync_interval: 1h   # in this part only the clean shutdown writes it
# Each writer's lines carry its own tag: the three sources' counts add up.
shared_families: [test_lines_total]
sources:
  - name: renamed
    type: file
    paths: [logs/renamed.log*]
    rules: [lines.yaml]
  - name: truncated
    type: file
    paths: [logs/truncated.log]
    rules: [lines.yaml]
  - name: recreated
    type: file
    paths: [logs/recreated.log]
    rules: [lines.yaml]
YAML
positions=$tmp/positions.json

# Present before the first start and no position saved: read from the start.
write renamed.log r0 50
write truncated.log t0 50
write recreated.log d0 50
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"
write renamed.log r1 200
write truncated.log t1 100
write recreated.log d1 150
wait_for_value "$(lines_read renamed)" 250
wait_for_value "$(lines_read truncated)" 150
wait_for_value "$(lines_read recreated)" 200
# A partial line, held: its start is not counted, so not saved as read.
printf 'line 000000 p ' >>"$tmp/logs/renamed.log"
wait_for_value '^metrics_adapter_bytes_read_total\{source="renamed"\}' "$(size renamed.log)"
snapshot run1
stop_adapter_cleanly

grep -q '"clean_shutdown": true' "$positions" || fail "not saved as a clean shutdown"
[ "$(saved_offset renamed.log "$positions")" = $(($(size renamed.log) - 14)) ] ||
  fail "renamed.log: saved $(saved_offset renamed.log "$positions"), want the start of the held line"
[ "$(saved_offset truncated.log "$positions")" = "$(size truncated.log)" ] || fail "truncated.log offset"
old_truncated_offset=$(saved_offset truncated.log "$positions")
old_recreated_inode=$(stat -c %i "$tmp/logs/recreated.log")

# While the adapter is down.
printf 'x\n' >>"$tmp/logs/renamed.log"                      # the held line ends
write renamed.log r2 200 --mode rename --rotate-every 100    # 100 more, renamed to .1, 100 in a new file
cp "$tmp/logs/truncated.log" "$tmp/logs/truncated.log.1"     # copytruncate, as logrotate does it
: >"$tmp/logs/truncated.log"
write truncated.log t2 300
[ "$(size truncated.log)" -gt "$old_truncated_offset" ] ||
  fail "the rewritten file must outgrow the old offset, or a stale resume would go unnoticed"
rm "$tmp/logs/recreated.log"
write recreated.log d2 300
same_inode=0
[ "$(stat -c %i "$tmp/logs/recreated.log")" = "$old_recreated_inode" ] && same_inode=1
echo "recreated.log got the same inode number again: $same_inode"

start_adapter "$adapter" --config.file="$tmp/adapter.yaml"
wait_for_value "$(lines_read renamed)" 201
wait_for_value "$(lines_read truncated)" 300
wait_for_value "$(lines_read recreated)" 300
wait_for_value '^metrics_adapter_positions_resumed_files_total\{shutdown="clean",source="renamed"\}' 1
wait_for_value '^metrics_adapter_positions_resumed_files_total\{shutdown="clean",source="truncated"\}' ""
wait_for_value '^metrics_adapter_positions_replaced_files_total\{source="truncated"\}' 1
if [ "$same_inode" = 1 ]; then
  wait_for_value '^metrics_adapter_positions_replaced_files_total\{source="recreated"\}' 1
else
  wait_for_value '^metrics_adapter_positions_replaced_files_total\{source="recreated"\}' ""
fi
snapshot run2
stop_adapter_cleanly
check_once 1401 run1 run2
for log in renamed.log renamed.log.1 truncated.log recreated.log; do
  [ "$(saved_offset "$log" "$positions")" = "$(size "$log")" ] ||
    fail "$log: saved offset '$(saved_offset "$log" "$positions")', size $(size "$log")"
done
echo "clean restart: 1401 lines over two runs, each counted once (rename, copytruncate, recreate while down)"

# --- 2. a corrupt positions file ----------------------------------------------
printf '{"version": 1, "clean_shutdown": tru' >"$positions"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"
wait_for_value '^metrics_adapter_positions_load_errors_total' 1
wait_for_value "$(lines_read truncated)" 300   # the whole file again
grep -q "positions file $positions cannot be read" "$tmp/adapter.log" || fail "no warning naming the file"
stop_adapter_cleanly
echo "corrupt positions file: warned, read every file from its start"

# --- 3. a restart reads nothing again; a reload keeps positions --------------
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --web.enable-lifecycle
wait_for_value '^metrics_adapter_positions_resumed_files_total\{shutdown="clean",source="truncated"\}' 1
write truncated.log t3 50
wait_for_value "$(lines_read truncated)" 50
sed -i '/name: recreated/,$d' "$tmp/adapter.yaml"   # the last source goes
curl -sf --max-time 5 -X POST "$url/-/reload" >/dev/null || fail "POST /-/reload"
wait_for_value '^metrics_adapter_config_reloads_total\{result="success"\}' 1
write truncated.log t4 20
wait_for_value "$(lines_read truncated)" 70
stop_adapter_cleanly
grep -q '"recreated"' "$positions" && fail "a source removed by a reload kept its positions"
[ "$(saved_offset truncated.log "$positions")" = "$(size truncated.log)" ] || fail "truncated.log offset after reload"
echo "restart: nothing read again; reload: positions kept, a removed source's dropped"

# --- 4. kill -9 --------------------------------------------------------------
cat >"$tmp/crash.yaml" <<YAML
positions: {path: crash-positions.json, sync_interval: 2s}
sources:
  - name: crash
    type: file
    paths: [logs/crash.log]
    rules: [lines.yaml]
YAML
crash_positions=$tmp/crash-positions.json
start_adapter "$adapter" --config.file="$tmp/crash.yaml"
write crash.log k1 500
wait_for_value "$(lines_read crash)" 500
size_a=$(size crash.log)
for _ in $(seq 100); do
  [ "$(saved_offset crash.log "$crash_positions")" = "$size_a" ] && break
  sleep 0.1
done
[ "$(saved_offset crash.log "$crash_positions")" = "$size_a" ] || fail "no periodic save within 10 s"
write crash.log k2 300   # counted, and maybe not saved before the kill
wait_for_value "$(lines_read crash)" 800
snapshot crash1
kill -KILL "$adapter_pid"
wait "$adapter_pid" 2>/dev/null || true
adapter_pid=
grep -q '"clean_shutdown": false' "$crash_positions" || fail "a periodic save must say it is not clean"
saved=$(saved_offset crash.log "$crash_positions")
if [ "$saved" -lt "$size_a" ] || [ "$saved" -gt "$(size crash.log)" ]; then
  fail "saved offset $saved outside [$size_a, $(size crash.log)]"
fi
write crash.log k3 100   # written while down
again=$(tail -c +$((saved + 1)) "$tmp/logs/crash.log" | wc -l)
start_adapter "$adapter" --config.file="$tmp/crash.yaml"
wait_for_value "$(lines_read crash)" "$again"
wait_for_value '^metrics_adapter_positions_resumed_files_total\{shutdown="unclean",source="crash"\}' 1
grep -q "was not saved at a clean shutdown" "$tmp/adapter.log" || fail "no warning of the unclean save"
snapshot crash2
stop_adapter_cleanly
recounted=$((again - 100))
if [ "$recounted" -lt 0 ] || [ "$recounted" -gt 300 ]; then
  fail "$recounted lines counted again, bound 300"
fi
# Never lost: every line written is counted at least once over both runs.
cat "$tmp/crash1.samples" "$tmp/crash2.samples" | awk '{ sum[$1] += $2 }
  END { for (s in sum) { n++; if (sum[s] > 1) twice++ } print n, twice + 0 }' >"$tmp/crash.out"
[ "$(cat "$tmp/crash.out")" = "900 $recounted" ] ||
  fail "lines seen, counted twice: $(cat "$tmp/crash.out"); want 900 $recounted"
echo "kill -9: 900 lines written, all counted; $recounted counted again (bound: the 300 written after the last save seen)"

# --- 5. an unwritable positions file ----------------------------------------
cat >"$tmp/unwritable.yaml" <<YAML
positions: {path: missing-dir/positions.json, sync_interval: 100ms}
sources:
  - name: crash
    type: file
    paths: [logs/crash.log]
    rules: [lines.yaml]
YAML
start_adapter "$adapter" --config.file="$tmp/unwritable.yaml"
wait_for_value "$(lines_read crash)" 900
for _ in $(seq 100); do
  [ "$(value '^metrics_adapter_positions_writes_total\{result="failure"\}')" -ge 3 ] 2>/dev/null && break
  sleep 0.1
done
[ "$(value '^metrics_adapter_positions_writes_total\{result="failure"\}')" -ge 3 ] ||
  fail "failed saves not counted"
[ "$(grep -c 'cannot save positions' "$tmp/adapter.log")" = 1 ] || fail "want one (rate-limited) warning"
stop_adapter_cleanly
echo "unwritable positions file: logged once, counted"

echo "PASS: positions"
