#!/usr/bin/env bash
# Benchmark of source-postgres against psql on a 1M-row table of mixed types:
# rows/s, MB/s of output, peak RSS and client CPU µs per row, in one run,
# beside `COPY (SELECT row_to_json(t) FROM t) TO STDOUT` and `\copy t to /dev/null`.
# Then the peak RSS of source-postgres on 10M rows.
#
#   benchmarks/source_postgres.sh [ROWS] [BIG_ROWS]      (defaults 1000000 10000000)
#
# Uses the test server of scripts/pg.sh (started if needed) and the release
# binary, or $SOURCE_POSTGRES_BIN (e.g. one built from another commit, to
# compare). The incremental case reads the same table by a cursor column
# (`created_at`, no state: the first sync) through the SDK's `Incremental`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rows="${1:-1000000}"
big_rows="${2:-10000000}"
url="$(scripts/pg.sh start)"
export PGPASSWORD=postgres
port="${url##*:}"; port="${port%%/*}"
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$1" "${@:2}"; }

if [ -n "${SOURCE_POSTGRES_BIN:-}" ]; then
  bin="$SOURCE_POSTGRES_BIN"
else
  cargo build --release -q -p source-postgres
  bin="$root/target/release/source-postgres"
fi

make_table() { # db rows
  psql_db postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  psql_db "$1" >/dev/null <<SQL
CREATE TABLE t (
  id bigint PRIMARY KEY, name text NOT NULL, code varchar(32), qty int, price numeric(12,2),
  active bool, created_at timestamptz, day date, attrs jsonb, uid uuid, note text
);
INSERT INTO t SELECT g, 'customer ' || g || ' ' || md5(g::text), 'C-' || (g % 1000), (g % 97)::int,
  (g % 100000) / 100.0, g % 3 = 0, '2024-01-01'::timestamptz + g * interval '1 second',
  '2024-01-01'::date + (g % 365), jsonb_build_object('tier', g % 5, 'tags', jsonb_build_array('a', 'b')),
  md5(g::text)::uuid, CASE WHEN g % 4 = 0 THEN NULL ELSE 'note ' || g END
FROM generate_series(1, $2) g;
VACUUM ANALYZE t;
SQL
}

catalog() { # db -> path of a full-refresh catalog of t
  local dir; dir="$(mktemp -d)"
  printf '{"host":"127.0.0.1","port":%s,"database":"%s","username":"postgres","password":"postgres","ssl_mode":{"mode":"disable"}}' "$port" "$1" > "$dir/config.json"
  "$bin" discover --config "$dir/config.json" | python3 -c '
import sys, json
for line in sys.stdin:
    m = json.loads(line)
    if m["type"] == "CATALOG":
        s = [x for x in m["catalog"]["streams"] if x["name"] == "t"][0]
        json.dump({"streams": [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}, open(sys.argv[1] + "/catalog.json", "w"))
        json.dump({"streams": [{"stream": s, "sync_mode": "incremental", "cursor_field": ["created_at"], "destination_sync_mode": "append"}]}, open(sys.argv[1] + "/incremental.json", "w"))
' "$dir"
  echo "$dir"
}

# measure LABEL ROWS CMD...: runs CMD with stdout counted, prints one table row.
measure() {
  local label="$1" n="$2"; shift 2
  local stats; stats="$(mktemp)"
  local bytes
  bytes=$( { /usr/bin/time -f '%e %U %S %M' -o "$stats" "$@" | wc -c; } )
  read -r wall user sys rss_kb < "$stats"
  python3 - "$label" "$n" "$bytes" "$wall" "$user" "$sys" "$rss_kb" <<'PY'
import sys
label, n, b, wall, user, sys_, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *map(float, sys.argv[4:7]), int(sys.argv[7])
print(f"| {label:<44} | {n / wall:>11,.0f} | {b / 1e6 / wall:>7.1f} | {rss / 1024:>8.1f} | {(user + sys_) * 1e6 / n:>8.2f} | {wall:>6.2f} |")
PY
  rm -f "$stats"
}

if [ "$(psql_db postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'bench_src'")" = 1 ] \
   && [ "$(psql_db bench_src -tAc "SELECT count(*) FROM t" 2>/dev/null)" = "$rows" ]; then
  echo "reusing bench_src ($rows rows)" >&2
else
  echo "creating $rows rows (bench_src)..." >&2
  make_table bench_src "$rows"
fi
dir="$(catalog bench_src)"
echo
echo "source-postgres on $rows rows of (bigint, text, varchar, int, numeric(12,2), bool, timestamptz, date, jsonb, uuid, nullable text)"
echo
echo "| what                                         |      rows/s |    MB/s | RSS (MB) | CPU µs/row | wall s |"
echo "|----------------------------------------------|-------------|---------|----------|------------|--------|"
psql_cmd=(psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d bench_src)
measure "psql COPY (SELECT row_to_json(t)) TO STDOUT" "$rows" "${psql_cmd[@]}" -c "COPY (SELECT row_to_json(t) FROM t) TO STDOUT"
measure "psql \\copy t to /dev/null (plain text COPY)" "$rows" "${psql_cmd[@]}" -c "\\copy t to stdout"
measure "source-postgres read (RECORD lines)" "$rows" "$bin" read --config "$dir/config.json" --catalog "$dir/catalog.json"
measure "source-postgres read, incremental by created_at" "$rows" "$bin" read --config "$dir/config.json" --catalog "$dir/incremental.json"
echo
echo "(CPU is the client process's user+system time; the server's is not counted.)"

if [ "$big_rows" -gt 0 ]; then
  echo "creating $big_rows rows (bench_big)..." >&2
  make_table bench_big "$big_rows"
  dir="$(catalog bench_big)"
  echo
  echo "| what                                         |      rows/s |    MB/s | RSS (MB) | CPU µs/row | wall s |"
  echo "|----------------------------------------------|-------------|---------|----------|------------|--------|"
  measure "source-postgres read, $big_rows rows" "$big_rows" "$bin" read --config "$dir/config.json" --catalog "$dir/catalog.json"
fi
