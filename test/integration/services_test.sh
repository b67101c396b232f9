#!/usr/bin/env bash
# Runs one real service from its Debian package (scripts/deps.sh installs it) on
# 127.0.0.1 and ports chosen at run time, with a minimal config in a temp
# dir, and puts it under an exactly counted load. metrics-adapter pulls the
# service's status page or status command with the shipped rule file; the
# test checks that a scrape of /metrics holds exactly the numbers the service
# reports at that moment (the load, plus the status requests themselves,
# reasoned per service below) and metrics_adapter_source_up 1. Then it
# freezes the service (SIGSTOP) and stops it, and checks that each time the
# next scrape answers promptly (within the source's timeout) with up 0 and
# none of the service's series: absent, not stale.
#
# Usage: test/integration/services_test.sh SERVICE PATH_TO_metrics-adapter
#   SERVICE      package       status source                 rule file
#   nginx        nginx         http /stub_status             nginx/stub_status.yaml
#   apache       apache2-bin   http /server-status?auto      apache/mod_status.yaml
#   haproxy      haproxy       http /stats;csv               haproxy/stats_csv.yaml
#   redis        redis-server  tcp  INFO ALL                 redis/info.yaml
#   memcached    memcached     tcp  stats                    memcached/stats.yaml
#   php-fpm      php8.2-fpm    http /status?json (nginx)    php-fpm/status.yaml
set -euo pipefail
usage="usage: $0 nginx|apache|haproxy|redis|memcached|php-fpm PATH_TO_metrics-adapter"
service=${1:?$usage}
adapter=$(realpath "${2:?$usage}")
root=$(cd "$(dirname "$0")/../.." && pwd)
case $service in
  nginx | apache | haproxy | redis | memcached | php-fpm) ;;
  *) echo "$usage" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
# mktemp -d is 0700; nginx and httpd workers that are not root read files here.
chmod 755 "$tmp"
svc_pid=
ref_pid=
# shellcheck source=test/integration/lib.sh
source "$root/test/integration/lib.sh"

# Replaces lib.sh's fail: shows the service's logs too.
fail() {
  echo "FAIL: $service: $*"
  local f
  for f in "$tmp"/*.log; do
    [ -s "$f" ] || continue
    echo "--- $(basename "$f") (last 40 lines):"
    tail -n 40 "$f"
  done
  exit 1
}

# Stops the service: SIGTERM to its process group (it runs under setsid),
# then SIGKILL to whatever is left after 5 s, so no worker keeps a port.
stop_service() {
  stop_php_fpm
  [ -n "$svc_pid" ] || return 0
  kill -TERM -- "-$svc_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$svc_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$svc_pid" 2>/dev/null || true
  wait "$svc_pid" 2>/dev/null || true
  svc_pid=
}
# php-fpm's master calls setsid() even in the foreground (-F), so it leaves
# the service's process group: it is stopped by the pid in its pid file,
# SIGTERM, then SIGKILL after 5 s (its workers exit with it).
stop_php_fpm() {
  [ -s "$tmp/php-fpm.pid" ] || return 0
  local pid
  pid=$(cat "$tmp/php-fpm.pid")
  rm -f "$tmp/php-fpm.pid"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  stop_adapter
  stop_reference
  stop_service
  rm -rf "$tmp"
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
t_begin=$(now_ms)

# --- The package ------------------------------------------------------------

case $service in
  nginx) binary=/usr/sbin/nginx; version_flag=-v ;;
  apache) binary=/usr/sbin/apache2; version_flag=-v ;;
  haproxy) binary=/usr/sbin/haproxy; version_flag=-v ;;
  redis) binary=/usr/bin/redis-server; version_flag=--version ;;
  # memcached -v is "verbose": it would start a server.
  memcached) binary=/usr/bin/memcached; version_flag=-V ;;
  php-fpm) binary=/usr/sbin/php-fpm8.2; version_flag=-v ;;
esac
"$root/scripts/deps.sh" --require "$(basename "$binary")" curl || exit 1
version=$(timeout 10 "$binary" "$version_flag" 2>&1 | head -n 1) || true

# --- Ports ------------------------------------------------------------------

# port_listening and pick_ports come from lib.sh.

# --- Each service: config, start, load, and what it must report ---------------

# Each launch_* writes a minimal config into $tmp, starts the service in the
# foreground in its own process group (setsid) with output in
# $tmp/service.log, and sets svc_pid and `listen` (the ports that must be
# listening once it is up).

launch_nginx() {
  port=${ports[0]}
  # "user root" lets the workers of a root master read $tmp; as another user
  # nginx ignores it with a warning. Every path nginx writes is in $tmp.
  cat >"$tmp/nginx.conf" <<CONF
user root;
worker_processes 1;
error_log $tmp/error.log notice;
pid $tmp/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
$(nginx_temp_paths)
  server {
    listen 127.0.0.1:$port;
    location = /stub_status { stub_status; }
    location / { return 200 "ok\n"; }
  }
}
CONF
  setsid "$binary" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" -g 'daemon off;' \
    >"$tmp/service.log" 2>&1 &
  svc_pid=$!
  listen=("$port")
  source_config="type: http
    url: http://127.0.0.1:$port/stub_status"
  rule_file=nginx/stub_status.yaml
}

launch_apache() {
  port=${ports[0]}
  local modules=/usr/lib/apache2/modules
  mkdir -p "$tmp/html"
  # 10000 bytes: 25 requests make "Total kBytes" move well past whole KiB.
  head -c 10000 /dev/zero | tr '\0' 'x' >"$tmp/html/index.html"
  chmod 644 "$tmp/html/index.html"
  # The access log gives, per request, what the scoreboard adds up: the
  # bytes transferred (%S, mod_logio) and the duration (%D, microseconds). ExtendedStatus is not
  # set: it is on by default whenever mod_status is loaded.
  cat >"$tmp/httpd.conf" <<CONF
ServerRoot $tmp
ServerName 127.0.0.1
Listen 127.0.0.1:$port
Timeout 5
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule status_module $modules/mod_status.so
User nobody
Group #65534
PidFile $tmp/httpd.pid
DefaultRuntimeDir $tmp
ErrorLog $tmp/error.log
LogFormat "%>s %S %D \"%r\"" counts
CustomLog $tmp/access.log counts
DocumentRoot $tmp/html
<Directory $tmp/html>
  Require all granted
</Directory>
<Location /server-status>
  SetHandler server-status
  Require all granted
</Location>
CONF
  setsid "$binary" -f "$tmp/httpd.conf" -D FOREGROUND >"$tmp/service.log" 2>&1 &
  svc_pid=$!
  listen=("$port")
  source_config="type: http
    url: http://127.0.0.1:$port/server-status?auto"
  rule_file=apache/mod_status.yaml
}

launch_haproxy() {
  # app: the frontend under load, which denies paths under /deny; origin:
  # what its server s1 forwards to;
  # stats: the stats listener; dead: nothing listens there, so server s2's
  # health checks fail and it is DOWN.
  port=${ports[0]} origin_port=${ports[1]} stats_port=${ports[2]} dead_port=${ports[3]}
  cat >"$tmp/haproxy.cfg" <<CONF
global
  maxconn 100
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend app
  bind 127.0.0.1:$port
  http-request deny if { path_beg /deny }
  default_backend be_app
backend be_app
  server s1 127.0.0.1:$origin_port check inter 100ms
  server s2 127.0.0.1:$dead_port check inter 100ms
frontend origin
  bind 127.0.0.1:$origin_port
  http-request return status 200 content-type text/plain string "ok"
listen stats
  bind 127.0.0.1:$stats_port
  stats enable
  stats uri /stats
CONF
  "$binary" -c -q -f "$tmp/haproxy.cfg" >"$tmp/service.log" 2>&1 || fail "haproxy -c refused the config"
  setsid "$binary" -db -f "$tmp/haproxy.cfg" >"$tmp/service.log" 2>&1 &
  svc_pid=$!
  listen=("$port" "$origin_port" "$stats_port")
  source_config="type: http
    url: http://127.0.0.1:$stats_port/stats;csv"
  rule_file=haproxy/stats_csv.yaml
}

launch_redis() {
  port=${ports[0]}
  # No persistence, a memory limit to read back, logs in $tmp.
  setsid "$binary" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --daemonize no --maxmemory 64mb --logfile "$tmp/service.log" >/dev/null 2>&1 &
  svc_pid=$!
  listen=("$port")
  source_config="type: tcp
    address: 127.0.0.1:$port
    send: \"INFO ALL\\r\\n\"
    framing: redis_bulk"
  rule_file=redis/info.yaml
}

launch_memcached() {
  port=${ports[0]}
  local user=()
  # memcached refuses to run as root unless told which user to be.
  [ "$(id -u)" != 0 ] || user=(-u root)
  # TCP only (-U 0), 16 MiB, at most 64 connections, 2 threads.
  setsid "$binary" -l 127.0.0.1 -p "$port" -U 0 -m 16 -c 64 -t 2 "${user[@]}" \
    >"$tmp/service.log" 2>&1 &
  svc_pid=$!
  listen=("$port")
  source_config="type: tcp
    address: 127.0.0.1:$port
    send: \"stats\\r\\n\"
    framing: terminator
    terminator: \"END\\r\\n\""
  rule_file=memcached/stats.yaml
}

launch_php_fpm() {
  # A static pool of two processes on a TCP port, and nginx in front of it
  # (php-fpm speaks only FastCGI): /index.php runs a script, /status is the
  # pool's status page. Freezing the service freezes nginx (the process
  # group), which is enough for the status page to hang; stopping it stops
  # both (stop_service).
  port=${ports[0]} fpm_port=${ports[1]}
  mkdir -p "$tmp/html"
  printf '<?php echo "ok\\n";\n' >"$tmp/html/index.php"
  chmod 644 "$tmp/html/index.php"
  # "user" is what a root master runs the pool as (-R lets the master be
  # root); php-fpm started by another user ignores it with a notice.
  cat >"$tmp/php-fpm.conf" <<CONF
[global]
pid = $tmp/php-fpm.pid
error_log = $tmp/php-fpm.log
daemonize = no
[app]
listen = 127.0.0.1:$fpm_port
listen.backlog = 64
user = nobody
group = nogroup
pm = static
pm.max_children = 2
pm.status_path = /status
CONF
  cat >"$tmp/nginx.conf" <<CONF
user root;
worker_processes 1;
error_log $tmp/error.log notice;
pid $tmp/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
$(nginx_temp_paths)
  server {
    listen 127.0.0.1:$port;
    root $tmp/html;
    location ~ ^/(status|index\.php)\$ {
      fastcgi_pass 127.0.0.1:$fpm_port;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
      fastcgi_param QUERY_STRING \$query_string;
      fastcgi_param REQUEST_METHOD \$request_method;
    }
  }
}
CONF
  "$root/scripts/deps.sh" --require nginx || exit 1
  # shellcheck disable=SC2016 # the inner shell expands $1..$4
  setsid bash -c '"$1" -F -R -n -y "$2" & exec nginx -p "$3" -e "$3/error.log" -c "$4" -g "daemon off;"' \
    _ "$binary" "$tmp/php-fpm.conf" "$tmp" "$tmp/nginx.conf" >"$tmp/service.log" 2>&1 &
  svc_pid=$!
  listen=("$port" "$fpm_port")
  source_config="type: http
    url: http://127.0.0.1:$port/status?json"
  rule_file=php-fpm/status.yaml
}

# start: launches the service and waits (10 s at most) until it listens on
# all its ports; tries new ports up to 5 times if one was taken meanwhile.
start() {
  local nports=1 attempt p up
  [ "$service" != haproxy ] || nports=4
  [ "$service" != php-fpm ] || nports=2
  for attempt in 1 2 3 4 5; do
    pick_ports "$nports"
    "launch_${service//-/_}"
    for _ in $(seq 100); do
      kill -0 "$svc_pid" 2>/dev/null || break
      up=1
      for p in "${listen[@]}"; do port_listening "$p" || up=; done
      # redis: listening comes a moment before it says it is ready.
      [ "$service" != redis ] || grep -q 'Ready to accept connections' "$tmp/service.log" || up=
      [ -n "$up" ] && return 0
      sleep 0.1
    done
    if kill -0 "$svc_pid" 2>/dev/null; then fail "$service did not listen within 10 s"; fi
    wait "$svc_pid" 2>/dev/null || true
    svc_pid=
    stop_php_fpm
    grep -qi 'in use' "$tmp"/*.log 2>/dev/null || fail "$service did not start"
    echo "a port was taken meanwhile (attempt $attempt); trying others"
  done
  fail "$service could not bind free ports in 5 attempts"
}

# --- Scraping the adapter ----------------------------------------------------

# scrape: one GET /metrics (which pulls the service once) into
# $tmp/metrics.txt; counts the scrapes (the service counts their requests)
# and times them.
scrapes=0
scrape() {
  local t0
  t0=$(now_ms)
  timeout 15 curl -sf --max-time 10 "${url:?set by start_adapter}/metrics" -o "$tmp/metrics.txt" ||
    fail "GET $url/metrics failed"
  scrape_ms=$(($(now_ms) - t0))
  scrapes=$((scrapes + 1))
}
# sample SERIES: its value in the last scrape, or empty. The value is the
# last field: a label value may hold spaces.
sample() {
  awk -v s="$1" '{ v = $NF; sub(/ [^ ]*$/, "") } $0 == s { print v; exit }' "$tmp/metrics.txt"
}
# is SERIES WANT [WHY]: the last scrape has SERIES with value WANT.
is() {
  local got
  got=$(sample "$1")
  if [ -z "$got" ] || ! awk -v a="$got" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }'; then
    fail "$1 is '${got:-absent}', want $2${3:+ ($3)} (scrape $scrapes)"
  fi
}
# in_range SERIES MIN MAX [WHY]: MIN <= value <= MAX.
in_range() {
  local got
  got=$(sample "$1")
  if [ -z "$got" ] || ! awk -v a="$got" -v lo="$2" -v hi="$3" 'BEGIN { exit !(a >= lo && a <= hi) }'; then
    fail "$1 is '${got:-absent}', want $2..$3${4:+ ($4)} (scrape $scrapes)"
  fi
}
# poll_until SERIES WANT: scrapes (100 times at most, 0.1 s apart) until
# SERIES has value WANT; for gauges the service updates a moment after a
# client has gone (a closed connection).
poll_until() {
  for _ in $(seq 100); do
    scrape
    [ "$(sample "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "$1 is '$(sample "$1")' after 100 scrapes, want $2"
}

# --- The Debian reference exporter -------------------------------------------

# reference_scrape EXPORTER LISTEN_FLAG ARGS...: starts the service's Debian
# reference exporter (prometheus-redis-exporter, ...) listening on a free
# port given as LISTEN_FLAG=127.0.0.1:PORT, with ARGS; scrapes
# its /metrics once into $tmp/reference.txt, and stops it. Its own requests
# to the service happen during that scrape, so call it after the checks
# whose exact counts it would change.
reference_scrape() {
  local exporter=$1 listen_flag=$2 ports=()
  shift 2
  "$root/scripts/deps.sh" --require "$exporter" || exit 1
  pick_ports 1
  setsid "$exporter" "$listen_flag=127.0.0.1:${ports[0]}" "$@" >"$tmp/reference.log" 2>&1 &
  ref_pid=$!
  for _ in $(seq 100); do
    port_listening "${ports[0]}" && break
    kill -0 "$ref_pid" 2>/dev/null || fail "$exporter exited at start"
    sleep 0.1
  done
  local t0
  t0=$(now_ms)
  timeout 15 curl -sf --max-time 10 "http://127.0.0.1:${ports[0]}/metrics" -o "$tmp/reference.txt" ||
    fail "GET /metrics of $exporter failed"
  stop_reference
  # Whole seconds since the exporter read the service, rounded up (some
  # exporters wait 2 s after SIGTERM).
  ref_age_s=$((($(now_ms) - t0 + 999) / 1000))
}
stop_reference() {
  [ -n "$ref_pid" ] || return 0
  kill -TERM -- "-$ref_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$ref_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$ref_pid" 2>/dev/null || true
  wait "$ref_pid" 2>/dev/null || true
  ref_pid=
}
# same_as SERIES REFERENCE_SERIES [FACTOR]: the last scrape's SERIES equals
# the reference exporter's REFERENCE_SERIES (times FACTOR: a unit it keeps).
compared=0
same_as() {
  local got want
  got=$(sample "$1")
  want=$(awk -v s="$2" '{ v = $NF; sub(/ [^ ]*$/, "") } $0 == s { print v; exit }' "$tmp/reference.txt")
  [ -n "$want" ] || fail "the reference exporter has no $2"
  if [ -z "$got" ] || ! awk -v a="$got" -v b="$want" -v f="${3:-1}" \
    'BEGIN { d = a - b * f; exit !(d < 1e-9 && d > -1e-9) }'; then
    fail "$1 is '${got:-absent}', the reference exporter's $2 is $want${3:+ (x $3)}"
  fi
  compared=$((compared + 1))
}
# near SERIES REFERENCE_SERIES FACTOR SLACK: as same_as, for a counter that
# moves between the two reads: SERIES, read later, is within SLACK above.
near() {
  local want
  want=$(awk -v s="$2" '{ v = $NF; sub(/ [^ ]*$/, "") } $0 == s { print v; exit }' "$tmp/reference.txt")
  [ -n "$want" ] || fail "the reference exporter has no $2"
  in_range "$1" "$(awk -v w="$want" -v f="$3" 'BEGIN { print w * f }')" \
    "$(awk -v w="$want" -v f="$3" -v d="$4" 'BEGIN { print w * f + d }')" "the reference exporter's $2 is $want"
  compared=$((compared + 1))
}

# --- Exact load per service ---------------------------------------------------

n=25 # requests (HTTP) or keys (caches)

curl_ok() { # curl_ok URL: one GET that must answer 200
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 5 "$1") || true
  [ "$code" = 200 ] || fail "GET $1 answered '$code'"
}

# tcp_exchange PORT LINES TEXT: one connection sending TEXT, reading LINES
# reply lines (so every command has run), then closed. Sets `replies`.
tcp_exchange() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" || fail "cannot connect to 127.0.0.1:$1"
  printf '%s' "$3" >&"$fd"
  replies=$(timeout 10 head -n "$2" <&"$fd" | tr -d '\r') || true
  exec {fd}>&-
  [ "$(printf '%s\n' "$replies" | wc -l)" = "$2" ] || fail "got $(printf '%s\n' "$replies" | wc -l) reply lines, want $2"
}

check_nginx() {
  local i fd line
  for i in $(seq "$n"); do curl_ok "http://127.0.0.1:$port/"; done
  # Two keep-alive connections that made one request each and stay open,
  # idle: nginx's "Waiting". Held by this shell until the service stops.
  idle=2
  for i in $(seq "$idle"); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to nginx"
    printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd"
    while IFS= read -r -t 5 line <&"$fd" && [ "$line" != $'\r' ]; do :; done
    IFS= read -r -t 5 line <&"$fd" || fail "no body on keep-alive connection $i"
    [ "$line" = ok ] || fail "keep-alive connection $i: body '$line', want ok"
    idle_fds+=("$fd")
  done
  # curl's connections close a moment after their responses: wait until
  # nginx holds just the idle ones and the scrape's own.
  poll_until 'server_connections{state="active"}' $((idle + 1))
  # nginx counts a request and a connection as it accepts them, so scrape j
  # sees itself: every curl request, the idle connections' requests, j
  # stub_status requests, each on its own connection. Checked on this
  # scrape and the next: each scrape adds exactly one.
  local round want
  for round in 1 2; do
    [ "$round" = 1 ] || scrape
    want=$((n + idle + scrapes))
    is server_requests_total "$want" "$n requests + $idle keep-alive + $scrapes stub_status"
    is server_connections_accepted_total "$want"
    is server_connections_handled_total "$want"
    is 'server_connections{state="active"}' $((idle + 1))
    is 'server_connections{state="waiting"}' "$idle"
    is 'server_connections{state="writing"}' 1 "the stub_status request itself"
    is 'server_connections{state="reading"}' 0
  done
}

check_apache() {
  local i
  for i in $(seq "$n"); do curl_ok "http://127.0.0.1:$port/index.html"; done
  local round
  for round in 1 2; do apache_counted; done
  in_range 'server_workers{state="busy"}' 1 1000 "at least the status request's worker"
  in_range 'server_workers{state="idle"}' 1 10000
  in_range 'server_connections{state="active"}' 0 1000
  is "server_build_info{version=\"${version#Server version: }\"}" 1
  # Seconds since the service started, as of now: the scrapes came later
  # than its start-up, and the service rounds its clock to whole seconds.
  in_range server_uptime_seconds 0 $((($(now_ms) - t_start_service) / 1000 + 2))
  # The bare server name that starts the page is skipped without a parse
  # error (skip_lines_without_separator), and every other line parses: no
  # parse error of any reason, in any of the $scrapes scrapes.
  local parse_errors
  parse_errors=$(awk -v s="source=\"$service\"" \
    '/^metrics_adapter_parse_errors_total\{/ && index($0, s) { n += $NF } END { print n + 0 }' \
    "$tmp/metrics.txt")
  [ "$parse_errors" = 0 ] || fail "$parse_errors parse errors in $scrapes scrapes, want 0: $(grep '^metrics_adapter_parse_errors_total' "$tmp/metrics.txt")"
  # A fresh httpd: neither its configuration nor its MPM has been reloaded.
  is 'apache_generation{type="config"}' 1
  is 'apache_generation{type="mpm"}' 0
  in_range 'apache_processes{state="all"}' 1 100
  is 'apache_processes{state="stopping"}' 0
  local load1
  load1=$(cut -d ' ' -f 1 /proc/loadavg)
  in_range 'apache_system_load_average{interval="1m"}' "$(awk -v l="$load1" 'BEGIN { print l - 1 }')" \
    "$(awk -v l="$load1" 'BEGIN { print l + 1 }')" "/proc/loadavg's $load1"
  in_range 'apache_cpu_time_seconds_total{level="self",mode="user"}' 0 1e6
  in_range 'apache_cpu_time_seconds_total{level="children",mode="system"}' 0 1e6

  # The reference exporter reads the same page, then the adapter again: the
  # exporter's request and the scrape move the counters by one each.
  reference_scrape prometheus-apache-exporter --telemetry.address --scrape_uri="http://127.0.0.1:$port/server-status?auto"
  scrape
  same_as 'apache_generation{type="config"}' 'apache_generation{type="config"}'
  same_as 'apache_generation{type="mpm"}' 'apache_generation{type="mpm"}'
  same_as 'apache_processes{state="all"}' 'apache_processes{state="all"}'
  same_as 'apache_processes{state="stopping"}' 'apache_processes{state="stopping"}'
  same_as "server_build_info{version=\"${version#Server version: }\"}" \
    "apache_info{mpm=\"event\",version=\"${version#Server version: }\"}"
  near server_requests_total apache_accesses_total 1 2
  near server_traffic_bytes_total apache_sent_kilobytes_total 1024 8192
  near server_request_duration_seconds_total apache_duration_ms_total 0.001 1
  near server_uptime_seconds apache_uptime_seconds_total 1 $((ref_age_s + 1))
  local mode
  for mode in user system; do
    in_range "apache_cpu_time_seconds_total{level=\"self\",mode=\"$mode\"}" 0 1e6
  done
  # The scoreboard: every slot in one state, the status request's among
  # those sending. Slots that are not serving anything stay as the
  # exporter saw them.
  local slots state total=0
  slots=$(curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$port/server-status?auto" |
    sed -n 's/^Scoreboard: //p' | tr -d '\r')
  [ -n "$slots" ] || fail "no Scoreboard line on the status page"
  for state in open waiting starting reading sending keepalive dnslookup closing logging finishing idle_cleanup; do
    total=$((total + $(sample "apache_scoreboard{state=\"$state\"}")))
  done
  [ "$total" = "${#slots}" ] || fail "the scoreboard's states add up to $total, the page has ${#slots} slots"
  in_range 'apache_scoreboard{state="sending"}' 1 1000 "the status request"
  same_as 'apache_scoreboard{state="open"}' 'apache_scoreboard{state="open_slot"}'
  same_as 'apache_scoreboard{state="starting"}' 'apache_scoreboard{state="startup"}'
  same_as 'apache_scoreboard{state="dnslookup"}' 'apache_scoreboard{state="dns"}'
  same_as 'apache_scoreboard{state="logging"}' 'apache_scoreboard{state="logging"}'
  same_as 'apache_scoreboard{state="finishing"}' 'apache_scoreboard{state="graceful_stop"}'
  same_as 'apache_scoreboard{state="idle_cleanup"}' 'apache_scoreboard{state="idle_cleanup"}' 
  echo "apache: $compared series equal to (or, for counters, just above) prometheus-apache-exporter's"
}

# apache_counted: scrapes until httpd has counted every request before the
# scrape, then checks the totals against the access log.
apache_counted() {
  # httpd counts a request after it has sent the response and logged it: a
  # scrape sees every request before it, but not itself. That is done a
  # moment after the client has its response, so a scrape right after
  # another may still miss the previous one: scrape again, 50 times at most.
  local ok=
  for _ in $(seq 50); do
    scrape
    if [ "$(sample server_requests_total)" = $((n + scrapes - 1)) ]; then
      ok=1
      break
    fi
    sleep 0.1
  done
  [ -n "$ok" ] || fail "server_requests_total is '$(sample server_requests_total)', want $((n + scrapes - 1))"
  is server_requests_total $((n + scrapes - 1)) "$n requests + $((scrapes - 1)) earlier scrapes"
  # Bytes: httpd prints the sum of the bytes of those requests in KiB,
  # rounded down. With mod_logio, which Debian compiles in, that is what it
  # received and sent, headers included; the access log has them one by one
  # (%S), in order.
  local counted=$((n + scrapes - 1)) bytes
  for _ in $(seq 50); do
    [ "$(wc -l <"$tmp/access.log")" -ge "$counted" ] && break
    sleep 0.1
  done
  bytes=$(head -n "$counted" "$tmp/access.log" | awk '{ s += $2 } END { print s + 0 }')
  is server_traffic_bytes_total $((bytes / 1024 * 1024)) "$bytes bytes logged (%S), in whole KiB"
  # Durations: httpd sums them per request in microseconds and prints
  # milliseconds; its clock stops a moment after the log's (%D), so allow
  # 1 ms per request.
  local logged_s
  logged_s=$(head -n "$counted" "$tmp/access.log" | awk '{ s += $3 } END { printf "%.6f", s / 1e6 }')
  in_range server_request_duration_seconds_total \
    "$(awk -v s="$logged_s" -v n="$counted" 'BEGIN { printf "%.6f", s - 0.001 * (n + 1) }')" \
    "$(awk -v s="$logged_s" -v n="$counted" 'BEGIN { printf "%.6f", s + 0.001 * (n + 1) }')" \
    "the log's %D sum $logged_s s"
}

# csv_cell CSV PXNAME SVNAME COLUMN: one cell of haproxy's ;csv page.
csv_cell() {
  awk -F, -v px="$2" -v sv="$3" -v col="$4" '
    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
    $1 == px && $2 == sv { print $c; exit }' <<<"$1"
}

check_haproxy() {
  local i stats_polls=0 csv
  # Load only once s2's failed checks have taken it DOWN, so s1 gets every
  # request. These polls are sessions of the stats listener.
  for _ in $(seq 100); do
    csv=$(curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$stats_port/stats;csv") || true
    stats_polls=$((stats_polls + 1))
    grep -q '^be_app,s2,.*,DOWN,' <<<"$csv" && grep -q '^be_app,s1,.*,UP,' <<<"$csv" && break
    sleep 0.1
  done
  grep -q '^be_app,s2,.*,DOWN,' <<<"$csv" || fail "server s2 is not DOWN after 10 s"
  for i in $(seq "$n"); do curl_ok "http://127.0.0.1:$port/"; done
  # Denied by the frontend with a 403; the backend never sees them.
  local denied=3 code
  for i in $(seq "$denied"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 5 "http://127.0.0.1:$port/deny/$i") || true
    [ "$code" = 403 ] || fail "GET /deny/$i answered '$code', want 403"
  done
  # The frontend's session ends a moment after curl has its response.
  poll_until 'proxy_sessions{proxy="app",server="FRONTEND"}' 0
  local fe='proxy="app",server="FRONTEND"'
  is "proxy_sessions_total{$fe}" $((n + denied)) "one session per curl request"
  is "proxy_http_requests_total{$fe}" $((n + denied))
  is "proxy_http_responses_total{$fe,http_response_status_class=\"2xx\"}" "$n"
  is "proxy_http_responses_total{$fe,http_response_status_class=\"4xx\"}" "$denied"
  is "proxy_requests_denied_total{$fe}" "$denied" "http-request deny"
  is "proxy_connections_total{$fe}" $((n + denied))
  is "proxy_http_responses_total{$fe,http_response_status_class=\"5xx\"}" 0
  # The stats listener counts a session as it accepts it, so scrape j sees
  # itself: the polls above and every scrape.
  is 'proxy_sessions_total{proxy="stats",server="FRONTEND"}' $((stats_polls + scrapes)) \
    "$stats_polls polls + $scrapes scrapes"
  # Bytes: in HTTP mode haproxy counts its internal (HTX) form of each
  # message, a few bytes off the wire (h1_bytes_in/out has those), so they
  # are checked against haproxy's own page, read right after the scrape:
  # nothing has passed through "app" since.
  csv=$(curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$stats_port/stats;csv") || true
  stats_polls=$((stats_polls + 1))
  is "proxy_request_bytes_total{$fe}" "$(csv_cell "$csv" app FRONTEND bin)" "haproxy's bin"
  is "proxy_response_bytes_total{$fe}" "$(csv_cell "$csv" app FRONTEND bout)" "haproxy's bout"
  in_range "proxy_request_bytes_total{$fe}" $((n * 50)) $((n * 200)) "$n small GETs"
  # One scrape more: the stats listener's count moves by it and the read
  # above, "app" stays as it was.
  scrape
  is 'proxy_sessions_total{proxy="stats",server="FRONTEND"}' $((stats_polls + scrapes)) \
    "$stats_polls polls + $scrapes scrapes"
  is "proxy_sessions_total{$fe}" $((n + denied))
  is "proxy_errors_total{$fe,error_type=\"request\"}" 0
  is "proxy_sessions_limit{$fe}" 100 "global maxconn"
  is 'proxy_sessions_total{proxy="be_app",server="s1"}' "$n"
  is 'proxy_sessions_total{proxy="be_app",server="s2"}' 0
  is 'proxy_sessions_total{proxy="be_app",server="BACKEND"}' "$n"
  is 'proxy_errors_total{proxy="be_app",server="s2",error_type="connection"}' 0
  is "proxy_status{$fe,state=\"OPEN\"}" 1
  is 'proxy_status{proxy="be_app",server="s1",state="UP"}' 1
  is 'proxy_status{proxy="be_app",server="s2",state="DOWN"}' 1
  is 'proxy_status{proxy="be_app",server="BACKEND",state="UP"}' 1

  # Every other mapped column, row by row, against the page haproxy serves
  # right after that scrape ("app" and "be_app" are idle by now): a number
  # in the unit the family names, or no series where haproxy leaves the
  # cell empty. Within bounds only: rate (over the last second), downtime
  # and check_duration, which move with the clock and each health check.
  csv=$(curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$stats_port/stats;csv") || true
  local row px sv col family factor extra cell series cells=0
  for row in app,FRONTEND be_app,BACKEND be_app,s1 be_app,s2; do
    px=${row%,*} sv=${row#*,}
    while read -r col family factor extra; do
      cell=$(csv_cell "$csv" "$px" "$sv" "$col")
      series="$family{proxy=\"$px\",server=\"$sv\"${extra:+,$extra}}"
      if [ -z "$cell" ]; then
        [ -z "$(sample "$series")" ] || fail "$series is served; haproxy's $col of $px/$sv is empty"
      elif [ "$factor" = bounds ]; then
        in_range "$series" 0 1000 "haproxy's $col"
      else
        is "$series" "$(awk -v c="$cell" -v f="$factor" 'BEGIN { print c * f }')" "haproxy's $col"
      fi
      cells=$((cells + 1))
    done <<'COLUMNS'
smax proxy_sessions_max 1
qmax proxy_queued_requests_max 1
conn_tot proxy_connections_total 1
comp_rsp proxy_http_responses_compressed_total 1
act proxy_active_servers 1
bck proxy_backup_servers 1
rate proxy_session_rate bounds
rate_lim proxy_session_rate_limit 1
rate_max proxy_session_rate_max 1
dreq proxy_requests_denied_total 1
dresp proxy_responses_denied_total 1
wretr proxy_retries_total 1
wredis proxy_redispatches_total 1
cli_abrt proxy_aborts_total 1 aborted_by="client"
srv_abrt proxy_aborts_total 1 aborted_by="server"
lbtot proxy_server_selected_total 1
weight proxy_weight 1
chkfail proxy_check_failures_total 1
chkdown proxy_check_down_transitions_total 1
downtime proxy_downtime_seconds_total bounds
check_duration proxy_check_duration_seconds bounds
qtime proxy_queue_time_average_seconds 0.001
ctime proxy_connect_time_average_seconds 0.001
rtime proxy_response_time_average_seconds 0.001
ttime proxy_total_time_average_seconds 0.001
COLUMNS
  done
  is "proxy_server_selected_total{proxy=\"be_app\",server=\"s1\"}" "$n" "s2 is down"
  is "proxy_check_down_transitions_total{proxy=\"be_app\",server=\"s2\"}" 1
  in_range "proxy_check_failures_total{proxy=\"be_app\",server=\"s2\"}" 1 3 "up to fall 3"
  echo "haproxy: $cells cells of the page checked"

  # The reference exporter reads the same page; "app" and "be_app" have not
  # moved since.
  reference_scrape prometheus-haproxy-exporter --web.listen-address --haproxy.scrape-uri="http://127.0.0.1:$stats_port/stats;csv"
  local f='{frontend="app"}' b='{backend="be_app"}'
  same_as "proxy_sessions_total{$fe}" "haproxy_frontend_sessions_total$f"
  same_as "proxy_sessions_max{$fe}" "haproxy_frontend_max_sessions$f"
  same_as "proxy_sessions_limit{$fe}" "haproxy_frontend_limit_sessions$f"
  same_as "proxy_session_rate_max{$fe}" "haproxy_frontend_max_session_rate$f"
  same_as "proxy_session_rate_limit{$fe}" "haproxy_frontend_limit_session_rate$f"
  same_as "proxy_connections_total{$fe}" "haproxy_frontend_connections_total$f"
  same_as "proxy_http_requests_total{$fe}" "haproxy_frontend_http_requests_total$f"
  same_as "proxy_requests_denied_total{$fe}" "haproxy_frontend_requests_denied_total$f"
  same_as "proxy_errors_total{$fe,error_type=\"request\"}" "haproxy_frontend_request_errors_total$f"
  same_as "proxy_request_bytes_total{$fe}" "haproxy_frontend_bytes_in_total$f"
  same_as "proxy_response_bytes_total{$fe}" "haproxy_frontend_bytes_out_total$f"
  local class
  for class in 1xx 2xx 3xx 4xx 5xx other; do
    same_as "proxy_http_responses_total{$fe,http_response_status_class=\"$class\"}" \
      "haproxy_frontend_http_responses_total{code=\"$class\",frontend=\"app\"}"
  done
  local be='proxy="be_app",server="BACKEND"'
  same_as "proxy_sessions_total{$be}" "haproxy_backend_sessions_total$b"
  same_as "proxy_sessions_max{$be}" "haproxy_backend_max_sessions$b"
  same_as "proxy_queued_requests_max{$be}" "haproxy_backend_max_queue$b"
  same_as "proxy_active_servers{$be}" "haproxy_backend_current_server$b"
  same_as "proxy_weight{$be}" "haproxy_backend_weight$b"
  same_as "proxy_server_selected_total{$be}" "haproxy_backend_server_selected_total$b"
  same_as "proxy_retries_total{$be}" "haproxy_backend_retry_warnings_total$b"
  same_as "proxy_redispatches_total{$be}" "haproxy_backend_redispatch_warnings_total$b"
  same_as "proxy_aborts_total{$be,aborted_by=\"client\"}" "haproxy_backend_client_aborts_total$b"
  same_as "proxy_aborts_total{$be,aborted_by=\"server\"}" "haproxy_backend_server_aborts_total$b"
  same_as "proxy_errors_total{$be,error_type=\"connection\"}" "haproxy_backend_connection_errors_total$b"
  same_as "proxy_errors_total{$be,error_type=\"response\"}" "haproxy_backend_response_errors_total$b"
  same_as "proxy_queue_time_average_seconds{$be}" "haproxy_backend_http_queue_time_average_seconds$b"
  same_as "proxy_connect_time_average_seconds{$be}" "haproxy_backend_http_connect_time_average_seconds$b"
  same_as "proxy_response_time_average_seconds{$be}" "haproxy_backend_http_response_time_average_seconds$b"
  same_as "proxy_total_time_average_seconds{$be}" "haproxy_backend_http_total_time_average_seconds$b"
  local ref_row
  for sv in s1 s2; do
    ref_row="{backend=\"be_app\",server=\"$sv\"}"
    row="proxy=\"be_app\",server=\"$sv\""
    same_as "proxy_sessions_total{$row}" "haproxy_server_sessions_total$ref_row"
    same_as "proxy_sessions_max{$row}" "haproxy_server_max_sessions$ref_row"
    same_as "proxy_queued_requests_max{$row}" "haproxy_server_max_queue$ref_row"
    same_as "proxy_weight{$row}" "haproxy_server_weight$ref_row"
    same_as "proxy_server_selected_total{$row}" "haproxy_server_server_selected_total$ref_row"
    same_as "proxy_check_failures_total{$row}" "haproxy_server_check_failures_total$ref_row"
    same_as "proxy_retries_total{$row}" "haproxy_server_retry_warnings_total$ref_row"
    same_as "proxy_redispatches_total{$row}" "haproxy_server_redispatch_warnings_total$ref_row"
    same_as "proxy_aborts_total{$row,aborted_by=\"client\"}" "haproxy_server_client_aborts_total$ref_row"
    same_as "proxy_aborts_total{$row,aborted_by=\"server\"}" "haproxy_server_server_aborts_total$ref_row"
    same_as "proxy_total_time_average_seconds{$row}" "haproxy_server_http_total_time_average_seconds$ref_row"
    same_as "proxy_response_time_average_seconds{$row}" "haproxy_server_http_response_time_average_seconds$ref_row"
  done
  echo "haproxy: $compared series equal to prometheus-haproxy-exporter's"
}

check_redis() {
  # Inline commands on one connection, so the bytes redis reads are known:
  # SET k1..k25 and GET them (hits), GET m1..m5 (misses), then three keys in
  # db1, one with a time to live; an LPUSH on a string (it runs and fails:
  # WRONGTYPE) and a GET without its key (rejected before running).
  local cmds='' lines=0 i
  for i in $(seq "$n"); do cmds+="SET k$i v"$'\r\n'; done
  for i in $(seq "$n"); do cmds+="GET k$i"$'\r\n'; done
  for i in 1 2 3 4 5; do cmds+="GET m$i"$'\r\n'; done
  cmds+=$'SELECT 1\r\nSET j1 v\r\nSET j2 v\r\nSETEX j3 1000 v\r\nGET j1\r\nLPUSH j1 x\r\nGET\r\n'
  # Rejected commands are not processed ones.
  local commands=$((n + n + 5 + 6)) hits=$((n + 1)) misses=5
  # +OK per SET, SETEX and SELECT; "$1" and "v" per hit; "$-1" per miss; one
  # error line each for the LPUSH and the bare GET.
  lines=$((n + 2 * n + 5 + 4 + 2 + 2))
  tcp_exchange "$port" "$lines" "$cmds"
  [ "$(grep -c '^+OK$' <<<"$replies")" = $((n + 4)) ] || fail "not every SET/SETEX/SELECT answered +OK"
  grep -q '^-WRONGTYPE' <<<"$replies" || fail "the LPUSH on a string did not fail"
  grep -q "^-ERR wrong number of arguments for 'get'" <<<"$replies" || fail "the bare GET was not rejected"
  [ "$(grep -c '^\$-1$' <<<"$replies")" = "$misses" ] || fail "not $misses nil replies"
  # The load's connection closes a moment after it is done.
  poll_until 'server_connections{state="active"}' 1
  # redis counts a command after it has run, a connection and the bytes it
  # reads as they come: scrape j sees j-1 INFOs, j connections, j "INFO ALL\r\n" (10 bytes).
  # Checked on this scrape and the next.
  local round
  for round in 1 2; do
    [ "$round" = 1 ] || scrape
    is server_requests_total $((commands + scrapes - 1)) "$commands commands + $((scrapes - 1)) earlier INFOs"
    is server_connections_accepted_total $((1 + scrapes)) "the load + $scrapes scrapes"
    is 'server_network_io_bytes_total{network_io_direction="receive"}' $((${#cmds} + 10 * scrapes))
    is 'server_connections{state="active"}' 1 "the scrape's own connection"
  done
  is server_connections_rejected_total 0
  in_range 'server_network_io_bytes_total{network_io_direction="transmit"}' 1 1e12
  is cache_hits_total "$hits" "GETs of keys that exist"
  is cache_misses_total "$misses" "GETs of keys that do not"
  is 'redis_db_keys{db="db0"}' "$n"
  is 'redis_db_keys{db="db1"}' 3
  is cache_items $((n + 3))
  is cache_evictions_total 0
  is cache_expirations_total 0
  is cache_memory_limit_bytes 67108864 "--maxmemory 64mb"
  in_range cache_memory_used_bytes 100000 67108864
  is 'server_role_info{role="master"}' 1
  is "server_build_info{version=\"$(sed -n 's/.* v=\([^ ]*\).*/\1/p' <<<"$version")\"}" 1
  # Seconds since the service started, as of now: the scrapes came later
  # than its start-up, and the service rounds its clock to whole seconds.
  in_range server_uptime_seconds 0 $((($(now_ms) - t_start_service) / 1000 + 2))
  # INFO ALL's commandstats: a command counts after it has run, so INFO's
  # own count is the scrapes before the last.
  is 'redis_command_calls_total{cmd="set"}' $((n + 2))
  is 'redis_command_calls_total{cmd="get"}' $((n + 5 + 1)) "the rejected GET did not run"
  is 'redis_command_calls_total{cmd="select"}' 1
  is 'redis_command_calls_total{cmd="setex"}' 1
  is 'redis_command_calls_total{cmd="lpush"}' 1
  is 'redis_command_calls_total{cmd="info"}' $((scrapes - 1))
  is 'redis_command_failed_calls_total{cmd="lpush"}' 1 "WRONGTYPE"
  is 'redis_command_failed_calls_total{cmd="set"}' 0
  is 'redis_command_rejected_calls_total{cmd="get"}' 1 "GET without its key"
  is 'redis_command_rejected_calls_total{cmd="set"}' 0
  is 'redis_errors_total{error="WRONGTYPE"}' 1 "the LPUSH"
  is 'redis_errors_total{error="ERR"}' 1 "the bare GET"
  in_range 'redis_command_duration_seconds_total{cmd="set"}' 0.000001 1 "$((n + 2)) SETs"
  is 'redis_db_expiring_keys{db="db0"}' 0
  is 'redis_db_expiring_keys{db="db1"}' 1 "SETEX j3"
  # redis estimates it from samples its expiry cycle takes: 0 until one has.
  in_range 'redis_db_average_ttl_seconds{db="db1"}' 0 1000 "SETEX j3 1000"
  is redis_rdb_changes_since_last_save $((n + 3)) "every SET and SETEX; no save ran (--save '')"
  is redis_clients_blocked 0
  is redis_replicas_connected 0
  is redis_aof_enabled 0 "--appendonly no"
  is 'redis_persistence_in_progress{operation="rdb_bgsave"}' 0
  is 'redis_persistence_in_progress{operation="loading"}' 0
  is 'redis_persistence_last_status{operation="rdb_bgsave"}' 1
  is 'redis_persistence_last_status{operation="aof_write"}' 1
  in_range redis_memory_rss_bytes 100000 1e10
  in_range redis_memory_peak_bytes "$(sample cache_memory_used_bytes)" 1e10 "at least used_memory"
  in_range redis_memory_fragmentation_ratio 0.01 10000
  in_range 'redis_cpu_time_seconds_total{state="user"}' 0 1e6
  in_range 'redis_cpu_time_seconds_total{state="sys"}' 0 1e6
  is redis_replication_offset_bytes 0 "no replica ever attached"

  # The reference exporter reads the same INFO ALL. Compared: what its own
  # commands (INFO, CONFIG GET, CLIENT SETNAME, ...) do not change.
  reference_scrape prometheus-redis-exporter --web.listen-address --redis.addr="redis://127.0.0.1:$port"
  scrape
  local c
  for c in set get select setex lpush; do
    same_as "redis_command_calls_total{cmd=\"$c\"}" "redis_commands_total{cmd=\"$c\"}"
    same_as "redis_command_failed_calls_total{cmd=\"$c\"}" "redis_commands_failed_calls_total{cmd=\"$c\"}"
    same_as "redis_command_rejected_calls_total{cmd=\"$c\"}" "redis_commands_rejected_calls_total{cmd=\"$c\"}"
    same_as "redis_command_duration_seconds_total{cmd=\"$c\"}" "redis_commands_duration_seconds_total{cmd=\"$c\"}"
  done
  same_as 'redis_db_keys{db="db0"}' 'redis_db_keys{db="db0"}'
  same_as 'redis_db_keys{db="db1"}' 'redis_db_keys{db="db1"}'
  same_as 'redis_db_expiring_keys{db="db1"}' 'redis_db_keys_expiring{db="db1"}'
  same_as cache_hits_total redis_keyspace_hits_total
  same_as cache_misses_total redis_keyspace_misses_total
  same_as cache_evictions_total redis_evicted_keys_total
  same_as cache_expirations_total redis_expired_keys_total
  same_as cache_memory_limit_bytes redis_memory_max_bytes
  same_as redis_rdb_changes_since_last_save redis_rdb_changes_since_last_save
  same_as redis_rdb_last_save_timestamp_seconds redis_rdb_last_save_timestamp_seconds
  same_as redis_replicas_connected redis_connected_slaves
  same_as redis_aof_enabled redis_aof_enabled
  same_as 'redis_persistence_last_status{operation="rdb_bgsave"}' redis_rdb_last_bgsave_status
  same_as 'redis_persistence_in_progress{operation="rdb_bgsave"}' redis_rdb_bgsave_in_progress
  same_as redis_clients_blocked redis_blocked_clients
  same_as 'redis_errors_total{error="WRONGTYPE"}' 'redis_errors_total{err="WRONGTYPE"}'
  same_as 'redis_errors_total{error="ERR"}' 'redis_errors_total{err="ERR"}'
  echo "redis: $compared series equal to prometheus-redis-exporter's"
}

check_memcached() {
  # One connection: set k1..k25, get each (hits), get m1..m5 (misses),
  # delete k25 (found) and m1 (not found).
  local cmds='' i
  for i in $(seq "$n"); do cmds+="set k$i 0 0 1"$'\r\n'"v"$'\r\n'; done
  for i in $(seq "$n"); do cmds+="get k$i"$'\r\n'; done
  for i in 1 2 3 4 5; do cmds+="get m$i"$'\r\n'; done
  cmds+="delete k$n"$'\r\n'"delete m1"$'\r\n'
  # STORED per set; VALUE, v and END per hit; END per miss; one per delete.
  tcp_exchange "$port" $((n + 3 * n + 5 + 2)) "$cmds"
  [ "$(grep -c '^STORED$' <<<"$replies")" = "$n" ] || fail "not every set answered STORED"
  [ "$(tail -n 2 <<<"$replies" | tr '\n' ' ')" = 'DELETED NOT_FOUND ' ] || fail "unexpected delete replies"
  poll_until 'server_connections{state="active"}' 1
  # "stats" counts in no command counter; bytes are counted as read, so
  # scrape j sees j "stats\r\n"; total_connections counts the listening
  # socket once, then the load's connection and j scrapes.
  is cache_hits_total "$n" "gets of keys that exist"
  is cache_misses_total 5 "gets of keys that do not"
  is 'cache_operations_total{operation="get"}' $((n + 5))
  is 'cache_operations_total{operation="set"}' "$n"
  is 'cache_operations_total{operation="delete"}' 2 "1 hit + 1 miss"
  is 'cache_operations_total{operation="incr"}' 0
  is 'cache_operations_total{operation="touch"}' 0
  is cache_items $((n - 1))
  is cache_evictions_total 0
  is cache_memory_limit_bytes 16777216 "-m 16"
  in_range cache_memory_used_bytes 1 16777216
  local round
  for round in 1 2; do
    [ "$round" = 1 ] || scrape
    is server_connections_accepted_total $((1 + 1 + scrapes)) "listener + load + $scrapes scrapes"
    is 'server_network_io_bytes_total{network_io_direction="receive"}' $((${#cmds} + 7 * scrapes))
    is 'server_connections{state="active"}' 1 "the scrape's own connection"
    is cache_hits_total "$n"
  done
  is server_connections_rejected_total 0
  in_range 'server_network_io_bytes_total{network_io_direction="transmit"}' 1 1e12
  is "server_build_info{version=\"${version#memcached }\"}" 1
  # Seconds since the service started, as of now: the scrapes came later
  # than its start-up, and the service rounds its clock to whole seconds.
  in_range server_uptime_seconds 0 $((($(now_ms) - t_start_service) / 1000 + 2))
}

check_php_fpm() {
  local i code body
  for i in $(seq "$n"); do
    body=$(curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$port/index.php") || true
    [ "$body" = ok ] || fail "GET /index.php answered '$body', want ok"
  done
  # php-fpm counts a connection as it accepts it, so scrape j sees itself:
  # the n requests and j status requests. The status request is being
  # served by one of the two processes: busy 1, idle 1. Checked on this
  # scrape and the next.
  local round
  for round in 1 2; do
    scrape
    is server_connections_accepted_total $((n + scrapes)) "$n requests + $scrapes status requests"
    is 'server_workers{state="busy"}' 1 "the status request"
    is 'server_workers{state="idle"}' 1 "pm.max_children 2"
  done
  is 'phpfpm_pool_info{pool="app"}' 1
  is 'phpfpm_process_manager_info{process_manager="static"}' 1
  is phpfpm_listen_queue 0
  is phpfpm_listen_queue_max 0 "one request at a time"
  is phpfpm_listen_queue_limit 64 "listen.backlog"
  is phpfpm_processes_max_active 1 "one request at a time"
  is phpfpm_max_children_reached_total 0 "a static pool"
  is phpfpm_slow_requests_total 0
  in_range server_uptime_seconds 0 $((($(now_ms) - t_start_service) / 1000 + 2))
  # Four requests at once to a pool of two processes: two wait in the
  # listen queue, so the busy maximum becomes 2 and the queue's at least 1.
  # php-fpm samples the queue once a second (its process manager's
  # heartbeat): each request takes 1.5 s, so the queued ones are seen.
  printf '<?php usleep(1500000); echo "ok\n";\n' >"$tmp/html/index.php"
  local pids=()
  for i in 1 2 3 4; do
    curl -s -o /dev/null --noproxy '*' --max-time 10 "http://127.0.0.1:$port/index.php" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || fail "a concurrent request failed"; done
  scrape
  is server_connections_accepted_total $((n + 4 + scrapes))
  is phpfpm_processes_max_active 2 "four requests at once, two processes"
  in_range phpfpm_listen_queue_max 1 2 "the requests no process was free for"
  code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 5 "http://127.0.0.1:$port/index.php") || true
  [ "$code" = 200 ] || fail "GET /index.php answered '$code' after the burst"
}

# --- The run -----------------------------------------------------------------

idle_fds=()
t_start_service=$(now_ms)
start
t_up_end=$(now_ms)
echo "$service: $version, up on 127.0.0.1:${listen[*]} in $((t_up_end - t_start_service)) ms"

cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: $service
    $source_config
    timeout: 1s
    rules: [$root/rules/library/$rule_file]
YAML
timeout 30 "$adapter" check --config.file="$tmp/adapter.yaml" >"$tmp/check.out" 2>&1 ||
  { cat "$tmp/check.out"; fail "metrics-adapter check refused the config"; }
# lib.sh's start_adapter reads its log at once; under set -e and pipefail a
# log the background job has not created yet would end this script there.
: >"$tmp/adapter.log"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --config.watch-interval=0s

t_load=$(now_ms)
"check_${service//-/_}"
t_checked=$(now_ms)
is "metrics_adapter_source_up{source=\"$service\"}" 1
up_scrape_ms=$scrape_ms
series=$(grep -cE '^(server|cache|redis|proxy|apache|phpfpm)_' "$tmp/metrics.txt" || true)
echo "$service: the last scrape's $series series of the service (the first 30):"
# awk, not grep | head: head closing the pipe early would kill grep with
# SIGPIPE and, under pipefail, end this script without a word.
awk '/^(server|cache|redis|proxy|apache|phpfpm)_/ && n++ < 30 { print "  " $0 }' "$tmp/metrics.txt"
echo "$service: scrapes: $scrapes, every number as the service reports it; last scrape ${up_scrape_ms} ms" \
  "(load and checks $((t_checked - t_load)) ms)"

# Frozen (SIGSTOP), the service still accepts connections (the kernel
# completes them) but answers nothing: the scrape must end at the source's
# 1 s timeout, with up 0 and none of the service's series, rather than the
# last values seen.
kill -STOP -- "-$svc_pid"
scrape
kill -CONT -- "-$svc_pid"
frozen_ms=$scrape_ms
is "metrics_adapter_source_up{source=\"$service\"}" 0 "while the service was frozen"
if [ "$scrape_ms" -lt 900 ] || [ "$scrape_ms" -ge 3000 ]; then
  fail "the scrape of the frozen service took $scrape_ms ms; the source's timeout is 1 s"
fi
is "metrics_adapter_source_scrape_errors_total{reason=\"timeout\",source=\"$service\"}" 1
stale=$(grep -cE '^(server|cache|redis|proxy|apache|phpfpm)_' "$tmp/metrics.txt" || true)
[ "$stale" = 0 ] || fail "$stale series of the frozen service are still served"

# Stopped, the service is not there at all: the next scrape must answer at
# once (connection refused is immediate), again with up 0 and no series.
stop_service
for fd in "${idle_fds[@]}"; do exec {fd}>&-; done
scrape
is "metrics_adapter_source_up{source=\"$service\"}" 0 "after the service stopped"
[ "$scrape_ms" -lt 1000 ] || fail "the scrape after the service stopped took $scrape_ms ms"
in_range "metrics_adapter_source_scrape_errors_total{reason=\"connect\",source=\"$service\"}" 1 1
stale=$(grep -cE '^(server|cache|redis|proxy|apache|phpfpm)_' "$tmp/metrics.txt" || true)
[ "$stale" = 0 ] || { grep -E '^(server|cache|redis|proxy|apache|phpfpm)_' "$tmp/metrics.txt" | head; fail "$stale series of the stopped service are still served"; }
stop_adapter_cleanly

echo "PASS: $service status through metrics-adapter (scrapes: $scrapes, exact; frozen: up 0, no series," \
  "scrape ${frozen_ms} ms at a 1 s timeout; stopped: up 0, no series, scrape ${scrape_ms} ms;" \
  "total $(($(now_ms) - t_begin)) ms)"
