#!/usr/bin/env bash
# Benchmark of destination-postgres: 1M realistic mixed-type RECORD lines read
# from a file, loaded in append mode; beside a `COPY FROM` of the same rows as
# CSV into the same typed table, on the same server, in one run. Prints rows/s,
# MB/s of input, client CPU µs per row and peak RSS.
#
#   benchmarks/destination_postgres.sh [ROWS]      (default 1000000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rows="${1:-1000000}"
url="$(scripts/pg.sh start)"
export PGPASSWORD=postgres
port="${url##*:}"; port="${port%%/*}"
work="${TMPDIR:-/tmp}/airbyte-rs-bench-dst"
mkdir -p "$work"
cargo build --release -q -p destination-postgres
bin="$root/target/release/destination-postgres"
psql_cmd=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)

if [ ! -s "$work/records-$rows.jsonl" ]; then
  echo "generating $rows records..." >&2
  python3 - "$rows" "$work/records-$rows.jsonl" "$work/rows-$rows.csv" <<'PY'
import sys, json, csv, random
n, jsonl, csvpath = int(sys.argv[1]), sys.argv[2], sys.argv[3]
random.seed(7)
with open(jsonl, "w") as j, open(csvpath, "w", newline="") as c:
    w = csv.writer(c)
    for i in range(n):
        d = {"id": i, "name": f"customer {i} Ærø", "code": f"C-{i % 1000}", "qty": i % 97,
             "price": round((i % 100000) / 100.0, 2), "active": i % 3 == 0,
             "created_at": f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z", "day": f"2024-02-{1 + i % 28:02d}",
             "attrs": {"tier": i % 5, "tags": ["a", "b"]}, "note": None if i % 4 == 0 else f"note {i}"}
        j.write(json.dumps({"type": "RECORD", "record": {"stream": "bench", "data": d, "emitted_at": 1700000000000 + i}}, separators=(",", ":")) + "\n")
        if (i + 1) % 10000 == 0:
            j.write(json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "bench"}, "stream_state": {"n": i + 1}}, "id": i + 1}}, separators=(",", ":")) + "\n")
        w.writerow([i, d["name"], d["code"], d["qty"], d["price"], "t" if d["active"] else "f", d["created_at"], d["day"],
                    json.dumps(d["attrs"]), "" if d["note"] is None else d["note"]])
PY
fi
cat > "$work/catalog.json" <<'JSON'
{"streams": [{"stream": {"name": "bench", "json_schema": {"type": "object", "properties": {
  "id": {"type": "integer"}, "name": {"type": "string"}, "code": {"type": "string"}, "qty": {"type": "integer"},
  "price": {"type": "number"}, "active": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
  "day": {"type": "string", "format": "date"}, "attrs": {"type": "object"}, "note": {"type": ["null", "string"]}}},
  "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}
JSON
"${psql_cmd[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench_dst WITH (FORCE)" -c "CREATE DATABASE bench_dst" >/dev/null
printf '{"host":"127.0.0.1","port":%s,"database":"bench_dst","schema":"public","username":"postgres","password":"postgres","ssl_mode":{"mode":"disable"}}' "$port" > "$work/config.json"
"${psql_cmd[@]}" -d bench_dst -c "CREATE TABLE copy_ref (id bigint, name varchar, code varchar, qty bigint, price decimal(38,9), active boolean, created_at timestamptz, day date, attrs jsonb, note varchar)" >/dev/null

# The server's CPU ticks so far: the postmaster and its finished backends
# (reaped children count in its cutime/cstime), plus the live processes under it.
server_ticks() {
  local pm; pm="$(head -n 1 "$(scripts/pg.sh data)/postmaster.pid")"
  awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
}
# Each load starts on a quiet server: the previous load's table vacuumed (so
# autovacuum does not wake up on it mid-run) and its dirty pages checkpointed.
settle() {
  "${psql_cmd[@]}" -d bench_dst -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
  while [ "$("${psql_cmd[@]}" -d postgres -tAc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" != 0 ]; do sleep 0.5; done
}
measure() { # label rows input-bytes cmd...
  local label="$1" n="$2" bytes="$3"; shift 3
  local stats; stats="$(mktemp)"
  settle; sync; local before; before="$(server_ticks)"
  /usr/bin/time -f '%e %U %S %M' -o "$stats" "$@" > /dev/null
  sleep 0.2; local after; after="$(server_ticks)"
  read -r wall user sys rss_kb < "$stats"
  python3 - "$label" "$n" "$bytes" "$wall" "$user" "$sys" "$rss_kb" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import sys
label, n, b, wall, user, sys_, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *map(float, sys.argv[4:7]), int(sys.argv[7])
server = int(sys.argv[8]) / int(sys.argv[9])
print(f"| {label:<40} | {n / wall:>11,.0f} | {b / 1e6 / wall:>7.1f} | {rss / 1024:>8.1f} | {(user + sys_) * 1e6 / n:>10.2f} | {server * 1e6 / n:>10.2f} | {wall:>6.2f} |")
PY
  rm -f "$stats"
}
jsonl="$work/records-$rows.jsonl"; csvf="$work/rows-$rows.csv"
echo
echo "destination-postgres, $rows records of (bigint, text, varchar, int, number, bool, timestamptz, date, object, nullable text)"
echo
echo "| what                                     |      rows/s |    MB/s | RSS (MB) | CPU µs/row | server µs/row | wall s |"
echo "|------------------------------------------|-------------|---------|----------|------------|---------------|--------|"
measure "psql \\copy FROM the same rows as CSV" "$rows" "$(stat -c %s "$csvf")" "${psql_cmd[@]}" -d bench_dst -c "\\copy copy_ref from '$csvf' csv"
measure "destination-postgres write (append)" "$rows" "$(stat -c %s "$jsonl")" sh -c "exec '$bin' write --config '$work/config.json' --catalog '$work/catalog.json' < '$jsonl'"
count="$("${psql_cmd[@]}" -d bench_dst -tAc "SELECT count(*) FROM public.bench")"
echo
echo "(rows loaded by destination-postgres: $count; CPU is the client process's, server is the PostgreSQL backends')"
