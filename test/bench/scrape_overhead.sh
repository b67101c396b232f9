#!/usr/bin/env bash
# End-to-end benchmark: the time a scrape of a pulled source adds on top of
# the upstream's own response, for a 100 KiB JSON status page (nginx plus
# /api) and a 100 KiB haproxy `;csv` page.
#
# Installs what it needs (scripts/deps.sh build test), builds the release
# metrics-adapter and gen_status_page (scripts/build.sh), writes the pages of
# parsers_bench (test/bench/status_pages.cc) into a temp docroot and serves
# them as static files with a real nginx on 127.0.0.1. Then, for each case
# below, it starts the release adapter with one `http` source pulling that
# page, and sends N rounds of, one after the other, each on a new connection
# (as Prometheus' scrape of a target is):
#   (a) GET the page from nginx directly,
#   (b) GET the adapter's /metrics, which fetches the page with the adapter's
#       own HTTP client, parses it, applies the rules and renders,
#   (c) the same with Accept-Encoding: gzip, as Prometheus sends it.
# Each request is timed from connect to the last byte read. It prints the
# median and p90 of each, the difference of the medians (b - a and c - a) =
# the time a scrape adds, and the adapter's own
# metrics_adapter_source_scrape_duration_seconds (fetch, parse and match) for
# context. parsers_bench's BM_Scrape* measure the in-process part alone with
# the same pages and rule files.
#
#   case                 page             rule file
#   nginx_plus_json      nginx_plus_json  test/bench/adapter/nginx_plus_api.yaml      (5 rules)
#   haproxy_csv          haproxy_csv      rules/library/haproxy/stats_csv.yaml        (shipped, 12 rules)
#   haproxy_csv_4rules   haproxy_csv      test/bench/adapter/haproxy_stats_csv.yaml   (4 rules)
#
# Usage: test/bench/scrape_overhead.sh [--requests N] [--warmup N]
#   --requests N  timed rounds per case (default 500)
#   --warmup N    untimed rounds first (default 50)
# Environment: JOBS (build parallelism, passed to scripts/build.sh).
# Exit status: 0 when every request answered as expected (it never fails on
# speed), 1 on a failure, 2 on bad usage.
set -euo pipefail

usage="usage: $0 [--requests N] [--warmup N]"
requests=500
warmup=50
while (($#)); do
  case $1 in
    --requests) requests=${2:?$usage}; shift ;;
    --warmup) warmup=${2:?$usage}; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
[[ $requests =~ ^[1-9][0-9]{0,5}$ ]] || { echo "--requests: 1..999999" >&2; exit 2; }
[[ $warmup =~ ^[0-9]{1,5}$ ]] || { echo "--warmup: 0..99999" >&2; exit 2; }

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
scripts/deps.sh build test
scripts/build.sh release metrics-adapter gen_status_page >/dev/null
adapter=$root/build/release/metrics-adapter
gen=$root/build/release/test/bench/gen_status_page
nginx=/usr/sbin/nginx
python=/usr/bin/python3 # the Debian package deps.sh installs, not whatever is first on PATH

tmp=$(mktemp -d)
# mktemp -d is 0700; nginx workers that are not root read the pages here.
chmod 755 "$tmp"
# shellcheck source=test/integration/lib.sh
source "$root/test/integration/lib.sh"

server_pid=
cleanup() {
  stop_adapter
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- The pages and nginx --------------------------------------------------------

mkdir "$tmp/html"
for page in nginx_plus_json haproxy_csv; do
  "$gen" "$page" >"$tmp/html/$page" || fail "gen_status_page $page failed"
done
chmod 644 "$tmp"/html/*

write_nginx_conf() { # write_nginx_conf PORT
  # "user root" lets the worker of a root master read $tmp; as another user
  # nginx ignores it with a warning. Every path nginx writes is in $tmp.
  cat >"$tmp/nginx.conf" <<CONF
user root;
worker_processes 1;
error_log $tmp/nginx_error.log notice;
pid $tmp/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
$(nginx_temp_paths)
  types { }
  default_type text/plain;
  server {
    listen 127.0.0.1:$1;
    root $tmp/html;
    location = /nginx_plus_json { default_type application/json; }
  }
}
CONF
}

start_server_on_free_port nginx write_nginx_conf "$tmp/nginx.pid" "$tmp/nginx_error.log" -- \
  "$nginx" -p "$tmp" -e "$tmp/nginx_error.log" -c "$tmp/nginx.conf" -g 'daemon off;'
nginx_url=http://127.0.0.1:$port
for page in nginx_plus_json haproxy_csv; do
  got=$(curl -sf --noproxy '*' --max-time 5 -o /dev/null -w '%{size_download}' "$nginx_url/$page") ||
    fail "nginx does not serve /$page"
  [ "$got" = "$(stat -c %s "$tmp/html/$page")" ] || fail "nginx served $got bytes of /$page"
done

# --- The measurement ----------------------------------------------------------

# measure.py CASE PAGE_URL METRICS_URL REQUESTS WARMUP: the rounds of one
# case; prints one JSON line of results. Fails (exit 1) on any unexpected answer.
cat >"$tmp/measure.py" <<'PY'
import gzip, http.client, json, re, statistics, sys, time, urllib.parse

case, page_url, metrics_url, requests, warmup = sys.argv[1:6]
requests, warmup = int(requests), int(warmup)
up_line = re.compile(rb'^metrics_adapter_source_up\{source="page"\} 1$', re.M)
duration = re.compile(rb'^metrics_adapter_source_scrape_duration_seconds\{source="page"\} (\S+)$', re.M)


def get(url, headers):
    """One GET on a new connection; returns (seconds, status, headers, body)."""
    u = urllib.parse.urlsplit(url)
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request("GET", u.path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        elapsed = time.perf_counter() - t0
        return elapsed, resp.status, resp.getheader("Content-Encoding"), body
    finally:
        conn.close()


def fail(message):
    print(f"FAIL: {case}: {message}", file=sys.stderr)
    sys.exit(1)


page_size = None
direct, plain, gzipped, source = [], [], [], []
series = 0
for i in range(warmup + requests):
    t, status, _, body = get(page_url, {"User-Agent": "scrape_overhead"})
    if status != 200 or not body:
        fail(f"GET {page_url}: status {status}, {len(body)} bytes")
    if page_size is None:
        page_size = len(body)
    elif len(body) != page_size:
        fail(f"GET {page_url}: {len(body)} bytes, before {page_size}")
    timed = i >= warmup
    if timed:
        direct.append(t)
    for accept, samples in ((None, plain), ("gzip", gzipped)):
        headers = {"User-Agent": "scrape_overhead"}
        if accept:
            headers["Accept-Encoding"] = accept
        t, status, encoding, body = get(metrics_url, headers)
        if status != 200:
            fail(f"GET {metrics_url}: status {status}")
        if accept:
            if encoding != "gzip":
                fail(f"GET {metrics_url} with Accept-Encoding: gzip: Content-Encoding {encoding}")
            body = gzip.decompress(body)
        if not up_line.search(body):
            fail(f"GET {metrics_url}: no metrics_adapter_source_up 1 (round {i})")
        if timed:
            samples.append(t)
            m = duration.search(body)
            if not m:
                fail("no metrics_adapter_source_scrape_duration_seconds")
            source.append(float(m.group(1)))
        if i == 0:
            series = sum(1 for line in body.splitlines()
                         if line and not line.startswith(b"#")
                         and not line.startswith(b"metrics_adapter_"))


def stats(xs):
    xs = sorted(xs)
    return {"median_ms": statistics.median(xs) * 1e3,
            "p90_ms": xs[min(len(xs) - 1, int(0.9 * len(xs)))] * 1e3}


print(json.dumps({"case": case, "bytes": page_size, "series": series, "requests": requests,
                  "direct": stats(direct), "metrics": stats(plain), "metrics_gzip": stats(gzipped),
                  "source": stats(source)}))
PY

cases=(
  "nginx_plus_json nginx_plus_json $root/test/bench/adapter/nginx_plus_api.yaml"
  "haproxy_csv haproxy_csv $root/rules/library/haproxy/stats_csv.yaml"
  "haproxy_csv_4rules haproxy_csv $root/test/bench/adapter/haproxy_stats_csv.yaml"
)
: >"$tmp/results.jsonl"
for entry in "${cases[@]}"; do
  read -r name page rule_file <<<"$entry"
  cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: page
    type: http
    url: $nginx_url/$page
    timeout: 2s
    rules: [$rule_file]
YAML
  timeout 30 "$adapter" check --config.file="$tmp/adapter.yaml" >"$tmp/check.out" 2>&1 ||
    { cat "$tmp/check.out"; fail "metrics-adapter check refused the config of $name"; }
  # lib.sh's start_adapter: --web.listen-address=127.0.0.1:0, sets `url`.
  start_adapter "$adapter" run --config.file="$tmp/adapter.yaml" --config.watch-interval=0s
  echo "$name: $requests rounds (after $warmup to warm up) against $url and $nginx_url/$page" >&2
  timeout 900 "$python" "$tmp/measure.py" "$name" "$nginx_url/$page" "$url/metrics" \
    "$requests" "$warmup" >>"$tmp/results.jsonl" || fail "the measurement of $name failed"
  stop_adapter_cleanly
done

# --- The table ------------------------------------------------------------------

echo
echo "nginx $("$nginx" -v 2>&1 | sed 's/.*\///'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "a new connection per request; ms, median / p90"
"$python" - "$tmp/results.jsonl" <<'PY'
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
fmt = "{:<20} {:>7} {:>6}  {:>13}  {:>13}  {:>13}  {:>13}  {:>13}"
print(fmt.format("case", "bytes", "series", "nginx direct", "/metrics", "/metrics gzip",
                 "added", "source fetch"))
print(fmt.format("", "", "", "(a)", "(b)", "(c)", "(b-a) (c-a)", "parse, match"))
for r in rows:
    mp = lambda k: f"{r[k]['median_ms']:.2f} / {r[k]['p90_ms']:.2f}"
    added = (f"{r['metrics']['median_ms'] - r['direct']['median_ms']:.2f}  "
             f"{r['metrics_gzip']['median_ms'] - r['direct']['median_ms']:.2f}")
    print(fmt.format(r["case"], r["bytes"], r["series"], mp("direct"), mp("metrics"),
                     mp("metrics_gzip"), added, mp("source")))
PY
