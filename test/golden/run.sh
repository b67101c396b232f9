#!/usr/bin/env bash
# Golden tests: run the real binary on every case folder under test/golden/
# and compare its output with the expectation stored beside it.
#
# Usage:
#   test/golden/run.sh BINARY            # run every case
#   test/golden/run.sh BINARY CASE...    # run only the named cases
#   UPDATE=1 test/golden/run.sh BINARY   # rewrite the expectations from the output
#
# A case is a folder holding adapter.yaml (plus the rule files and logs it
# names, by paths relative to the folder) and exactly one expectation:
#
#   expected.prom  `metrics-adapter once --config.file=adapter.yaml` must exit 0
#                  and print exactly this on stdout, once the lines that start
#                  with "metrics_adapter_build_info" are removed: that sample
#                  carries the version, which changes with every release (its
#                  "# HELP" and "# TYPE" lines are stable and stay compared);
#                  so are those of
#                  "metrics_adapter_source_last_read_timestamp_seconds", which
#                  hold the time of the run.
#                  stderr (timestamped logs) is not compared.
#   expected.err   `metrics-adapter check --config.file=adapter.yaml` must exit
#                  1, print nothing on stdout and exactly this on stderr.
#
# Every command runs from inside the case folder, so the paths in messages are
# the relative ones written in the case and the expectations do not depend on
# where the repository lives.
#
# A case folder holding a file named SKIP is not run: its expectation is what
# a user should see, which the binary does not print yet because of a known
# bug; the first line of SKIP says which. Remove SKIP once the bug is fixed.
#
# UPDATE=1 overwrites the expectation of every case that runs with what the
# binary printed (filtered as above). To add a case, create its folder with an
# empty expected.prom or expected.err to choose the command, run with
# UPDATE=1, then read the new expectation line by line before committing it:
# it must be what a demanding user expects, not just what the code printed.
#
# Prints "ok CASE", "FAIL CASE" (with a diff -u of expected against actual) or
# "SKIP CASE: reason" per case, then "N passed, N failed"; exits 1 if any case
# failed.
set -uo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BINARY [CASE...]" >&2
  exit 2
fi
binary=$(realpath "$1") || exit 2
shift
if [[ ! -x "$binary" ]]; then
  echo "$0: $binary is not an executable" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")" && pwd)

cases=()
if [[ $# -gt 0 ]]; then
  cases=("$@")
else
  for dir in "$root"/*/; do
    [[ -f "$dir/adapter.yaml" ]] && cases+=("$(basename "$dir")")
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
skipped=0
for name in "${cases[@]}"; do
  dir="$root/$name"
  if [[ ! -f "$dir/adapter.yaml" ]]; then
    echo "FAIL $name: no adapter.yaml in $dir"
    failed=$((failed + 1))
    continue
  fi
  if [[ -f "$dir/SKIP" ]]; then
    echo "SKIP $name: $(head -n 1 "$dir/SKIP")"
    skipped=$((skipped + 1))
    continue
  fi
  if [[ -f "$dir/expected.prom" && ! -f "$dir/expected.err" ]]; then
    expected="$dir/expected.prom"
    want_status=0
    (cd "$dir" && "$binary" once --config.file=adapter.yaml) >"$work/stdout" 2>"$work/stderr"
    status=$?
    grep -Ev '^metrics_adapter_(build_info|source_last_read_timestamp_seconds)' "$work/stdout" \
      >"$work/actual"
    : >"$work/unexpected"
  elif [[ -f "$dir/expected.err" && ! -f "$dir/expected.prom" ]]; then
    expected="$dir/expected.err"
    want_status=1
    (cd "$dir" && "$binary" check --config.file=adapter.yaml) >"$work/stdout" 2>"$work/stderr"
    status=$?
    cp "$work/stderr" "$work/actual"
    cp "$work/stdout" "$work/unexpected"
  else
    echo "FAIL $name: needs exactly one of expected.prom and expected.err"
    failed=$((failed + 1))
    continue
  fi

  if [[ "${UPDATE:-}" == 1 ]]; then
    cp "$work/actual" "$expected"
  fi
  problems=""
  if [[ $status -ne $want_status ]]; then
    problems+="  exit status $status, expected $want_status"$'\n'
  fi
  if [[ -s "$work/unexpected" ]]; then
    problems+="  unexpected output on stdout:"$'\n'"$(sed 's/^/    /' "$work/unexpected")"$'\n'
  fi
  if ! diff -u --label "$name/$(basename "$expected")" --label "actual" "$expected" \
      "$work/actual" >"$work/diff"; then
    problems+="$(cat "$work/diff")"$'\n'
  fi
  if [[ -z "$problems" ]]; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    printf '%s' "$problems"
    if [[ $status -ne $want_status && -s "$work/stderr" && $want_status -eq 0 ]]; then
      echo "  stderr:"
      sed 's/^/    /' "$work/stderr"
    fi
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
