#!/usr/bin/env bash
# Every parser on streamed sources, with real writers and senders:
#   - a python3 program logging through the `logging` module with a JSON
#     formatter (and a few lines it cannot format as JSON) to a file that
#     RotatingFileHandler rotates by rename + create during the run, followed
#     by the running adapter with the `json` parser: each level and the sum of
#     durations counted exactly, each broken line one parse error;
#   - util-linux `logger` sending RFC 3164 and RFC 5424 messages over UDP and
#     over TCP (newline framing and octet counting, one tcp_listener with
#     framing: auto) to `syslog` sources: every message counted exactly, by
#     facility, severity and app name.
# Usage: test/integration/stream_parsers_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require python3 curl logger || exit 1

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

records=30000  # JSON lines the writer logs
broken=7       # lines among them that are not JSON
cat >"$tmp/writer.py" <<'PY'
import collections, json, logging, logging.handlers, sys, time

path, records, broken = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

class JsonFormatter(logging.Formatter):
    """One JSON document per record; a record marked raw is written as it is."""
    def format(self, record):
        if getattr(record, "raw", False):
            return record.getMessage()
        return json.dumps({"time": self.formatTime(record), "level": record.levelname,
                           "logger": record.name, "message": record.getMessage(),
                           "http": {"route": "/api/items", "duration_ms": record.duration_ms}})

# Rotates by renaming app.log to app.log.1 (and so on) and creating a new
# app.log, every ~200 KB: about 25 rotations during the run.
handler = logging.handlers.RotatingFileHandler(path, maxBytes=200_000, backupCount=1000)
handler.setFormatter(JsonFormatter())
log = logging.getLogger("app")
log.addHandler(handler)
log.setLevel(logging.INFO)
levels = [logging.INFO, logging.WARNING, logging.ERROR]
written = collections.Counter()
for i in range(records):
    if i % (records // broken) == 1 and written["broken"] < broken:
        written["broken"] += 1
        log.info("Traceback (most recent call last): {not json", extra={"raw": True})
    else:
        log.log(levels[i % 3], "request %d done", i, extra={"duration_ms": i % 100})
        written[logging.getLevelName(levels[i % 3])] += 1
        written["ms"] += i % 100
    if i % 100 == 0:
        time.sleep(0.001)  # a busy app, not a flood
handler.close()
# What was written, for the test to compare with what the adapter counted.
print(" ".join(f"{k}={v}" for k, v in sorted(written.items())))
PY

cat >"$tmp/json_rules.yaml" <<'YAML'
parser: json
metrics:
  - {name: app_log_records_total, type: counter, help: Records logged by level., labels: [level]}
  - {name: app_request_duration_ms_total, type: counter, help: Request durations logged in ms.}
rules:
  - name: level
    match: '^level$'
    emit: [{metric: app_log_records_total, labels: {level: '${label.value}'}}]
  - name: duration
    match: '^http\.duration_ms$'
    emit: [{metric: app_request_duration_ms_total, add: $value}]
tests:
  - name: one record
    input: |
      {"level": "INFO", "message": "m", "http": {"route": "/", "duration_ms": 12}}
    expect: |
      app_log_records_total{level="INFO"} 1
      app_request_duration_ms_total 12
YAML

cat >"$tmp/syslog_rules.yaml" <<'YAML'
parser: syslog
metrics:
  - name: syslog_messages_total
    type: counter
    help: Syslog messages received.
    labels: [facility, severity, app]
rules:
  - name: message
    match: '^msg [0-9]+$'
    emit:
      - metric: syslog_messages_total
        labels: {facility: '${label.facility}', severity: '${label.severity}', app: '${label.app_name}'}
tests:
  - name: both forms
    input: |
      <27>Dec  2 17:00:00 host bsd[1]: msg 1
      <27>1 2026-12-02T17:00:00Z host ietf - - - msg 2
    expect: |
      syslog_messages_total{facility="daemon",severity="err",app="bsd"} 1
      syslog_messages_total{facility="daemon",severity="err",app="ietf"} 1
YAML
"$adapter" test "$tmp/json_rules.yaml" "$tmp/syslog_rules.yaml" >/dev/null ||
  fail "the test's own rule files do not pass their tests"

: >"$tmp/app.log"
cat >"$tmp/adapter.yaml" <<YAML
# Messages received over UDP and over TCP add up: one count per sender's app.
shared_families: [syslog_messages_total]
sources:
  # The glob keeps rotated files in view: a file rotated twice before the
  # tailer looks again is still read, as app.log.1.
  - {name: app, type: file, paths: [app.log*], parser: json, rules: [json_rules.yaml], poll_interval: 50ms}
  - {name: syslog_udp, type: udp, listen_address: "127.0.0.1:0", parser: syslog, rules: [syslog_rules.yaml]}
  - name: syslog_tcp
    type: tcp_listener
    listen_address: "127.0.0.1:0"
    framing: auto
    parser: syslog
    rules: [syslog_rules.yaml]
YAML
"$adapter" check --config.file="$tmp/adapter.yaml" >/dev/null || fail "check refuses the config"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"

# JSON lines through rotation.
python3 "$tmp/writer.py" "$tmp/app.log" "$records" "$broken" >"$tmp/written" &
writer_pid=$!
wait "$writer_pid" || fail "the writer failed"
writer_pid=
written() { tr ' ' '\n' <"$tmp/written" | sed -n "s/^$1=//p"; }
[ "$(written broken)" = "$broken" ] || fail "the writer wrote $(written broken) broken lines"
rotated=$(find "$tmp" -name 'app.log.*' | wc -l)
[ "$rotated" -ge 5 ] || fail "the writer rotated only $rotated times"
wait_for_value '^metrics_adapter_lines_read_total\{source="app"\}' "$records"
for level in INFO WARNING ERROR; do
  wait_for_value "^app_log_records_total\\{level=\"$level\"\\}" "$(written "$level")"
done
wait_for_value '^app_request_duration_ms_total ' "$(written ms)"
wait_for_value '^metrics_adapter_parse_errors_total\{reason="invalid_json",source="app"\}' "$broken"
seen=$(value '^metrics_adapter_file_rotations_total\{kind="rename",source="app"\}')
[ "${seen:-0}" -ge 1 ] || fail "the adapter saw no rotation"
echo "json: $records lines over $rotated rotations ($seen seen renamed): $(cat "$tmp/written"), all counted"

# Syslog from logger: each invocation sends `messages` lines of its stdin.
port_of() { sed -n "s/.*source $1: listening on .*(port \\([0-9]*\\)).*/\\1/p" "$tmp/adapter.log" | head -1; }
udp_port=$(port_of syslog_udp)
tcp_port=$(port_of syslog_tcp)
[ -n "$udp_port" ] || fail "the udp syslog listener did not report its port"
[ -n "$tcp_port" ] || fail "the tcp syslog listener did not report its port"
messages=200
send() {  # send PORT TAG PRIORITY LOGGER_OPTION...: `messages` messages
  local port=$1 tag=$2 priority=$3
  shift 3
  seq 1 "$messages" | sed 's/^/msg /' |
    logger "$@" -n 127.0.0.1 -P "$port" -t "$tag" -p "$priority" || fail "logger $* failed"
}
send "$udp_port" bsd daemon.err --rfc3164 -d
send "$udp_port" ietf local0.warning --rfc5424 -d
send "$tcp_port" bsdtcp user.notice --rfc3164 -T
send "$tcp_port" ietftcp mail.info --rfc5424 -T
send "$tcp_port" octets local7.debug --rfc5424 -T --octet-count
series() { echo "^syslog_messages_total\\{facility=\"$2\",severity=\"$3\",app=\"$1\"\\}"; }
wait_for_value "$(series bsd daemon err)" "$messages"
wait_for_value "$(series ietf local0 warning)" "$messages"
wait_for_value "$(series bsdtcp user notice)" "$messages"
wait_for_value "$(series ietftcp mail info)" "$messages"
wait_for_value "$(series octets local7 debug)" "$messages"
wait_for_value '^metrics_adapter_lines_read_total\{source="syslog_udp"\}' $((2 * messages))
wait_for_value '^metrics_adapter_lines_read_total\{source="syslog_tcp"\}' $((3 * messages))
wait_for_value '^metrics_adapter_lines_unmatched_total\{source="syslog_tcp"\}' 0
# Junk over UDP and a broken octet count over TCP: counted, nothing else.
printf 'not syslog at all' >"/dev/udp/127.0.0.1/$udp_port"
wait_for_value '^metrics_adapter_parse_errors_total\{reason="bad_timestamp",source="syslog_udp"\}' 1
printf '5 <13>Dec  2 17:00:00 h x: msg 1' >"/dev/tcp/127.0.0.1/$tcp_port"
printf '12 abc' >"/dev/tcp/127.0.0.1/$tcp_port"  # a frame cut short by the close
wait_for_value '^metrics_adapter_lines_dropped_total\{reason="bad_frame",source="syslog_tcp"\}' 1
wait_for_value '^metrics_adapter_lines_dropped_total\{reason="unterminated",source="syslog_tcp"\}' 1
echo "syslog: $((5 * messages)) messages from logger (RFC 3164 and 5424; UDP, TCP, octet counting) counted exactly"

stop_adapter_cleanly
echo "PASS: json lines across rotation and syslog from logger, every line counted"
