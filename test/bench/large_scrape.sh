#!/usr/bin/env bash
# End-to-end benchmark: scrapes of a large exposition (100,000 series by default) over HTTP,
# plain and gzip, and the resident memory that holds them; metrics-adapter and mtail side by
# side in the same run.
#
# Writes a log of SERIES lines "ROUTE STATUS", each a label set of its own (ROUTE one of
# SERIES/5 paths, STATUS one of 5 codes, in a scrambled order so no two neighbours sort next to
# each other), a schema with one counter family (route, status; max_series above SERIES) and a
# rule counting the lines, and the mtail program doing the same. It starts the release adapter
# (`run`) and mtail on an empty log, appends the lines, waits until each exposes every series,
# then times SCRAPES GETs of /metrics without and with Accept-Encoding: gzip, one after the
# other, each on a new connection (curl's time_total: connect to last byte). It prints the
# median and the fastest of each, the body sizes, and the RSS of each process before the log
# (idle), after the log was read, and after the scrapes (and its peak, VmHWM).
#
# The adapter runs twice: as built, and with GLIBC_TUNABLES=glibc.rtld.nns=1 as the image
# runs it (Containerfile: a smaller static TLS block per thread). For each it also prints where
# its resident memory is, idle and with the series: the binary's and the libraries' mapped
# files (code, and data once relocated), the thread stacks (civetweb's workers and master:
# anonymous mappings of 100 KiB, the stack size Debian's civetweb gives every thread it starts;
# their number) and the rest of the anonymous memory (heap and arenas: the series, civetweb's
# per-worker connection records and request buffers).
#
# Correctness check: each exposes exactly SERIES bench series, every one with the value 1; the
# adapter's gzip body decompresses to its plain body. Exit 1 if not; it never fails on speed.
#
# With --soak N (default 600) the adapter then serves N more plain scrapes and its RSS is read
# again: what a long-running adapter settles at (every scrape is a new connection, and civetweb
# hands each to another of its workers).
#
# Usage: test/bench/large_scrape.sh [--series N] [--scrapes N] [--soak N] [--no-mtail]
# Environment: ADAPTER (the binary; default build/release/metrics-adapter, built here),
# MTAIL (default: mtail on PATH), JOBS (build parallelism, passed to scripts/build.sh).
set -euo pipefail

usage="usage: $0 [--series N] [--scrapes N] [--soak N] [--no-mtail]"
series=100000
scrapes=20
soak=600
with_mtail=1
while (($#)); do
  case $1 in
    --series) series=${2:?$usage}; shift ;;
    --scrapes) scrapes=${2:?$usage}; shift ;;
    --soak) soak=${2:?$usage}; shift ;;
    --no-mtail) with_mtail=0 ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
if ! [[ $series =~ ^[1-9][0-9]{0,6}$ ]] || ((series % 5 != 0)); then
  echo "--series: a multiple of 5, 5..9999995" >&2
  exit 2
fi
[[ $scrapes =~ ^[1-9][0-9]{0,3}$ ]] || { echo "--scrapes: 1..9999" >&2; exit 2; }
[[ $soak =~ ^[0-9]{1,5}$ ]] || { echo "--soak: 0..99999" >&2; exit 2; }

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
scripts/deps.sh --require curl gzip awk sort python3
((with_mtail)) && scripts/deps.sh --require mtail
if [ -z "${ADAPTER:-}" ]; then
  scripts/build.sh release metrics-adapter >/dev/null
  ADAPTER=$root/build/release/metrics-adapter
fi
adapter_bin=$ADAPTER
mtail_bin=${MTAIL:-$(command -v mtail || true)}

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
source "$root/test/integration/lib.sh"
mtail_pid=
cleanup() {
  stop_adapter
  if [ -n "$mtail_pid" ]; then stop_group "$mtail_pid" 20; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- Input, rules, program ----------------------------------------------------

# Route k/5 and status 200 + k%5 for k = i * 7919 mod N: every label set once, scrambled.
awk -v n="$series" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = (i * 7919) % n
    printf "/api/v1/items/%d %d\n", int(k / 5), 200 + k % 5
  }
}' >"$tmp/lines"
: >"$tmp/access.log"

cat >"$tmp/schema.yaml" <<YAML
metrics:
  - name: bench_requests_total
    type: counter
    help: Requests by route and status.
    labels: [route, status]
    max_series: $((series + 1000))
YAML
cat >"$tmp/rules.yaml" <<'YAML'
parser: line
schema: [schema.yaml]
rules:
  - name: request
    match: '^(?P<route>\S+) (?P<status>\d{3})$'
    emit:
      - metric: bench_requests_total
        labels: {route: $route, status: $status}
YAML
cat >"$tmp/config.yaml" <<YAML
sources:
  - name: access
    type: file
    paths: ["$tmp/access.log"]
    from_beginning: true
    parser: line
    rules: [$tmp/rules.yaml]
YAML
mkdir "$tmp/progs"
cat >"$tmp/progs/bench.mtail" <<'MTAIL'
counter bench_requests_total by route, status
/^(?P<route>\S+) (?P<status>\d{3})$/ {
  bench_requests_total[$route][$status]++
}
MTAIL

rss_kib() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }
# rss_parts PID: "FILES STACKS N_STACKS ANON": resident MiB of mapped files, of the 100 KiB
# anonymous mappings (thread stacks) and their number, and of the other anonymous memory.
rss_parts() {
  python3 - "/proc/$1/smaps" <<'PY'
import re, sys
kib = {"files": 0, "stacks": 0, "anon": 0}
stacks, kind = 0, "anon"
for line in open(sys.argv[1]):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+ *(\S*)", line)
    if m:
        size = int(m[2], 16) - int(m[1], 16)
        if m[4] and not m[4].startswith("["):
            kind = "files"
        elif not m[4] and m[3] == "rw-p" and size == 100 * 1024:
            kind, stacks = "stacks", stacks + 1
        else:
            kind = "anon"
    elif line.startswith("Rss:"):
        kib[kind] += int(line.split()[1])
print("%.1f %.1f %d %.1f" % (kib["files"] / 1024, kib["stacks"] / 1024, stacks, kib["anon"] / 1024))
PY
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# bench_series URL: the bench series of one plain scrape, sorted; checks each is 1.
bench_series() {
  curl -sS -f --max-time 60 "$1/metrics" | grep '^bench_requests_total{' | sort >"$tmp/series" ||
    true
  awk '$NF != 1 { bad++ } END { exit bad > 0 }' "$tmp/series" || fail "a bench series is not 1"
  wc -l <"$tmp/series"
}

# wait_series URL: polls (up to 180 s) until the exposition holds every series.
wait_series() {
  local got=0
  for _ in $(seq 180); do
    got=$(bench_series "$1")
    [ "$got" = "$series" ] && return 0
    sleep 1
  done
  fail "$1 exposes $got bench series, want $series"
}

# time_scrapes URL [HEADER]: SCRAPES timed GETs; prints "median_ms min_ms bytes".
time_scrapes() {
  local url=$1 header=${2:-X-Bench: 1} times=()
  for _ in $(seq "$scrapes"); do
    times+=("$(curl -sS -f --max-time 60 -H "$header" -o "$tmp/body" -w '%{time_total}' \
      "$url/metrics")") || fail "GET $url/metrics failed"
  done
  printf '%s\n' "${times[@]}" | sort -g | awk -v bytes="$(stat -c %s "$tmp/body")" '
    { t[NR] = $1 * 1000 }
    END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
          printf "%.1f %.1f %d\n", m, t[1], bytes }'
}

# measure NAME PID URL IDLE_KIB: after the log is in, the scrapes and the RSS.
measure() {
  local name=$1 pid=$2 url=$3 idle=$4 loaded plain_med plain_min plain_bytes gz_med gz_min gz_bytes
  loaded=$(rss_kib "$pid" VmRSS)
  read -r plain_med plain_min plain_bytes <<<"$(time_scrapes "$url")"
  read -r gz_med gz_min gz_bytes <<<"$(time_scrapes "$url" 'Accept-Encoding: gzip')"
  printf '%-16s %8d %9s %9s %10s %9s %9s %9s %8s %8s %8s %8s\n' "$name" "$series" \
    "$plain_med" "$plain_min" "$plain_bytes" "$gz_med" "$gz_min" "$gz_bytes" \
    "$(mib "$idle")" "$(mib "$loaded")" "$(mib "$(rss_kib "$pid" VmRSS)")" \
    "$(mib "$(rss_kib "$pid" VmHWM)")" >>"$tmp/table"
}

printf '%-16s %8s %9s %9s %10s %9s %9s %9s %8s %8s %8s %8s\n' tool series plain_ms \
  plain_min bytes gzip_ms gzip_min gz_bytes idle_MiB load_MiB RSS_MiB peak_MiB >"$tmp/table"

# --- metrics-adapter ------------------------------------------------------------

printf '%-16s %-6s %8s %8s %8s %7s %8s\n' tool when RSS_MiB files stacks threads anon \
  >"$tmp/parts"
# parts NAME WHEN: a line of $tmp/parts for the running adapter.
parts() {
  local files stacks count anon
  read -r files stacks count anon <<<"$(rss_parts "$adapter_pid")"
  printf '%-16s %-6s %8s %8s %8s %7s %8s\n' "$1" "$2" "$(mib "$(rss_kib "$adapter_pid" VmRSS)")" \
    "$files" "$stacks" "$count" "$anon" >>"$tmp/parts"
}

# bench_adapter NAME [TUNABLES]: the adapter's run, with GLIBC_TUNABLES=TUNABLES if given.
bench_adapter() {
  local name=$1 tunables=${2:-}
  : >"$tmp/access.log"
  if [ -n "$tunables" ]; then
    GLIBC_TUNABLES=$tunables start_adapter "$adapter_bin" run --config.file="$tmp/config.yaml"
  else
    start_adapter "$adapter_bin" run --config.file="$tmp/config.yaml"
  fi
  sleep 1
  idle=$(rss_kib "$adapter_pid" VmRSS)
  parts "$name" idle
  cat "$tmp/lines" >>"$tmp/access.log"
  wait_series "$url"
  parts "$name" series
  # The gzip body is the plain body compressed.
  curl -sS -f --max-time 60 -o "$tmp/plain" "$url/metrics" || fail "plain scrape"
  curl -sS -f --max-time 60 -H 'Accept-Encoding: gzip' -o "$tmp/gz" "$url/metrics" ||
    fail "gzip scrape"
  gzip -dc <"$tmp/gz" | grep '^bench_requests_total{' >"$tmp/gz.txt" || true
  grep '^bench_requests_total{' "$tmp/plain" | cmp -s - "$tmp/gz.txt" ||
    fail "the gzip body's bench series differ from the plain body's"
  measure "$name" "$adapter_pid" "$url" "$idle"
  if ((soak > 0)); then
    for _ in $(seq "$soak"); do
      curl -sS -f --max-time 60 -o /dev/null "$url/metrics" || fail "soak scrape failed"
    done
    parts "$name" "+$soak"
  fi
  stop_adapter
}
bench_adapter metrics-adapter
bench_adapter "adapter nns=1" glibc.rtld.nns=1

# --- mtail ------------------------------------------------------------------------

if ((with_mtail)); then
  : >"$tmp/access.log"
  pick_ports 1
  setsid "$mtail_bin" --progs "$tmp/progs" --logs "$tmp/access.log" --address 127.0.0.1 \
    --port "${ports[0]}" --logtostderr >"$tmp/mtail.log" 2>&1 &
  mtail_pid=$!
  mtail_url=http://127.0.0.1:${ports[0]}
  for _ in $(seq 100); do
    curl -sf --max-time 2 -o /dev/null "$mtail_url/metrics" && break
    kill -0 "$mtail_pid" 2>/dev/null || { cat "$tmp/mtail.log"; fail "mtail exited"; }
    sleep 0.1
  done
  sleep 1
  idle=$(rss_kib "$mtail_pid" VmRSS)
  cat "$tmp/lines" >>"$tmp/access.log"
  wait_series "$mtail_url"
  measure mtail "$mtail_pid" "$mtail_url" "$idle"
fi

echo "scrapes of /metrics, $scrapes each, one after the other, each on a new connection;"
echo "times in ms (median, fastest); bytes of the last body; RSS in MiB (idle, after the log,"
echo "after the scrapes, peak)"
cat "$tmp/table"
echo "where the adapter's RSS is (MiB): mapped files (the binary and its libraries: code, and"
echo "data once relocated), thread stacks (the 100 KiB mappings, their number), other anonymous"
echo "memory (heap and arenas: the series, civetweb's connection records and request buffers);"
echo "idle, with the series, and after $soak more scrapes (+$soak)"
cat "$tmp/parts"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
