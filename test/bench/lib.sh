# shellcheck shell=bash
# shellcheck disable=SC2154  # repo_root, tmp: set by the sourcing script
# shellcheck disable=SC2034  # lines, runs, build_dir: read by the sourcing script
# Shared by the benchmark scripts that time `metrics-adapter once` cases on
# a generated log: their options, the Release build they run, and the best
# of several timed runs of a case. Source it after setting `repo_root` (the
# repository); best_cpu_run also needs `tmp` (a temp dir the caller owns).

# bench_options ARG...: reads the options these benchmarks share into
# `lines` (default 1000000), `runs` (default 3) and `build_dir` (default
# $repo_root/build/release, made absolute). -h/--help prints the usage and
# exits 0; anything else prints it on stderr and exits 2.
bench_options() {
  lines=1000000 runs=3 build_dir=$repo_root/build/release
  while (($#)); do
    case $1 in
      --lines) lines=${2:?}; shift 2 ;;
      --runs) runs=${2:?}; shift 2 ;;
      --build-dir) build_dir=$(realpath "${2:?}"); shift 2 ;;
      -h | --help) bench_usage; exit 0 ;;
      *) bench_usage >&2; exit 2 ;;
    esac
  done
}

bench_usage() {
  cat <<EOF
usage: $(basename "$0") [--lines N] [--runs N] [--build-dir DIR]

  --lines N        lines in each generated log (default 1000000)
  --runs N         runs of each case; the best CPU time is reported (default 3)
  --build-dir DIR  a Release build dir (default build/release); metrics-adapter and
                   gen_access_log are (re)built in it
EOF
}

# bench_build BUILD_DIR TARGET...: configures BUILD_DIR as a Release build
# of $repo_root with the benchmarks when it is not configured yet, then
# (re)builds TARGETs in it with JOBS jobs (default: every core). The build's
# output goes to stderr: a benchmark's stdout is its figures.
bench_build() {
  local build_dir=$1 target targets=()
  shift
  for target in "$@"; do targets+=(--target "$target"); done
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
      -DMETRICS_ADAPTER_BENCHMARKS=ON >&2
  fi
  cmake --build "$build_dir" --parallel "${JOBS:-$(nproc)}" "${targets[@]}" >&2
}

# best_cpu_run RUNS NAME COMMAND...: runs COMMAND RUNS times under GNU time
# (/usr/bin/time: the caller requires it), its stdout into $tmp/NAME.prom
# and its stderr into $tmp/NAME.err, each run overwriting the last. A failed
# run ends the script (exit 1, the tail of its stderr shown). Writes
# "CPU_SECONDS WALL_SECONDS MAX_RSS_KIB" of the run with the least CPU time
# (user + sys, two decimals) to $tmp/NAME.best: CPU time is what other
# processes on a busy machine disturb least.
best_cpu_run() {
  local runs=$1 name=$2 best='' i wall user sys rss cpu
  shift 2
  for ((i = 1; i <= runs; i++)); do
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/$name.time" "$@" >"$tmp/$name.prom" 2>"$tmp/$name.err" ||
      { tail "$tmp/$name.err" >&2; echo "error: $name failed" >&2; exit 1; }
    read -r wall user sys rss <"$tmp/$name.time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    if [[ -z $best ]] || awk -v a="$cpu" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best="$cpu $wall $rss"
    fi
  done
  echo "$best" >"$tmp/$name.best"
}
