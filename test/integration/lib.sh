# shellcheck shell=bash
# shellcheck disable=SC2154  # tmp, adapter, sent, want: set by the sourcing test
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
    port=$(sed -n 's/.*serving \/[^ ]* on .*(port \([0-9]*\)).*/\1/p' "$tmp/adapter.log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$adapter_pid" 2>/dev/null || fail "adapter exited at start"
    sleep 0.1
  done
  [ -n "$port" ] || fail "adapter did not report its port within 10 s"
  url="http://127.0.0.1:$port"
}

# start_checked_adapter COMMAND [ARG...]: `$adapter check` must accept
# $tmp/adapter.yaml within 30 s (its output is shown when it does not); then
# start_adapter runs $adapter COMMAND (`run`) with ARGs and
# --config.file=$tmp/adapter.yaml.
start_checked_adapter() {
  timeout 30 "$adapter" check --config.file="$tmp/adapter.yaml" >"$tmp/check.out" 2>&1 ||
    { cat "$tmp/check.out"; fail "metrics-adapter check refused the config"; }
  start_adapter "$adapter" "$@" --config.file="$tmp/adapter.yaml"
}

# check_example_config EXAMPLE SED_EXPRESSION...: the example config file
# EXAMPLE, with this test's paths and ports (each SED_EXPRESSION applied; one
# must change something), written to $tmp/adapter.yaml beside a link to the
# repository's rules/, as the ConfigMap lays them out: `$adapter check` must
# accept it without reporting a collision. The same config without its
# sources' `labels:` lines ($tmp/unlabelled.yaml) must be refused; check's
# output is left in $tmp/unlabelled.out for the caller to read.
check_example_config() {
  local example=$1 expression sed_args=()
  shift
  for expression in "$@"; do sed_args+=(-e "$expression"); done
  ln -s "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/rules" "$tmp/rules"
  sed "${sed_args[@]}" "$example" >"$tmp/adapter.yaml"
  ! cmp -s "$example" "$tmp/adapter.yaml" || fail "nothing of $example was replaced"
  "$adapter" check --config.file="$tmp/adapter.yaml" >"$tmp/check.out" 2>&1 ||
    { cat "$tmp/check.out"; fail "check refused $example"; }
  ! grep -q 'both write family' "$tmp/check.out" || fail "check reports a collision: $(cat "$tmp/check.out")"
  grep -v '^    labels:' "$tmp/adapter.yaml" >"$tmp/unlabelled.yaml"
  if "$adapter" check --config.file="$tmp/unlabelled.yaml" >"$tmp/unlabelled.out" 2>&1; then
    fail "check accepted $example without its labels"
  fi
}

# value SERIES_REGEX: the value of the first sample matching, or empty (also
# when the scrape fails, which is said on stderr: a caller's check then fails
# with its own message instead of `set -e` ending the test without one).
# awk reads to the end, so curl never writes into a closed pipe.
value() {
  local page rc=0
  page=$(curl -sS -f --max-time 5 "$url/metrics") || rc=$?
  [ "$rc" = 0 ] || echo "value: scraping $url/metrics failed (curl exit $rc)" >&2
  # The pattern through the environment: -v would treat its backslashes as
  # string escapes (and warn about `\{`).
  re=$1 awk '!found && $0 ~ ENVIRON["re"] { print $NF; found = 1 }' <<<"$page"
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

# prom_value FILE SERIES: the sample value of SERIES (exactly as written) in
# an exposition FILE, or empty.
prom_value() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }

# prom_sum FILE FAMILY: the sum of every labelled sample of FAMILY in FILE.
prom_sum() { awk -v f="$2" 'index($1, f "{") == 1 { s += $2 } END { printf "%.6f\n", s }' "$1"; }

# same_number A B: whether two numbers agree to 1e-6.
same_number() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'; }

# check_access_log LOG RULE_FILE [PARSER]: reads $tmp/LOG once with RULE_FILE
# (and PARSER, default line) and
# checks that every request is counted exactly: per (method, status), in
# total, and in body bytes. The caller sets $adapter, $tmp, $sent, the
# associative array `want` ("METHOD STATUS" -> requests sent) and defines
# log_body_bytes FILE, the body bytes its log format records.
check_access_log() {
  local log=$1 rules=$2 parser=${3:-line} name
  name=$(basename "${log%.*}")
  local lines
  lines=$(wc -l <"$tmp/$log")
  [ "$lines" = "$sent" ] || fail "$log has $lines lines for $sent requests sent"
  cat >"$tmp/$name.yaml" <<YAML
sources:
  - name: $name
    type: file
    paths: [$log]
    parser: $parser
    rules: [$rules]
YAML
  timeout 60 "$adapter" once --config.file="$tmp/$name.yaml" >"$tmp/$name.prom" 2>"$tmp/$name.err" ||
    { cat "$tmp/$name.err"; fail "metrics-adapter once failed on $log"; }
  local prom=$tmp/$name.prom

  local key method status got series
  for key in "${!want[@]}"; do
    method=${key% *} status=${key#* }
    series="http_server_requests_total{http_request_method=\"$method\",http_response_status_code=\"$status\"}"
    got=$(prom_value "$prom" "$series")
    [ "$got" = "${want[$key]}" ] || fail "$log: $series is '$got', sent ${want[$key]}"
  done
  series=$(grep -c '^http_server_requests_total{' "$prom" || true)
  [ "$series" = "${#want[@]}" ] ||
    fail "$log: $series request series, sent ${#want[@]} (method, status) pairs"
  same_number "$(prom_sum "$prom" http_server_requests_total)" "$lines" ||
    fail "$log: requests total $(prom_sum "$prom" http_server_requests_total), log lines $lines"

  local bytes
  bytes=$(log_body_bytes "$tmp/$log")
  same_number "$(prom_sum "$prom" http_server_response_body_size_bytes_total)" "$bytes" ||
    fail "$log: bytes counted $(prom_sum "$prom" http_server_response_body_size_bytes_total), log says $bytes"

  got=$(prom_value "$prom" "metrics_adapter_lines_unmatched_total{source=\"$name\"}")
  [ "$got" = 0 ] || fail "$log: $got line(s) unmatched"
  got=$(prom_value "$prom" "metrics_adapter_lines_read_total{source=\"$name\"}")
  [ "$got" = "$lines" ] || fail "$log: adapter read '$got' lines of $lines"
  echo "$log: $lines lines, ${#want[@]} (method, status) series, $bytes bytes: all counted"
}

# start_static_backend DIR: python3's http.server serving DIR on a free port
# of 127.0.0.1 (start_listening: output in $tmp/backend.out); sets
# backend_port and backend_pid (the caller stops it).
start_static_backend() {
  start_listening backend backend_pid true port_listening \
    python3 -m http.server --bind 127.0.0.1 --directory "$1" @PORT@
  # shellcheck disable=SC2034  # read by the caller
  backend_port=$port
}

# port_listening PORT: something listens on PORT, any address, IPv4 or IPv6.
# Read from /proc, so checking makes no connection the service would count.
port_listening() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v p="$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 }
                   END { exit !found }' /proc/net/tcp /proc/net/tcp6
}

# pick_ports COUNT: sets `ports` to COUNT distinct ports nothing listens on,
# below the kernel's range of ephemeral ports (net.ipv4.ip_local_port_range)
# when it leaves room there: a port in that range may be given to any
# outgoing connection's local end between picking and binding, which the
# service then cannot bind, and this busy machine makes thousands of them.
# Another test may still take one before the service binds it: the start
# helpers (start_listening, start_exporter, start_server_on_free_port)
# then try other ports.
pick_ports() {
  ports=()
  local candidate low=20000 span=40000 ephemeral
  read -r ephemeral _ </proc/sys/net/ipv4/ip_local_port_range || ephemeral=0
  if [ "$ephemeral" -gt $((10000 + 4000)) ]; then low=10000 span=$((ephemeral - 10000)); fi
  for _ in $(seq 200); do
    [ "${#ports[@]}" -lt "$1" ] || return 0
    candidate=$((low + (RANDOM * 32768 + RANDOM) % span))
    port_listening "$candidate" && continue
    [[ " ${ports[*]} " == *" $candidate "* ]] && continue
    ports+=("$candidate")
  done
  fail "found no $1 free ports in 200 tries"
}

# stop_group PID [TENTHS]: ends a server started under setsid. SIGTERM lets
# it stop and reap its workers; after TENTHS tenths of a second (default 50)
# SIGKILL to its process group ends whatever is left, even workers of a
# master that died: they would hold the port.
stop_group() {
  local pid=$1 tenths=${2:-50}
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# stop_server: ends the server start_server_on_free_port started, if any.
stop_server() {
  [ -n "${server_pid:-}" ] || return 0
  stop_group "$server_pid"
  server_pid=
}

# start_server_on_free_port NAME WRITE_CONF PID_FILE ERROR_LOG -- COMMAND...:
# starts a server (nginx, httpd) that writes PID_FILE once it has bound its
# port. Picks a free port, calls WRITE_CONF PORT, starts COMMAND in its own
# process group (setsid) with output in $tmp/NAME.out and waits up to 10 s
# for the pid file. Another process may take the port before the server
# binds it: on "Address already in use" it tries another, 5 times at most.
# Sets `port` and `server_pid` (set while the server may run, so the
# caller's EXIT trap can stop it).
start_server_on_free_port() {
  local name=$1 write_conf=$2 pid_file=$3 error_log=$4
  shift 5 # NAME WRITE_CONF PID_FILE ERROR_LOG --
  server_pid=
  for _ in 1 2 3 4 5; do
    pick_ports 1
    port=${ports[0]}
    "$write_conf" "$port"
    : >"$error_log"
    rm -f "$pid_file"
    setsid "$@" >"$tmp/$name.out" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
      [ -s "$pid_file" ] && break
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    [ -s "$pid_file" ] && kill -0 "$server_pid" 2>/dev/null && break
    if kill -0 "$server_pid" 2>/dev/null; then fail "$name wrote no pid file within 10 s"; fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    grep -q 'Address already in use' "$error_log" "$tmp/$name.out" ||
      { cat "$tmp/$name.out" "$error_log"; fail "$name did not start"; }
    echo "port $port was taken meanwhile; trying another"
  done
  [ -n "$server_pid" ] || fail "$name could not bind a free port in 5 attempts"
  [ "$(cat "$pid_file")" = "$server_pid" ] || fail "the $name master is not the process started"
}

# nginx_temp_paths: the http-block lines of an nginx.conf that keep nginx's
# temporary files in $tmp instead of the compiled-in /var/lib/nginx.
nginx_temp_paths() {
  local kind
  for kind in client_body proxy fastcgi uwsgi scgi; do echo "  ${kind}_temp_path $tmp/$kind;"; done
}

# nginx_logging_conf DIR PORT: an nginx.conf, printed, for a server on
# 127.0.0.1:PORT whose pid, error log and access log are in DIR; the access
# log in the format the shipped combined_request_time rules read. /stub_status
# answers (its requests are not logged: they are the adapter's, not load),
# /missing gives 404, every other path 200.
nginx_logging_conf() {
  local dir=$1 port=$2
  cat <<CONF
user root;
worker_processes 1;
error_log $dir/error.log notice;
pid $dir/nginx.pid;
events { worker_connections 64; }
http {
$(nginx_temp_paths)
  log_format combined_rt '\$remote_addr - \$remote_user [\$time_local] "\$request" '
                         '\$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" '
                         '\$request_time';
  server {
    listen 127.0.0.1:$port;
    access_log $dir/access.log combined_rt;
    location = /stub_status { stub_status; access_log off; }
    location = /missing { return 404; }
    location / { return 200 "ok\n"; }
  }
}
CONF
}

# --- A pulled service: scrapes before and after a counted load ---------------

# stop_pid NAME_OF_PID_VARIABLE: stops the server (started under setsid)
# whose pid the variable holds, if any (stop_group), and empties the
# variable. Safe to call twice: from the test and again from its EXIT trap.
stop_pid() {
  [ -n "${!1}" ] || return 0
  stop_group "${!1}"
  printf -v "$1" ''
}

# scrape_up NAME SOURCE...: one GET /metrics into $tmp/NAME.prom; fails
# unless it answers within 15 s and every SOURCE reads
# metrics_adapter_source_up 1 in it.
scrape_up() {
  local name=$1 source
  shift
  curl -sf --max-time 15 "$url/metrics" >"$tmp/$name.prom" || fail "scrape $name failed"
  for source in "$@"; do
    [ "$(prom_value "$tmp/$name.prom" "metrics_adapter_source_up{source=\"$source\"}")" = 1 ] ||
      fail "scrape $name: source $source not up: $(grep "source=\"$source\"" "$tmp/$name.prom")"
  done
}

# delta SERIES: prints its value in $tmp/after.prom minus its value in
# $tmp/before.prom (scrape_up after and before), as an integer. A series
# absent before counts from 0 (a label value the service lists only once
# it has seen it); one absent after fails the test, the message on stderr
# (a caller reads stdout: got=$(delta S) || exit 1).
delta() {
  local a b
  a=$(prom_value "$tmp/after.prom" "$1")
  b=$(prom_value "$tmp/before.prom" "$1")
  [ -n "$a" ] || fail "$1 missing after the load" >&2
  echo $((a - ${b:-0}))
}

# expect_delta SERIES WANT WHAT: fails unless SERIES rose by exactly WANT
# between the two scrapes (delta); WHAT says in the message what was sent.
expect_delta() {
  local got
  got=$(delta "$1") || exit 1
  [ "$got" = "$2" ] || fail "$1 rose by $got, want $2 ($3)"
}

# expect_down SOURCE PREFIX WHAT: with the service stopped (WHAT names it), one
# GET /metrics into $tmp/down.prom must answer, read
# metrics_adapter_source_up 0 for SOURCE and hold no series starting with PREFIX.
expect_down() {
  local source=$1 prefix=$2 what=$3
  curl -sf --max-time 15 "$url/metrics" >"$tmp/down.prom" || fail "scrape with $what stopped failed"
  [ "$(prom_value "$tmp/down.prom" "metrics_adapter_source_up{source=\"$source\"}")" = 0 ] ||
    fail "source $source up with $what stopped"
  ! grep -q "^$prefix" "$tmp/down.prom" ||
    fail "$prefix series with $what stopped: $(grep -m3 "^$prefix" "$tmp/down.prom")"
}

# start_listening NAME PID_VARIABLE PREPARE READY COMMAND...: starts a
# server on a free port of 127.0.0.1, set in `port`: calls PREPARE PORT
# (e.g. writing a config file that names it; `true` for none), then starts
# COMMAND, each `@PORT@` in its words replaced by the port, in its own process
# group with output in $tmp/NAME.out. Sets PID_VARIABLE (stop it with
# stop_pid) and returns once READY PORT succeeds; fails the test when the
# server exits or 300 tries of READY, 0.1 s apart, did not succeed. A server
# that exits saying "address already in use" (any case, in $tmp/NAME.out)
# lost its port to another process between picking and binding: it is
# started again on another, 5 ports at most.
start_listening() {
  local name=$1 pid_variable=$2 prepare=$3 ready=$4
  shift 4
  for _ in 1 2 3 4 5; do
    pick_ports 1
    port=${ports[0]}
    "$prepare" "$port"
    setsid "${@//@PORT@/$port}" >"$tmp/$name.out" 2>&1 &
    printf -v "$pid_variable" '%s' "$!"
    for _ in $(seq 300); do
      "$ready" "$port" && return 0
      kill -0 "${!pid_variable}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "${!pid_variable}" 2>/dev/null; then
      cat "$tmp/$name.out"
      fail "$name was not ready after 300 tries"
    fi
    wait "${!pid_variable}" 2>/dev/null || true
    printf -v "$pid_variable" ''
    grep -qi 'address already in use' "$tmp/$name.out" || { cat "$tmp/$name.out"; fail "$name exited at start"; }
    echo "$name: port $port was taken meanwhile; trying another"
  done
  fail "$name could not bind a free port in 5 attempts"
}

# start_exporter COMMAND...: starts a reference exporter (COMMAND, serving
# http://127.0.0.1:@PORT@/metrics) with start_listening: its output in
# $tmp/exporter.out, its pid in exporter_pid (stop it with stop_pid
# exporter_pid), its port in `port`. Ready once a GET /metrics answers;
# that first scrape is kept in $tmp/exporter.prom. Whether the exporter
# reads its service is the caller's check (its `*_up` series).
start_exporter() { start_listening exporter exporter_pid true exporter_scraped "$@"; }
# exporter_scraped PORT: one GET /metrics of the exporter, into $tmp/exporter.prom.
exporter_scraped() { curl -sf --noproxy '*' --max-time 5 "http://127.0.0.1:$1/metrics" >"$tmp/exporter.prom" 2>/dev/null; }

# start_mariadb ARG...: a throwaway MariaDB server: mariadb-install-db makes
# $tmp/data, then mariadbd runs on it in its own process group, without
# networking (its socket is $tmp/mysqld.sock, its error log $tmp/error.log),
# with the extra mariadbd ARGs. Sets db_pid (stop it with stop_mariadb) and
# returns once the socket and the pid file exist; fails the test when that
# takes over 30 s or the server exits.
start_mariadb() {
  timeout 120 mariadb-install-db --no-defaults --user=root --datadir="$tmp/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "mariadb-install-db failed"; }
  setsid mariadbd --no-defaults --user=root --datadir="$tmp/data" --socket="$tmp/mysqld.sock" \
    --pid-file="$tmp/mysqld.pid" --skip-networking --log-error="$tmp/error.log" "$@" \
    >"$tmp/mariadbd.out" 2>&1 &
  db_pid=$!
  for _ in $(seq 300); do
    [ -S "$tmp/mysqld.sock" ] && [ -s "$tmp/mysqld.pid" ] && return 0
    kill -0 "$db_pid" 2>/dev/null || { cat "$tmp/error.log"; fail "mariadbd exited at start"; }
    sleep 0.1
  done
  cat "$tmp/error.log"
  fail "mariadbd did not start within 30 s"
}

# stop_mariadb: stops the server start_mariadb started, if any, giving it
# 10 s to shut down cleanly. Safe to call twice.
stop_mariadb() {
  [ -n "${db_pid:-}" ] || return 0
  stop_group "$db_pid" 100
  db_pid=
}
