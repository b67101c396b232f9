#!/usr/bin/env bash
# Runs the real nginx and Apache httpd (Debian packages "nginx" and
# "apache2-bin", scripts/deps.sh), each with five
# custom log formats at once, generates a rule file per format with
# `metrics-adapter rules from-log-format`, checks it (`check`, its embedded
# test), sends an exactly counted mix of requests (methods, statuses, empty
# bodies, hostile user agents and referers, odd bytes in URLs) and checks
# that `metrics-adapter once` over each log counts every logged request and
# sums the bytes and durations exactly as a plain reference log of the same
# requests has them. nginx passes /proxied/ to a python3 backend, so that
# $upstream_response_time (format f1) is a real time for some requests and
# "-" for the others.
# Usage: test/integration/from_log_format_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
server_pid=
backend_pid=
cleanup() {
  stop_server
  [ -n "$backend_pid" ] && kill "$backend_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: from-log-format integration: $*"
  [ -s "$tmp/error.log" ] && { echo "--- error.log:"; cat "$tmp/error.log"; }
  exit 1
}

"$root/scripts/deps.sh" --require nginx curl awk || exit 1
nginx=$(command -v nginx || echo /usr/sbin/nginx)
chmod 755 "$tmp"
mkdir "$tmp/html"
head -c 1000 /dev/zero | tr '\0' 'x' >"$tmp/html/index.html"
: >"$tmp/html/empty.txt"
chmod 644 "$tmp/html/index.html" "$tmp/html/empty.txt"

# The five formats, as written in nginx.conf; f3 logs no body size (its
# bytes are $bytes_sent), the others $body_bytes_sent.
formats=(
  "log_format f1 '\$remote_addr - \$remote_user [\$time_local] \$request_time \"\$request\" \$status \$body_bytes_sent \"\$http_referer\" \"\$http_user_agent\" \$upstream_response_time';"
  "log_format f2 '\$msec\t\$status\t\$request_method\t\$body_bytes_sent\t\$request_time\t\$http_user_agent\t\$uri';"
  "log_format f3 escape=json '{\"s\":\$status,\"r\":\"\$request\",\"b\":\$bytes_sent,\"t\":\$request_time,\"ua\":\"\$http_user_agent\",\"ref\":\"\$http_referer\"}';"
  "log_format f4 '\"\$request\" \$status \$body_bytes_sent \$request_time \"\$http_user_agent\" \$remote_user \$args';"
  "log_format f5 escape=none '\$status \$request_time \$body_bytes_sent \$http_user_agent';"
)
bytes_field=(2 2 3 2 2)  # the reference log's field each format's bytes equal
time_field=(4 4 4 4 4)
time_scale=(1 1 1 1 1)
# check_logs SERVER: each f$i.log read by its generated rules counts $sent
# requests, none unmatched, and the bytes and durations the reference log
# has (fields ${bytes_field[i]}, ${time_field[i]} / ${time_scale[i]}).
check_logs() {
  [ "$(wc -l <"$tmp/ref.log")" = "$sent" ] || fail "$1: ref.log has $(wc -l <"$tmp/ref.log") lines for $sent requests"
  local i prom got unmatched want_bytes want_time
  for i in 1 2 3 4 5; do
    [ "$(wc -l <"$tmp/f$i.log")" = "$sent" ] || fail "$1: f$i.log has $(wc -l <"$tmp/f$i.log") lines for $sent requests"
    (cd "$tmp" && timeout 60 "$adapter" once --config.file="f$i.adapter.yaml") >"$tmp/f$i.prom" 2>"$tmp/f$i.err" ||
      { cat "$tmp/f$i.err"; fail "$1: once failed on f$i.log"; }
    prom=$tmp/f$i.prom
    got=$(prom_sum "$prom" http_server_requests_total)
    [ "$got" = "$(printf '%.6f' "$sent")" ] || { cat "$tmp/f$i.log"; fail "$1 f$i: $got requests counted of $sent"; }
    unmatched=$(prom_value "$prom" "metrics_adapter_lines_unmatched_total{source=\"f$i\"}")
    [ "$unmatched" = 0 ] || fail "$1 f$i: '$unmatched' lines unmatched"
    want_bytes=$(sum_of "${bytes_field[$((i - 1))]}" 1)
    got=$(prom_sum "$prom" http_server_response_body_size_bytes_total)
    [ "$got" = "$want_bytes" ] || fail "$1 f$i: bytes sum to $got, the log to $want_bytes"
    got=$(prom_sum "$prom" http_server_request_duration_seconds_count)
    [ "$got" = "$(printf '%.6f' "$sent")" ] || fail "$1 f$i: $got durations observed of $sent"
    want_time=$(sum_of "${time_field[$((i - 1))]}" "${time_scale[$((i - 1))]}")
    got=$(prom_sum "$prom" http_server_request_duration_seconds_sum)
    [ "$got" = "$want_time" ] || fail "$1 f$i: durations sum to $got s, the log to $want_time s"
    echo "$1 f$i: $sent requests, $want_bytes bytes, $want_time s"
  done
}
sum_of() {  # sum_of FIELD SCALE: the reference log's field summed, divided by SCALE
  awk -v f="$1" -v d="$2" '{ s += $f / d } END { printf "%.6f\n", s }' "$tmp/ref.log"
}
# check_upstream_times FORMAT: the upstream times of f$FORMAT.log, read by its
# rules, count and sum what the reference log's last field has (nginx: the
# upstream list, "-" for requests not proxied).
check_upstream_times() {
  local prom=$tmp/f$1.prom want_count want_sum got
  want_count=$(awk '$5 != "-" { n++ } END { printf "%.6f\n", n }' "$tmp/ref.log")
  want_sum=$(awk '$5 != "-" { s += $5 } END { printf "%.6f\n", s }' "$tmp/ref.log")
  [ "$want_count" != "0.000000" ] || fail "no request reached the upstream"
  got=$(prom_sum "$prom" http_server_upstream_duration_seconds_count)
  [ "$got" = "$want_count" ] || fail "f$1: $got upstream times observed, the log has $want_count"
  got=$(prom_sum "$prom" http_server_upstream_duration_seconds_sum)
  [ "$got" = "$want_sum" ] || fail "f$1: upstream times sum to $got s, the log to $want_sum s"
  echo "nginx f$1: $want_count upstream times, $want_sum s"
}


# generate_rules SERVER: the rule file of each format, checked before any request is sent.
generate_rules() {
  local i
for i in 1 2 3 4 5; do
  "$adapter" rules from-log-format --"$1"="${formats[$((i - 1))]}" >"$tmp/f$i.yaml" ||
    fail "$1: rules from-log-format failed for f$i"
  "$adapter" test "$tmp/f$i.yaml" >"$tmp/f$i.test" || { cat "$tmp/f$i.test"; fail "f$i.yaml: its own test fails"; }
  printf 'sources:\n  - name: f%s\n    type: file\n    paths: [f%s.log]\n    parser: line\n    rules: [f%s.yaml]\n' \
    "$i" "$i" "$i" >"$tmp/f$i.adapter.yaml"
  "$adapter" check --config.file="$tmp/f$i.adapter.yaml" >/dev/null || fail "f$i: check fails"
done
}

# shellcheck disable=SC2317 # called by start_server_on_free_port
write_conf() {  # write_conf PORT
  {
    echo "user root; worker_processes 1; error_log $tmp/error.log notice;"
    echo "events { worker_connections 64; }"
    echo "http {"
    for f in "${formats[@]}"; do echo "  $f"; done
    echo "  log_format ref '\$status \$body_bytes_sent \$bytes_sent \$request_time \$upstream_response_time';"
    for i in 1 2 3 4 5; do echo "  access_log $tmp/f$i.log f$i;"; done
    echo "  access_log $tmp/ref.log ref;"
    nginx_temp_paths
    echo "  default_type text/plain;"
    echo "  server { listen 127.0.0.1:$1; root $tmp/html;"
    echo "    location /proxied/ { proxy_pass http://127.0.0.1:$backend_port/; } }"
    echo "}"
  } >"$tmp/nginx.conf"
}

# send_requests SERVER: the same requests to the server at $url (and, for
# nginx, some through its proxy); $sent counts them.
send_requests() {
sent=0
req() { curl -s -o /dev/null --noproxy '*' --max-time 5 "$@" || true; sent=$((sent + 1)); }
raw() {
  # shellcheck disable=SC2016 # the inner shell expands $1 and $2
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "$2" >&3; cat <&3' _ "$port" "$1" >/dev/null || true
  sent=$((sent + 1))
}
for _ in 1 2 3; do req "$url/index.html"; done
if [ "$1" = nginx ]; then
  for _ in 1 2 3; do req "$url/proxied/index.html"; done
  req "$url/proxied/missing"
fi
req "$url/empty.txt"
req "$url/missing?q=1"
req -I "$url/index.html"
req -d x=1 "$url/index.html"
req -X DELETE "$url/index.html"
req -X PROPFIND "$url/index.html"
# shellcheck disable=SC1003 # the user agent ends in a backslash
req -A 'client "quoted" agent\' -e 'https://x/?a="b" \x22 200 1' "$url/index.html"
req -u 'a b:pw' -A '" 200 99999 "-" "' "$url/index.html?x=%22%5C"
raw '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'
raw 'get / HTTP/1.0\r\n\r\n'
raw 'GET /a"b\\c HTTP/1.0\r\n\r\n'
raw 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n'
raw 'GET /\xff\xfe\xc3\x28 HTTP/1.0\r\nUser-Agent: \t\\x22\xff\r\n\r\n'
raw 'GET /index.html HTTP/1.0\r\nUser-Agent: \r\n\r\n'
}

generate_rules nginx
start_static_backend "$tmp/html"
start_server_on_free_port nginx write_conf "$tmp/nginx.pid" "$tmp/error.log" -- \
  "$nginx" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" -g "daemon off; pid $tmp/nginx.pid;"
url="http://127.0.0.1:$port"

send_requests nginx

kill -QUIT "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "nginx still running 10 s after SIGQUIT"; fi
wait "$server_pid" || true
server_pid=

check_logs nginx 4 1 "${bytes_field[@]}"
check_upstream_times 1

# --- Apache httpd (Debian package apache2-bin), five formats of its own.
"$root/scripts/deps.sh" --require apache2 || exit 1
httpd=/usr/sbin/apache2
modules=/usr/lib/apache2/modules
rm -f "$tmp"/f?.log "$tmp/ref.log" "$tmp/error.log"
# Written with a quoted heredoc: exactly as in httpd.conf.
cat >"$tmp/apache.formats" <<'FORMATS'
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\" %D" f1
LogFormat "%a\t%>s\t%B\t%{ms}T\t%{User-agent}i\t%m %U%q" f2
LogFormat "\"%r\" %s %O %T \"%{Referer}i\" %u" f3
LogFormat "%t %{us}T %>s \"%{User-agent}i\" %b %!200{Referer}i \"%r\"" f4
LogFormat "%m %>s %B %D %{User-agent}i" f5
FORMATS
mapfile -t formats <"$tmp/apache.formats"
# The reference log's fields: %>s %B %O %D %{ms}T %T %{us}T.
bytes_field=(2 2 3 2 2)
time_field=(4 5 6 7 4)
time_scale=(1000000 1000 1 1000000 1000000)
# shellcheck disable=SC2317 # called by start_server_on_free_port
write_conf() {  # write_conf PORT
  {
    echo "ServerRoot $tmp"
    echo "ServerName 127.0.0.1"
    echo "Listen 127.0.0.1:$1"
    echo "Timeout 1"
    echo "LoadModule mpm_event_module $modules/mod_mpm_event.so"
    echo "LoadModule authz_core_module $modules/mod_authz_core.so"
    echo "User nobody"
    echo "Group #65534"
    echo "PidFile $tmp/httpd.pid"
    echo "DefaultRuntimeDir $tmp"
    echo "ErrorLog $tmp/error.log"
    echo "DocumentRoot $tmp/html"
    cat "$tmp/apache.formats"
    echo 'LogFormat "%>s %B %O %D %{ms}T %T %{us}T" ref'
    for i in 1 2 3 4 5; do echo "CustomLog $tmp/f$i.log f$i"; done
    echo "CustomLog $tmp/ref.log ref"
    echo "<Directory $tmp/html>"
    echo "  Require all granted"
    echo "</Directory>"
  } >"$tmp/httpd.conf"
}
generate_rules apache
start_server_on_free_port httpd write_conf "$tmp/httpd.pid" "$tmp/error.log" -- \
  "$httpd" -f "$tmp/httpd.conf" -D FOREGROUND
url="http://127.0.0.1:$port"
send_requests apache
kill -TERM "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "httpd still running 10 s after SIGTERM"; fi
wait "$server_pid" || true
server_pid=
check_logs apache

echo "PASS: from-log-format integration (nginx and Apache, five formats each, $sent requests each)"
