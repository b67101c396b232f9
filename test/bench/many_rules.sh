#!/usr/bin/env bash
# Many rules: lines/s and startup time of metrics-adapter with 10, 100 and 1,000 rules, side by
# side with mtail running an equivalent program over the same log.
#
# Each rule counts the requests of one URL prefix (/svcK/...) of an nginx access log: its
# pattern starts with `^\S+`, so it has no literal prefix, and the prefixes differ only in the
# middle of the line. For N rules the log of gen_access_log (combined + $request_time) gets
# each line's request target rewritten to /svc(LINE % N)/..., so every request line matches
# exactly one rule whatever N is (requests that are not "METHOD target" match none, in both
# tools). Per N it runs `metrics-adapter once` and `mtail --one_shot` under GNU time (best of
# --runs by wall time), and times startup alone: `check` of the config, and `once` over an
# empty log (config load, rule compilation, sources opened, nothing read, exposition printed),
# and mtail --one_shot over the empty log (its program compiled).
#
# Correctness: both tools must report, per service and status code, the request count the log
# has; the script exits 1 if not. It never fails on speed.
set -euo pipefail

usage() {
  cat <<EOF
usage: $(basename "$0") [--lines N] [--mtail-lines N] [--rules "10 100 1000"] [--runs N]
                        [--build-dir DIR] [--adapter BIN]... [--no-mtail]

  --lines N        lines in the generated log (default 200000)
  --mtail-lines N  mtail reads only the log's first N lines (default 20000: with 1,000 rules
                   it reads a few hundred lines a second)
  --rules LIST     rule counts to measure (default "10 100 1000")
  --runs N         runs of each tool per rule count; the fastest by wall time is reported
                   (default 3)
  --build-dir DIR  a CMake build dir with metrics-adapter and gen_access_log built
                   (default build/release: scripts/build.sh release metrics-adapter gen_access_log)
  --adapter BIN    measure this metrics-adapter binary instead of the build dir's; may be given
                   more than once to compare builds in one run (named by their paths)
  --no-mtail       measure metrics-adapter only
  --keep           keep the generated logs, rule files and configs (the temp dir is printed)
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lines=200000 mtail_lines=20000 rule_counts="10 100 1000" runs=3 build_dir=$root/build/release with_mtail=1 keep=0
adapters=()
while (($#)); do
  case $1 in
    --lines) lines=${2:?}; shift 2 ;;
    --mtail-lines) mtail_lines=${2:?}; shift 2 ;;
    --rules) rule_counts=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --build-dir) build_dir=$(realpath "${2:?}"); shift 2 ;;
    --adapter) adapters+=("$(realpath "${2:?}")"); shift 2 ;;
    --no-mtail) with_mtail=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $lines =~ ^[1-9][0-9]*$ && $mtail_lines =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }
for n in $rule_counts; do [[ $n =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }; done

required=(/usr/bin/time awk)
((with_mtail)) && required+=(mtail)
"$root/scripts/deps.sh" --require "${required[@]}" || exit 2
((${#adapters[@]})) || adapters=("$build_dir/metrics-adapter")
gen=$build_dir/test/bench/gen_access_log
for bin in "${adapters[@]}" "$gen"; do
  [[ -x $bin ]] || { echo "error: $bin not built (scripts/build.sh release metrics-adapter gen_access_log)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/many_rules.XXXXXX")
if ((keep)); then
  echo "inputs kept in $tmp" >&2
else
  trap 'rm -rf "$tmp"' EXIT
fi
log() { echo "==> $*" >&2; }

log "generating $lines lines"
"$gen" --lines "$lines" --seed 1 >"$tmp/base.log"
: >"$tmp/empty.log"

# The pattern of rule K, the same in both tools (mtail's regex syntax is RE2's; it needs the
# slashes escaped).
pattern() {
  printf '^\\S+ \\S+ \\S+ \\[[^\\]]*\\] "[A-Z]+ /svc%s/[^"]*" (?P<status>\\d{3}) (?P<bytes>\\d+) "[^"]*" "[^"]*" \\d+(?:\\.\\d+)?$' "$1"
}

# write_inputs N: the log, the adapter's rule file and configs, and the mtail program for N rules.
write_inputs() {
  local n=$1 dir=$tmp/$1 k
  mkdir -p "$dir/progs"
  awk -v n="$n" '{
      i = index($0, "] \"")
      rest = substr($0, i + 3)
      j = index(rest, " /")
      if (j > 0 && substr(rest, 1, j - 1) ~ /^[A-Z]+$/)
        $0 = substr($0, 1, i + 2) substr(rest, 1, j) "/svc" (NR % n) substr(rest, j + 1)
      print
    }' "$tmp/base.log" >"$dir/access.log"
  head -n "$mtail_lines" "$dir/access.log" >"$dir/mtail.log"
  {
    printf 'parser: line\nmetrics:\n'
    printf '  - {name: svc_requests_total, type: counter, help: Requests., labels: [service, code], max_series: 100000}\n'
    printf '  - {name: svc_response_bytes_total, type: counter, help: Body bytes., labels: [service, code], max_series: 100000}\n'
    printf 'rules:\n'
    # $status and $bytes are the rules' captures, not shell variables.
    # shellcheck disable=SC2016
    for ((k = 0; k < n; k++)); do
      printf "  - name: svc%s\n    match: '%s'\n" "$k" "$(pattern "$k")"
      printf '    emit:\n'
      printf '      - {metric: svc_requests_total, labels: {service: svc%s, code: $status}}\n' "$k"
      printf '      - {metric: svc_response_bytes_total, add: $bytes, labels: {service: svc%s, code: $status}}\n' "$k"
    done
  } >"$dir/rules.yaml"
  for input in access empty; do
    printf 'sources:\n  - name: access\n    type: file\n    paths: ["%s"]\n    from_beginning: true\n    parser: line\n    rules: ["%s"]\n' \
      "$dir/../$([[ $input == access ]] && echo "$n/access.log" || echo empty.log)" "$dir/rules.yaml" \
      >"$dir/$input.yaml"
  done
  {
    printf 'counter svc_requests_total by service, code\n'
    printf 'counter svc_response_bytes_total by service, code\n'
    # shellcheck disable=SC2016
    for ((k = 0; k < n; k++)); do
      printf '/%s/ {\n' "$(pattern "$k" | sed 's|/svc|\\/svc|; s|/\[|\\/[|')"
      printf '  svc_requests_total["svc%s"][$status]++\n' "$k"
      printf '  svc_response_bytes_total["svc%s"][$status] += $bytes\n}\n' "$k"
    done
  } >"$dir/progs/svc.mtail"
}

# timed OUT_PREFIX CMD...: runs CMD (stdout to OUT_PREFIX.out), appends "wall user sys rss_kib"
# (wall from the clock in ns, since GNU time's has 10 ms steps).
timed() {
  local out=$1 start end
  shift
  start=$(date +%s%N)
  if ! /usr/bin/time -f '%U %S %M' -o "$out.time" "$@" >"$out.out" 2>"$out.err"; then
    echo "error: failed: $*" >&2
    tail -n 20 "$out.err" >&2
    exit 1
  fi
  end=$(date +%s%N)
  echo "$(awk -v d=$((end - start)) 'BEGIN { printf "%.4f", d / 1e9 }') $(tail -n 1 "$out.time")" \
    >>"$out.times"
}
# --port 0 on loopback: even --one_shot opens mtail's HTTP listener.
mtail_cmd=(mtail --one_shot --one_shot_format=prometheus --logtostderr --emit_prog_label=false
  --address 127.0.0.1 --port 0)
best() { sort -n -k1,1 "$1.times" | head -n 1; }

# Requests per service and code: from the log, and from an exposition.
expected_counts() {
  awk 'match($0, /"[A-Z]+ \/svc[0-9]+\/[^"]*" [0-9][0-9][0-9] /) {
      s = substr($0, RSTART, RLENGTH); svc = s; sub(/^"[A-Z]+ \//, "", svc); sub(/\/.*/, "", svc)
      n[svc " " substr(s, RLENGTH - 3, 3)]++
    } END { for (k in n) print k, n[k] }' "$1" | sort
}
exposed_counts() {
  awk '/^svc_requests_total\{/ {
      match($0, /service="[^"]*"/); svc = substr($0, RSTART + 9, RLENGTH - 10)
      match($0, /code="[^"]*"/); code = substr($0, RSTART + 6, RLENGTH - 7)
      n[svc " " code] += $NF
    } END { for (k in n) printf "%s %.0f\n", k, n[k] }' "$1" | sort
}

tools=()
for ((a = 0; a < ${#adapters[@]}; a++)); do tools+=("adapter$a"); done
((with_mtail)) && tools+=(mtail)
ok=1
for n in $rule_counts; do
  log "$n rules: writing inputs"
  write_inputs "$n"
  dir=$tmp/$n
  expected_counts "$dir/access.log" >"$dir/expected"
  expected_counts "$dir/mtail.log" >"$dir/expected.mtail"
  for ((run = 1; run <= runs; run++)); do
    for tool in "${tools[@]}"; do
      log "$n rules, run $run/$runs: $tool"
      if [[ $tool == mtail ]]; then
        timed "$dir/$tool" "${mtail_cmd[@]}" --progs "$dir/progs" --logs "$dir/mtail.log"
        timed "$dir/$tool.start" "${mtail_cmd[@]}" --progs "$dir/progs" --logs "$tmp/empty.log"
      else
        bin=${adapters[${tool#adapter}]}
        timed "$dir/$tool" "$bin" once --config.file="$dir/access.yaml"
        timed "$dir/$tool.start" "$bin" once --config.file="$dir/empty.yaml"
        timed "$dir/$tool.check" "$bin" check --config.file="$dir/empty.yaml"
      fi
    done
  done
  for tool in "${tools[@]}"; do
    exposed_counts "$dir/$tool.out" >"$dir/$tool.counts"
    expected=$dir/expected
    [[ $tool == mtail ]] && expected=$dir/expected.mtail
    if ! cmp -s "$expected" "$dir/$tool.counts"; then
      ok=0
      echo "MISMATCH: $tool with $n rules (< log, > $tool):" >&2
      diff "$expected" "$dir/$tool.counts" | head -n 20 >&2 || true
    fi
  done
done

echo
echo "Input: gen_access_log --seed 1, targets rewritten to /svcK/; mtail reads the first" \
  "$mtail_lines lines. Best of $runs runs."
for ((a = 0; a < ${#adapters[@]}; a++)); do echo "adapter$a: ${adapters[a]}"; done
((with_mtail)) && echo "mtail: $(mtail --version 2>&1 | head -n 1)"
echo "Load average after the runs: $(cut -d ' ' -f 1-3 /proc/loadavg) on $(nproc) CPUs."
echo
printf '%-9s %6s %8s %9s %8s %13s %13s %8s %10s %10s\n' tool rules lines "wall s" "CPU s" "lines/s wall" \
  "lines/s CPU" "RSS MiB" "start ms" "check ms"
for n in $rule_counts; do
  dir=$tmp/$n
  for tool in "${tools[@]}"; do
    read -r wall user sys rss < <(best "$dir/$tool")
    read -r swall _ < <(best "$dir/$tool.start")
    cwall=-
    [[ $tool == mtail ]] || read -r cwall _ < <(best "$dir/$tool.check")
    l=$lines
    [[ $tool == mtail ]] && l=$((mtail_lines < lines ? mtail_lines : lines))
    awk -v t="$tool" -v n="$n" -v l="$l" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
      -v sw="$swall" -v cw="$cwall" 'BEGIN {
        c = u + s; if (w <= 0) w = 0.01; if (c <= 0) c = 0.01
        printf "%-9s %6d %8d %9.2f %8.2f %13.0f %13.0f %8.1f %10.1f %10s\n", t, n, l, w, c, l / w, l / c,
          r / 1024, sw * 1000, cw == "-" ? "-" : sprintf("%.1f", cw * 1000)
      }'
  done
done
echo "(start ms: once over an empty log, wall; check ms: check of the same config, wall.)"
if ((!ok)); then
  echo "FAILED: request counts differ from the log (see above)." >&2
  exit 1
fi
