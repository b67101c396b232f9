#!/usr/bin/env bash
# Pulled `exec` and `status_file` sources against real parts.
#
# exec: a real varnishd (Debian `varnish`) on 127.0.0.1 with a private work
# dir (-n) in front of a python3 http.server backend. The test makes an
# exact number of requests through varnish, then the running adapter runs
# `varnishstat -n DIR -j` at each scrape (parser json, the shipped rule file
# rules/library/varnish/varnishstat.yaml) and must report exactly those
# requests, hits and misses. Beside it, sources whose commands misbehave:
# one that hangs (up 0 within its timeout, its process group gone), one that
# exits 1 (up 0, its stderr in the adapter's log), one that prints 100 MiB
# (up 0, stopped at max_output_bytes, the adapter's memory bounded), and one
# that reports its env and working_dir.
#
# status_file: a JSON and a keyvalue snapshot file rewritten (renamed over)
# between scrapes: the values follow; a missing file gives up 0.
#
# Usage: test/integration/exec_source_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root"/scripts/deps.sh --require varnishd varnishstat python3 curl setsid || exit 1
export PATH="$PATH:/usr/sbin:/sbin"

tmp=$(mktemp -d)
# mktemp -d is 0700; varnish's unprivileged child reads its work dir here.
chmod 755 "$tmp"
# shellcheck source=test/integration/lib.sh
source "$root/test/integration/lib.sh"

backend_pid=
server_pid=
cleanup() {
  stop_adapter
  stop_server
  if [ -n "$backend_pid" ]; then
    kill -KILL "$backend_pid" 2>/dev/null || true
    wait "$backend_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- The backend and varnish ------------------------------------------------------

mkdir "$tmp/www"
echo "cached page" >"$tmp/www/page.txt"
start_static_backend "$tmp/www"

cat >"$tmp/default.vcl" <<VCL
vcl 4.1;
backend default { .host = "127.0.0.1"; .port = "$backend_port"; }
VCL
# write_varnish_conf PORT: varnishd takes its listen address on the command
# line, so the "config" start_server_on_free_port writes is the command.
# -F: in the foreground, the pid started is the manager's; -T none: no
# management port; the shared memory varnishstat reads is in the -n dir.
write_varnish_conf() {
  cat >"$tmp/varnish.sh" <<SH
exec varnishd -F -n "$tmp/varnish" -a "127.0.0.1:$1" -f "$tmp/default.vcl" \\
  -P "$tmp/varnish.pid" -s malloc,16m -T none
SH
}
start_server_on_free_port varnish write_varnish_conf "$tmp/varnish.pid" "$tmp/varnish.err" -- \
  sh "$tmp/varnish.sh"
varnish_port=$port
for _ in $(seq 100); do
  port_listening "$varnish_port" && break
  sleep 0.1
done
port_listening "$varnish_port" || fail "varnish does not listen on $varnish_port"

requests=25
for i in $(seq "$requests"); do
  got=$(curl -sf --noproxy '*' --max-time 5 "http://127.0.0.1:$varnish_port/page.txt") ||
    fail "request $i through varnish failed"
  [ "$got" = "cached page" ] || fail "request $i through varnish answered '$got'"
done

# --- The adapter --------------------------------------------------------------------

# key=value lines from a command or a file: app_value{name} per key.
cat >"$tmp/values.yaml" <<'YAML'
parser: {name: keyvalue, separator: "="}
# Several sources read this format: each tells its series apart by `app`.
source_labels: [app]
metrics:
  - {name: app_value, type: gauge, help: A value the command or file reported., labels: [name]}
rules:
  - name: value
    match: '^(?P<name>[a-z_]+)$'
    emit: [{metric: app_value, set: $value, labels: {name: $name}}]
YAML
cat >"$tmp/status.yaml" <<'YAML'
parser: json
source_labels: [app]
metrics:
  - {name: app_requests_total, type: counter, help: Requests served., labels: []}
  - {name: app_connections, type: gauge, help: Open connections., labels: []}
rules:
  - name: requests
    match: '^requests$'
    emit: [{metric: app_requests_total, set: $value}]
  - name: connections
    match: '^connections\.active$'
    emit: [{metric: app_connections, set: $value}]
YAML
mkdir "$tmp/wd"
echo "from_dir=7" >"$tmp/wd/local.txt"
# Snapshot files are written whole and renamed over, as apps should.
snapshot() { # snapshot FILE TEXT
  printf '%s' "$2" >"$tmp/$1.new"
  mv "$tmp/$1.new" "$tmp/$1"
}
snapshot status.json '{"requests": 10, "connections": {"active": 2}}'
snapshot status.txt $'queue_depth=4\nworkers=8\n'

# The image has no shell; this test uses sh only to script misbehaving commands.
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: varnish
    type: exec
    command: [varnishstat, -n, "$tmp/varnish", -j]
    timeout: 5s
    rules: [$root/rules/library/varnish/varnishstat.yaml]
  - name: hang
    type: exec
    command: [sh, -c, 'echo \$\$ > "$tmp/hang.pid"; sleep 60 & echo \$! > "$tmp/hang.child"; wait']
    timeout: 500ms
    rules: [values.yaml]
    labels: {app: hang}
  - name: fails
    type: exec
    command: [sh, -c, 'echo "status socket refused the connection" >&2; exit 1']
    rules: [values.yaml]
    labels: {app: fails}
  - name: flood
    type: exec
    command: [head, -c, "104857600", /dev/zero]
    max_output_bytes: 1048576
    timeout: 20s
    rules: [values.yaml]
    labels: {app: flood}
  - name: env_dir
    type: exec
    command: [sh, -c, 'echo "from_env=\$ANSWER"; cat local.txt; echo "option -x is deprecated" >&2']
    env: {ANSWER: "42"}
    working_dir: wd
    rules: [values.yaml]
    labels: {app: env_dir}
  - name: json_file
    type: status_file
    path: status.json
    rules: [status.yaml]
    labels: {app: json_file}
  - name: kv_file
    type: status_file
    path: status.txt
    rules: [values.yaml]
    labels: {app: kv_file}
  - name: missing_file
    type: status_file
    path: absent.json
    rules: [status.yaml]
    labels: {app: missing_file}
YAML
start_checked_adapter run --config.watch-interval=0s

# One scrape: every source runs once. Each pulled source is fetched in
# parallel under its own timeout, so the scrape ends well before the 60 s
# the hanging command would sleep.
scrape() { # scrape FILE
  curl -sf --noproxy '*' --max-time 30 -o "$tmp/$1" "$url/metrics" || fail "scrape failed"
}
# up: with the source's constant label `app` where it has one (all but varnish).
up() {
  local labels="source=\"$2\""
  [ "$2" = varnish ] || labels="app=\"$2\",$labels"
  prom_value "$tmp/$1" "metrics_adapter_source_up{$labels}"
}
errors() { prom_value "$tmp/$1" "metrics_adapter_source_scrape_errors_total{reason=\"$3\",source=\"$2\"}"; }

hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$adapter_pid/status"; }
hwm_before=$(hwm_kib)
start_ms=$(($(date +%s%N) / 1000000))
scrape first.prom
took_ms=$(($(date +%s%N) / 1000000 - start_ms))
hwm_after=$(hwm_kib)

# varnish: the requests made through it, exactly (varnish adds worker
# threads' counts to its totals within a second: poll, bounded).
series='server_requests_total'
for _ in $(seq 50); do
  [ "$(prom_value "$tmp/first.prom" "$series")" = "$requests" ] && break
  sleep 0.2
  scrape first.prom
done
[ "$(up first.prom varnish)" = 1 ] || fail "varnish source not up"
for want in "server_requests_total $requests" "cache_misses_total 1" \
  "cache_hits_total $((requests - 1))" "cache_items 1"; do
  read -r series value <<<"$want"
  got=$(prom_value "$tmp/first.prom" "$series")
  [ "$got" = "$value" ] || fail "$series is '$got', want $value"
done
echo "varnish: $requests requests through varnishd, counted exactly through varnishstat -j"

# hang: up 0 with reason timeout, after its 500 ms and not much more; the
# shell was the adapter's child, reaped before the scrape answered: gone, not
# a zombie. Its background sleep, in the same process group, was killed; it
# was orphaned to init, which reaps it (bounded wait).
[ "$(up first.prom hang)" = 0 ] || fail "hang: up is '$(up first.prom hang)', want 0"
[ -n "$(errors first.prom hang timeout)" ] || fail "hang: no scrape error with reason timeout"
duration=$(prom_value "$tmp/first.prom" 'metrics_adapter_source_scrape_duration_seconds{app="hang",source="hang"}')
awk -v d="$duration" 'BEGIN { exit !(d >= 0.5 && d < 2.5) }' ||
  fail "hang: the scrape took ${duration}s for a 500ms timeout"
[ "$took_ms" -lt 10000 ] || fail "the first scrape took ${took_ms} ms"
hang_pid=$(cat "$tmp/hang.pid" 2>/dev/null) || fail "hang: the command wrote no pid file"
hang_child=$(cat "$tmp/hang.child" 2>/dev/null) || fail "hang: the command wrote no child pid file"
[ ! -e "/proc/$hang_pid" ] || fail "hang: the command (pid $hang_pid) is still there: $(cat "/proc/$hang_pid/stat")"
for _ in $(seq 50); do
  [ -e "/proc/$hang_child" ] || break
  sleep 0.1
done
[ ! -e "/proc/$hang_child" ] || fail "hang: its background sleep (pid $hang_child) outlived the timeout"
# No child of the adapter is left, running or zombie. Every process's stat
# line goes through cat, which skips (and exits 1 for) a process that ends
# between the glob and its read: awk, given such a file itself, stops at it
# without printing a count.
children=$({ cat /proc/[0-9]*/stat 2>/dev/null || true; } |
  awk -v p="$adapter_pid" '{ sub(/.*\) /, ""); split($0, f, " "); if (f[2] == p) n++ } END { print n + 0 }')
[ "$children" = 0 ] || fail "the adapter has $children child process(es) left after the scrape"
echo "hang: up 0 after ${duration}s (timeout 500ms), the command and its group gone"

# fails: exit 1, reason exit, its stderr in the adapter's log.
[ "$(up first.prom fails)" = 0 ] || fail "fails: up is not 0"
[ -n "$(errors first.prom fails exit)" ] || fail "fails: no scrape error with reason exit"
# The log is logfmt: the quotes around "sh" are escaped there.
grep 'source fails: scrape failed:' "$tmp/adapter.log" |
  grep -qF 'exited with status 1: status socket refused the connection' || fail "fails: the command's stderr is not in the log"
echo "fails: up 0, reason exit, stderr logged"

# flood: 100 MiB of output, cut at 1 MiB: too_large, and the adapter's peak
# memory grew by far less than what the command wrote.
[ "$(up first.prom flood)" = 0 ] || fail "flood: up is not 0"
[ -n "$(errors first.prom flood too_large)" ] || fail "flood: no scrape error with reason too_large"
grown=$(((hwm_after - hwm_before) / 1024))
[ "$grown" -lt 50 ] || fail "flood: the adapter's peak memory grew by $grown MiB"
echo "flood: up 0, reason too_large, peak memory +$grown MiB for 100 MiB written"

# env_dir: the variable set in env, the file read from working_dir.
[ "$(up first.prom env_dir)" = 1 ] || fail "env_dir: up is not 1"
[ "$(prom_value "$tmp/first.prom" 'app_value{name="from_env",app="env_dir"}')" = 42 ] || fail "env_dir: env not set"
[ "$(prom_value "$tmp/first.prom" 'app_value{name="from_dir",app="env_dir"}')" = 7 ] || fail "env_dir: working_dir not used"
# A command that works but writes to stderr: up 1, and its stderr logged.
grep 'source env_dir: the command wrote to stderr: option -x is deprecated' "$tmp/adapter.log" >/dev/null ||
  fail "env_dir: its stderr is not in the log"
echo "env_dir: env and working_dir honoured, stderr of a working command logged"

# Status files: their values, then rewritten, the new values; a missing file.
[ "$(prom_value "$tmp/first.prom" 'app_requests_total{app="json_file"}')" = 10 ] || fail "json_file: requests"
[ "$(prom_value "$tmp/first.prom" 'app_connections{app="json_file"}')" = 2 ] || fail "json_file: connections"
[ "$(prom_value "$tmp/first.prom" 'app_value{name="queue_depth",app="kv_file"}')" = 4 ] || fail "kv_file: queue_depth"
[ "$(up first.prom missing_file)" = 0 ] || fail "missing_file: up is not 0"
[ -n "$(errors first.prom missing_file missing)" ] || fail "missing_file: no scrape error with reason missing"
snapshot status.json '{"requests": 17, "connections": {"active": 0}}'
snapshot status.txt $'queue_depth=0\nworkers=8\n'
snapshot absent.json '{"requests": 1}'
scrape second.prom
[ "$(prom_value "$tmp/second.prom" 'app_requests_total{app="json_file"}')" = 17 ] || fail "json_file: requests not followed"
[ "$(prom_value "$tmp/second.prom" 'app_connections{app="json_file"}')" = 0 ] || fail "json_file: connections not followed"
[ "$(prom_value "$tmp/second.prom" 'app_value{name="queue_depth",app="kv_file"}')" = 0 ] || fail "kv_file: not followed"
[ "$(up second.prom missing_file)" = 1 ] || fail "missing_file: up is not 1 once the file exists"
rm "$tmp/status.json" "$tmp/absent.json"
scrape third.prom
[ "$(up third.prom json_file)" = 0 ] || fail "json_file: up is not 0 once the file is gone"
[ -z "$(prom_value "$tmp/third.prom" 'app_requests_total{app="json_file"}')" ] || fail "json_file: stale series after the file went"
echo "status files: values follow each rewrite; a missing file gives up 0"

stop_adapter_cleanly
echo "PASS"
