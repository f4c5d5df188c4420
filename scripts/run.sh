#!/usr/bin/env bash
# The main job: replicate the DVD rental database from PostgreSQL to
# PostgreSQL with source-postgres (CDC), destination-postgres and the sync
# runner, on an ephemeral local PostgreSQL that this command starts and
# restores itself. Prints rows emitted and committed per table, then each
# table's row count in the source and in the replica.
#
#   scripts/run.sh                  first run: snapshot of every table; later runs: only the changes
#   scripts/run.sh --with-changes   first changes the source (an insert, an update, a delete), then syncs
#
# The source is dvdrental_demo (a copy of dvdrental), the replica dvdrental_replica;
# the runner's state lives in .cache/dvdrental/state.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work=.cache/dvdrental
mkdir -p "$work"

scripts/setup-test-env.sh
url="$(scripts/pg.sh start)"
port="${url##*:}"; port="${port%%/*}"
export PGPASSWORD=postgres
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$1" "${@:2}"; }

if [ "$(psql_db postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'dvdrental_demo'")" != 1 ]; then
  echo "creating dvdrental_demo (a copy of dvdrental) with a publication and a replication slot"
  psql_db postgres -c "CREATE DATABASE dvdrental_demo TEMPLATE dvdrental"
  psql_db dvdrental_demo -c "CREATE PUBLICATION airbyte_demo_pub FOR ALL TABLES" \
    -c "SELECT pg_create_logical_replication_slot('airbyte_demo_slot', 'pgoutput')" >/dev/null
  rm -f "$work/state.json"
fi
if [ "$(psql_db postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'dvdrental_replica'")" != 1 ]; then
  psql_db postgres -c "CREATE DATABASE dvdrental_replica"
  rm -f "$work/state.json"
fi

if [ "${1:-}" = "--with-changes" ]; then
  echo "changing the source: a new payment, a renamed customer, a deleted payment"
  psql_db dvdrental_demo <<'SQL'
INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (1, 1, 76, 9.99, now());
UPDATE customer SET last_name = last_name || ' (renamed ' || to_char(now(), 'HH24:MI:SS') || ')' WHERE customer_id = 2;
DELETE FROM payment WHERE payment_id = (SELECT min(payment_id) FROM payment);
SQL
fi

cat > "$work/source.json" <<JSON
{"host": "127.0.0.1", "port": $port, "database": "dvdrental_demo", "username": "postgres", "password": "postgres",
 "schemas": ["public"], "ssl_mode": {"mode": "disable"},
 "replication_method": {"method": "CDC", "replication_slot": "airbyte_demo_slot", "publication": "airbyte_demo_pub", "initial_waiting_seconds": 10}}
JSON
cat > "$work/destination.json" <<JSON
{"host": "127.0.0.1", "port": $port, "database": "dvdrental_replica", "schema": "public", "username": "postgres", "password": "postgres",
 "ssl_mode": {"mode": "disable"}, "cdc_deletion_mode": "Hard delete"}
JSON

cargo build --release --quiet -p airbyte-acceptance-tests -p source-postgres -p destination-postgres
target/release/cargo-airbyte sync \
  --source target/release/source-postgres --source-config "$work/source.json" \
  --destination target/release/destination-postgres --destination-config "$work/destination.json" \
  --state-file "$work/state.json"

echo
echo "row counts, source (dvdrental_demo) and replica (dvdrental_replica):"
tables="$(psql_db dvdrental_demo -tAc "SELECT string_agg(quote_ident(tablename), ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")"
printf '%-16s %10s %10s\n' table source replica
for t in $tables; do
  s="$(psql_db dvdrental_demo -tAc "SELECT count(*) FROM public.$t")"
  r="$(psql_db dvdrental_replica -tAc "SELECT count(*) FROM public.$t" 2>/dev/null || echo -)"
  printf '%-16s %10s %10s\n' "$t" "$s" "$r"
done
