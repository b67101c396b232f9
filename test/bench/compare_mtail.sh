#!/usr/bin/env bash
# Speed benchmark: metrics-adapter vs mtail on the same nginx access log and equivalent rules.
#
# Generates a reproducible access log (combined format + $request_time) with gen_access_log,
# then runs, side by side in the same run,
#   metrics-adapter once --config.file=CFG     (CFG rendered from test/bench/adapter/bench.yaml)
#   mtail --one_shot --progs DIR --logs LOG    (DIR holds test/bench/mtail/combined.mtail)
# each under GNU time, and prints lines/s, CPU seconds and peak RSS of each and the ratios.
#
# Correctness check: both expositions must report the same request count, response body bytes
# and request-duration observations per HTTP status code, and the same request count per
# method, as the log itself (so the total request count is the number of lines). The script
# exits 1 if they do not; it never fails on speed.
set -euo pipefail

usage() {
  cat <<EOF
usage: $(basename "$0") [--lines N] [--build-dir DIR] [--runs N] [--seed S] [--mtail-only]

Compares metrics-adapter with mtail on a generated nginx access log.

  --lines N        lines in the generated log (default 1000000)
  --build-dir DIR  CMake build dir; configured as Release if it has no CMakeCache.txt, and
                   metrics-adapter and gen_access_log are (re)built in it.
                   Default: build/release under the repo root; a relative DIR is taken
                   relative to the current directory.
  --runs N         runs of each tool, alternating; the fastest (by wall time) is reported
                   (default 3)
  --seed S         seed of the generated log (default 1)
  --mtail-only     measure and check mtail alone (no metrics-adapter build or run)
  -h, --help       this help

Environment: MTAIL overrides the mtail binary (default: mtail on PATH).
Exit status: 0 if every tool's metrics match the log, 1 if not (or a tool failed),
2 on bad usage or a missing tool.
EOF
}

die_usage() {
  echo "error: $*" >&2
  usage >&2
  exit 2
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench_dir=$repo_root/test/bench

lines=1000000
build_dir=$repo_root/build/release
runs=3
seed=1
mtail_only=0

while (($#)); do
  arg=$1
  value=
  if [[ $arg == --*=* ]]; then
    value=${arg#*=}
    arg=${arg%%=*}
  elif [[ $arg == --lines || $arg == --build-dir || $arg == --runs || $arg == --seed ]]; then
    (($# >= 2)) || die_usage "$arg needs a value"
    value=$2
    shift
  fi
  case $arg in
    --lines) lines=$value ;;
    --build-dir) build_dir=$value ;;
    --runs) runs=$value ;;
    --seed) seed=$value ;;
    --mtail-only) mtail_only=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die_usage "unknown argument: $1" ;;
  esac
  shift
done

[[ $lines =~ ^[1-9][0-9]*$ ]] || die_usage "--lines must be a positive integer"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die_usage "--runs must be a positive integer"
[[ $seed =~ ^[0-9]+$ ]] || die_usage "--seed must be a non-negative integer"
[[ -n $build_dir ]] || die_usage "--build-dir must not be empty"
[[ $build_dir == /* ]] || build_dir=$PWD/$build_dir

# --- Tools -----------------------------------------------------------------------------------

mtail_bin=${MTAIL:-$(command -v mtail || true)}
if [[ -z $mtail_bin || ! -x $mtail_bin ]]; then
  cat >&2 <<EOF
error: mtail not found${MTAIL:+ at MTAIL=$MTAIL}.
Install it (scripts/deps.sh bench), or set MTAIL=/path/to/mtail.
EOF
  exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "error: /usr/bin/time (GNU time) not found;" \
    "install it (scripts/deps.sh test)." >&2
  exit 2
fi

log() { echo "==> $*" >&2; }

# (Re)configure every time: cheap, and it recovers a build dir whose last configure failed.
configure_args=()
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  log "configuring $build_dir (Release)"
  configure_args=(-DCMAKE_BUILD_TYPE=Release -DMETRICS_ADAPTER_BENCHMARKS=ON)
fi
cmake -S "$repo_root" -B "$build_dir" "${configure_args[@]}" >&2
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
if [[ $build_type != Release ]]; then
  echo "warning: $build_dir is a '${build_type:-<none>}' build, not Release: figures are not" \
    "representative." >&2
fi
targets=(gen_access_log)
((mtail_only)) || targets+=(metrics-adapter)
log "building ${targets[*]} in $build_dir"
cmake --build "$build_dir" --parallel "$(nproc)" --target "${targets[@]}" >&2

gen_bin=$build_dir/test/bench/gen_access_log
adapter_bin=$build_dir/metrics-adapter
[[ -x $gen_bin ]] || { echo "error: $gen_bin was not built" >&2; exit 1; }
((mtail_only)) || [[ -x $adapter_bin ]] || { echo "error: $adapter_bin was not built" >&2; exit 1; }

# --- Inputs ----------------------------------------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compare_mtail.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

access_log=$tmp/access.log
log "generating $lines lines (seed $seed)"
"$gen_bin" --lines "$lines" --seed "$seed" >"$access_log"
actual_lines=$(wc -l <"$access_log")
if ((actual_lines != lines)); then
  echo "error: gen_access_log wrote $actual_lines lines, expected $lines" >&2
  exit 1
fi
log_bytes=$(wc -c <"$access_log")

# mtail loads every program in --progs: give it a directory holding only ours.
mkdir "$tmp/progs"
cp "$bench_dir/mtail/combined.mtail" "$tmp/progs/"

# The adapter config is rendered from the checked-in template into the temp dir: the log
# path is filled in, and relative rules entries (relative to the template's directory) are
# made absolute, since the copy no longer sits beside them.
adapter_cfg=$tmp/bench.yaml
ACCESS_LOG=$access_log TEMPLATE_DIR=$bench_dir/adapter awk '
  /^[ \t]*#/ { print; next }
  {
    line = $0
    if ((i = index(line, "@ACCESS_LOG@")) > 0)
      line = substr(line, 1, i - 1) ENVIRON["ACCESS_LOG"] substr(line, i + length("@ACCESS_LOG@"))
    if (match(line, /^[ \t-]*rules:[ \t]*\[[ \t]*/) && substr(line, RLENGTH + 1, 1) != "/")
      line = substr(line, 1, RLENGTH) ENVIRON["TEMPLATE_DIR"] "/" substr(line, RLENGTH + 1)
    print line
  }' "$bench_dir/adapter/bench.yaml" >"$adapter_cfg"

# --- Runs ------------------------------------------------------------------------------------

# run_timed NAME CMD...: runs CMD with stdout to $tmp/NAME.prom and stderr to $tmp/NAME.err,
# and appends "wall_s user_s sys_s max_rss_kib" to $tmp/NAME.times.
run_timed() {
  local name=$1
  shift
  if ! /usr/bin/time -f '%e %U %S %M' -o "$tmp/$name.time" "$@" >"$tmp/$name.prom" \
    2>"$tmp/$name.err"; then
    echo "error: $name failed: $*" >&2
    tail -n 20 "$tmp/$name.err" >&2
    exit 1
  fi
  tail -n 1 "$tmp/$name.time" >>"$tmp/$name.times"
}

tools=(mtail)
((mtail_only)) || tools=(metrics-adapter mtail)

for ((run = 1; run <= runs; run++)); do
  for tool in "${tools[@]}"; do
    log "run $run/$runs: $tool"
    case $tool in
      metrics-adapter)
        run_timed "$tool" "$adapter_bin" once --config.file="$adapter_cfg"
        ;;
      mtail)
        # --port 0 on loopback: even --one_shot opens mtail's HTTP listener.
        run_timed "$tool" "$mtail_bin" --one_shot --one_shot_format=prometheus --logtostderr \
          --emit_prog_label=false --address 127.0.0.1 --port 0 --progs "$tmp/progs" \
          --logs "$access_log"
        ;;
    esac
  done
done

# --- Correctness -----------------------------------------------------------------------------

# Lines "what key value": requests, body_bytes and duration_count by status code, and
# requests_by_method by method, where a method OpenTelemetry does not name is "_OTHER".
# From the log itself (the request line is escaped by nginx, so the first `" NNN N "` is
# always `" $status $body_bytes_sent "`) ...
awk '
  {
    if (!match($0, /" [0-9][0-9][0-9] [0-9]+ "/)) {
      printf "error: generated log line %d: unexpected format\n", NR >"/dev/stderr"
      exit 1
    }
    split(substr($0, RSTART + 2, RLENGTH - 4), f, " ")
    n[f[1]]++
    b[f[1]] += f[2]
    method = substr($0, index($0, "] \"") + 3)
    sub(/ .*/, "", method)
    if (method !~ /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE)$/) method = "_OTHER"
    m[method]++
  }
  END {
    for (s in n) printf "requests %s %.0f\nbody_bytes %s %.0f\nduration_count %s %.0f\n",
      s, n[s], s, b[s], s, n[s]
    for (k in m) printf "requests_by_method %s %.0f\n", k, m[k]
  }' "$access_log" | sort >"$tmp/expected.sum"

# ... and from a Prometheus text exposition, summed over the other labels.
summarize_exposition() {
  awk '
    function label(name) {
      if (!match($0, name "=\"[^\"]*\"")) return "<none>"
      return substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 3)
    }
    /^#/ || NF < 2 { next }
    {
      name = $1
      sub(/\{.*/, "", name)
      if (name == "http_server_requests_total") fam = "requests"
      else if (name == "http_server_response_body_size_bytes_total") fam = "body_bytes"
      else if (name == "http_server_request_duration_seconds_count") fam = "duration_count"
      else next
      sum[fam " " label("http_response_status_code")] += $NF
      if (fam == "requests") sum["requests_by_method " label("http_request_method")] += $NF
    }
    END { for (k in sum) printf "%s %.0f\n", k, sum[k] }' "$1" | sort
}

ok=1
for tool in "${tools[@]}"; do
  summarize_exposition "$tmp/$tool.prom" >"$tmp/$tool.sum"
  total=$(awk '$1 == "requests" { s += $3 } END { printf "%.0f", s }' "$tmp/$tool.sum")
  if ! diff -q "$tmp/expected.sum" "$tmp/$tool.sum" >/dev/null; then
    ok=0
    echo "MISMATCH: $tool reports $total requests for $lines lines; by status code and" \
      "method (what key value; < log, > $tool):" >&2
    diff "$tmp/expected.sum" "$tmp/$tool.sum" | grep '^[<>]' | head -n 40 >&2 || true
  else
    log "$tool: $total requests; requests, body bytes and durations by status code and" \
      "requests by method match the log"
  fi
done

# --- Report ----------------------------------------------------------------------------------

best() { sort -n -k1,1 "$tmp/$1.times" | head -n 1; }

echo
echo "Input: $lines lines, $((log_bytes / 1024 / 1024)) MiB (gen_access_log --seed $seed)."
echo "Best of $runs runs each (the run with the lowest wall time); CPU = user + sys."
echo "mtail: $("$mtail_bin" --version 2>&1 | head -n 1)"
if [[ -r /proc/loadavg ]]; then
  echo "Load average after the runs: $(cut -d ' ' -f 1-3 /proc/loadavg) on $(nproc) CPUs" \
    "(wall times are only meaningful on an otherwise idle machine)."
fi
echo
for tool in "${tools[@]}"; do
  echo "$tool $(best "$tool")"
done | awk -v lines="$lines" -v ok="$ok" '
  BEGIN {
    printf "%-16s %9s %8s %8s %13s %13s %9s\n",
      "tool", "lines", "wall s", "CPU s", "lines/s wall", "lines/s CPU", "RSS MiB"
  }
  {
    tool[NR] = $1; wall = $2; cpu = $3 + $4; rss = $5 / 1024
    if (wall <= 0) wall = 0.01
    if (cpu <= 0) cpu = 0.01
    lps_wall[NR] = lines / wall; lps_cpu[NR] = lines / cpu; mem[NR] = rss
    printf "%-16s %9d %8.2f %8.2f %13.0f %13.0f %9.1f\n",
      $1, lines, $2, $3 + $4, lps_wall[NR], lps_cpu[NR], rss
  }
  END {
    if (NR == 2) {
      rw = lps_wall[1] / lps_wall[2]; rc = lps_cpu[1] / lps_cpu[2]; rm = mem[1] / mem[2]
      printf "\n%s / %s: lines/s wall %.2fx, lines/s CPU %.2fx, peak RSS %.2fx\n",
        tool[1], tool[2], rw, rc, rm
      printf "Target (>= 5x lines/s, lower peak RSS): %s\n",
        !ok ? "not evaluated (metrics mismatch)" : (rw >= 5 && rm < 1) ? "met" : "NOT met"
    }
  }'

if ((!ok)); then
  echo "FAILED: metrics do not match the log (see above)." >&2
  exit 1
fi
