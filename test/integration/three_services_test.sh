#!/usr/bin/env bash
# nginx, redis and memcached in one pod, one adapter: the README's worked
# example, manifests/examples/three-services/adapter.yaml, run as shipped
# with only its log path and ports replaced, against the real services on
# free ports of 127.0.0.1. redis and memcached write the same cache_* and
# server_* families (and nginx's stub_status server_requests_total): `check`
# accepts the config because the sources' `labels:` tell them apart, and
# refuses it without them. One scrape then holds each service's own numbers,
# exactly where the load counts them.
#
# Usage: test/integration/three_services_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require nginx redis-server memcached curl awk sed setsid
nginx=$(command -v nginx)

tmp=$(mktemp -d)
# mktemp -d is 0700; nginx workers that are not root read and write here.
chmod 755 "$tmp"
nginx_pid=
redis_pid=
memcached_pid=
# shellcheck source=test/integration/lib.sh
source "$root/test/integration/lib.sh"
cleanup() {
  stop_adapter
  stop_server
  for pid in "$nginx_pid" "$redis_pid" "$memcached_pid"; do
    [ -z "$pid" ] || stop_group "$pid"
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- The services ------------------------------------------------------------

write_nginx_conf() { nginx_logging_conf "$tmp" "$1" >"$tmp/nginx.conf"; } # PORT
start_server_on_free_port nginx write_nginx_conf "$tmp/nginx.pid" "$tmp/error.log" -- \
  "$nginx" -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" -g 'daemon off;'
nginx_pid=$server_pid nginx_port=$port
server_pid=

start_listening redis redis_pid true port_listening redis-server --port @PORT@ --bind 127.0.0.1 \
  --save '' --appendonly no --dir "$tmp" --daemonize no
redis_port=$port
user=()
# memcached refuses to run as root unless told which user to be.
[ "$(id -u)" != 0 ] || user=(-u root)
start_listening memcached memcached_pid true port_listening memcached -l 127.0.0.1 -p @PORT@ -U 0 \
  -m 16 -c 64 -t 1 "${user[@]}"
memcached_port=$port
echo "nginx on port $nginx_port, redis on $redis_port, memcached on $memcached_port"

# --- The config: check with and without labels --------------------------------

check_example_config "$root/manifests/examples/three-services/adapter.yaml" \
  "s#/var/log/nginx/#$tmp/#" "s#127.0.0.1:8081#127.0.0.1:$nginx_port#" \
  "s#127.0.0.1:6379#127.0.0.1:$redis_port#" "s#127.0.0.1:11211#127.0.0.1:$memcached_port#"
collides() { # collides FIRST SECOND FAMILY: check named both sources and the family
  grep -Eq "error: source \"$1\" \(.*its rule at [^)]*:[0-9]+:[0-9]+\) and source \"$2\" \(.*\) both write family \"$3\" with no constant labels" \
    "$tmp/unlabelled.out" || { cat "$tmp/unlabelled.out"; fail "check did not report $1 and $2 on $3"; }
}
collides web_status redis server_requests_total
collides redis memcached cache_hits_total
collides web_status memcached server_connections
echo "check without labels:"
grep -m 1 'both write family "cache_hits_total"' "$tmp/unlabelled.out"

# --- One scrape ---------------------------------------------------------------

start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --config.watch-interval=0s
wait_for_value '^metrics_adapter_source_files\{source="web_access"\}' 1

# nginx: 6 requests. redis: 3 keys set, 5 reads of them (hits), 2 of a key
# that is not there (misses). memcached: 2 items set, 4 hits, 1 miss.
for _ in $(seq 6); do
  curl -s -o /dev/null --noproxy '*' --max-time 5 "http://127.0.0.1:$nginx_port/" || fail "GET / failed"
done
# tcp_exchange PORT TEXT: sends TEXT on one connection, reads until the server closes it.
tcp_exchange() {
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf '%b' "$2" >&3
  timeout 5 cat <&3 >/dev/null || true
  exec 3<&-
}
tcp_exchange "$redis_port" 'SET a 1\r\nSET b 2\r\nSET c 3\r\nGET a\r\nGET a\r\nGET b\r\nGET c\r\nGET c\r\nGET none\r\nGET none\r\nQUIT\r\n'
tcp_exchange "$memcached_port" 'set x 0 0 1\r\n1\r\nset y 0 0 1\r\n2\r\nget x\r\nget x\r\nget y\r\nget y\r\nget none\r\nquit\r\n'

wait_for_value '^http_server_requests_total\{http_request_method="GET",http_response_status_code="200",service="web"\} ' 6
curl -sf --noproxy '*' --max-time 5 "$url/metrics" >"$tmp/scrape.prom" || fail "scrape failed"
is() { # is SERIES WANT
  local got
  got=$(prom_value "$tmp/scrape.prom" "$1")
  [ "$got" = "$2" ] || fail "$1 is '$got', want $2"
}
# up carries the source's labels too.
is 'metrics_adapter_source_up{service="web",source="web_status"}' 1
is 'metrics_adapter_source_up{service="cache",source="redis"}' 1
is 'metrics_adapter_source_up{service="sessions",source="memcached"}' 1
is 'http_server_requests_total{http_request_method="GET",http_response_status_code="200",service="web"}' 6
is 'cache_hits_total{service="cache"}' 5
is 'cache_misses_total{service="cache"}' 2
is 'cache_hits_total{service="sessions"}' 4
is 'cache_misses_total{service="sessions"}' 1
is 'cache_items{service="sessions"}' 2
grep -q '^redis_db_keys{.*service="cache"} 3$' "$tmp/scrape.prom" || fail "redis_db_keys is not 3: $(grep '^redis_db_keys' "$tmp/scrape.prom")"
# Each service's own families carry its label alone: no series without one.
if grep -E '^(cache|server)_[a-z_]+(\{[^}]*\})? ' "$tmp/scrape.prom" | grep -v 'service="'; then
  fail "a cache_ or server_ series without a service label"
fi
echo "--- some of the series of the README's example:"
grep -E '^(cache_hits_total|cache_misses_total|server_requests_total|server_connections\{state="active")' "$tmp/scrape.prom" | sort
stop_adapter_cleanly
echo "PASS: nginx, redis and memcached through one adapter, told apart by their labels"
