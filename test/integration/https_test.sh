#!/usr/bin/env bash
# Pulled sources over HTTPS against a real nginx (Debian package "nginx") on
# 127.0.0.1 with `ssl` and `http2`, with a CA, a server certificate and a
# client certificate made by openssl for this run. Each source fetches its
# own small JSON page, so its series tell the sources apart. Checked through
# the adapter's /metrics: a server verified with ca_file is up with the
# page's numbers; without the CA the source is down with reason "tls"; so is
# a server_name the certificate does not hold, while one it holds is up;
# insecure_skip_verify is up; a location that wants a client certificate
# answers with cert_file and key_file and refuses without; a source through
# a small CONNECT proxy (python3, on 127.0.0.1) is up and the proxy saw the
# tunnel; nginx logged every request of the adapter as HTTP/2.0.
# Usage: test/integration/https_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require nginx openssl python3 curl || exit 1
nginx=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d)
# mktemp -d is 0700: workers that are not root could not read the files.
chmod 755 "$tmp"
server_pid=
proxy_pid=
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
cleanup() {
  stop_adapter
  stop_server
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: https integration: $*"
  local f
  for f in adapter.log error.log access.log proxy.log; do
    [ -s "$tmp/$f" ] && { echo "--- $f:"; tail -n 40 "$tmp/$f"; }
  done
  exit 1
}

# --- Certificates: a CA, the server (127.0.0.1 and status.test), a client ---
pki() { openssl "$@" >>"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; fail "openssl $1"; }; }
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
pki req -x509 "${newkey[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -days 2 -subj "/CN=adapter test CA"
issue() {  # issue NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt signed by the CA
  pki req "${newkey[@]}" -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "$2"
  printf '%s\n' "$3" >"$tmp/$1.ext"
  pki x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
    -out "$tmp/$1.crt" -days 2 -extfile "$tmp/$1.ext"
}
issue server /CN=127.0.0.1 "subjectAltName=IP:127.0.0.1,DNS:status.test"
issue client /CN=adapter "extendedKeyUsage=clientAuth"
chmod 644 "$tmp"/*.key

# --- nginx: a JSON page per source; /mtls/ wants a verified client cert ------
mkdir -p "$tmp/html/mtls"
page() {  # page PATH NAME REQUESTS
  printf '{"%s": {"requests": %s}}\n' "$2" "$3" >"$tmp/html/$1"
  chmod 644 "$tmp/html/$1"
}
page verified.json verified 1234
page no_ca.json no_ca 1
page insecure.json insecure 42
page named.json named 7
page misnamed.json misnamed 1
page proxied.json proxied 99
page mtls/mtls_ok.json mtls_ok 5
page mtls/mtls_missing.json mtls_missing 1

write_conf() {  # write_conf PORT
  cat >"$tmp/nginx.conf" <<CONF
user root;
worker_processes 1;
error_log $tmp/error.log notice;
events { worker_connections 64; }
http {
  log_format proto '\$server_protocol \$status \$ssl_client_verify \$uri';
  access_log $tmp/access.log proto;
$(nginx_temp_paths)
  default_type application/json;
  server {
    listen 127.0.0.1:$1 ssl http2;
    ssl_certificate $tmp/server.crt;
    ssl_certificate_key $tmp/server.key;
    ssl_client_certificate $tmp/ca.crt;
    ssl_verify_client optional;
    root $tmp/html;
    location /mtls/ {
      if (\$ssl_client_verify != SUCCESS) { return 403 "client certificate required\n"; }
    }
  }
}
CONF
}
start_server_on_free_port nginx write_conf "$tmp/nginx.pid" "$tmp/error.log" -- \
  "$nginx" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" -g "daemon off; pid $tmp/nginx.pid;"
nginx_port=$port
curl -sf --max-time 5 --cacert "$tmp/ca.crt" "https://127.0.0.1:$nginx_port/verified.json" >/dev/null ||
  fail "nginx does not serve https with the test CA"

# --- A CONNECT proxy on 127.0.0.1 that logs each tunnel it opens -------------
cat >"$tmp/proxy.py" <<'PY'
import select, socket, socketserver, sys

class Tunnel(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(4096).decode("latin-1").strip()
        while self.rfile.readline(4096) not in (b"\r\n", b"\n", b""):
            pass
        method, target = (line.split() + ["", ""])[:2]
        if method != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)), timeout=5)
        with open(sys.argv[1], "a") as log:
            log.write(line + "\n")
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        ends = [self.connection, upstream]
        while True:
            ready, _, _ = select.select(ends, [], [], 10)
            if not ready:
                break
            for end in ready:
                data = end.recv(65536)
                if not data:
                    upstream.close()
                    return
                (upstream if end is self.connection else self.connection).sendall(data)

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True

server = Server(("127.0.0.1", 0), Tunnel)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$tmp/proxy.py" "$tmp/proxy.log" >"$tmp/proxy.port" 2>"$tmp/proxy.err" &
proxy_pid=$!
for _ in $(seq 100); do [ -s "$tmp/proxy.port" ] && break; sleep 0.05; done
proxy_port=$(head -1 "$tmp/proxy.port")
[ -n "$proxy_port" ] || fail "the proxy did not start: $(cat "$tmp/proxy.err")"

# --- The adapter -------------------------------------------------------------
cat >"$tmp/page.yaml" <<'YAML'
parser: json
# Each source pulls its own page: `upstream` tells their series apart.
source_labels: [upstream]
metrics:
  - {name: app_requests_total, type: counter, help: Requests served., labels: [page]}
rules:
  - name: requests
    match: '^(?P<page>[a-z_]+)\.requests$'
    emit: [{metric: app_requests_total, set: $value, labels: {page: $page}}]
tests:
  - input: '{"x": {"requests": 9}}'
    expect: |
      app_requests_total{page="x"} 9
YAML
base="https://127.0.0.1:$nginx_port"
http_source() {  # http_source NAME PATH TLS_CONFIG [EXTRA]
  printf '  - {name: %s, type: http, url: "%s/%s", timeout: 5s, rules: [page.yaml], labels: {upstream: %s}, tls_config: %s%s}\n' \
    "$1" "$base" "$2" "$1" "$3" "${4:+, $4}"
}
ca="ca_file: ca.crt"
{
  echo "sources:"
  http_source verified verified.json "{$ca}"
  http_source no_ca no_ca.json "{}"
  http_source insecure insecure.json "{insecure_skip_verify: true}"
  http_source named named.json "{$ca, server_name: status.test}"
  http_source misnamed misnamed.json "{$ca, server_name: other.test}"
  http_source proxied proxied.json "{$ca}" "proxy_url: \"http://127.0.0.1:$proxy_port\""
  http_source mtls_ok mtls/mtls_ok.json "{$ca, cert_file: client.crt, key_file: client.key}"
  http_source mtls_missing mtls/mtls_missing.json "{$ca}"
} >"$tmp/adapter.yaml"

"$adapter" test "$tmp/page.yaml" >/dev/null || fail "the test's rule file does not pass its tests"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"

up() { echo "^metrics_adapter_source_up\\{source=\"$1\",upstream=\"$1\"\\}"; }
for name in verified insecure named proxied mtls_ok; do wait_for_value "$(up "$name")" 1; done
for name in no_ca misnamed mtls_missing; do wait_for_value "$(up "$name")" 0; done
wait_for_value '^app_requests_total\{page="verified",upstream="verified"\}' 1234
wait_for_value '^app_requests_total\{page="insecure",upstream="insecure"\}' 42
wait_for_value '^app_requests_total\{page="named",upstream="named"\}' 7
wait_for_value '^app_requests_total\{page="proxied",upstream="proxied"\}' 99
wait_for_value '^app_requests_total\{page="mtls_ok",upstream="mtls_ok"\}' 5
for name in no_ca misnamed mtls_missing; do
  [ -z "$(value "^app_requests_total\\{page=\"$name\"[,}]")" ] || fail "$name left series behind"
done

errors() { value "^metrics_adapter_source_scrape_errors_total\\{reason=\"$1\",source=\"$2\"\\}"; }
[ -n "$(errors tls no_ca)" ] || fail "no_ca: no scrape error with reason tls"
[ -n "$(errors tls misnamed)" ] || fail "misnamed: no scrape error with reason tls"
[ -n "$(errors http_status mtls_missing)" ] || fail "mtls_missing: no scrape error with reason http_status"
grep -q 'source no_ca: scrape failed: .*certificate' "$tmp/adapter.log" ||
  fail "the no_ca failure does not say what was wrong with the certificate"
grep -q 'source mtls_missing: scrape failed: HTTP 403: client certificate required' "$tmp/adapter.log" ||
  fail "the mtls_missing failure does not quote nginx's answer"

# nginx logged the adapter's requests (curl's check above was HTTP/2 as well).
for path in verified named proxied mtls/mtls_ok; do
  grep -q "^HTTP/2.0 200 [A-Z]* /$path.json\$" "$tmp/access.log" ||
    fail "no HTTP/2.0 request for /$path.json in nginx's log"
done
grep -q "^HTTP/2.0 200 SUCCESS /mtls/mtls_ok.json\$" "$tmp/access.log" ||
  fail "mtls_ok did not present a verified client certificate"
grep -q "^HTTP/2.0 403 NONE /mtls/mtls_missing.json\$" "$tmp/access.log" ||
  fail "mtls_missing was not refused for want of a client certificate"
if grep -v '^HTTP/2.0 ' "$tmp/access.log" | grep -q .; then
  fail "requests not over HTTP/2: $(grep -v '^HTTP/2.0 ' "$tmp/access.log" | head -3)"
fi
grep -q "^CONNECT 127.0.0.1:$nginx_port HTTP/1.1\$" "$tmp/proxy.log" ||
  fail "the proxied source did not tunnel through the proxy"
[ "$(wc -l <"$tmp/proxy.log")" -ge 1 ] || fail "the proxy saw no tunnel"

stop_adapter_cleanly
echo "PASS: https (ca_file, no CA, server_name, insecure_skip_verify, client certificate, proxy, HTTP/2)"
