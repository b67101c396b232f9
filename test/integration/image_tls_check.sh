#!/usr/bin/env bash
# TLS inside the image: runs the image's adapter with a mutual-TLS web config
# (certificates made by openssl for this run) on 127.0.0.1 of the host
# network, and scrapes it with curl: the runtime image has libssl3 and the
# OpenSSL shims civetweb needs (README, "TLS and authentication") and no
# libssl-dev, so this proves the shims are installed where the binary looks.
# Usage: test/integration/image_tls_check.sh IMAGE   (root, rootful podman)
set -euo pipefail
image=${1:?usage: $0 IMAGE}
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require podman openssl curl || exit 1

tmp=$(mktemp -d)
chmod 755 "$tmp"  # the adapter runs as uid 65532
container=
cleanup() {
  if [ -n "$container" ]; then timeout 30 podman rm -f "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: TLS in the image: $*"
  [ -z "$container" ] || timeout 30 podman logs "$container" 2>&1 | tail -20
  exit 1
}

pki() { openssl "$@" >>"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; fail "openssl $1"; }; }
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
pki req -x509 "${newkey[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" -days 2 -subj "/CN=image test CA"
for name in server client; do
  pki req "${newkey[@]}" -keyout "$tmp/$name.key" -out "$tmp/$name.csr" -subj "/CN=$name"
  echo "subjectAltName=IP:127.0.0.1" >"$tmp/$name.ext"
  pki x509 -req -in "$tmp/$name.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
    -out "$tmp/$name.crt" -days 2 -extfile "$tmp/$name.ext"
done
touch "$tmp/app.log"
printf 'sources:\n  - {name: app, type: file, paths: [/tls/app.log], parser: line, rules: [%s]}\n' \
  /usr/share/metrics-adapter/library/nginx/combined_request_time.yaml >"$tmp/adapter.yaml"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n' \
  >"$tmp/web.yaml"
chmod 644 "$tmp"/*

container=$(timeout 60 podman run -d --network=host -v "$tmp:/tls:ro" "$image" \
  --config.file=/tls/adapter.yaml --web.config.file=/tls/web.yaml \
  --web.listen-address=127.0.0.1:0) || fail "podman run"
port=
for _ in $(seq 100); do
  port=$(timeout 10 podman logs "$container" 2>&1 | sed -n 's/.*(port \([0-9]*\)) over TLS.*/\1/p' | head -1)
  [ -n "$port" ] && break
  [ "$(timeout 10 podman inspect -f '{{.State.Running}}' "$container")" = true ] || fail "the adapter exited"
  sleep 0.1
done
[ -n "$port" ] || fail "the adapter did not report a TLS port within 10 s"
body=$(curl -sS -f --max-time 5 --cacert "$tmp/ca.crt" --cert "$tmp/client.crt" --key "$tmp/client.key" \
  "https://127.0.0.1:$port/healthz") || fail "mutual-TLS scrape of /healthz"
[ "$body" = ok ] || fail "/healthz said '$body'"
if curl -s -o /dev/null --max-time 5 --cacert "$tmp/ca.crt" "https://127.0.0.1:$port/healthz"; then
  fail "served a client without a certificate"
fi
[ "$(timeout 10 podman inspect -f '{{.State.Running}}' "$container")" = true ] || fail "the adapter died"
echo "PASS: TLS in the image: mutual TLS served on 127.0.0.1:$port, no certificate refused"
