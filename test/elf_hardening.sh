#!/usr/bin/env bash
# Reads the hardening of built binaries back from their ELF headers, as the
# top-level CMakeLists.txt asks for it:
#   pie        ELF type DYN and DT_FLAGS_1 PIE (position-independent executable)
#   relro      a GNU_RELRO segment
#   bind_now   DT_FLAGS BIND_NOW or DT_FLAGS_1 NOW (with relro: full RELRO)
#   nx_stack   a GNU_STACK segment, not executable
#   canary     __stack_chk_fail imported (-fstack-protector-strong)
#   fortify    some other __*_chk function imported (-D_FORTIFY_SOURCE=2);
#              not for binaries after --unfortified: sanitized builds (the
#              sanitizers check those calls instead) and Debug builds (it
#              needs optimisation)
# Only the dynamic symbol table is read, so a stripped binary (the image's)
# is checked alike.
#
# First it proves that each check can fail: a probe compiled with g++ and every
# protection turned off must fail all six.
#
# Usage: test/elf_hardening.sh BINARY... [--unfortified BINARY...]
#   exit 0 when every binary passes every check that applies to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../scripts/deps.sh" --require readelf g++ || exit 1

(($# > 0)) || { echo "usage: $0 BINARY... [--unfortified BINARY...]" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# failed_checks FILE FORTIFIED: prints the names of the checks FILE fails.
failed_checks() {
  local file=$1 fortified=$2 header program dynamic symbols
  header=$(readelf -hW "$file")
  program=$(readelf -lW "$file")
  dynamic=$(readelf -dW "$file")
  # Imported functions: undefined entries of the dynamic symbol table.
  symbols=$(readelf --dyn-syms -W "$file" | awk '$7 == "UND" { sub(/@.*/, "", $8); print $8 }')

  grep -Eq '^ *Type: +DYN ' <<<"$header" && grep -Eq '\(FLAGS_1\).* PIE( |$)' <<<"$dynamic" ||
    echo pie
  grep -Eq '^ *GNU_RELRO ' <<<"$program" || echo relro
  grep -Eq '\(FLAGS\).* BIND_NOW( |$)|\(FLAGS_1\).* NOW( |$)' <<<"$dynamic" || echo bind_now
  # GNU_STACK's flags column: RW, or RWE when the stack is executable.
  awk '$1 == "GNU_STACK" { found = 1; if ($0 ~ / RWE /) exec = 1 } END { exit !(found && !exec) }' \
    <<<"$program" || echo nx_stack
  grep -qx '__stack_chk_fail' <<<"$symbols" || echo canary
  if [ "$fortified" = yes ]; then
    # One awk, no pipe: with pipefail, grep -q ending a pipe early fails it.
    awk '/^__[a-z0-9_]+_chk$/ && $0 != "__stack_chk_fail" { found = 1 } END { exit !found }' \
      <<<"$symbols" || echo fortify
  fi
  return 0
}

# The probe: a fortifiable call and a stack array, built with nothing.
cat >"$tmp/probe.cc" <<'EOF'
#include <cstdio>
#include <cstring>
int main(int argc, char** argv) {
  char buffer[64];
  std::strcpy(buffer, argv[0]);
  std::snprintf(buffer, sizeof buffer, "%d", argc);
  return buffer[0];
}
EOF
g++ -O2 -U_FORTIFY_SOURCE -fno-stack-protector -fno-pie -no-pie -Wl,-z,norelro,-z,lazy \
  -Wl,-z,execstack -o "$tmp/probe" "$tmp/probe.cc"
probe_failed=$(failed_checks "$tmp/probe" yes | tr '\n' ' ')
if [ "$probe_failed" != "pie relro bind_now nx_stack canary fortify " ]; then
  echo "FAIL: the unhardened probe failed only: ${probe_failed:-nothing}"
  exit 1
fi
echo "ok: an unhardened probe fails: $probe_failed"

status=0
fortified=yes
checked=0
for arg in "$@"; do
  if [ "$arg" = --unfortified ]; then
    fortified=no
    continue
  fi
  if [ ! -f "$arg" ]; then
    echo "FAIL: $arg: no such file (scripts/build.sh release metrics-adapter builds the release binary)"
    status=1
    continue
  fi
  failed=$(failed_checks "$arg" "$fortified" | tr '\n' ' ')
  if [ -n "$failed" ]; then
    echo "FAIL: $arg: missing hardening: $failed"
    status=1
  else
    applies="pie relro bind_now nx_stack canary"
    [ "$fortified" = no ] || applies+=" fortify"
    echo "PASS: $arg: $applies"
  fi
  checked=$((checked + 1))
done
((checked > 0)) || { echo "FAIL: no binary given" >&2; exit 2; }
exit "$status"
