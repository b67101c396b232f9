#!/usr/bin/env bash
# rules/library/bind/stats_json.yaml against a real BIND 9: two named
# (Debian's bind9) on 127.0.0.1 in a temp dir, an authoritative one for
# example.test and a resolver forwarding to it, whose statistics channel
# the adapter reads (/json/v1, an http source). Between two scrapes dig
# sends the resolver an exactly counted load: names that exist (A, AAAA,
# TXT, repeated: cache hits), names that do not (NXDOMAIN), names the
# forwarder refuses (SERVFAIL), and queries over TCP. The deltas the
# adapter serves must be exactly that load (queries by type, responses by
# rcode, query results, the resolver's queries, errors and cache lookups,
# TCP accepts); its values must equal BIND's own and what the reference
# exporter (prometheus-bind-exporter, which reads the XML statistics)
# serves; a stopped server gives source_up 0 and no dns_ series.
# Usage: test/integration/bind_status_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require named dig prometheus-bind-exporter curl python3 || exit 1

tmp=$(mktemp -d)
# shellcheck disable=SC2034  # set and read by name: printf -v, ${!1}
auth_pid='' resolver_pid='' exporter_pid=''
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; stop_pid exporter_pid; stop_pid resolver_pid; stop_pid auth_pid; rm -rf "$tmp"' EXIT

# --- The servers --------------------------------------------------------------

pick_ports 3
auth_port=${ports[0]} dns_port=${ports[1]} stats_port=${ports[2]}
mkdir "$tmp/auth" "$tmp/resolver"
cat >"$tmp/auth/example.test.zone" <<'ZONE'
$TTL 300
@    IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 300
@    IN NS  ns.example.test.
ns   IN A   127.0.0.1
www  IN A   127.0.0.2
www  IN AAAA ::2
txt  IN TXT "hello"
ZONE
cat >"$tmp/auth/named.conf" <<CONF
options {
  directory "$tmp/auth";
  pid-file "$tmp/auth/named.pid";
  listen-on port $auth_port { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
};
zone "example.test" { type primary; file "$tmp/auth/example.test.zone"; };
CONF
cat >"$tmp/resolver/named.conf" <<CONF
options {
  directory "$tmp/resolver";
  pid-file "$tmp/resolver/named.pid";
  listen-on port $dns_port { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-recursion { 127.0.0.1; };
  forwarders { 127.0.0.1 port $auth_port; };
  forward only;
  dnssec-validation no;
};
statistics-channels { inet 127.0.0.1 port $stats_port allow { 127.0.0.1; }; };
CONF
# start_named DIR PID_VARIABLE: named in the foreground (-g: logs to stderr)
# in its own process group, up once it logs "running".
start_named() {
  setsid named -g -u "$(id -un)" -c "$1/named.conf" >"$1/named.out" 2>&1 &
  printf -v "$2" '%s' "$!"
  for _ in $(seq 100); do
    grep -qs ' running$' "$1/named.out" && return 0
    kill -0 "${!2}" 2>/dev/null || { cat "$1/named.out"; fail "named ($1) exited at start"; }
    sleep 0.1
  done
  cat "$1/named.out"
  fail "named ($1) did not start within 10 s"
}
start_named "$tmp/auth" auth_pid
start_named "$tmp/resolver" resolver_pid

# --- The adapter --------------------------------------------------------------

cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: bind
    type: http
    url: http://127.0.0.1:$stats_port/json/v1
    timeout: 5s
    rules: [$root/rules/library/bind/stats_json.yaml]
YAML
start_checked_adapter run

# --- The load -----------------------------------------------------------------

www_a=12 www_aaaa=5 txt=4 nxdomain=6 refused=3 tcp=4
queries=()
for _ in $(seq "$www_a"); do queries+=(www.example.test A); done
for _ in $(seq "$www_aaaa"); do queries+=(www.example.test AAAA); done
for _ in $(seq "$txt"); do queries+=(txt.example.test TXT); done
for i in $(seq "$nxdomain"); do queries+=("nope$i.example.test" A); done
for i in $(seq "$refused"); do queries+=("host$i.elsewhere.test" A); done

scrape_up before bind
# dig sends each query of its command line in turn over UDP, one try each.
timeout 60 dig @127.0.0.1 -p "$dns_port" +tries=1 +time=5 "${queries[@]}" >"$tmp/dig.out" ||
  fail "dig failed: $(tail -5 "$tmp/dig.out")"
tcp_queries=()
for _ in $(seq "$tcp"); do tcp_queries+=(www.example.test A); done
timeout 60 dig @127.0.0.1 -p "$dns_port" +tcp +tries=1 +time=5 "${tcp_queries[@]}" >"$tmp/dig_tcp.out" ||
  fail "dig +tcp failed: $(tail -5 "$tmp/dig_tcp.out")"
got=$(grep -c 'status: NXDOMAIN' "$tmp/dig.out" || true)
[ "$got" = "$nxdomain" ] || fail "dig saw $got NXDOMAIN answers for $nxdomain names"
got=$(grep -c 'status: SERVFAIL' "$tmp/dig.out" || true)
[ "$got" = "$refused" ] || fail "dig saw $got SERVFAIL answers for $refused refused names"
scrape_up after bind

# --- Exactly the load ---------------------------------------------------------

found=$((www_a + www_aaaa + txt + tcp))
total=$((found + nxdomain + refused))
# Distinct questions the resolver had to forward: the rest are cache hits.
distinct=$((3 + nxdomain + refused))
expect_delta 'dns_server_requests_total{opcode="QUERY"}' "$total" "queries sent"
expect_delta 'dns_server_queries_total{type="A"}' $((www_a + tcp + nxdomain + refused)) "A queries"
expect_delta 'dns_server_queries_total{type="AAAA"}' "$www_aaaa" "AAAA queries"
expect_delta 'dns_server_queries_total{type="TXT"}' "$txt" "TXT queries"
expect_delta 'dns_server_responses_total{rcode="NOERROR"}' "$found" "names that exist"
expect_delta 'dns_server_responses_total{rcode="NXDOMAIN"}' "$nxdomain" "names that do not"
expect_delta 'dns_server_responses_total{rcode="SERVFAIL"}' "$refused" "names the forwarder refused"
expect_delta 'dns_server_responses_total{rcode="REFUSED"}' 0 "none refused by the resolver"
expect_delta 'dns_server_query_results_total{result="success"}' "$found" "answered"
expect_delta 'dns_server_query_results_total{result="nxdomain"}' "$nxdomain" "NXDOMAIN"
expect_delta 'dns_server_query_results_total{result="servfail"}' "$refused" "SERVFAIL"
expect_delta 'dns_server_query_results_total{result="failure"}' 0 "no other failure"
expect_delta dns_server_recursive_queries_total "$distinct" "questions the resolver forwarded"
expect_delta 'dns_resolver_queries_total{view="_default"}' "$distinct" "questions forwarded"
expect_delta 'dns_resolver_responses_total{view="_default"}' "$distinct" "answers from the forwarder"
expect_delta 'dns_resolver_response_errors_total{view="_default",error="nxdomain"}' "$nxdomain" "NXDOMAIN from the forwarder"
expect_delta 'dns_resolver_response_errors_total{view="_default",error="refused"}' "$refused" "REFUSED by the forwarder"
expect_delta 'dns_resolver_query_timeouts_total{view="_default"}' 0 "no timeout"
expect_delta 'dns_resolver_cache_lookups_total{view="_default",result="miss"}' "$distinct" "cache misses"
expect_delta 'dns_resolver_cache_lookups_total{view="_default",result="hit"}' $((total - distinct)) "cache hits"
# dig +tcp opens one connection per query; the second scrape is one more.
expect_delta 'dns_server_socket_events_total{transport="tcp4",event="accept"}' $((tcp + 1)) "TCP connections"
[ "$(prom_value "$tmp/after.prom" 'dns_server_build_info{version="'"$(named -v | awk '{print $2}')"'"}')" = 1 ] ||
  fail "no build info for $(named -v): $(grep '^dns_server_build_info' "$tmp/after.prom")"

# --- The same numbers as BIND's ----------------------------------------------

curl -sf --max-time 5 "http://127.0.0.1:$stats_port/json/v1" >"$tmp/stats.json" || fail "reading /json/v1 failed"
# leaf PATH.TO.LEAF: one leaf of BIND's JSON (0 when BIND leaves it out).
leaf() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d.get(k, {}) if isinstance(d, dict) else {}
print(d if d != {} else 0)' "$tmp/stats.json" "$1"
}
declare -A same=(
  ['dns_server_queries_total{type="A"}']=qtypes.A
  ['dns_server_queries_total{type="AAAA"}']=qtypes.AAAA
  ['dns_server_requests_total{opcode="QUERY"}']=opcodes.QUERY
  ['dns_server_responses_total{rcode="NXDOMAIN"}']=rcodes.NXDOMAIN
  ['dns_server_responses_total{rcode="SERVFAIL"}']=rcodes.SERVFAIL
  ['dns_server_query_results_total{result="success"}']=nsstats.QrySuccess
  [dns_server_recursive_queries_total]=nsstats.QryRecursion
  ['dns_resolver_queries_total{view="_default"}']=views._default.resolver.stats.Queryv4
  ['dns_resolver_cache_lookups_total{view="_default",result="hit"}']=views._default.resolver.cachestats.QueryHits
  ['dns_server_socket_events_total{transport="udp4",event="open"}']=sockstats.UDP4Open
)
for series in "${!same[@]}"; do
  [ "$(prom_value "$tmp/after.prom" "$series")" = "$(leaf "${same[$series]}")" ] ||
    fail "$series is $(prom_value "$tmp/after.prom" "$series"), BIND's ${same[$series]} $(leaf "${same[$series]}")"
done

# --- The same numbers as the reference exporter's ----------------------------

start_exporter prometheus-bind-exporter \
  --bind.stats-url="http://127.0.0.1:$stats_port/" --web.listen-address=127.0.0.1:@PORT@
grep -q '^bind_up 1' "$tmp/exporter.prom" || { cat "$tmp/exporter.out"; fail "bind-exporter is not up"; }
declare -A reference=(
  ['dns_server_queries_total{type="A"}']='bind_incoming_queries_total{type="A"}'
  ['dns_server_queries_total{type="AAAA"}']='bind_incoming_queries_total{type="AAAA"}'
  ['dns_server_queries_total{type="TXT"}']='bind_incoming_queries_total{type="TXT"}'
  ['dns_server_requests_total{opcode="QUERY"}']='bind_incoming_requests_total{opcode="QUERY"}'
  ['dns_server_responses_total{rcode="NOERROR"}']='bind_response_rcodes_total{rcode="NOERROR"}'
  ['dns_server_responses_total{rcode="NXDOMAIN"}']='bind_response_rcodes_total{rcode="NXDOMAIN"}'
  ['dns_server_responses_total{rcode="SERVFAIL"}']='bind_response_rcodes_total{rcode="SERVFAIL"}'
  ['dns_server_query_results_total{result="success"}']='bind_responses_total{result="Success"}'
  ['dns_server_query_results_total{result="nxdomain"}']='bind_responses_total{result="NXDOMAIN"}'
  ['dns_server_query_results_total{result="failure"}']='bind_query_errors_total{error="Failure"}'
  [dns_server_recursive_queries_total]=bind_query_recursions_total
  ['dns_resolver_response_errors_total{view="_default",error="nxdomain"}']='bind_resolver_response_errors_total{error="NXDOMAIN",view="_default"}'
  ['dns_resolver_response_errors_total{view="_default",error="refused"}']='bind_resolver_response_errors_total{error="REFUSED",view="_default"}'
  ['dns_resolver_query_retries_total{view="_default"}']='bind_resolver_query_retries_total{view="_default"}'
  ['dns_resolver_query_timeouts_total{view="_default"}']='bind_resolver_query_errors_total{error="QueryTimeout",view="_default"}'
)
for series in "${!reference[@]}"; do
  [ "$(prom_value "$tmp/after.prom" "$series")" = "$(prom_value "$tmp/exporter.prom" "${reference[$series]}")" ] ||
    fail "$series is $(prom_value "$tmp/after.prom" "$series"), bind-exporter's ${reference[$series]} $(prom_value "$tmp/exporter.prom" "${reference[$series]}")"
done
stop_pid exporter_pid

# --- A stopped server ---------------------------------------------------------

stop_pid resolver_pid
expect_down bind dns_ "the server"

echo "bind statistics: $total queries ($found answered, $nxdomain NXDOMAIN, $refused SERVFAIL," \
  "$tcp over TCP, $distinct forwarded) counted exactly; same values as BIND and bind-exporter; down gives up 0"
stop_adapter_cleanly
