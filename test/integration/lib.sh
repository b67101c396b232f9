# Shared by the integration tests: start the adapter on a port chosen at run
# time, read samples from its /metrics, and clean up even on failure.
# Source it after setting `tmp` (a temp dir the caller owns).

adapter_pid=
# Kills the adapter if still running; call from the caller's EXIT trap.
stop_adapter() {
  if [ -n "$adapter_pid" ] && kill -0 "$adapter_pid" 2>/dev/null; then
    kill -KILL "$adapter_pid" 2>/dev/null || true
  fi
  adapter_pid=
}

fail() {
  echo "FAIL: $*"
  echo "--- adapter log:"
  cat "$tmp/adapter.log" 2>/dev/null || true
  exit 1
}

# start_adapter BINARY ARGS...: starts it with --web.listen-address=127.0.0.1:0
# and sets `url` from the port it logs. Fails after 10 s.
start_adapter() {
  local binary=$1
  shift
  : >"$tmp/adapter.log"  # exists before the adapter writes to it: the loop below reads it
  "$binary" --web.listen-address=127.0.0.1:0 "$@" 2>"$tmp/adapter.log" &
  adapter_pid=$!
  local port=
  for _ in $(seq 100); do
    port=$(sed -n 's/.*serving \/metrics on .*(port \([0-9]*\)).*/\1/p' "$tmp/adapter.log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$adapter_pid" 2>/dev/null || fail "adapter exited at start"
    sleep 0.1
  done
  [ -n "$port" ] || fail "adapter did not report its port within 10 s"
  url="http://127.0.0.1:$port"
}

# value SERIES_REGEX: the value of the first sample matching, or empty.
value() {
  curl -sf --max-time 5 "$url/metrics" | awk -v re="$1" '$0 ~ re { print $NF; exit }'
}

# wait_for_value SERIES_REGEX WANT: polls (up to 10 s) until the value is WANT.
wait_for_value() {
  for _ in $(seq 100); do
    [ "$(value "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "$1 is '$(value "$1")', want $2"
}

# stop_adapter_cleanly: SIGTERM, then it must exit 0 within 5 s.
stop_adapter_cleanly() {
  kill -TERM "$adapter_pid"
  for _ in $(seq 50); do kill -0 "$adapter_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$adapter_pid" 2>/dev/null; then fail "still running 5 s after SIGTERM"; fi
  local status=0
  wait "$adapter_pid" || status=$?
  adapter_pid=
  [ "$status" = 0 ] || fail "exit status $status after SIGTERM"
}

# access_line METHOD STATUS BYTES SECONDS: one nginx combined + $request_time line.
access_line() {
  printf '10.0.0.%d - - [25/Nov/2026:10:00:00 +0000] "%s /item/%d HTTP/1.1" %s %s "-" "curl/8.0" %s\n' \
    "$((RANDOM % 250))" "$1" "$RANDOM" "$2" "$3" "$4"
}
