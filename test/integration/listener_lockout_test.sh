#!/usr/bin/env bash
# A tcp_listener cannot be locked out for good by clients that connect and go
# quiet: with max_connections idle connections held, a further sender is
# refused, and the refusal is logged and counted; once idle_timeout passes
# the idle connections are closed, and a new sender's lines all arrive.
# Usage: test/integration/listener_lockout_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
held=()
cleanup() {
  local fd
  for fd in "${held[@]}"; do exec {fd}>&-; done
  stop_adapter
  rm -rf "$tmp"
}
trap cleanup EXIT

max=4
cat >"$tmp/rules.yaml" <<'YAML'
parser: line
metrics:
  - {name: lockout_lines_total, type: counter, help: Lines received.}
rules:
  - name: any
    match: '^line [0-9]+$'
    emit: [{metric: lockout_lines_total}]
YAML
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: plain
    type: tcp_listener
    listen_address: "127.0.0.1:0"
    max_connections: $max
    idle_timeout: 3s
    rules: [rules.yaml]
YAML
"$adapter" check --config.file="$tmp/adapter.yaml" >/dev/null || fail "check refuses the config"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"
port=$(sed -n 's/.*source plain: listening on .*(port \([0-9]*\)).*/\1/p' "$tmp/adapter.log" | head -1)
[ -n "$port" ] || fail "the listener did not report its port"

# max_connections connections that never send a byte. The listener accepts
# them in the order they connected, so they take every slot before the
# sender below connects.
for _ in $(seq "$max"); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  held+=("$fd")
done
started=$(date +%s)

# A further sender is refused: accepted and closed at once. Its writes may
# fail (the peer reset the connection); that is the point.
(
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  for i in $(seq 10); do printf 'line %d\n' "$i" >&3; done
  sleep 0.2
  printf 'line 11\n' >&3
) 2>/dev/null || true
wait_for_value '^metrics_adapter_lines_dropped_total\{reason="connection_limit",source="plain"\}' 1
grep -q "tcp listener 127.0.0.1:0: a connection was refused: max_connections are open ($max)" \
  "$tmp/adapter.log" || fail "the refusal was not logged"
got=$(value '^lockout_lines_total ')
[ "${got:-0}" = 0 ] || fail "the refused sender's lines were counted: $got"
echo "connection $((max + 1)) refused, counted and logged while $max idle ones are held"

# The idle connections are closed after idle_timeout: each held socket sees
# the adapter's end of stream (read returns at once, with nothing).
for fd in "${held[@]}"; do
  rc=0
  read -r -t 10 -u "$fd" _ || rc=$?
  ((rc != 0)) || fail "an idle connection received data"
  ((rc <= 128)) || fail "an idle connection was still open 10 s after idle_timeout"
done
elapsed=$(($(date +%s) - started))
((elapsed >= 2)) || fail "idle connections closed after ${elapsed}s, before idle_timeout (3s)"
((elapsed <= 10)) || fail "idle connections closed only after ${elapsed}s"
grep -q "tcp listener 127.0.0.1:0: closed [0-9]* connection(s) idle for 3000 ms" "$tmp/adapter.log" ||
  fail "the idle closes were not logged"

# Now a sender gets a slot, and every one of its lines arrives.
lines=2000
(
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  for i in $(seq "$lines"); do printf 'line %d\n' "$i"; done >&3
) || fail "the sender after the idle timeout could not send"
wait_for_value '^lockout_lines_total ' "$lines"
wait_for_value '^metrics_adapter_lines_read_total\{source="plain"\}' "$lines"
got=$(value '^metrics_adapter_lines_dropped_total\{reason="connection_limit",source="plain"\}')
[ "$got" = 1 ] || fail "connection_limit drops are $got after the slots were freed, want 1"
echo "after idle_timeout (${elapsed}s) the idle connections were closed; $lines of $lines lines arrived"
