#!/usr/bin/env bash
# Configures and builds metrics-adapter into a build directory.
# Usage: scripts/build.sh release|asan|tsan [TARGET...]
#   release  optimized build in build/release (the demo, benchmarks)
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer build in build/asan (the tests),
#            warnings as errors
#   tsan     ThreadSanitizer build in build/tsan (the concurrency tests: build only their
#            targets, concurrency_tests and tailer_hazard_tests), warnings as errors
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:?usage: scripts/build.sh release|asan|tsan [TARGET...]}
shift
case "$kind" in
  release) args=(-DCMAKE_BUILD_TYPE=Release -DMETRICS_ADAPTER_SANITIZE=OFF -DMETRICS_ADAPTER_WERROR=OFF) ;;
  asan) args=(-DCMAKE_BUILD_TYPE=Debug -DMETRICS_ADAPTER_SANITIZE=ON -DMETRICS_ADAPTER_BENCHMARKS=OFF -DMETRICS_ADAPTER_WERROR=ON) ;;
  tsan) args=(-DCMAKE_BUILD_TYPE=Debug -DMETRICS_ADAPTER_SANITIZE=OFF -DMETRICS_ADAPTER_TSAN=ON -DMETRICS_ADAPTER_BENCHMARKS=OFF -DMETRICS_ADAPTER_WERROR=ON) ;;
  *) echo "unknown build kind: $kind" >&2; exit 2 ;;
esac

dir=build/$kind
# ccache hits across clones of the repository (the test command runs in a
# fresh one): paths are hashed relative to it, not to where it lies.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake -S . -B "$dir" "${args[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j"${JOBS:-2}" "${targets[@]}"
