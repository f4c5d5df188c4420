#!/usr/bin/env bash
# Benchmark of destination-postgres: 1M realistic mixed-type RECORD lines read
# from a file, loaded in append mode; beside a `COPY FROM` of the same rows as
# CSV into the same typed table, on the same server, in one run. Prints rows/s,
# MB/s of input, client CPU µs per row and peak RSS.
#
# The same records are then loaded at other state rates: one state at the
# end, a state every 100 records, and a state after every record (on the
# first STATE_ROWS records, default 200000), each beside the one-state case
# of the same size: a STATE must not slow the load down.
#
#   benchmarks/destination_postgres.sh [ROWS]      (default 1000000)
#
# Environment: STATE_ROWS (rows of the state-after-every-record cases),
# REPEAT (runs per case, the median by wall time is shown; default 1),
# DESTINATION_POSTGRES_BIN (a binary to measure instead of building this one,
# e.g. one built from another commit).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rows="${1:-1000000}"
state_rows="${STATE_ROWS:-200000}"
repeat="${REPEAT:-1}"
url="$(scripts/pg.sh start)"
export PGPASSWORD=postgres
port="${url##*:}"; port="${port%%/*}"
work="${TMPDIR:-/tmp}/airbyte-rs-bench-dst"
mkdir -p "$work"
if [ -n "${DESTINATION_POSTGRES_BIN:-}" ]; then
  bin="$DESTINATION_POSTGRES_BIN"
else
  cargo build --release -q -p destination-postgres
  bin="$root/target/release/destination-postgres"
fi
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
# The first N records of the base input with a state after every EVERY records
# (0: one state at the end), as FILE.
states_input() { # every n file
  [ -s "$3" ] && return 0
  python3 - "$work/records-$rows.jsonl" "$1" "$2" "$3" <<'PY'
import sys
src, every, n, dst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def state(i):
    return '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"bench"},"stream_state":{"n":%d}},"id":%d}}\n' % (i, i)
with open(src) as f, open(dst, "w") as out:
    i = 0
    for line in f:
        if not line.startswith('{"type":"RECORD"'):
            continue
        out.write(line)
        i += 1
        if (every and i % every == 0) or i == n:
            out.write(state(i))
        if i == n:
            break
PY
}
# A run: the wall, user and system seconds and the peak RSS, then the server's CPU ticks.
run_once() { # stats-file cmd...
  local stats="$1"; shift
  settle; sync; local before; before="$(server_ticks)"
  /usr/bin/time -f '%e %U %S %M' -o "$stats" "$@" > /dev/null
  sleep 0.2; local after; after="$(server_ticks)"
  echo " $((after - before))" >> "$stats"
}
# Prints a table row: the median of REPEAT runs by wall time; `ref` is the
# rows/s that the ratio column compares with (empty: no ratio). Sets $last_rate.
measure() { # label rows input-bytes ref cmd...
  local label="$1" n="$2" bytes="$3" ref="$4"; shift 4
  local runs; runs="$(mktemp)"
  for _ in $(seq "$repeat"); do
    [ -n "${reset:-}" ] && "${psql_cmd[@]}" -d bench_dst -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS public.bench" >/dev/null
    local stats; stats="$(mktemp)"
    run_once "$stats" "$@"
    tr '\n' ' ' < "$stats" >> "$runs"; echo >> "$runs"
    rm -f "$stats"
  done
  last_rate="$(python3 - "$label" "$n" "$bytes" "$(getconf CLK_TCK)" "$ref" "$runs" <<'PY'
import sys
label, n, b, tck, ref, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
rows = sorted((list(map(float, l.split())) for l in open(runs) if l.strip()), key=lambda r: r[0])
wall, user, sys_, rss, ticks = rows[len(rows) // 2]
rate = n / wall
ratio = f"{rate / float(ref):.2f}x" if ref else ""
print(f"| {label:<46} | {n:>9,} | {rate:>11,.0f} | {ratio:>10} | {b / 1e6 / wall:>7.1f} | {rss / 1024:>8.1f} | {(user + sys_) * 1e6 / n:>10.2f} | {ticks / tck * 1e6 / n:>13.2f} | {wall:>6.2f} |", file=sys.stderr)
print(f"{rate:.0f}")
PY
)"
  rm -f "$runs"
}
jsonl="$work/records-$rows.jsonl"; csvf="$work/rows-$rows.csv"
states_input 0 "$rows" "$work/states-end-$rows.jsonl"
states_input 100 "$rows" "$work/states-100-$rows.jsonl"
states_input 0 "$state_rows" "$work/states-end-$state_rows.jsonl"
states_input 1 "$state_rows" "$work/states-1-$state_rows.jsonl"
write_cmd() { echo "exec '$bin' write --config '$work/config.json' --catalog '$work/catalog.json' < '$1'"; }
echo
echo "destination-postgres, $rows records of (bigint, text, varchar, int, number, bool, timestamptz, date, object, nullable text); median of $repeat run(s)"
echo
echo "| what                                           |      rows |      rows/s | vs 1 state |    MB/s | RSS (MB) | CPU µs/row | server µs/row | wall s |"
echo "|------------------------------------------------|-----------|-------------|------------|---------|----------|------------|---------------|--------|"
exec 3>&2 2>&1
measure "psql \\copy FROM the same rows as CSV" "$rows" "$(stat -c %s "$csvf")" "" "${psql_cmd[@]}" -d bench_dst -c "\\copy copy_ref from '$csvf' csv"
reset=1
measure "destination-postgres write (append)" "$rows" "$(stat -c %s "$jsonl")" "" sh -c "$(write_cmd "$jsonl")"
measure "  one state at the end" "$rows" "$(stat -c %s "$work/states-end-$rows.jsonl")" "" sh -c "$(write_cmd "$work/states-end-$rows.jsonl")"
one="$last_rate"
measure "  a state every 100 records" "$rows" "$(stat -c %s "$work/states-100-$rows.jsonl")" "$one" sh -c "$(write_cmd "$work/states-100-$rows.jsonl")"
measure "  one state at the end" "$state_rows" "$(stat -c %s "$work/states-end-$state_rows.jsonl")" "" sh -c "$(write_cmd "$work/states-end-$state_rows.jsonl")"
one="$last_rate"
measure "  a state after every record" "$state_rows" "$(stat -c %s "$work/states-1-$state_rows.jsonl")" "$one" sh -c "$(write_cmd "$work/states-1-$state_rows.jsonl")"
exec 2>&3 3>&-
count="$("${psql_cmd[@]}" -d bench_dst -tAc "SELECT count(*) FROM public.bench")"
echo
echo "(rows loaded by the last destination-postgres run: $count of $state_rows; the first write runs the original input, a state every 10,000 records;"
echo " CPU is the client process's, server is the PostgreSQL backends'; 'vs 1 state' is rows/s against the one-state run of the same size)"
