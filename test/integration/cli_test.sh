#!/usr/bin/env bash
# The command line, as a user meets it: every subcommand's help (three ways to
# ask, one text, its own flags only, an example that works), the exit status
# of each subcommand (0 success, 1 a failed check or test or a failed run,
# 2 usage) on every usage error, the flags each help lists accepted and every
# other one refused, --version and metrics_adapter_build_info agreeing, and
# log levels written under the names --log.level takes, in logfmt and JSON.
# Usage: test/integration/cli_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require curl || exit 1

tmp=$(mktemp -d)
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; rm -rf "$tmp"' EXIT

commands=(run once check test explain)

# expect STATUS ARGS...: runs the adapter with ARGS (stdin empty), output in
# $tmp/out and $tmp/err; fails unless it exits with STATUS.
expect() {
  local want=$1 status=0
  shift
  timeout 60 "$adapter" "$@" </dev/null >"$tmp/out" 2>"$tmp/err" || status=$?
  [ "$status" = "$want" ] ||
    { cat "$tmp/out" "$tmp/err"; fail "metrics-adapter $* exited $status, want $want"; }
}

# usage_error MESSAGE ARGS...: exit 2, MESSAGE on stderr, nothing on stdout.
usage_error() {
  local message=$1
  shift
  expect 2 "$@"
  grep -qF -- "$message" "$tmp/err" || { cat "$tmp/err"; fail "$*: no \"$message\" on stderr"; }
  [ ! -s "$tmp/out" ] || fail "$*: a usage error printed on stdout"
}

# A config that loads, a log it follows, a rule file with a failing test, a
# broken config.
access='10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"'
echo "$access" >"$tmp/access.log"
cat >"$tmp/good.yaml" <<YAML
sources:
  - name: access
    type: file
    paths: [access.log]
    from_beginning: true
    rules: [$root/rules/library/nginx/combined.yaml]
YAML
cat >"$tmp/bad.yaml" <<YAML
sources:
  - name: access
    type: file
    pahts: [access.log]
    rules: [$root/rules/library/nginx/combined.yaml]
YAML
cat >"$tmp/failing_rules.yaml" <<YAML
parser: line
schema: [$root/rules/schema/http.yaml]
rules:
  - name: request
    match: '"(?P<method>[A-Z]+) '
    emit:
      - metric: http_server_requests_total
        labels: {http_request_method: \$method, http_response_status_code: "200"}
tests:
  - name: expects one request too many
    input: |
      $access
    expect: |
      http_server_requests_total{http_request_method="GET",http_response_status_code="200"} 2
YAML
cat >"$tmp/broken_rules.yaml" <<YAML
parser: line
schema: [$root/rules/schema/http.yaml]
rules:
  - name: request
    match: '(unclosed'
    emit: [{metric: http_server_requests_total}]
YAML

# --- Help: the overview lists every command; each command's help three ways.
for ask in --help -h help; do
  expect 0 "$ask"
  [ ! -s "$tmp/err" ] || fail "$ask wrote to stderr"
  for command in "${commands[@]}" help; do
    grep -qE "^  $command +[a-z]" "$tmp/out" || fail "$ask does not list the command $command"
  done
  grep -q '^  2  usage' "$tmp/out" || fail "$ask does not give the exit statuses"
done
cp "$tmp/out" "$tmp/overview"

for command in "${commands[@]}"; do
  expect 0 help "$command"
  cp "$tmp/out" "$tmp/help.$command"
  head -1 "$tmp/help.$command" | grep -q "^metrics-adapter $command: [a-z].*\.$" ||
    fail "help $command does not start with its one-line purpose"
  grep -q '^Example:$' "$tmp/help.$command" || fail "help $command has no example"
  grep -q '^  2  usage' "$tmp/help.$command" || fail "help $command does not give the exit statuses"
  for ask in "$command --help" "$command -h" "--help $command"; do
    # shellcheck disable=SC2086  # $ask is two words on purpose
    expect 0 $ask
    cmp -s "$tmp/out" "$tmp/help.$command" || fail "'$ask' differs from 'help $command'"
  done
  cmp -s "$tmp/help.$command" "$tmp/overview" && fail "help $command is the overview"
done
usage_error 'unknown command "serve"' help serve
usage_error 'help takes one command' help run once

# The example of each command's help runs as written (from the repository;
# run's would serve until stopped, so it is only checked to name a config).
for command in once check test explain; do
  example=$(sed -n '/^Example:$/{n;p}' "$tmp/help.$command")
  case "$command" in
    once | check) example=${example//adapter.yaml/$tmp/good.yaml} ;;
  esac
  status=0
  (cd "$root" && timeout 60 bash -c "${example/metrics-adapter/\"\$0\"}" "$adapter") \
    >"$tmp/out" 2>"$tmp/err" || status=$?
  [ "$status" = 0 ] || { cat "$tmp/out" "$tmp/err"; fail "the example of $command exited $status"; }
done
grep -A1 '^Example:$' "$tmp/help.run" | grep -q -- '--config.file=' || fail "run's example names no config"

# --- Flags: each command accepts exactly the flags its help lists. Every flag
# (from all helps) is given to every command whose other arguments name files
# that do not exist: a flag the help lists gets past parsing and the command
# fails to run (1); any other is a usage error (2) before anything runs.
value_for() {
  case "$1" in
    FILE) echo "$tmp/missing.yaml" ;;
    ADDR) echo 127.0.0.1:0 ;;
    DUR) echo 1s ;;
    NAME) echo access ;;
    N) echo 4 ;;
    PATH) echo /prom ;;
    LEVEL) echo warn ;;
    FORMAT) echo json ;;
    *) fail "no sample value for a flag's $1" ;;
  esac
}
declare -A base=(
  [run]="run --config.file=$tmp/missing.yaml"
  [once]="once --config.file=$tmp/missing.yaml"
  [check]="check --config.file=$tmp/missing.yaml"
  [test]="test $tmp/missing.yaml"
  [explain]="explain --config.file=$tmp/missing.yaml line"
)
all_flags=$(cat "$tmp"/help.* | sed -n 's/^  \(--[a-z.-]*\)\(=\([A-Z]*\)\)\{0,1\} .*/\1 \3/p' | sort -u)
[ "$(wc -l <<<"$all_flags")" -ge 9 ] || fail "found only these flags in the helps: $all_flags"
checked=0
while read -r flag value_name; do
  case "$flag" in --help | --version) continue ;; esac
  arg=$flag
  [ -z "$value_name" ] || arg="$flag=$(value_for "$value_name")"
  for command in "${commands[@]}"; do
    # shellcheck disable=SC2086  # the base arguments are words
    if grep -qE "^  ${flag}[ =]" "$tmp/help.$command"; then
      expect 1 ${base[$command]} "$arg"
      grep -q 'does not apply\|unknown flag' "$tmp/err" && fail "$command refused $arg"
    else
      usage_error "flag $flag does not apply to $command" ${base[$command]} "$arg"
    fi
    checked=$((checked + 1))
  done
done <<<"$all_flags"
echo "flags: $checked (flag, command) pairs accepted or refused as the helps say"

# --- Usage errors: exit 2, a message naming the fault, nothing run.
usage_error 'unknown command "serve"' serve --config.file="$tmp/good.yaml"
usage_error 'unknown flag --config.fle=x' check --config.fle=x
usage_error 'unknown flag -v' -v
usage_error 'flag --config.file needs a value' check --config.file
usage_error 'flag --log.level takes debug, info, warn or error, not "loud"' check \
  --config.file="$tmp/good.yaml" --log.level=loud
usage_error 'flag --log.format takes logfmt or json' test "$tmp/failing_rules.yaml" --log.format=xml
usage_error 'flag --config.watch-interval takes a duration' --config.file="$tmp/good.yaml" \
  --config.watch-interval=soon
usage_error 'flag --web.enable-lifecycle takes true or false' --config.file="$tmp/good.yaml" \
  --web.enable-lifecycle=yes
for command in run once check; do
  usage_error "$command needs --config.file" "$command"
done
usage_error 'unexpected argument "extra"' check --config.file="$tmp/good.yaml" extra
usage_error 'unexpected argument "extra"' once --config.file="$tmp/good.yaml" extra
usage_error 'unknown command "extra"' --config.file="$tmp/good.yaml" extra
usage_error 'test needs one or more rule files' test
usage_error 'explain needs a rule file and inputs' explain
usage_error 'explain needs a rule file and inputs' explain "$root/rules/library/nginx/combined.yaml"
usage_error 'explain needs inputs to explain' explain --config.file="$tmp/good.yaml"
usage_error 'flag --source needs --config.file' explain --source=access \
  "$root/rules/library/nginx/combined.yaml" x
usage_error 'has no source named "nope"' explain --config.file="$tmp/good.yaml" --source=nope x

# --- Success and failure of each command.
expect 0 check --config.file="$tmp/good.yaml"
grep -q ': OK: 1 source(s)' "$tmp/out" || fail "check printed no summary"
expect 1 check --config.file="$tmp/bad.yaml"
grep -q 'unknown key "pahts"' "$tmp/err" || fail "check did not name the bad key"
expect 1 check --config.file="$tmp/missing.yaml"

expect 0 once --config.file="$tmp/good.yaml"
[ "$(prom_value "$tmp/out" 'http_server_requests_total{http_request_method="GET",http_response_status_code="200"}')" = 1 ] ||
  fail "once did not count the line"
grep -q '^process_' "$tmp/out" && fail "once printed process metrics"
expect 1 once --config.file="$tmp/bad.yaml"

expect 0 test "$root/rules/library/nginx/combined.yaml"
expect 1 test "$tmp/failing_rules.yaml"
grep -q 'expects one request too many' "$tmp/out" || fail "test did not name the failing test"
expect 1 test "$tmp/broken_rules.yaml"
expect 1 test "$tmp/missing.yaml"

expect 0 explain "$root/rules/library/nginx/combined.yaml" "$access"
grep -q '^rule "request" (.*): matched$' "$tmp/out" || fail "explain: no matched rule"
expect 0 explain --config.file="$tmp/good.yaml" --source=access "$access"
expect 1 explain "$tmp/broken_rules.yaml" "$access"
expect 1 explain --config.file="$tmp/bad.yaml" "$access"

# run: 0 after SIGTERM; 1 on a bad config or a port it cannot bind.
start_adapter "$adapter" --config.file="$tmp/good.yaml"
wait_for_value '^http_server_requests_total\{http_request_method="GET",http_response_status_code="200"\}' 1
build_info=$(curl -sf --max-time 5 "$url/metrics" | grep '^metrics_adapter_build_info{')
port=${url##*:}
expect 1 --config.file="$tmp/good.yaml" --web.listen-address="127.0.0.1:$port"
grep -q 'cannot serve metrics' "$tmp/err" || fail "run on a taken port: no reason given"
stop_adapter_cleanly
expect 1 run --config.file="$tmp/bad.yaml" --web.listen-address=127.0.0.1:0

# --- --version and metrics_adapter_build_info agree on version and revision.
expect 0 --version
head -1 "$tmp/out" |
  grep -qE '^metrics-adapter, version [0-9]+\.[0-9]+\.[0-9]+ \(revision: ([0-9a-f]{40}|unknown), branch: [^ ]+\)$' ||
  { cat "$tmp/out"; fail "--version: unexpected first line"; }
grep -q '^  compiler: ' "$tmp/out" || fail "--version names no compiler"
version=$(sed -n '1s/.*version \([^ ]*\) .*/\1/p' "$tmp/out")
revision=$(sed -n '1s/.*revision: \([^,]*\),.*/\1/p' "$tmp/out")
[[ "$build_info" == *"version=\"$version\""* && "$build_info" == *"revision=\"$revision\""* ]] ||
  fail "build_info ($build_info) does not carry --version's version $version and revision $revision"
expect 0 check --version  # --version wins over a missing --config.file
echo "version: $version, revision $revision"

# --- Log levels: the name --log.level takes is the name the log writes.
cat >"$tmp/empty_path.yaml" <<YAML
sources:
  - name: access
    type: file
    paths: [nothing-here.log]
    rules: [$root/rules/library/nginx/combined.yaml]
YAML
# log_run LEVEL FORMAT TEXT...: runs the adapter until its log holds each
# TEXT (10 s at most), then stops it: exit 0.
log_run() {
  local level=$1 format=$2 text
  shift 2
  : >"$tmp/adapter.log"
  "$adapter" --config.file="$tmp/empty_path.yaml" --web.listen-address=127.0.0.1:0 \
    --log.level="$level" --log.format="$format" 2>"$tmp/adapter.log" &
  adapter_pid=$!
  for text in "$@"; do
    for _ in $(seq 100); do
      grep -qF -- "$text" "$tmp/adapter.log" && break
      kill -0 "$adapter_pid" 2>/dev/null || fail "the adapter exited at start"
      sleep 0.1
    done
    grep -qF -- "$text" "$tmp/adapter.log" || fail "--log.level=$level: no '$text' within 10 s"
  done
  stop_adapter_cleanly
}
for level in warn warning; do
  log_run "$level" logfmt 'matches no file'
  grep -q '^ts=[^ ]* level=warn msg="source access: path \\".*/nothing-here.log\\" matches no file' \
    "$tmp/adapter.log" || fail "--log.level=$level: no level=warn line"
  grep -q 'level=info' "$tmp/adapter.log" && fail "--log.level=$level let info through"
  grep -q 'level=warning' "$tmp/adapter.log" && fail "the log says warning, the flag warn"
done
log_run info json 'matches no file' 'serving /metrics'
grep -q '^{"ts":"[^"]*","level":"warn","msg":"source access: path \\".*/nothing-here.log\\" matches no file' \
  "$tmp/adapter.log" || fail "json: no \"level\":\"warn\" line"
grep -q '^{"ts":"[^"]*","level":"info","msg":"metrics-adapter ' "$tmp/adapter.log" ||
  fail "json: no \"level\":\"info\" line"
log_run debug logfmt 'matches no file' 'serving /metrics'
grep -q 'level=info msg="metrics-adapter ' "$tmp/adapter.log" || fail "debug hid info"
grep -vE '^ts=[^ ]* level=(debug|info|warn|error) msg=' "$tmp/adapter.log" &&
  fail "a log line whose level is not one --log.level takes"
# error: a port taken (by a listener of this test) is an error, and the only line.
start_adapter "$adapter" --config.file="$tmp/good.yaml"
port=${url##*:}
expect 1 --config.file="$tmp/good.yaml" --web.listen-address="127.0.0.1:$port" --log.level=error
grep -q '^ts=[^ ]* level=error msg="cannot serve metrics' "$tmp/err" || fail "no level=error line"
grep -v 'level=error' "$tmp/err" && fail "--log.level=error let a lower level through"
stop_adapter_cleanly

echo "PASS: cli"
