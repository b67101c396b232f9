#!/usr/bin/env bash
# Multi-line records from a real MariaDB slow query log: mariadbd (Debian's
# mariadb-server) runs as root on a private datadir made by
# mariadb-install-db, with no network (a socket in a temp dir),
# slow_query_log=1 and long_query_time=0, so every query is logged as one
# entry of several lines. The adapter follows the log with `multiline:`
# while a mariadb client sends a known number of statements of each kind
# (statements spanning lines among them, and some that sleep). Each
# statement must be exactly one record: counted under its operation, its
# Query_time, Lock_time and rows added exactly as the log has them, no
# record cut, none unmatched. A second source reads the same log with the
# shipped rules/library/mysql/slow_log.yaml: its counts by account and
# operation, of statements over 1 s (one sleeps 1.1 s) and the last
# statement's time must equal what was sent and logged. `once` over the log
# must give the same.
# Usage: test/integration/multiline_mariadb_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require mariadbd mariadb mariadb-install-db curl || exit 1

tmp=$(mktemp -d)
db_pid=
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; stop_mariadb; rm -rf "$tmp"' EXIT

# --- The server ---------------------------------------------------------------

start_mariadb --slow-query-log=1 --long-query-time=0 --slow-query-log-file="$tmp/slow.log"
sql() { timeout 60 mariadb --no-defaults --socket="$tmp/mysqld.sock" --user=root "$@"; }

# --- The adapter --------------------------------------------------------------

cat >"$tmp/adapter.yaml" <<YAML
sources:
  - name: slow
    type: file
    paths: [slow.log]
    from_beginning: true
    rules: [$root/test/integration/multiline/mariadb_slow_log.yaml]
    multiline:
      start: '^(?:# Time: |# User@Host: |\S+, Version: )'
      flush_after: 200ms
  - name: slowlib
    type: file
    paths: [slow.log]
    from_beginning: true
    rules: [$root/rules/library/mysql/slow_log.yaml]
    multiline:
      start: '^(?:# Time: |# User@Host: |\S+, Version: )'
      flush_after: 200ms
YAML
start_adapter "$adapter" --config.file="$tmp/adapter.yaml"

# --- The load -----------------------------------------------------------------

# Every statement the client sends, one per line of the batch, counted by
# operation; the client sends nothing else that the server logs as a query.
selects=150 inserts=100 updates=40 multiline=30 sleeps=3 long_sleeps=1
{
  echo "CREATE DATABASE shop;"
  echo "CREATE TABLE shop.orders (id INT PRIMARY KEY, amount INT);"
  for i in $(seq "$inserts"); do echo "INSERT INTO shop.orders VALUES ($i, $((i * 3)));"; done
  for i in $(seq "$selects"); do echo "SELECT amount FROM shop.orders WHERE id = $((i % inserts + 1));"; done
  for i in $(seq "$updates"); do echo "UPDATE shop.orders SET amount = amount + 1 WHERE id <= $i;"; done
  for i in $(seq "$multiline"); do
    printf 'select id,\n  amount\nfrom shop.orders\nwhere id > %d;\n' "$((inserts - i))"
  done
  for _ in $(seq "$sleeps"); do echo "SELECT SLEEP(0.2);"; done
  for _ in $(seq "$long_sleeps"); do echo "SELECT SLEEP(1.1);"; done
} >"$tmp/load.sql"
sql --batch <"$tmp/load.sql" >"$tmp/load.out" || fail "the load failed"
declare -A want=([CREATE]=2 [INSERT]=$inserts [UPDATE]=$updates
  [SELECT]=$((selects + multiline + sleeps + long_sleeps)))
total=$((2 + inserts + updates + selects + multiline + sleeps + long_sleeps))
# Rows a SELECT of the multi-line kind sends: i rows for each i.
multiline_rows=$((multiline * (multiline + 1) / 2))

# The log itself, read independently: its entries and their sums.
log=$tmp/slow.log
entries=$(grep -c '^# User@Host: ' "$log" || true)
[ "$entries" = "$total" ] || fail "the slow log has $entries entries for $total statements sent"
sum_field() { awk -v f="$1" '/^# Query_time: / { for (i = 1; i < NF; i++) if ($i == f) s += $(i + 1) } END { printf "%.6f\n", s }' "$log"; }
query_time=$(sum_field Query_time:)
lock_time=$(sum_field Lock_time:)
rows_examined=$(sum_field Rows_examined:)
slow=$(awk '/^# Query_time: / && $3 >= 0.2 { n++ } END { print n + 0 }' "$log")
[ "$slow" -ge "$sleeps" ] || fail "only $slow entries of at least 0.2 s for $sleeps SLEEP(0.2)"
under_10ms=$(awk '/^# Query_time: / && $3 <= 0.01 { n++ } END { print n + 0 }' "$log")
over_1s=$(awk '/^# Query_time: / && $3 >= 1 { n++ } END { print n + 0 }' "$log")
[ "$over_1s" = "$long_sleeps" ] || fail "$over_1s entries of 1 s or more for $long_sleeps SLEEP(1.1)"
last_timestamp=$(sed -n 's/^SET timestamp=\([0-9]*\);$/\1/p' "$log" | tail -n 1)
[ -n "$last_timestamp" ] || fail "the slow log has no SET timestamp= line"

# --- What the adapter made of it ---------------------------------------------

wait_for_value '^metrics_adapter_rule_matches_total[{]rule="query",.*source="slow"' "$total"
wait_for_value '^metrics_adapter_rule_matches_total[{]rule="query",.*source="slowlib"' "$total"
curl -sf --max-time 5 "$url/metrics" >"$tmp/run.prom" || fail "scrape failed"
timeout 60 "$adapter" once --config.file="$tmp/adapter.yaml" >"$tmp/once.prom" 2>"$tmp/once.err" ||
  { cat "$tmp/once.err"; fail "metrics-adapter once failed"; }

for mode in run once; do
  prom=$tmp/$mode.prom
  for op in "${!want[@]}"; do
    got=$(prom_value "$prom" "mysql_slow_query_duration_seconds_count{db_operation_name=\"$op\"}")
    [ "$got" = "${want[$op]}" ] || fail "$mode: $got $op queries counted, ${want[$op]} sent"
  done
  got=$(grep -c '^mysql_slow_query_duration_seconds_count{' "$prom" || true)
  [ "$got" = "${#want[@]}" ] || fail "$mode: $got operations counted, ${#want[@]} sent"
  same_number "$(prom_sum "$prom" mysql_slow_query_duration_seconds_sum)" "$query_time" ||
    fail "$mode: Query_time sum $(prom_sum "$prom" mysql_slow_query_duration_seconds_sum), log $query_time"
  same_number "$(prom_sum "$prom" mysql_slow_query_lock_seconds_total)" "$lock_time" ||
    fail "$mode: Lock_time sum $(prom_sum "$prom" mysql_slow_query_lock_seconds_total), log $lock_time"
  same_number "$(prom_sum "$prom" mysql_slow_query_rows_examined_total)" "$rows_examined" ||
    fail "$mode: rows examined $(prom_sum "$prom" mysql_slow_query_rows_examined_total), log $rows_examined"
  got=$(prom_value "$prom" 'mysql_slow_query_rows_sent_total{db_operation_name="SELECT"}')
  [ "$got" = "$((selects + multiline_rows + sleeps + long_sleeps))" ] ||
    fail "$mode: $got rows sent by SELECTs, want $((selects + multiline_rows + sleeps + long_sleeps))"
  # The shipped rule file: every statement was the client's, as root.
  declare -A want_lib=([SELECT]=${want[SELECT]} [INSERT]=$inserts [UPDATE]=$updates [_OTHER]=2)
  for op in "${!want_lib[@]}"; do
    got=$(prom_value "$prom" "mysql_slow_log_queries_total{user=\"root\",db_operation_name=\"$op\"}")
    [ "$got" = "${want_lib[$op]}" ] || fail "$mode: slow_log.yaml counted $got $op, ${want_lib[$op]} sent"
  done
  got=$(grep -c '^mysql_slow_log_queries_total{' "$prom" || true)
  [ "$got" = "${#want_lib[@]}" ] || fail "$mode: slow_log.yaml has $got series of queries, want ${#want_lib[@]}"
  got=$(prom_sum "$prom" mysql_slow_log_queries_over_1s_total)
  same_number "$got" "$over_1s" || fail "$mode: slow_log.yaml counted $got over 1 s, the log has $over_1s"
  same_number "$(prom_sum "$prom" mysql_slow_log_query_duration_seconds_sum)" "$query_time" ||
    fail "$mode: slow_log.yaml Query_time sum $(prom_sum "$prom" mysql_slow_log_query_duration_seconds_sum), log $query_time"
  same_number "$(prom_sum "$prom" mysql_slow_log_rows_examined_total)" "$rows_examined" ||
    fail "$mode: slow_log.yaml rows examined $(prom_sum "$prom" mysql_slow_log_rows_examined_total), log $rows_examined"
  got=$(prom_value "$prom" mysql_slow_log_last_query_timestamp_seconds)
  same_number "$got" "$last_timestamp" || fail "$mode: last query time $got, the log's last is $last_timestamp"
  got=$(prom_value "$prom" 'metrics_adapter_lines_unmatched_total{source="slowlib"}')
  [ "$got" = 0 ] || fail "$mode: $got records unmatched by slow_log.yaml"
  got=$(awk '/^mysql_slow_query_duration_seconds_bucket[{].*le="0.01"[}]/ { s += $2 } END { print s + 0 }' "$prom")
  [ "$got" = "$under_10ms" ] || fail "$mode: $got queries in the 10 ms bucket, the log has $under_10ms"
  got=$(prom_value "$prom" 'metrics_adapter_lines_unmatched_total{source="slow"}')
  [ "$got" = 0 ] || fail "$mode: $got records unmatched"
  got=$(prom_value "$prom" 'metrics_adapter_bytes_read_total{source="slow"}')
  [ "$got" = "$(stat -c %s "$log")" ] || fail "$mode: $got bytes read of $(stat -c %s "$log")"
  ! grep -q '^metrics_adapter_records_\(cut\|without_start\)_total' "$prom" ||
    fail "$mode: records were cut or began without a start: $(grep '^metrics_adapter_records_' "$prom")"
done
echo "mariadb slow log: $total statements ($(wc -l <"$log") log lines) each one record," \
  "counted by operation with their times and rows, and by slow_log.yaml, running and in once"
stop_adapter_cleanly
