#!/usr/bin/env bash
# Every shell script of the repository passes shellcheck, style findings
# included (sourced files are followed with -x).
# Usage: test/check_shell.sh   (from the repository root)
set -euo pipefail
"$(dirname "$0")/../scripts/deps.sh" --require shellcheck || exit 1
mapfile -t scripts < <(git ls-files '*.sh' 2>/dev/null || find . -name '*.sh' -not -path './build*')
shellcheck -x --severity=style "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
