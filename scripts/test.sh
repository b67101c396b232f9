#!/usr/bin/env bash
# Runs every test of metrics-adapter: unit tests, tailing hazards, the rule
# library's embedded tests, golden cases, and integration tests against real
# promtool and nginx, all under AddressSanitizer and UndefinedBehaviorSanitizer,
# and the hardening of the release binary; then the concurrency tests (streamed
# lines matched on several threads, the tailing hazards through that path)
# again under ThreadSanitizer, which builds only their two targets.
# Installs what it needs (Debian 12, as root or with sudo) and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh build test pod
scripts/build.sh asan
# The release binary, for elf_hardening (its hardening read back); the
# benchmarks are not built.
scripts/build.sh release metrics-adapter

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build/asan --output-on-failure --timeout 600 -j2

# ThreadSanitizer: only the concurrency tests' own targets (a whole second
# sanitized build of every test would double the command's cold cost).
scripts/build.sh tsan concurrency_tests tailer_hazard_tests
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
ctest --test-dir build/tsan --output-on-failure --timeout 600 -j2 \
  -R '^(concurrency|tailer_hazards_threads)$'
