#!/usr/bin/env bash
# Runs the real nginx (Debian package "nginx", scripts/deps.sh) on a
# port chosen at run time, sends it an exactly known mix of requests, and
# checks that the shipped nginx rule files count every line it logged: each
# request once under the (method, status) it was sent as, the bytes nginx
# says it sent, no line unmatched. nginx writes the same requests three
# times, in its predefined "combined" format, in combined + $request_time
# and as JSON lines (escape=json), read by rules/library/nginx/combined.yaml,
# combined_request_time.yaml and json.yaml.
# Usage: test/integration/nginx_access_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
server_pid=
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: nginx integration: $*"
  for f in error.log access.log access_rt.log access.json; do
    [ -s "$tmp/$f" ] && { echo "--- $f:"; cat "$tmp/$f"; }
  done
  exit 1
}

"$root/scripts/deps.sh" --require nginx curl || exit 1
nginx=$(command -v nginx || echo /usr/sbin/nginx)

# mktemp -d is 0700: workers that are not root could not read the files.
chmod 755 "$tmp"
mkdir "$tmp/html"
head -c 1000 /dev/zero | tr '\0' 'x' >"$tmp/html/index.html"
chmod 644 "$tmp/html/index.html"

write_conf() {  # write_conf PORT
  # "user root" lets the workers of a root master read anything; as another
  # user nginx ignores it with a warning. Every path nginx writes is in $tmp,
  # not the compiled-in /var/lib/nginx and /var/log/nginx.
  cat >"$tmp/nginx.conf" <<CONF
user root;
worker_processes 1;
error_log $tmp/error.log notice;
events { worker_connections 64; }
http {
  log_format combined_rt '\$remote_addr - \$remote_user [\$time_local] '
                         '"\$request" \$status \$body_bytes_sent '
                         '"\$http_referer" "\$http_user_agent" \$request_time';
  log_format json_combined escape=json
    '{"time":"\$time_iso8601","remote_addr":"\$remote_addr","remote_user":"\$remote_user",'
    '"request":"\$request","request_method":"\$request_method","status":\$status,'
    '"body_bytes_sent":\$body_bytes_sent,"request_time":\$request_time,'
    '"http_referer":"\$http_referer","http_user_agent":"\$http_user_agent"}';
  access_log $tmp/access.log combined;
  access_log $tmp/access_rt.log combined_rt;
  access_log $tmp/access.json json_combined;
$(nginx_temp_paths)
  default_type text/plain;
  server {
    listen 127.0.0.1:$1;
    root $tmp/html;
  }
}
CONF
}

start_server_on_free_port nginx write_conf "$tmp/nginx.pid" "$tmp/error.log" -- \
  "$nginx" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" -g "daemon off; pid $tmp/nginx.pid;"
url="http://127.0.0.1:$port"
echo "nginx $("$nginx" -v 2>&1 | sed 's/.*\///') listening on 127.0.0.1:$port"

# The requests, each with the method label and status it must be counted as.
# The JSON log's method is $request_method, which nginx leaves empty
# (_OTHER) for a request line it could not parse, where the text formats
# show its first word: want_json has those.
declare -A want=() want_json=()
sent=0
expect() {  # expect METHOD_LABEL STATUS GOT_STATUS WHAT [JSON_METHOD_LABEL]
  [ "$3" = "$2" ] || fail "$4: nginx answered '$3', this test expects $2"
  want["$1 $2"]=$((${want["$1 $2"]:-0} + 1))
  want_json["${5:-$1} $2"]=$((${want_json["${5:-$1} $2"]:-0} + 1))
  sent=$((sent + 1))
}
req() {  # req METHOD_LABEL STATUS CURL_ARGS...: one request with curl
  local label=$1 status=$2
  shift 2
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 5 "$@") || true
  expect "$label" "$status" "$got" "curl $*"
}
raw() {  # raw METHOD_LABEL STATUS PRINTF_FORMAT [JSON_METHOD_LABEL]: bytes curl would not send
  local got
  # nginx closes these connections after its answer, so cat ends by itself.
  # shellcheck disable=SC2016 # the inner shell expands $1 and $2
  got=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "$2" >&3; cat <&3' _ "$port" "$3" |
    sed -n '1s/^HTTP\/1\.[01] \([0-9][0-9][0-9]\).*/\1/p') || true
  expect "$1" "$2" "$got" "raw request '$3'" "${4:-}"
}

for _ in 1 2 3; do req GET 200 "$url/index.html"; done
req GET 404 "$url/missing"
req GET 404 "$url/missing?q=1"
req HEAD 200 -I "$url/index.html"
# Static files only answer GET and HEAD: nginx answers 405 to the others.
req POST 405 -d x=1 "$url/index.html"
req DELETE 405 -X DELETE "$url/index.html"
req OPTIONS 405 -X OPTIONS "$url/index.html"
req _OTHER 405 -X PROPFIND "$url/index.html"
# nginx logs '"' as \x22 and '\' as \x5C.
# shellcheck disable=SC1003 # the user agent ends in a backslash
req GET 200 -A 'client "quoted" agent\' "$url/index.html"
req GET 200 -u 'alice:secret' -e 'https://example.com/?a="b"' "$url/index.html"
# A TLS ClientHello sent to the plain-HTTP port, and a lower-case method.
raw _OTHER 400 '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'
raw _OTHER 400 'get / HTTP/1.0\r\n\r\n'
raw GET 404 'GET /a"b\\c HTTP/1.0\r\n\r\n'
# What else a client controls: spaces, bytes that are not UTF-8, a '"'
# and a tab in the request line; a referer and a user agent holding \" and
# the text \x22 around a fake end of line; an empty user agent.
# escape=json writes the bytes that are not UTF-8 as they are.
raw GET 400 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n' _OTHER
raw GET 404 'GET /\xff\xfe\xc3\x28 HTTP/1.0\r\n\r\n'
raw GET 404 'GET /x HTTP/1.0\r\nReferer: a\\"b\\x22c" 200 5 "-\r\nUser-Agent: u\\x22" 200 1 "-" "\r\n\r\n'
raw GET 200 'GET /index.html HTTP/1.0\r\nUser-Agent: \r\n\r\n'
raw GET 400 'GET /"  x HTTP/1.1\r\n\r\n' _OTHER
raw GET 400 'GET /\t HTTP/1.0\r\n\r\n' _OTHER

# Graceful stop: nginx has written every log line when the master exits.
kill -QUIT "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "nginx still running 10 s after SIGQUIT"; fi
wait "$server_pid" || true
server_pid=

grep -qF 'client \x22quoted\x22 agent\x5C' "$tmp/access.log" ||
  fail "the quoted user agent is not in the log as expected"

# $body_bytes_sent follows the first '"', status ' after the request; the
# request cannot hold a '"' of its own (nginx logs it as \x22).
log_body_bytes() {  # log_body_bytes FILE: the body bytes the log records
  if [[ $1 == *.json ]]; then
    grep -o '"body_bytes_sent":[0-9]*' "$1" | awk -F: '{ s += $2 } END { print s + 0 }'
    return
  fi
  awk 'match($0, /" [0-9][0-9][0-9] [0-9]+ "/) {
       split(substr($0, RSTART + 2, RLENGTH - 3), f, " "); s += f[2] }
       END { print s + 0 }' "$1"
}

check_access_log access.log "$root/rules/library/nginx/combined.yaml"
check_access_log access_rt.log "$root/rules/library/nginx/combined_request_time.yaml"

# The durations: one observation per line, summing to nginx's $request_time.
prom=$tmp/access_rt.prom
count=$(awk 'index($1, "http_server_request_duration_seconds_count{") == 1 { s += $2 } END { print s + 0 }' "$prom")
[ "$count" = "$sent" ] || fail "access_rt.log: $count durations observed for $sent lines"
want_sum=$(awk '{ s += $NF } END { printf "%.6f\n", s }' "$tmp/access_rt.log")
got_sum=$(awk 'index($1, "http_server_request_duration_seconds_sum{") == 1 { s += $2 } END { printf "%.6f\n", s }' "$prom")
[ "$got_sum" = "$want_sum" ] || fail "access_rt.log: durations sum to $got_sum s, the log to $want_sum s"
echo "access_rt.log: $count durations summing to $got_sum s"

# The JSON lines: their own method labels, and the same durations.
want=()
for key in "${!want_json[@]}"; do want["$key"]=${want_json["$key"]}; done
check_access_log access.json "$root/rules/library/nginx/json.yaml" json
prom=$tmp/access.prom
count=$(awk 'index($1, "http_server_request_duration_seconds_count{") == 1 { s += $2 } END { print s + 0 }' "$prom")
[ "$count" = "$sent" ] || fail "access.json: $count durations observed for $sent lines"
want_sum=$(grep -o '"request_time":[0-9.]*' "$tmp/access.json" | awk -F: '{ s += $2 } END { printf "%.6f\n", s }')
got_sum=$(awk 'index($1, "http_server_request_duration_seconds_sum{") == 1 { s += $2 } END { printf "%.6f\n", s }' "$prom")
[ "$got_sum" = "$want_sum" ] || fail "access.json: durations sum to $got_sum s, the log to $want_sum s"
echo "access.json: $count durations summing to $got_sum s"

echo "PASS: nginx integration ($sent requests, three formats)"
