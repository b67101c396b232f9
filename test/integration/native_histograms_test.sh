#!/usr/bin/env bash
# Native histograms and the exposition formats, read by a real Prometheus.
# The adapter observes 1000 known durations from a log into native
# histograms; one Prometheus with native histograms on (it negotiates the
# protobuf format) must answer histogram_quantile within the resolution's
# error bound of the exact quantiles, and histogram_count (native
# histograms only) exactly; another without (it negotiates OpenMetrics)
# must scrape the same target cleanly. curl checks each format's content
# type, gzip and promtool.
#
# The bound: at schema s a bucket spans (b^(i-1), b^i] with b = 2^(2^-s).
# Prometheus finds the bucket holding the observation of rank q*count and
# interpolates inside it; the exact (nearest-rank) quantile is that same
# observation, so both lie in one bucket and their ratio is within
# [1/b, b]: 2^(1/8) = 1.0905 at schema 3 (bucket_factor 1.1), 2 at schema
# 0, where the limit of 20 buckets pushes the second family.
# Usage: test/integration/native_histograms_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require prometheus promtool curl python3 gzip setsid || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
prom_pids=()
cleanup() {
  local pid
  for pid in "${prom_pids[@]}"; do stop_group "$pid"; done
  stop_adapter
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/jobs.yaml" <<'YAML'
parser: line
metrics:
  - name: job_duration_seconds
    type: histogram
    help: Job durations.
    buckets: [0.01, 0.1, 1, 10]
    native: true
  - name: job_coarse_duration_seconds
    type: histogram
    help: Job durations, at most 20 native buckets.
    native: {max_buckets: 20}
  - name: jobs_total
    type: counter
    help: Jobs.
rules:
  - name: job
    match: '^job duration=(?P<d>[0-9.]+)$'
    emit:
      - {metric: job_duration_seconds, observe: $d}
      - {metric: job_coarse_duration_seconds, observe: $d}
      - {metric: jobs_total}
YAML
cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: jobs
    type: file
    paths: [jobs.log]
    parser: line
    rules: [$tmp/jobs.yaml]
YAML
: >"$tmp/jobs.log"
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"
# The source starts at the end of the file once its tailer runs, which may be
# after the port is logged: lines written before that would be skipped.
for _ in $(seq 100); do
  grep -q 'source jobs: following' "$tmp/adapter.log" && break
  sleep 0.1
done
grep -q 'source jobs: following' "$tmp/adapter.log" || fail "the source did not start within 10 s"

# 1000 durations spread log-uniformly over 1 ms .. 10 s (a fixed sequence).
n=1000
awk -v n="$n" 'BEGIN { x = 12345; for (i = 0; i < n; i++) {
  x = (x * 1103515245 + 12345) % 2147483648
  printf "job duration=%.6f\n", 0.001 * 10 ^ (4 * x / 2147483648) } }' >>"$tmp/jobs.log"
wait_for_value '^jobs_total ' "$n"

# --- the formats, as curl sees them ---------------------------------------
om_accept='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
pb_accept='application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.8,application/openmetrics-text;version=1.0.0;q=0.6,text/plain;version=0.0.4;q=0.4,*/*;q=0.1'
fetch() {  # fetch NAME ACCEPT [CURL_ARGS...]: body in $tmp/NAME, headers in $tmp/NAME.h
  local name=$1 accept=$2
  shift 2
  curl -sf --max-time 5 -H "Accept: $accept" -D "$tmp/$name.h" -o "$tmp/$name" "$@" "$url/metrics" ||
    fail "GET /metrics with Accept: $accept"
}
content_type() { sed -n 's/^[Cc]ontent-[Tt]ype: *\(.*\)\r$/\1/p' "$1"; }

fetch text ''
[ "$(content_type "$tmp/text.h")" = 'text/plain; version=0.0.4; charset=utf-8' ] ||
  fail "no Accept: content type $(content_type "$tmp/text.h")"
promtool check metrics <"$tmp/text" || fail "promtool check metrics complained"
grep -q '^job_duration_seconds_bucket{le="0.1"} ' "$tmp/text" || fail "text: no classic buckets"
grep -q '^job_coarse_duration_seconds_bucket{le="2.5"} ' "$tmp/text" ||
  fail "text: a native family without declared buckets has no default classic buckets"

fetch om "$om_accept"
[ "$(content_type "$tmp/om.h")" = 'application/openmetrics-text; version=1.0.0; charset=utf-8' ] ||
  fail "OpenMetrics Accept: content type $(content_type "$tmp/om.h")"
[ "$(tail -n 1 "$tmp/om")" = '# EOF' ] || fail "OpenMetrics: no # EOF at the end"
grep -q '^# TYPE jobs counter$' "$tmp/om" || fail "OpenMetrics: counter family not named without _total"
grep -q '^# UNIT job_duration_seconds seconds$' "$tmp/om" || fail "OpenMetrics: no # UNIT"
fetch om.gz "$om_accept" -H 'Accept-Encoding: gzip'
grep -qi '^content-encoding: gzip' "$tmp/om.gz.h" || fail "OpenMetrics: no gzip"
[ "$(gzip -dc "$tmp/om.gz" | tail -n 1)" = '# EOF' ] || fail "OpenMetrics: gzipped body broken"

fetch pb "$pb_accept"
[ "$(content_type "$tmp/pb.h")" = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' ] ||
  fail "protobuf Accept: content type $(content_type "$tmp/pb.h")"
grep -q job_duration_seconds "$tmp/pb" || fail "protobuf: no job_duration_seconds"
fetch pb.gz "$pb_accept" -H 'Accept-Encoding: gzip'
grep -qi '^content-encoding: gzip' "$tmp/pb.gz.h" || fail "protobuf: no gzip"
gzip -dc "$tmp/pb.gz" | grep -q job_coarse_duration_seconds || fail "protobuf: gzipped body broken"

# --- two real Prometheus servers ------------------------------------------
target=${url#http://}
# start_prometheus NAME FLAGS...: starts one on a free port scraping the
# adapter every second; sets prom_url. Retries when the port was taken.
start_prometheus() {
  local name=$1 pid
  shift
  cat >"$tmp/$name.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: adapter
    static_configs:
      - targets: ["$target"]
YAML
  for _ in 1 2 3 4 5; do
    pick_ports 1
    rm -rf "$tmp/$name-data"
    setsid prometheus --config.file="$tmp/$name.yml" --storage.tsdb.path="$tmp/$name-data" \
      --web.listen-address="127.0.0.1:${ports[0]}" "$@" >"$tmp/$name.log" 2>&1 &
    pid=$!
    prom_pids+=("$pid")
    prom_url="http://127.0.0.1:${ports[0]}"
    for _ in $(seq 600); do
      kill -0 "$pid" 2>/dev/null || break
      curl -sf --max-time 2 "$prom_url/-/ready" >/dev/null 2>&1 && return 0
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && { tail -20 "$tmp/$name.log"; fail "$name not ready within 60 s"; }
    grep -q 'address already in use' "$tmp/$name.log" ||
      { tail -20 "$tmp/$name.log"; fail "$name did not start"; }
  done
  fail "$name could not bind a free port in 5 attempts"
}
# query PROM_URL PROMQL: the first result's value (a float), or empty.
query() {
  { curl -sf --max-time 5 -G --data-urlencode "query=$2" "$1/api/v1/query" 2>/dev/null || true; } |
    python3 -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}
# wait_for_query PROM_URL PROMQL WANT: polls up to 60 s (a busy machine
# slows Prometheus's start and first scrapes) until the value is WANT.
wait_for_query() {
  local got=
  for _ in $(seq 600); do
    got=$(query "$1" "$2")
    [ "$got" = "$3" ] && return 0
    sleep 0.1
  done
  fail "$2 is '$got', want $3"
}

start_prometheus native --enable-feature=native-histograms
native_url=$prom_url
start_prometheus classic
classic_url=$prom_url

wait_for_query "$native_url" 'up{job="adapter"}' 1
# histogram_count reads native histograms only: the protobuf format was used.
wait_for_query "$native_url" 'histogram_count(job_duration_seconds)' "$n"
wait_for_query "$native_url" 'histogram_count(job_coarse_duration_seconds)' "$n"
wait_for_query "$native_url" 'jobs_total' "$n"

sed -n 's/^job duration=//p' "$tmp/jobs.log" >"$tmp/durations"
check_quantile() {  # check_quantile FAMILY Q BASE
  local got
  got=$(query "$native_url" "histogram_quantile($2, $1)")
  python3 - "$tmp/durations" "$2" "$3" "$got" "$1" <<'PY' || fail "histogram_quantile($2, $1) = $got"
import math, sys
values = sorted(float(line) for line in open(sys.argv[1]))
q, base, got, family = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4] or "nan"), sys.argv[5]
exact = values[max(0, math.ceil(q * len(values)) - 1)]  # nearest rank
ratio = got / exact
print(f"{family} q={q}: Prometheus {got:.6g}, exact {exact:.6g}, ratio {ratio:.4f} (bound {base:.4f})")
sys.exit(0 if 1 / base <= ratio <= base else 1)
PY
}
for q in 0.5 0.9 0.99; do
  check_quantile job_duration_seconds "$q" 1.0905077326652577   # 2^(1/8), schema 3
  check_quantile job_coarse_duration_seconds "$q" 2              # schema 0
done
# Each family is at the schema the bound assumes: every bucket's upper bound
# is its lower bound times the factor (a wrong schema fails here, even when
# the quantiles happen to land within the bound).
check_schema() {  # check_schema FAMILY FACTOR
  curl -sf --max-time 5 -G --data-urlencode "query=$1" "$native_url/api/v1/query" >"$tmp/$1.json" ||
    fail "query $1"
  python3 - "$tmp/$1.json" "$2" "$1" <<'PY' || fail "$1: buckets are not of factor $2"
import json, sys
histogram = json.load(open(sys.argv[1]))["data"]["result"][0]["histogram"][1]
ratios = {round(float(b[2]) / float(b[1]), 6) for b in histogram["buckets"] if float(b[1]) > 0}
print(f"{sys.argv[3]}: bucket bound ratios {sorted(ratios)}")
sys.exit(0 if ratios == {round(float(sys.argv[2]), 6)} else 1)
PY
}
check_schema job_duration_seconds 1.0905077326652577
check_schema job_coarse_duration_seconds 2

# OpenMetrics, parsed by the Prometheus without native histograms.
wait_for_query "$classic_url" 'up{job="adapter"}' 1
wait_for_query "$classic_url" 'job_duration_seconds_count' "$n"
wait_for_query "$classic_url" 'job_duration_seconds_bucket{le="+Inf"}' "$n"
wait_for_query "$classic_url" 'jobs_total' "$n"
# Every sample line of the OpenMetrics body is a sample Prometheus took.
fetch om "$om_accept"
want=$(grep -vc '^#' "$tmp/om")
wait_for_query "$classic_url" 'scrape_samples_scraped{job="adapter"}' "$want"
echo "OpenMetrics: up 1, scrape_samples_scraped $want, as many as the body's sample lines"
[ "$(query "$classic_url" 'count(histogram_count(job_duration_seconds))')" = "" ] ||
  fail "the Prometheus without native histograms has a native one"
if grep -Ei 'level=(warn|error).*scrape' "$tmp/classic.log" "$tmp/native.log"; then
  fail "Prometheus logged scrape problems"
fi
stop_adapter_cleanly
echo "PASS: native histograms and exposition formats with a real Prometheus"
