#!/usr/bin/env bash
# Fails if any C++ file differs from what clang-format makes of it.
# Usage: test/check_format.sh [CLANG_FORMAT]   (run from the repository root)
set -euo pipefail
clang_format=${1:-clang-format}
mapfile -t files < <(git ls-files '*.cc' '*.h' 2>/dev/null || find adapter parsers rules test -name '*.cc' -o -name '*.h')
"$clang_format" --dry-run -Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
