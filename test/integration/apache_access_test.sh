#!/usr/bin/env bash
# Runs the real Apache httpd (Debian package apache2-bin, scripts/deps.sh)
# on a port chosen at run time, sends it an exactly known mix of
# requests, and checks that the shipped apache rule files count every line it
# logged: each request once under the (method, status) it was sent as, the
# bytes %b says were sent ("-" counts as none), no line unmatched. httpd
# writes the same requests twice, in the "combined" format and in combined
# + %D, read by rules/library/apache/combined.yaml and combined_duration.yaml.
# Usage: test/integration/apache_access_test.sh PATH_TO_metrics-adapter
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
  echo "FAIL: apache integration: $*"
  for f in error.log access.log access_duration.log; do
    [ -s "$tmp/$f" ] && { echo "--- $f:"; cat "$tmp/$f"; }
  done
  exit 1
}

# apache2-bin is the server and its modules without Debian's site setup and
# service, which would start a second httpd on port 80.
"$root/scripts/deps.sh" --require apache2 curl || exit 1
httpd=/usr/sbin/apache2
modules=/usr/lib/apache2/modules

# mktemp -d is 0700, and httpd will not serve requests as root: its children
# run as nobody and must be able to read the files.
chmod 755 "$tmp"
mkdir "$tmp/html"
head -c 1000 /dev/zero | tr '\0' 'x' >"$tmp/html/index.html"
: >"$tmp/html/empty.txt"
chmod 644 "$tmp/html/index.html" "$tmp/html/empty.txt"
# An old file, so an If-Modified-Since after it (and before now) gets a 304.
touch -d '2020-01-01 00:00:00 UTC' "$tmp/html/index.html"

write_conf() {  # write_conf PORT
  # Timeout 1: a connection that sends half a request line gets its 408 soon.
  # /private asks for Basic credentials nobody has, so %u logs what the
  # client sent. User/Group apply only when started as root.
  cat >"$tmp/httpd.conf" <<CONF
ServerRoot $tmp
ServerName 127.0.0.1
Listen 127.0.0.1:$1
Timeout 1
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authn_core_module $modules/mod_authn_core.so
LoadModule authn_file_module $modules/mod_authn_file.so
LoadModule auth_basic_module $modules/mod_auth_basic.so
LoadModule authz_user_module $modules/mod_authz_user.so
User nobody
Group #65534
PidFile $tmp/httpd.pid
DefaultRuntimeDir $tmp
ErrorLog $tmp/error.log
DocumentRoot $tmp/html
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D" combined_duration
CustomLog $tmp/access.log combined
CustomLog $tmp/access_duration.log combined_duration
<Directory $tmp/html>
  Require all granted
</Directory>
<Location /private>
  AuthType Basic
  AuthName private
  AuthUserFile /dev/null
  Require valid-user
</Location>
CONF
}

start_server_on_free_port httpd write_conf "$tmp/httpd.pid" "$tmp/error.log" -- \
  "$httpd" -f "$tmp/httpd.conf" -D FOREGROUND
url="http://127.0.0.1:$port"
echo "$("$httpd" -v | sed -n 's/^Server version: //p') listening on 127.0.0.1:$port"

# The requests, each with the method label and status it must be counted as.
declare -A want=()
sent=0
expect() {  # expect METHOD_LABEL STATUS GOT_STATUS WHAT
  [ "$3" = "$2" ] || fail "$4: httpd answered '$3', this test expects $2"
  want["$1 $2"]=$((${want["$1 $2"]:-0} + 1))
  sent=$((sent + 1))
}
req() {  # req METHOD_LABEL STATUS CURL_ARGS...: one request with curl
  local label=$1 status=$2
  shift 2
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 5 "$@") || true
  expect "$label" "$status" "$got" "curl $*"
}
raw() {  # raw METHOD_LABEL STATUS PRINTF_FORMAT [ANSWER]: bytes curl would not send
  local got answer=${4-$2}
  # httpd closes these connections after its answer (or after Timeout), so
  # cat ends by itself.
  # shellcheck disable=SC2016 # the inner shell expands $1 and $2
  got=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "$2" >&3; cat <&3' _ "$port" "$3" |
    sed -n '1s/^HTTP\/1\.[01] \([0-9][0-9][0-9]\).*/\1/p') || true
  [ "$got" = "$answer" ] || fail "raw request '$3': httpd answered '$got', this test expects '$answer'"
  expect "$1" "$2" "$2" "raw request '$3'"
}

for _ in 1 2 3; do req GET 200 "$url/index.html"; done
# %b logs "-" for an empty body: an empty file, HEAD, 304, OPTIONS.
req GET 200 "$url/empty.txt"
req HEAD 200 -I "$url/index.html"
req GET 304 -H 'If-Modified-Since: Sat, 01 Jan 2022 00:00:00 GMT' "$url/index.html"
req OPTIONS 200 -X OPTIONS "$url/index.html"
req GET 404 "$url/missing"
req GET 404 "$url/missing?q=1"
# The default handler serves a static file to POST too.
req POST 200 -d x=1 "$url/index.html"
req DELETE 405 -X DELETE "$url/index.html"
req _OTHER 405 -X PROPFIND "$url/index.html"
req _OTHER 501 -X FOO "$url/index.html"
# httpd logs '"' as \" and '\' as \\.
# shellcheck disable=SC1003 # the user agent ends in a backslash
req GET 200 -A 'client "quoted" agent\' -e 'https://example.com/?a="b"' "$url/index.html"
# %u is what the client sent, spaces included, or "" when empty.
req GET 401 -u 'bob smith:pw' "$url/private/x"
req GET 401 -u ':pw' "$url/private/x"
# A TLS ClientHello and text sent to the plain-HTTP port, a lower-case
# method, a '"' in the path, and half a request line that times out ("-").
raw _OTHER 400 '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n'
raw _OTHER 400 'hello world\r\n\r\n'
raw _OTHER 501 'get / HTTP/1.0\r\n\r\n'
raw GET 404 'GET /a"b\\c HTTP/1.0\r\n\r\n'
# What else a client controls: spaces (httpd logs the request line up to
# the second), bytes that are not UTF-8, a '"' and a tab in the request
# line; a referer and a user agent holding \" and the text \x22 around a
# fake end of line; an empty user agent; control bytes in a header.
raw GET 400 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n'
raw GET 404 'GET /\xff\xfe\xc3\x28 HTTP/1.0\r\n\r\n'
raw GET 404 'GET /x HTTP/1.0\r\nReferer: a\\"b\\x22c" 200 5 "-\r\nUser-Agent: u\\x22" 200 1 "-" "\r\n\r\n'
raw GET 200 'GET /index.html HTTP/1.0\r\nUser-Agent: \r\n\r\n'
raw GET 400 'GET /"  x HTTP/1.1\r\n\r\n'
raw GET 400 'GET /\t HTTP/1.0\r\n\r\n'
raw GET 400 'GET /x HTTP/1.0\r\nUser-Agent: \xff\x01\x7f\r\n\r\n'
# httpd logs the 408 but closes the connection without answering.
raw _OTHER 408 'GET / HTT' ''

# Graceful stop: httpd has written every log line when the parent exits.
kill -TERM "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "httpd still running 10 s after SIGTERM"; fi
wait "$server_pid" || true
server_pid=

grep -qF '"client \"quoted\" agent\\"' "$tmp/access.log" ||
  fail "the quoted user agent is not in the log as expected"
grep -qF ' - bob smith [' "$tmp/access.log" || fail "the user with a space is not in the log as expected"

# %b follows the request's closing '"' and the status; with the escaped
# pairs (\" and \\) removed, that is the first '" NNN bytes "' of a line.
log_body_bytes() {  # log_body_bytes FILE: the body bytes the log records
  awk '{ line = $0; gsub(/\\./, "", line) }
       match(line, /" [0-9][0-9][0-9] ([0-9]+|-) "/) {
       split(substr(line, RSTART + 2, RLENGTH - 3), f, " "); s += f[2] }
       END { print s + 0 }' "$1"
}

check_access_log access.log "$root/rules/library/apache/combined.yaml"
check_access_log access_duration.log "$root/rules/library/apache/combined_duration.yaml"

# The durations: one observation per line, summing to %D converted to seconds.
prom=$tmp/access_duration.prom
count=$(awk 'index($1, "http_server_request_duration_seconds_count{") == 1 { s += $2 } END { print s + 0 }' "$prom")
[ "$count" = "$sent" ] || fail "access_duration.log: $count durations observed for $sent lines"
want_sum=$(awk '{ s += $NF } END { printf "%.6f\n", s / 1e6 }' "$tmp/access_duration.log")
got_sum=$(awk 'index($1, "http_server_request_duration_seconds_sum{") == 1 { s += $2 } END { printf "%.6f\n", s }' "$prom")
[ "$got_sum" = "$want_sum" ] ||
  fail "access_duration.log: durations sum to $got_sum s, the log's %D to $want_sum s"
echo "access_duration.log: $count durations summing to $got_sum s"

echo "PASS: apache integration ($sent requests, both formats)"
