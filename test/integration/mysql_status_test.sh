#!/usr/bin/env bash
# rules/library/mysql/global_status.yaml against a real MariaDB: mariadbd
# (Debian's mariadb-server) runs on a private datadir made by
# mariadb-install-db, with no network (a socket in a temp dir). The adapter
# runs `mariadb ... -e 'SHOW GLOBAL STATUS'` by an exec source at each
# scrape. Between two scrapes a client sends an exactly counted load:
# INSERTs, SELECTs, UPDATEs, DELETEs, SLEEPs longer than long_query_time
# (slow queries), and clients that stay idle past their wait_timeout
# (aborted clients). The deltas the adapter serves must be exactly that
# load; its values must equal what the server itself reports and what the
# reference exporter (prometheus-mysqld-exporter) serves; a stopped server
# gives source_up 0 and no mysql_ series.
# Usage: test/integration/mysql_status_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require mariadbd mariadb mariadb-install-db \
  prometheus-mysqld-exporter curl || exit 1

tmp=$(mktemp -d)
db_pid=''
# shellcheck disable=SC2034  # read by name in stop_pid: ${!1}
exporter_pid=''
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; stop_pid exporter_pid; stop_mariadb; rm -rf "$tmp"' EXIT

# --- The server ---------------------------------------------------------------

long_query_time=0.1
start_mariadb --long-query-time="$long_query_time"
client=(mariadb --no-defaults --socket="$tmp/mysqld.sock" --user=root --batch --skip-column-names)
sql() { timeout 60 "${client[@]}" "$@"; }

# --- The adapter --------------------------------------------------------------

{
  echo "sources:"
  echo "  - name: mariadb"
  echo "    type: exec"
  printf '    command: ['
  printf '%s, ' "${client[@]}"
  printf -- '-e, SHOW GLOBAL STATUS]\n'
  echo "    timeout: 10s"
  echo "    rules: [$root/rules/library/mysql/global_status.yaml]"
} >"$tmp/adapter.yaml"
start_checked_adapter run

# --- The load -----------------------------------------------------------------

inserts=120 selects=80 updates=30 deletes=20 sleeps=3 aborted=2
{
  echo "CREATE DATABASE shop;"
  echo "CREATE TABLE shop.orders (id INT PRIMARY KEY, amount INT);"
  for i in $(seq "$inserts"); do echo "INSERT INTO shop.orders VALUES ($i, $((i * 3)));"; done
  for i in $(seq "$selects"); do echo "SELECT amount FROM shop.orders WHERE id = $i;"; done
  for i in $(seq "$updates"); do echo "UPDATE shop.orders SET amount = amount + 1 WHERE id = $i;"; done
  for i in $(seq "$deletes"); do echo "DELETE FROM shop.orders WHERE id = $i;"; done
  for _ in $(seq "$sleeps"); do echo "SELECT SLEEP(0.3);"; done
} >"$tmp/load.sql"

scrape_up before mariadb
sql <"$tmp/load.sql" >"$tmp/load.out" || fail "the load failed"
# Clients idle past their wait_timeout: the server closes them, and counts
# each as an aborted client.
idle_pids=()
for _ in $(seq "$aborted"); do
  { echo "SET SESSION wait_timeout = 1;"; sleep 3; } | sql >/dev/null 2>&1 &
  idle_pids+=($!)
done
for pid in "${idle_pids[@]}"; do wait "$pid" || true; done
scrape_up after mariadb

# --- Exactly the load ---------------------------------------------------------

declare -A want=([insert]=$inserts [select]=$((selects + sleeps)) [update]=$updates
  [delete]=$deletes [create_db]=1 [create_table]=1 [set_option]=$aborted)
for command in "${!want[@]}"; do
  expect_delta "mysql_commands_total{command=\"$command\"}" "${want[$command]}" "$command statements sent"
done
expect_delta mysql_slow_queries_total "$sleeps" "statements that slept past long_query_time"
expect_delta mysql_aborted_clients_total "$aborted" "clients idle past wait_timeout"
# The load's connections, plus the second scrape's own.
expect_delta mysql_connections_total $((1 + aborted + 1)) "connections made"
expect_delta mysql_aborted_connects_total 0 "no aborted connect made"
# The scrape's own connection is the only one open, and it is running.
[ "$(prom_value "$tmp/after.prom" 'mysql_threads{kind="connected"}')" = 1 ] ||
  fail "threads connected: $(prom_value "$tmp/after.prom" 'mysql_threads{kind="connected"}'), want 1"
[ "$(prom_value "$tmp/after.prom" 'mysql_threads{kind="running"}')" -ge 1 ] ||
  fail "no running thread, though the scrape's statement runs"
[ "$(prom_value "$tmp/after.prom" mysql_max_used_connections)" -ge $((aborted)) ] ||
  fail "max used connections below the $aborted idle clients open at once"
got=$(delta 'mysql_network_io_bytes_total{network_io_direction="receive"}') || exit 1
[ "$got" -ge "$(stat -c %s "$tmp/load.sql")" ] ||
  fail "$got bytes received, the load alone sent $(stat -c %s "$tmp/load.sql")"
got=$(delta 'mysql_buffer_pool_operations_total{operation="write_requests"}') || exit 1
[ "$got" -gt 0 ] || fail "no buffer pool write requests for $inserts inserts"

# --- The same numbers as the server's ----------------------------------------

sql -e 'SHOW GLOBAL STATUS' >"$tmp/status.txt" || fail "SHOW GLOBAL STATUS failed"
status() { awk -F '\t' -v k="$1" '$1 == k { print $2 }' "$tmp/status.txt"; }
# Values no connection or statement since the scrape changes.
declare -A same=(
  ['mysql_commands_total{command="insert"}']=Com_insert
  ['mysql_commands_total{command="update"}']=Com_update
  ['mysql_commands_total{command="delete"}']=Com_delete
  [mysql_slow_queries_total]=Slow_queries
  [mysql_aborted_clients_total]=Aborted_clients
  [mysql_aborted_connects_total]=Aborted_connects
  ['mysql_buffer_pool_pages{state="total"}']=Innodb_buffer_pool_pages_total
  ['mysql_connection_errors_total{error="max_connections"}']=Connection_errors_max_connections
)
for series in "${!same[@]}"; do
  [ "$(prom_value "$tmp/after.prom" "$series")" = "$(status "${same[$series]}")" ] ||
    fail "$series is $(prom_value "$tmp/after.prom" "$series"), the server says ${same[$series]} $(status "${same[$series]}")"
done
# Counted on every SHOW GLOBAL STATUS: the test's own is one more connection.
[ "$(status Connections)" = $(($(prom_value "$tmp/after.prom" mysql_connections_total) + 1)) ] ||
  fail "the server says $(status Connections) connections, the adapter $(prom_value "$tmp/after.prom" mysql_connections_total) before it"
n=$(grep -c '^Com_' "$tmp/status.txt")
[ "$(grep -c '^mysql_commands_total{' "$tmp/after.prom")" = "$n" ] ||
  fail "$(grep -c '^mysql_commands_total{' "$tmp/after.prom") command series, the server has $n Com_ variables"

# --- The same numbers as the reference exporter's ----------------------------

start_exporter env DATA_SOURCE_NAME="root@unix($tmp/mysqld.sock)/" \
  prometheus-mysqld-exporter --web.listen-address=127.0.0.1:@PORT@
grep -q '^mysql_up 1' "$tmp/exporter.prom" ||
  { cat "$tmp/exporter.out"; fail "mysqld-exporter is not up"; }
declare -A reference=(
  ['mysql_commands_total{command="insert"}']='mysql_global_status_commands_total{command="insert"}'
  ['mysql_commands_total{command="update"}']='mysql_global_status_commands_total{command="update"}'
  ['mysql_commands_total{command="delete"}']='mysql_global_status_commands_total{command="delete"}'
  ['mysql_commands_total{command="create_table"}']='mysql_global_status_commands_total{command="create_table"}'
  [mysql_slow_queries_total]=mysql_global_status_slow_queries
  [mysql_aborted_clients_total]=mysql_global_status_aborted_clients
  [mysql_aborted_connects_total]=mysql_global_status_aborted_connects
  ['mysql_connection_errors_total{error="accept"}']='mysql_global_status_connection_errors_total{error="accept"}'
  ['mysql_buffer_pool_pages{state="misc"}']='mysql_global_status_buffer_pool_pages{state="misc"}'
)
for series in "${!reference[@]}"; do
  [ "$(prom_value "$tmp/after.prom" "$series")" = "$(prom_value "$tmp/exporter.prom" "${reference[$series]}")" ] ||
    fail "$series is $(prom_value "$tmp/after.prom" "$series"), mysqld-exporter's ${reference[$series]} $(prom_value "$tmp/exporter.prom" "${reference[$series]}")"
done
# The adapter's scrape, the test's SHOW GLOBAL STATUS, the exporter's own.
[ "$(prom_value "$tmp/exporter.prom" mysql_global_status_connections)" = \
  $(($(prom_value "$tmp/after.prom" mysql_connections_total) + 2)) ] ||
  fail "mysqld-exporter says $(prom_value "$tmp/exporter.prom" mysql_global_status_connections) connections, the adapter $(prom_value "$tmp/after.prom" mysql_connections_total) two connections before"
stop_pid exporter_pid

# --- A stopped server ---------------------------------------------------------

stop_mariadb
expect_down mariadb mysql_ "the server"

echo "mariadb status: $inserts inserts, $((selects + sleeps)) selects, $updates updates," \
  "$deletes deletes, $sleeps slow queries, $aborted aborted clients counted exactly;" \
  "same values as the server and mysqld-exporter; down gives up 0"
stop_adapter_cleanly
