#!/usr/bin/env bash
# --web.config.file against real clients on 127.0.0.1 (curl, openssl s_client,
# python3's ssl), with a CA, server and client certificates made by openssl
# for this run and bcrypt hashes made by python3's crypt module:
#   mutual TLS (RequireAndVerifyClientCert): no client certificate and one of
#   another CA are refused in the handshake, the right one is served; basic
#   auth right (hashes of two costs), wrong and missing (401 with
#   WWW-Authenticate: Basic) on every endpoint, the lifecycle and explain
#   endpoints and an unknown path included; the configured headers on every
#   response; the web config changed on disk is picked up (users, headers, a
#   new server certificate without a restart) and a broken one is refused and
#   counted while the old one keeps serving; each client_auth_type (switched
#   by reloads) and client_allowed_sans; server-only TLS; a large exposition
#   whole over TLS, plain and gzip (sent as it renders: chunked to HTTP/1.1, to
#   the close to HTTP/1.0); an invalid web config at startup exits 1 naming
#   file:line and the field; and a load run
#   of thousands of mutual-TLS connections, every one answered.
# Usage: test/integration/web_config_test.sh PATH_TO_metrics-adapter [CONNECTIONS]
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter [CONNECTIONS]}")
connections=${2:-2000}
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require openssl python3 curl || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
cleanup() {
  stop_adapter
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- Certificates: a CA, the server, a client; another CA and its client ----
pki() { openssl "$@" >>"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; fail "openssl $1"; }; }
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
ca() {  # ca NAME: NAME.key and NAME.crt, a self-signed CA
  pki req -x509 "${newkey[@]}" -keyout "$tmp/$1.key" -out "$tmp/$1.crt" -days 2 -subj "/CN=$1"
}
issue() {  # issue CA NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt signed by CA
  pki req "${newkey[@]}" -keyout "$tmp/$2.key" -out "$tmp/$2.csr" -subj "$3"
  printf '%s\n' "$4" >"$tmp/$2.ext"
  pki x509 -req -in "$tmp/$2.csr" -CA "$tmp/$1.crt" -CAkey "$tmp/$1.key" -CAcreateserial \
    -out "$tmp/$2.crt" -days 2 -extfile "$tmp/$2.ext"
}
ca ca
ca other-ca
issue ca server /CN=first-server "subjectAltName=IP:127.0.0.1"
issue ca rotated /CN=rotated-server "subjectAltName=IP:127.0.0.1"
issue ca client /CN=scraper "extendedKeyUsage=clientAuth"
issue other-ca stranger /CN=stranger "extendedKeyUsage=clientAuth"
issue ca named-client /CN=named "extendedKeyUsage=clientAuth
subjectAltName=DNS:scraper.test"

# bcrypt hashes of two costs (2^4 and 2^6 rounds), as htpasswd -B would make.
bcrypt() {  # bcrypt PASSWORD COST
  python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** int(sys.argv[2]))))' "$1" "$2"
}
alice_hash=$(bcrypt alice-secret 4)
bob_hash=$(bcrypt bob-secret 6)
[[ $alice_hash == \$2b\$04\$* && $bob_hash == \$2b\$06\$* ]] || fail "python3 made no bcrypt hashes"

# --- The adapter: a file source, mutual TLS, two users, two headers ---------
touch "$tmp/access.log"
printf 'sources:\n  - {name: access, type: file, paths: [%s], parser: line, rules: [%s]}\n' \
  "$tmp/access.log" "$root/rules/library/nginx/combined_request_time.yaml" >"$tmp/adapter.yaml"
web_config() {  # web_config USERS_YAML FRAME_OPTIONS: the mutual-TLS web config
  cat >"$tmp/web.yaml.new" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
http_server_config:
  headers:
    X-Frame-Options: $2
    X-Content-Type-Options: nosniff
basic_auth_users:
$1
YAML
  mv "$tmp/web.yaml.new" "$tmp/web.yaml"  # whole, as a ConfigMap update is
}
both_users="  alice: '$alice_hash'
  bob: '$bob_hash'"
web_config "$both_users" deny
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --web.config.file="$tmp/web.yaml" \
  --config.watch-interval=200ms --web.enable-lifecycle --web.enable-explain
grep -q "serving /metrics on .* over TLS" "$tmp/adapter.log" || fail "the adapter does not say TLS"
base="https://127.0.0.1:${url##*:}"
mtls=(--cacert "$tmp/ca.crt" --cert "$tmp/client.crt" --key "$tmp/client.key")

# status CURL_ARGS...: the HTTP status, or "none" when no response came.
status() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@") || true
  [ -n "$code" ] && [ "$code" != 000 ] && echo "$code" || echo none
}
expect() {  # expect WANT WHAT CURL_ARGS...
  local want=$1 what=$2 got
  shift 2
  got=$(status "$@")
  [ "$got" = "$want" ] || fail "$what: got $got, want $want"
}

# --- Mutual TLS: the handshake refuses what RequireAndVerifyClientCert refuses -
expect none "no client certificate" --cacert "$tmp/ca.crt" -u alice:alice-secret "$base/healthz"
expect none "a client certificate of another CA" --cacert "$tmp/ca.crt" --cert "$tmp/stranger.crt" \
  --key "$tmp/stranger.key" -u alice:alice-secret "$base/healthz"
expect none "plain HTTP to the TLS port" -u alice:alice-secret "http://127.0.0.1:${url##*:}/healthz"
expect 200 "the right client certificate" "${mtls[@]}" -u alice:alice-secret "$base/healthz"

# --- Basic auth on every endpoint --------------------------------------------
# endpoint: METHOD PATH STATUS_WHEN_AUTHORIZED
endpoints=("GET /metrics 200" "HEAD /metrics 200" "GET /healthz 200" "GET /readyz 200" "GET / 200"
  "POST /-/reload 200" "POST /-/explain?source=access 200" "GET /nothing-here 404")
for endpoint in "${endpoints[@]}"; do
  read -r method path authorized <<<"$endpoint"
  request=(-X "$method" "$base$path")
  [ "$method" = HEAD ] && request=(-I "$base$path")
  [ "$method" = POST ] && request+=(--data-binary 'GET / HTTP/1.1')
  expect "$authorized" "$method $path as alice" "${mtls[@]}" -u alice:alice-secret "${request[@]}"
  expect "$authorized" "$method $path as bob (bcrypt cost 6)" "${mtls[@]}" -u bob:bob-secret "${request[@]}"
  expect 401 "$method $path without credentials" "${mtls[@]}" "${request[@]}"
  expect 401 "$method $path with a wrong password" "${mtls[@]}" -u alice:bob-secret "${request[@]}"
  expect 401 "$method $path as an unknown user" "${mtls[@]}" -u carol:alice-secret "${request[@]}"
done
headers() {  # headers CURL_ARGS...: the response's header lines, CRs removed
  curl -s -D - -o /dev/null --max-time 5 "${mtls[@]}" "$@" | tr -d '\r'
}
unauthorized=$(headers "$base/metrics")
grep -qx 'WWW-Authenticate: Basic' <<<"$unauthorized" || fail "a 401 without WWW-Authenticate: Basic"
for response in "$unauthorized" "$(headers -u alice:alice-secret "$base/metrics")" \
  "$(headers -u alice:alice-secret "$base/nothing-here")"; do
  grep -qx 'X-Frame-Options: deny' <<<"$response" || fail "no X-Frame-Options: $response"
  grep -qx 'X-Content-Type-Options: nosniff' <<<"$response" || fail "no X-Content-Type-Options"
done
echo "mutual TLS, basic auth and headers on ${#endpoints[@]} endpoints: as configured"

# --- Changes on disk are picked up; a broken web config is refused ----------
value_tls() {  # value_tls SERIES_REGEX: as value(), over mutual TLS as alice
  local page
  page=$(curl -sS -f --max-time 5 "${mtls[@]}" -u alice:alice-secret "$base/metrics") || true
  re=$1 awk '!found && $0 ~ ENVIRON["re"] { print $NF; found = 1 }' <<<"$page"
}
wait_until() {  # wait_until WHAT COMMAND...: polls COMMAND up to 10 s
  local what=$1
  shift
  for _ in $(seq 100); do
    "$@" && return 0
    sleep 0.1
  done
  fail "$what: not within 10 s"
}
failures='^metrics_adapter_config_reloads_total\{result="failure"\}'
web_config "  alice: '$alice_hash'" sameorigin
bob_refused() { [ "$(status "${mtls[@]}" -u bob:bob-secret "$base/healthz")" = 401 ]; }
wait_until "bob removed from the web config" bob_refused
grep -qx 'X-Frame-Options: sameorigin' <<<"$(headers -u alice:alice-secret "$base/healthz")" ||
  fail "the changed header is not served"
expect 200 "alice after the change" "${mtls[@]}" -u alice:alice-secret "$base/healthz"

served_subject() {
  openssl s_client -connect "127.0.0.1:${url##*:}" -CAfile "$tmp/ca.crt" -cert "$tmp/client.crt" \
    -key "$tmp/client.key" </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null || true
}
[[ "$(served_subject)" == *first-server* ]] || fail "served certificate: $(served_subject)"
cp "$tmp/rotated.key" "$tmp/server.key.new"
cp "$tmp/rotated.crt" "$tmp/server.crt.new"
mv "$tmp/server.key.new" "$tmp/server.key"
mv "$tmp/server.crt.new" "$tmp/server.crt"
rotated() { [[ "$(served_subject)" == *rotated-server* ]]; }
wait_until "the rotated server certificate served" rotated
expect 200 "alice over the rotated certificate" "${mtls[@]}" -u alice:alice-secret "$base/metrics"

before=$(value_tls "$failures")
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cilent_auth_type: x\n' \
  >"$tmp/web.yaml"
reload_refused() { [ "$(value_tls "$failures")" != "$before" ]; }
wait_until "the broken web config counted as a failed reload" reload_refused
grep -q 'web.yaml:4:3: error: unknown key .*cilent_auth_type' "$tmp/adapter.log" ||
  fail "the refused web config's error is not logged with its position"
expect 200 "alice under the old web config" "${mtls[@]}" -u alice:alice-secret "$base/healthz"
expect none "no client certificate under the old web config" --cacert "$tmp/ca.crt" \
  -u alice:alice-secret "$base/healthz"
echo "web config reloads: users, headers, the server certificate; a broken one refused"
web_config "$both_users" deny
bob_back() { [ "$(status "${mtls[@]}" -u bob:bob-secret "$base/healthz")" = 200 ]; }
wait_until "bob back in the web config" bob_back

# --- Each client_auth_type, switched by reloads (no basic auth here) --------
auth_type() {  # auth_type TYPE [EXTRA_LINE]: a web config with that client_auth_type
  printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: %s\n%s\n' \
    "$1" "${2:-}" >"$tmp/web.yaml.new"
  mv "$tmp/web.yaml.new" "$tmp/web.yaml"
}
as_none=(--cacert "$tmp/ca.crt")
as_stranger=(--cacert "$tmp/ca.crt" --cert "$tmp/stranger.crt" --key "$tmp/stranger.key")
as_named=(--cacert "$tmp/ca.crt" --cert "$tmp/named-client.crt" --key "$tmp/named-client.key")
served() { [ "$(status "$@" "$base/healthz")" = 200 ]; }
refused() { [ "$(status "$@" "$base/healthz")" = none ]; }
auth_type RequireAnyClientCert
wait_until "RequireAnyClientCert: another CA's certificate served" served "${as_stranger[@]}"
refused "${as_none[@]}" || fail "RequireAnyClientCert served a client without a certificate"
auth_type RequestClientCert
wait_until "RequestClientCert: no certificate served" served "${as_none[@]}"
served "${as_stranger[@]}" || fail "RequestClientCert refused an unverified certificate"
auth_type VerifyClientCertIfGiven
wait_until "VerifyClientCertIfGiven: another CA's certificate refused" refused "${as_stranger[@]}"
served "${as_none[@]}" || fail "VerifyClientCertIfGiven refused a client without a certificate"
served "${mtls[@]}" || fail "VerifyClientCertIfGiven refused the right certificate"
auth_type RequireAndVerifyClientCert '  client_allowed_sans: [scraper.test]'
wait_until "client_allowed_sans: a certificate without the SAN refused" refused "${mtls[@]}"
served "${as_named[@]}" || fail "client_allowed_sans refused a certificate with the SAN"
refused "${as_none[@]}" || fail "client_allowed_sans served a client without a certificate"
echo "client_auth_type: each of the toolkit's values as Go defines it; client_allowed_sans"
web_config "$both_users" deny
wait_until "the mutual-TLS web config back" bob_back

# --- Load: thousands of mutual-TLS connections, every one answered -----------
# Eight client threads; one in ten connections presents no certificate (the
# handshake must fail, the server must go on), the rest scrape /metrics as
# alice or bob and must get 200 with the full body.
cat >"$tmp/load.py" <<'PY'
import base64, socket, ssl, sys, threading

port, count, ca, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
with_cert = ssl.create_default_context(cafile=ca)
with_cert.load_cert_chain(cert, key)
without_cert = ssl.create_default_context(cafile=ca)
users = [b"alice:alice-secret", b"bob:bob-secret"]
results = {"ok": 0, "refused": 0, "bad": []}
lock = threading.Lock()

def one(i):
    anonymous = i % 10 == 9
    context = without_cert if anonymous else with_cert
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                auth = base64.b64encode(users[i % 2]).decode()
                tls.sendall(("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n" % auth).encode())
                data = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        good = head.startswith(b"HTTP/1.1 200") and length and int(length[0].split(b":")[1]) == len(body)
        outcome = "ok" if good and not anonymous else "bad"
        detail = head[:40]
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        outcome, detail = ("refused" if anonymous else "bad"), repr(e)
    except OSError as e:
        outcome, detail = "bad", repr(e)
    with lock:
        if outcome == "bad":
            results["bad"].append((i, detail))
        else:
            results[outcome] += 1

def worker(k):
    for i in range(k, count, 8):
        one(i)

threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("ok=%d refused=%d bad=%d" % (results["ok"], results["refused"], len(results["bad"])))
for i, detail in results["bad"][:5]:
    print("connection %d: %s" % (i, detail))
sys.exit(1 if results["bad"] else 0)
PY
start=$(date +%s.%N)
python3 "$tmp/load.py" "${url##*:}" "$connections" "$tmp/ca.crt" "$tmp/client.crt" "$tmp/client.key" \
  >"$tmp/load.out" 2>&1 || { cat "$tmp/load.out"; fail "the load run had failures"; }
seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
kill -0 "$adapter_pid" || fail "the adapter died under load"
expect 200 "after the load run" "${mtls[@]}" -u alice:alice-secret "$base/healthz"
echo "load: $connections TLS connections in ${seconds}s: $(cat "$tmp/load.out")"
stop_adapter_cleanly

# --- Server-only TLS: no client certificate asked for -------------------------
printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n  min_version: TLS13\n' \
  "$tmp/server.crt" "$tmp/server.key" >"$tmp/server-only.yaml"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --web.config.file="$tmp/server-only.yaml"
base="https://127.0.0.1:${url##*:}"
expect 200 "server-only TLS without a client certificate" --cacert "$tmp/ca.crt" "$base/metrics"
expect none "TLS 1.2 against min_version TLS13" --cacert "$tmp/ca.crt" --tls-max 1.2 "$base/metrics"
stop_adapter_cleanly
echo "server-only TLS: served without a client certificate, TLS 1.2 refused"

# --- A large exposition over TLS: sent while it renders, whole -----------------
# 20,000 series, about 1 MB: more than one render chunk, so it goes out chunked
# to HTTP/1.1 and until the close to HTTP/1.0, through the same TLS writes.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "/items/%d 200\n", i }' >"$tmp/items.log"
printf 'metrics:\n  - {name: items_total, type: counter, help: Items., labels: [item], max_series: 30000}\n' \
  >"$tmp/items-schema.yaml"
cat >"$tmp/items-rules.yaml" <<'YAML'
parser: line
schema: [items-schema.yaml]
rules:
  - name: item
    match: '^(?P<item>\S+) 200$'
    emit:
      - {metric: items_total, labels: {item: $item}}
YAML
printf 'sources:\n  - {name: items, type: file, paths: [%s], from_beginning: true, parser: line, rules: [%s]}\n' \
  "$tmp/items.log" "$tmp/items-rules.yaml" >"$tmp/items.yaml"
start_adapter "$adapter" --config.file="$tmp/items.yaml" --web.config.file="$tmp/server-only.yaml"
base="https://127.0.0.1:${url##*:}"
large() {  # large CURL_ARGS...: headers in large.head, the series counted from the body
  curl -sS -f --max-time 30 --cacert "$tmp/ca.crt" -D "$tmp/large.head" "$@" "$base/metrics" |
    grep -c '^items_total{' || true
}
for _ in $(seq 100); do
  [ "$(large)" = 20000 ] && break
  sleep 0.1
done
[ "$(large)" = 20000 ] || fail "TLS, HTTP/1.1: $(large) item series, want 20000"
grep -qi '^transfer-encoding: chunked' "$tmp/large.head" || fail "TLS, HTTP/1.1: not chunked"
[ "$(large --compressed)" = 20000 ] || fail "TLS, HTTP/1.1, gzip: not every item series"
grep -qi '^content-encoding: gzip' "$tmp/large.head" || fail "TLS, HTTP/1.1, gzip: not gzip-coded"
[ "$(large --http1.0)" = 20000 ] || fail "TLS, HTTP/1.0: not every item series"
grep -qi '^transfer-encoding\|^content-length' "$tmp/large.head" &&
  fail "TLS, HTTP/1.0: the body is framed, want it to end at the close"
[ "$(large --http1.0 --compressed)" = 20000 ] || fail "TLS, HTTP/1.0, gzip: not every item series"
stop_adapter_cleanly
echo "a large exposition over TLS: chunked to HTTP/1.1, to the close to HTTP/1.0, plain and gzip"

# --- An invalid web config at startup: exit 1, file:line and the field --------
startup_error() {  # startup_error FILE WANT_IN_STDERR
  local rc=0
  timeout 20 "$adapter" --config.file="$tmp/adapter.yaml" --web.config.file="$1" \
    --web.listen-address=127.0.0.1:0 >/dev/null 2>"$tmp/startup.err" || rc=$?
  [ "$rc" = 1 ] || fail "$1: exit status $rc, want 1 ($(cat "$tmp/startup.err"))"
  grep -qF "$2" "$tmp/startup.err" || fail "$1: stderr lacks '$2': $(cat "$tmp/startup.err")"
}
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth: x\n' \
  >"$tmp/bad-field.yaml"
startup_error "$tmp/bad-field.yaml" 'bad-field.yaml:4:3: error: unknown key "client_auth"'
printf 'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n' >"$tmp/bad-file.yaml"
startup_error "$tmp/bad-file.yaml" 'bad-file.yaml:2:14: error: "cert_file": cannot read'
printf 'basic_auth_users:\n  alice: plain-text\n' >"$tmp/bad-hash.yaml"
startup_error "$tmp/bad-hash.yaml" 'bad-hash.yaml:2:10: error: "basic_auth_users"'
grep -q plain-text "$tmp/startup.err" && fail "a password in a message"
echo "invalid web configs at startup: exit 1 naming file:line and the field"
echo "PASS: web config integration"
