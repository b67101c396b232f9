#!/usr/bin/env bash
# rules/library/pgbouncer/show_stats.yaml and show_pools.yaml against a
# real PgBouncer (Debian's pgbouncer) in front of a throwaway PostgreSQL
# cluster (initdb in a temp dir, on 127.0.0.1 and a free port). The adapter
# runs `psql --csv -c 'SHOW STATS'` and `-c 'SHOW POOLS'` on PgBouncer's
# admin database by two exec sources. Between two scrapes a client sends
# through the pool an exactly counted load of statements; the deltas the
# adapter serves must be exactly that load, the values those of PgBouncer's
# own SHOW STATS; a stopped PgBouncer gives source_up 0 and no pgbouncer_
# series. (Debian 12's prometheus-pgbouncer-exporter 1.7 cannot read
# PgBouncer 1.18's SHOW STATS: it fails at start on the total_requests
# column that PgBouncer 1.8 dropped, so there is no reference to compare.)
# Usage: test/integration/pgbouncer_test.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require psql pgbouncer runuser curl || exit 1
pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || { echo "FAIL: no PostgreSQL server binaries under /usr/lib/postgresql"; exit 1; }

tmp=$(mktemp -d)
# shellcheck disable=SC2034  # read by name in stop_pid: ${!1}
pg_pid='' bouncer_pid=''
# shellcheck source=test/integration/lib.sh
. "$root/test/integration/lib.sh"
trap 'stop_adapter; stop_pid bouncer_pid; stop_pid pg_pid; rm -rf "$tmp"' EXIT

# PostgreSQL and PgBouncer refuse to run as root: as root, run them as
# Debian's postgres user, which then owns the temp dir.
as_db=()
if [ "$(id -u)" = 0 ]; then
  as_db=(runuser -u postgres --)
  chown postgres "$tmp"
fi

# --- PostgreSQL and PgBouncer -------------------------------------------------

timeout 120 "${as_db[@]}" "$pg_bin/initdb" -D "$tmp/data" -A trust -U postgres >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log"; fail "initdb failed"; }
# postgres_ready PORT: PostgreSQL answers a query there.
postgres_ready() { psql -X -h 127.0.0.1 -p "$1" -U postgres -tAc 'SELECT 1' postgres >/dev/null 2>&1; }
start_listening postgres pg_pid true postgres_ready "${as_db[@]}" "$pg_bin/postgres" -D "$tmp/data" \
  -k "$tmp" -c listen_addresses=127.0.0.1 -p @PORT@
pg_port=$port
echo '"postgres" ""' >"$tmp/users.txt"
[ "${#as_db[@]}" = 0 ] || chown postgres "$tmp/users.txt"
# bouncer_config PORT: pgbouncer.ini listening on PORT. PgBouncer logs to
# its stderr too (pgbouncer.out), where start_listening looks for a port
# taken.
bouncer_config() {
  cat >"$tmp/pgbouncer.ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$pg_port dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $1
unix_socket_dir =
auth_type = trust
auth_file = $tmp/users.txt
admin_users = postgres
stats_users = postgres
pool_mode = transaction
logfile = $tmp/pgbouncer.log
pidfile = $tmp/pgbouncer.pid
INI
  [ "${#as_db[@]}" = 0 ] || chown postgres "$tmp/pgbouncer.ini"
}
# bouncer_ready PORT: PgBouncer's admin console answers there.
bouncer_ready() { psql -X -h 127.0.0.1 -p "$1" -U postgres --csv -c 'SHOW VERSION' pgbouncer >/dev/null 2>&1; }
start_listening pgbouncer bouncer_pid bouncer_config bouncer_ready "${as_db[@]}" pgbouncer "$tmp/pgbouncer.ini"
bouncer_port=$port
admin=(psql -X -h 127.0.0.1 -p "$bouncer_port" -U postgres --csv)

# --- The adapter --------------------------------------------------------------

{
  echo "sources:"
  for show in stats pools; do
    echo "  - name: pgbouncer_$show"
    echo "    type: exec"
    printf '    command: ['
    printf '%s, ' "${admin[@]}"
    echo "-c, SHOW ${show^^}, pgbouncer]"
    echo "    timeout: 10s"
    echo "    rules: [$root/rules/library/pgbouncer/show_$show.yaml]"
  done
} >"$tmp/adapter.yaml"
start_checked_adapter run


# --- The load -----------------------------------------------------------------

# Autocommit statements, each one transaction of one query, and explicit
# transactions of BEGIN, two SELECTs and COMMIT: one transaction, four
# queries each.
statements=40 transactions=5
{
  for i in $(seq "$statements"); do echo "SELECT $i;"; done
  for i in $(seq "$transactions"); do echo "BEGIN; SELECT $i; SELECT $i + 1; COMMIT;"; done
} >"$tmp/load.sql"
scrape_up before pgbouncer_stats pgbouncer_pools
psql -X -h 127.0.0.1 -p "$bouncer_port" -U postgres -q -f "$tmp/load.sql" postgres >"$tmp/load.out" ||
  fail "the load failed"
scrape_up after pgbouncer_stats pgbouncer_pools

# --- Exactly the load ---------------------------------------------------------

db='{database="postgres"}'
expect_delta "pgbouncer_transactions_total$db" $((statements + transactions)) "transactions sent"
expect_delta "pgbouncer_queries_total$db" $((statements + 4 * transactions)) "queries sent"
got=$(delta 'pgbouncer_network_io_bytes_total{database="postgres",network_io_direction="receive"}') || exit 1
[ "$got" -gt 0 ] || fail "no bytes received for the load"
# The scrape's own psql on the admin console is an active client, and so
# is the other source's when the two run at the same moment.
got=$(prom_value "$tmp/after.prom" 'pgbouncer_client_connections{database="pgbouncer",user="pgbouncer",state="active"}')
[ "$got" = 1 ] || [ "$got" = 2 ] || fail "$got active admin clients, want the scrape's own psql (and the other source's)"
got=$(prom_value "$tmp/after.prom" 'pgbouncer_client_connections{database="postgres",user="postgres",state="active"}')
[ "$got" = 0 ] || fail "$got active clients in pool postgres after the load ended"
got=$(prom_value "$tmp/after.prom" 'pgbouncer_server_connections{database="postgres",user="postgres",state="idle"}')
[ "$got" -ge 1 ] || fail "no idle server connection kept by the pool after the load"

# --- The same numbers as PgBouncer's ----------------------------------------

"${admin[@]}" -c 'SHOW STATS' pgbouncer >"$tmp/stats.csv" || fail "SHOW STATS failed"
column() { # DATABASE COLUMN: a cell of SHOW STATS
  awk -F, -v d="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                               $1 == d { print $col[c] }' "$tmp/stats.csv"
}
for pair in transactions_total:total_xact_count queries_total:total_query_count; do
  series="pgbouncer_${pair%%:*}$db"
  [ "$(prom_value "$tmp/after.prom" "$series")" = "$(column postgres "${pair#*:}")" ] ||
    fail "$series is $(prom_value "$tmp/after.prom" "$series"), PgBouncer's ${pair#*:} $(column postgres "${pair#*:}")"
done
same_number "$(prom_value "$tmp/after.prom" "pgbouncer_query_duration_seconds_total$db")" \
  "$(awk -v us="$(column postgres total_query_time)" 'BEGIN { printf "%.6f\n", us / 1e6 }')" ||
  fail "query time $(prom_value "$tmp/after.prom" "pgbouncer_query_duration_seconds_total$db") s, PgBouncer's $(column postgres total_query_time) us"


# --- A stopped PgBouncer ------------------------------------------------------

stop_pid bouncer_pid
expect_down pgbouncer_stats pgbouncer_ pgbouncer

echo "pgbouncer: $statements statements and $transactions transactions through the pool counted" \
  "exactly; same values as SHOW STATS; down gives up 0"
stop_adapter_cleanly
