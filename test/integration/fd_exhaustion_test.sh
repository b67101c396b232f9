#!/usr/bin/env bash
# Under a low `ulimit -n`, a glob matching thousands of files cannot take the
# descriptors the rest of the adapter needs: /metrics and /healthz keep
# answering, a tcp_listener keeps accepting (every line arrives), the files
# beyond the budget are counted and the cap is exported, warnings stay few;
# and a FIFO, /dev/zero (through a symbolic link) and a directory at matching
# paths are each logged once and counted, never opened.
# Usage: test/integration/fd_exhaustion_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; rm -rf "$tmp"' EXIT

nofile=256
files=3000
mkdir "$tmp/logs" "$tmp/odd" "$tmp/odd/dir.log"
for i in $(seq "$files"); do : >"$tmp/logs/f$i.log"; done
mkfifo "$tmp/odd/pipe.log"
ln -s /dev/zero "$tmp/odd/zero.log"

cat >"$tmp/rules.yaml" <<'YAML'
parser: line
metrics:
  - {name: fd_test_lines_total, type: counter, help: Lines received.}
rules:
  - name: any
    match: '^line [0-9]+$'
    emit: [{metric: fd_test_lines_total}]
YAML
cat >"$tmp/adapter.yaml" <<YAML
# Every source counts the lines it reads into one total.
shared_families: [fd_test_lines_total]
sources:
  - {name: many, type: file, paths: [logs/*.log], rules: [rules.yaml]}
  - {name: odd, type: file, paths: [odd/*.log, odd/dir.log], rules: [rules.yaml]}
  - name: push
    type: tcp_listener
    listen_address: "127.0.0.1:0"
    max_connections: 4
    rules: [rules.yaml]
YAML
cat >"$tmp/limited.sh" <<SH
#!/bin/sh
ulimit -n $nofile
exec "$adapter" "\$@"
SH
chmod +x "$tmp/limited.sh"
workers=16
start_adapter "$tmp/limited.sh" --config.file="$tmp/adapter.yaml" --web.max-connections="$workers"
port=$(sed -n 's/.*source push: listening on .*(port \([0-9]*\)).*/\1/p' "$tmp/adapter.log" | head -1)
[ -n "$port" ] || fail "the listener did not report its port"
[ "$(awk '/^Max open files/ { print $4 }' "/proc/$adapter_pid/limits")" = "$nofile" ] ||
  fail "the adapter does not run under ulimit -n $nofile"

# The tailer fills its budget and counts the rest.
for _ in $(seq 100); do
  [ -n "$(value '^metrics_adapter_source_files_limit\{source="many"\}')" ] && break
  sleep 0.1
done
followed=$(value '^metrics_adapter_source_files\{source="many"\}')
limit=$(value '^metrics_adapter_source_files_limit\{source="many"\}')
[ -n "$limit" ] || fail "the cap is not exported (metrics_adapter_source_files_limit)"
((followed > 0 && followed < nofile)) || fail "the source follows '$followed' files under ulimit -n $nofile"
[ "$limit" = "$followed" ] || fail "the limit is $limit, but $followed files are followed"
# The budget: the limit, less 128 kept for the rest, one per server worker,
# and the listener's connections, socket and wake-up descriptor.
budget=$((nofile - 128 - workers - (4 + 2)))
[ "$limit" = "$budget" ] || fail "the files' budget is $limit, want $budget"
wait_for_value '^metrics_adapter_source_files_waiting\{source="many"\}' "$((files - followed))"
wait_for_value '^metrics_adapter_files_skipped_total\{reason="fd_budget",source="many"\}' \
  "$((files - followed))"
open_fds=$(find "/proc/$adapter_pid/fd" -mindepth 1 | wc -l)
((open_fds < nofile - 64)) || fail "$open_fds descriptors open, too few left of $nofile"
echo "$followed of $files files followed, $((files - followed)) waiting; $open_fds of $nofile descriptors open"

# The HTTP server and the listener have their descriptors, scan after scan.
for i in $(seq 20); do
  curl -sS -f --max-time 5 -o /dev/null "$url/metrics" || fail "scrape $i of /metrics failed"
  curl -sS -f --max-time 5 -o /dev/null "$url/healthz" || fail "request $i of /healthz failed"
  sleep 0.1
done
lines=500
for batch in 1 2 3 4 5; do
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    for i in $(seq $((lines / 5))); do printf 'line %d\n' "$i"; done >&3
  ) || fail "sender $batch could not send"
done
wait_for_value '^metrics_adapter_lines_read_total\{source="push"\}' "$lines"
wait_for_value '^fd_test_lines_total ' "$lines"
echo "20 scrapes of /metrics and /healthz answered; $lines of $lines lines arrived over TCP"

# Not regular files: each logged once and counted, never opened (a FIFO's
# open would block the tailer, /dev/zero's read never end).
wait_for_value '^metrics_adapter_files_skipped_total\{reason="not_regular",source="odd"\}' 3
for what in "pipe.log: not a regular file but a fifo" \
  "zero.log: not a regular file but a character_device" \
  "dir.log: not a regular file but a directory"; do
  n=$(grep -c "$what" "$tmp/adapter.log" || true)
  [ "$n" = 1 ] || fail "\"$what\" logged $n times, want 1"
done
[ "$(value '^metrics_adapter_lines_read_total\{source="odd"\}')" = 0 ] ||
  fail "lines were read from the odd files"

# Several seconds of scans later: still counted once, warnings still few.
sleep 3
[ "$(value '^metrics_adapter_files_skipped_total\{reason="not_regular",source="odd"\}')" = 3 ] ||
  fail "the odd files were counted again"
[ "$(value '^metrics_adapter_files_skipped_total\{reason="fd_budget",source="many"\}')" = \
  "$((files - followed))" ] || fail "skipped files were counted again"
skipped_warnings=$(grep -c 'not following' "$tmp/adapter.log" || true)
warnings=$(grep -cE ' level=warn(ing)? ' "$tmp/adapter.log" || true)
((skipped_warnings >= 1 && skipped_warnings <= 2)) ||
  fail "$skipped_warnings warnings about skipped files, want 1 or 2 (rate-limited per source)"
((warnings >= 4 && warnings <= 10)) || fail "$warnings warnings logged, want 4 (3 odd files, 1 skipped) to 10"
grep -q 'accept: ' "$tmp/adapter.log" && fail "the listener failed to accept"
echo "$warnings warnings in all ($skipped_warnings about skipped files); FIFO, /dev/zero and a directory logged once each"
