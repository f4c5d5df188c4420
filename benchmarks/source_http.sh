#!/usr/bin/env bash
# Benchmark of source-http against Python's source-declarative-manifest
# (airbyte-cdk 7.39.1) in the same run: one manifest with a cursor
# paginator and 1,000-record pages (benchmarks/manifests/cursor_pages.yaml)
# from the fixture server's /v1/bench, whose pages are rendered once and
# then served from memory. Prints records/s, client CPU µs per record,
# peak RSS, wall time, and the ratios; each engine runs REPEAT times (3)
# and the median run (by wall time) is shown.
#
#   benchmarks/source_http.sh [RECORDS]          (default 200000)
#
# Needs the `cdk` venv (scripts/setup-test-env.sh). $SOURCE_HTTP_BIN
# measures another build of source-http.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
records="${1:-200000}"
repeat="${REPEAT:-3}"
venv="$(scripts/python/venv-dir.sh)/venv-cdk"
python="$venv/bin/python"
sdm="$venv/bin/source-declarative-manifest"
[ -x "$sdm" ] || { echo "no $sdm: run scripts/setup-test-env.sh" >&2; exit 1; }
if [ -n "${SOURCE_HTTP_BIN:-}" ]; then
  bin="$SOURCE_HTTP_BIN"
else
  cargo build --release -q -p source-http
  bin="$root/target/release/source-http"
fi
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$python" connectors/source-http/tests/fixtures/server.py --bench-records "$records" > "$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(awk '{print $2}' "$work/port")"
manifest="$root/benchmarks/manifests/cursor_pages.yaml"
printf '{"base_url": "http://127.0.0.1:%s"}' "$port" > "$work/config.json"
cat > "$work/catalog.json" <<'JSON'
{"streams": [{"stream": {"name": "users", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}
JSON
# Warm the server's page cache, so that no engine pays for rendering.
curl -s "http://127.0.0.1:$port/v1/bench" -o /dev/null
cursor=0
while [ "$cursor" != "null" ]; do
  cursor="$(curl -s "http://127.0.0.1:$port/v1/bench?cursor=$cursor" | "$python" -c 'import sys, json; print(json.dumps(json.load(sys.stdin)["next"]))')"
done

# run LABEL CMD...: REPEAT runs; prints "wall user sys rss_kb records" of the median.
run() {
  local label="$1"; shift
  for i in $(seq "$repeat"); do
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
      echo "$label failed:" >&2; tail -5 "$work/err" >&2; tail -3 "$work/out" >&2; exit 1; }
    n="$(grep -c '"type":"RECORD"' "$work/out" || true)"
    [ "$n" = "$records" ] || { echo "$label read $n records, not $records" >&2; exit 1; }
    echo "$(cat "$work/time") $n"
  done | sort -n | sed -n "$(( (repeat + 1) / 2 ))p"
}

args=(read --manifest-path "$manifest" --config "$work/config.json" --catalog "$work/catalog.json")
echo "source-http and source-declarative-manifest: $records records, pages of 1,000, median of $repeat" >&2
ours="$(run source-http "$bin" "${args[@]}")"
theirs="$(run source-declarative-manifest "$sdm" "${args[@]}")"
python3 - "$ours" "$theirs" <<'PY'
import sys
rows = []
for label, line in (("source-http", sys.argv[1]), ("source-declarative-manifest 7.39.1", sys.argv[2])):
    wall, user, sys_, rss, n = line.split()
    wall, user, sys_, rss, n = float(wall), float(user), float(sys_), int(rss), int(n)
    rows.append((label, n / wall, (user + sys_) * 1e6 / n, rss / 1024, wall))
print("| engine | records/s | CPU µs/record | peak RSS MB | wall s |")
print("|---|---:|---:|---:|---:|")
for label, rate, cpu, rss, wall in rows:
    print(f"| {label} | {rate:,.0f} | {cpu:.2f} | {rss:.1f} | {wall:.2f} |")
(o, t) = rows
print(f"| ratio (ours / Python) | {o[1] / t[1]:.1f}× | {o[2] / t[2]:.3f}× | {o[3] / t[3]:.2f}× | {o[4] / t[4]:.3f}× |")
PY
