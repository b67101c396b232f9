#!/usr/bin/env bash
# Two real nginx instances in one pod, one adapter: the README's worked
# example, manifests/examples/two-nginx/adapter.yaml, run as shipped with only
# its log paths and ports replaced. Each instance writes its own access log
# and serves its own stub_status page on a free port of 127.0.0.1; each gets
# an exactly counted load of its own (different counts), and each instance's
# series must equal its own count exactly: the sources' `labels:` keep them
# apart. Without the labels, `check` refuses the config, naming both sources
# and the family they share.
#
# Usage: test/integration/two_nginx_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require nginx curl awk sed
nginx=$(command -v nginx)

tmp=$(mktemp -d)
# mktemp -d is 0700; nginx workers that are not root read and write here.
chmod 755 "$tmp"
site_pid=
api_pid=
# shellcheck source=test/integration/lib.sh
source "$root/test/integration/lib.sh"
cleanup() {
  stop_adapter
  stop_server
  [ -z "$site_pid" ] || stop_group "$site_pid"
  [ -z "$api_pid" ] || stop_group "$api_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

# write_nginx_conf PORT: the config of instance $instance, in $tmp/$instance.
write_nginx_conf() { nginx_logging_conf "$tmp/$instance" "$1" >"$tmp/$instance/nginx.conf"; }

# start_instance NAME: sets ${NAME}_pid and ${NAME}_port.
start_instance() {
  instance=$1
  mkdir -p "$tmp/$instance"
  start_server_on_free_port "nginx-$instance" write_nginx_conf "$tmp/$instance/nginx.pid" \
    "$tmp/$instance/error.log" -- \
    "$nginx" -p "$tmp/$instance" -e "$tmp/$instance/error.log" -c "$tmp/$instance/nginx.conf" \
    -g 'daemon off;'
  printf -v "${instance}_pid" '%s' "$server_pid"
  printf -v "${instance}_port" '%s' "$port"
  server_pid=
}
start_instance site
start_instance api
# shellcheck disable=SC2154 # set by start_instance
echo "nginx: site on port $site_port, api on port $api_port"

# The example config with this test's paths and ports; without its labels the
# same config collides, and check says where.
check_example_config "$root/manifests/examples/two-nginx/adapter.yaml" \
  "s#/var/log/nginx-site/#$tmp/site/#" "s#/var/log/nginx-api/#$tmp/api/#" \
  "s#127.0.0.1:8081#127.0.0.1:$site_port#" "s#127.0.0.1:8082#127.0.0.1:$api_port#"
grep -q 'error: source "site_access" (.*its rule at .*combined_request_time.yaml:[0-9]*:[0-9]*) and source "api_access" (.*) both write family "http_server_requests_total" with no constant labels' \
  "$tmp/unlabelled.out" || { cat "$tmp/unlabelled.out"; fail "check did not name both access sources and the family"; }
grep -q 'source "site_status" (.*) and source "api_status" (.*) both write family "server_requests_total"' \
  "$tmp/unlabelled.out" || { cat "$tmp/unlabelled.out"; fail "check did not name both status sources"; }

start_adapter "$adapter" --config.file="$tmp/adapter.yaml" --config.watch-interval=0s
# The tailers follow both logs (from their end) before any request is made.
wait_for_value '^metrics_adapter_source_files\{source="site_access"\}' 1
wait_for_value '^metrics_adapter_source_files\{source="api_access"\}' 1

# request PORT PATH COUNT: COUNT GETs, each answered before the next.
request() {
  for _ in $(seq "$3"); do
    curl -s -o /dev/null --noproxy '*' --max-time 5 "http://127.0.0.1:$1$2" || fail "GET $2 failed"
  done
}
request "$site_port" / 7
request "$site_port" /missing 3
request "$api_port" / 4
request "$api_port" /missing 5

series() { # series METHOD STATUS SERVICE
  echo "http_server_requests_total{http_request_method=\"$1\",http_response_status_code=\"$2\",service=\"$3\"}"
}
wait_for_value "^$(series GET 200 site | sed 's/[{}]/\\&/g') " 7
wait_for_value "^$(series GET 404 api | sed 's/[{}]/\\&/g') " 5
curl -sf --noproxy '*' --max-time 5 "$url/metrics" >"$tmp/scrape.prom" || fail "scrape failed"

is() { # is SERIES WANT
  local got
  got=$(prom_value "$tmp/scrape.prom" "$1")
  [ "$got" = "$2" ] || fail "$1 is '$got', want $2"
}
is "$(series GET 200 site)" 7
is "$(series GET 404 site)" 3
is "$(series GET 200 api)" 4
is "$(series GET 404 api)" 5
[ "$(grep -c '^http_server_requests_total{' "$tmp/scrape.prom")" = 4 ] ||
  fail "other http_server_requests_total series than the four: $(grep '^http_server_requests_total{' "$tmp/scrape.prom")"
is 'http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",service="site"}' 7
is 'http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",service="api"}' 4
# "ok\n": 3 bytes a request.
is 'http_server_response_body_size_bytes_total{http_request_method="GET",http_response_status_code="200",service="site"}' 21
is 'http_server_response_body_size_bytes_total{http_request_method="GET",http_response_status_code="200",service="api"}' 12

# stub_status: each instance's own requests, plus its stub_status requests so
# far (nginx counts the one it is answering), which are the status source's
# fetches: its rule's matches, counted before the scrape renders.
fetches() {
  awk -v s="source=\"$1\"" 'index($0, "metrics_adapter_rule_matches_total{") == 1 && index($0, s) { print $NF }' \
    "$tmp/scrape.prom"
}
site_fetches=$(fetches site_status)
api_fetches=$(fetches api_status)
{ [ -n "$site_fetches" ] && [ -n "$api_fetches" ]; } || fail "no rule matches for the status sources"
is 'server_requests_total{service="site"}' $((10 + site_fetches))
is 'server_requests_total{service="api"}' $((9 + api_fetches))
# up carries the source's labels too.
is 'metrics_adapter_source_up{service="site",source="site_status"}' 1
is 'metrics_adapter_source_up{service="api",source="api_status"}' 1
is 'server_connections{state="writing",service="site"}' 1   # the stub_status request itself
is 'server_connections{state="writing",service="api"}' 1

echo "--- the series of the README's example:"
grep -E '^(http_server_requests_total|server_requests_total)\{' "$tmp/scrape.prom"
stop_adapter_cleanly
echo "PASS: two nginx instances through one adapter, each instance's series its own exact count"
