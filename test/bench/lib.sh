# shellcheck shell=bash
# shellcheck disable=SC2154  # tmp: set by the sourcing script
# Shared by the benchmark scripts that time `metrics-adapter once` cases:
# build the Release binaries they run, and keep the best of several timed
# runs of a case. Source it after setting `tmp` (a temp dir the caller owns).

# bench_build REPO_ROOT BUILD_DIR TARGET...: configures BUILD_DIR as a
# Release build with the benchmarks when it is not configured yet, then
# (re)builds TARGETs in it with JOBS jobs (default: every core). The build's
# output goes to stderr: a benchmark's stdout is its figures.
bench_build() {
  local repo_root=$1 build_dir=$2 target targets=()
  shift 2
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
