#!/usr/bin/env bash
# Fails if clang-tidy (the checks of .clang-tidy) finds anything in the
# program's sources: every .cc under adapter/, parsers/ and rules/, and the
# project headers they include, compiled as BUILD_DIR's compile database says.
#
# Usage: test/check_tidy.sh BUILD_DIR [FILE.cc...]
#   paths relative to the repository root (or absolute)
#   FILE.cc...  check only these (default: all)
#   JOBS=N      clang-tidy processes at once (default 2)
#
# A file that passed is remembered in TIDY_CACHE (default
# ~/.cache/metrics-adapter/tidy, shared by every clone of the repository)
# under a hash of everything its result depends on: the file, every project
# header, its compile command (with the clone's path taken out), .clang-tidy,
# this script, clang-tidy's version and the installed packages (system
# headers). Any change to one of them checks it again; findings are never
# cached, so a failing file is checked every run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --require clang-tidy python3 || exit 1

build_dir=${1:?usage: test/check_tidy.sh BUILD_DIR [FILE.cc...]}
shift
database=$build_dir/compile_commands.json
[ -f "$database" ] || { echo "FAIL: no $database (configure the build first)"; exit 1; }

if (($#)); then
  files=("$@")
else
  files=()
  while read -r file; do
    files+=("$file")
  done < <(git ls-files 'adapter/*.cc' 'parsers/*.cc' 'rules/*.cc')
fi
mapfile -t headers < <(git ls-files 'adapter/*.h' 'parsers/*.h' 'rules/*.h')

# Findings are reported in the project's own headers: an alternation of
# their absolute paths, so system and library headers stay quiet.
header_filter=
for header in "${headers[@]}"; do
  pattern=$PWD/$header
  pattern=${pattern//./\\.}
  pattern=${pattern//+/\\+}
  header_filter+="${header_filter:+|}$pattern"
done
header_filter="^($header_filter)\$"

# The part of every file's key that all files share.
common_key=$(
  {
    clang-tidy --version
    cat .clang-tidy test/check_tidy.sh
    dpkg-query -W -f '${Package} ${Version}\n' 2>/dev/null || true
    for header in "${headers[@]}"; do
      echo "$header"
      cat "$header"
    done
  } | sha256sum | cut -d' ' -f1
)

# "FILE KEY" per file: its key adds its own text and compile command.
keys=$(python3 - "$database" "$common_key" "${files[@]}" <<'EOF'
import hashlib, json, os, sys
database, common, files = sys.argv[1], sys.argv[2], sys.argv[3:]
commands = {os.path.realpath(e["file"]): e for e in json.load(open(database))}
for f in files:
    entry = commands.get(os.path.realpath(f))
    if entry is None:
        print(f, "-")
        continue
    h = hashlib.sha256(common.encode())
    # The same command in another clone of the repository is the same key.
    command = json.dumps([entry.get("directory"), entry.get("command"), entry.get("arguments")])
    h.update(command.replace(os.getcwd(), "<repository>").encode())
    h.update(open(f, "rb").read())
    print(f, h.hexdigest())
EOF
)

cache=${TIDY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metrics-adapter/tidy}
mkdir -p "$cache"
to_check=()
cached=0
missing=()
while read -r file key; do
  if [ "$key" = - ]; then
    missing+=("$file")
  elif [ -e "$cache/$key.pass" ]; then
    cached=$((cached + 1))
  else
    to_check+=("$file $key")
  fi
done <<<"$keys"
if ((${#missing[@]})); then
  echo "FAIL: not in $database: ${missing[*]}"
  exit 1
fi

# check FILE KEY: runs clang-tidy on FILE; a pass is remembered under KEY,
# findings are written to KEY.log.
check() {
  local file=$1 key=$2 log
  log=$cache/$key.log
  # The database is GCC's: its GCC-only warning options mean nothing to clang.
  if clang-tidy -p "$build_dir" --quiet --header-filter="$header_filter" \
      --extra-arg=-Wno-unknown-warning-option "$file" >"$log" 2>&1 &&
      ! grep -qE ': (warning|error):' "$log"; then
    rm -f "$log"
    touch "$cache/$key.pass"
  fi
}
export -f check
export cache build_dir header_filter

if ((${#to_check[@]})); then
  printf '%s\n' "${to_check[@]}" | xargs -P "${JOBS:-2}" -L 1 bash -c 'check "$@"' check
fi

failed=0
for entry in "${to_check[@]}"; do
  read -r file key <<<"$entry"
  [ -e "$cache/$key.log" ] || continue
  failed=$((failed + 1))
  # Only the findings and their notes; not clang-tidy's counts of what it suppressed.
  grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' \
    "$cache/$key.log" || true
  rm -f "$cache/$key.log"
done
summary="${#files[@]} files (${#to_check[@]} checked, $cached unchanged since they passed)"
if ((failed)); then
  echo "FAIL: clang-tidy: findings in $failed of $summary"
  exit 1
fi
echo "clang-tidy: $summary clean"
