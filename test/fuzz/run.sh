#!/usr/bin/env bash
# Fuzzes with libFuzzer the parsers, the tcp sources' reply framings
# (tcp_framing), the line framings of tcp_listener connections and files
# (line_framing), loading a config and its rule files (config) and the HTTP
# endpoint (http_server): builds every fuzz target with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer into build/fuzz, then runs
# each for SECONDS (default 60) from its corpus in test/fuzz/corpus/<target>/.
# An input that runs longer than 60 s is a hang, reported like a crash.
# New inputs that reach new code go to a scratch corpus, not the repo's; a
# crash leaves its input in build/fuzz/crashes/ and makes the script exit 1.
# Add an input worth keeping (a crash once fixed) to the target's corpus:
# the test suite replays every corpus file.
# Usage: test/fuzz/run.sh [--seconds N] [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=60
if [ "${1:-}" = "--seconds" ]; then
  seconds=${2:?usage: $0 [--seconds N] [PARSER...]}
  shift 2
fi
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "--seconds: a positive integer" >&2; exit 2; }
parsers=("$@")
if ((${#parsers[@]} == 0)); then
  for dir in test/fuzz/corpus/*/; do parsers+=("$(basename "$dir")"); done
fi

scripts/deps.sh build fuzz
dir=build/fuzz
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DMETRICS_ADAPTER_SANITIZE=ON -DMETRICS_ADAPTER_FUZZ=ON -DMETRICS_ADAPTER_BENCHMARKS=OFF >/dev/null
targets=()
for parser in "${parsers[@]}"; do targets+=(--target "fuzz_$parser"); done
cmake --build "$dir" -j"${JOBS:-2}" "${targets[@]}"

mkdir -p "$dir/crashes"
status=0
for parser in "${parsers[@]}"; do
  scratch=$(mktemp -d)
  echo "fuzzing $parser for ${seconds}s"
  max_len=4096
  # Its seeds are whole rule files with their schema.
  [ "$parser" != config ] || max_len=20000
  if ! "$dir/test/fuzz/fuzz_$parser" -max_total_time="$seconds" -max_len="$max_len" -timeout=60 \
    -artifact_prefix="$dir/crashes/$parser-" -print_final_stats=1 \
    "$scratch" "test/fuzz/corpus/$parser" 2>"$dir/fuzz_$parser.log"; then
    echo "FAIL: $parser: see $dir/fuzz_$parser.log and $dir/crashes/"
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$dir/fuzz_$parser.log" | tr '\n' ' '
  echo
  rm -rf "$scratch"
done
exit "$status"
