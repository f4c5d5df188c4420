#!/usr/bin/env bash
# The second example: an energy-metering API, read by source-http from a
# declarative manifest (connectors/source-http/examples/meter-readings),
# into PostgreSQL with destination-postgres, through the sync runner. The
# API is that example's local stand-in (server.py); the PostgreSQL is the
# ephemeral one of scripts/pg.sh. Prints records emitted and committed per
# stream, then each table's row count and its latest reading.
#
#   scripts/run-meter-readings.sh              first run: every reading; later runs: only new ones
#   scripts/run-meter-readings.sh --days N     the API serves N days of readings (default 14)
#
# The manifest reaches source-http as the Airbyte platform passes a Connector
# Builder source's: in the config, under `__injected_declarative_manifest`.
# The replica is the database meter_readings; the runner's state lives in
# .cache/meter-readings/state.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
example=connectors/source-http/examples/meter-readings
work=.cache/meter-readings
mkdir -p "$work"
days=14
if [ "${1:-}" = "--days" ]; then days="${2:?--days needs a number}"; fi

scripts/setup-test-env.sh
url="$(scripts/pg.sh start)"
port="${url##*:}"; port="${port%%/*}"
export PGPASSWORD=postgres
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$1" "${@:2}"; }
if [ "$(psql_db postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'meter_readings'")" != 1 ]; then
  psql_db postgres -c "CREATE DATABASE meter_readings"
  rm -f "$work/state.json"
fi

cargo build --release --quiet -p airbyte-acceptance-tests -p source-http -p destination-postgres

# The API, on an ephemeral port; stopped when this script ends.
python3 "$example/server.py" --days "$days" > "$work/server.out" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q '^PORT ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
api_port="$(sed -n 's/^PORT //p' "$work/server.out")"
[ -n "$api_port" ] || { echo "the example API did not start: $(cat "$work/server.out")" >&2; exit 1; }
echo "the meter API (${example}/server.py, $days days of readings) is on 127.0.0.1:$api_port"

# The example's config, pointed at that port, with the manifest injected.
# (The platform injects the manifest as an object: the YAML is read with
# PyYAML, from the venv of scripts/setup-test-env.sh.)
"$(scripts/python/venv-dir.sh)/venv-cdk/bin/python" - "$example" "$api_port" "$work/source.json" <<'PY'
import json, sys
import yaml
example, port, out = sys.argv[1:]
config = json.load(open(f"{example}/config.json"))
config["base_url"] = f"http://127.0.0.1:{port}"
config["__injected_declarative_manifest"] = yaml.safe_load(open(f"{example}/manifest.yaml"))
json.dump(config, open(out, "w"))
PY
cat > "$work/destination.json" <<JSON
{"host": "127.0.0.1", "port": $port, "database": "meter_readings", "schema": "public", "username": "postgres", "password": "postgres",
 "ssl_mode": {"mode": "disable"}}
JSON

target/release/cargo-airbyte sync \
  --source target/release/source-http --source-config "$work/source.json" \
  --destination target/release/destination-postgres --destination-config "$work/destination.json" \
  --state-file "$work/state.json"

echo
echo "in PostgreSQL (database meter_readings):"
psql_db meter_readings -c "
SELECT 'electricity_readings' AS \"table\", count(*) AS \"rows\", count(DISTINCT meter_id) AS meters, max(read_at) AS latest_reading FROM public.electricity_readings
UNION ALL
SELECT 'gas_readings', count(*), count(DISTINCT meter_id), max(read_at) FROM public.gas_readings"
