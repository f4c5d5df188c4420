#!/usr/bin/env bash
# The main job: a real sync with the runner, from the example source (100,000
# deterministic rows in two streams) into the example JSON-lines destination,
# with a summary of rows emitted and committed per stream.
#
# State is kept in .cache/demo/state.json: run it again and only new rows move
# (none, unless you raise the count in .cache/demo/source.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
demo=.cache/demo
mkdir -p "$demo/out"
[ -f "$demo/source.json" ] || echo '{"count": 100000}' > "$demo/source.json"
echo "{\"destination_path\": \"$root/$demo/out\"}" > "$demo/destination.json"

cargo build --release --quiet -p airbyte-acceptance-tests -p example-source-generator -p example-destination-jsonl
target/release/cargo-airbyte sync \
  --source target/release/example-source-generator --source-config "$demo/source.json" \
  --destination target/release/example-destination-jsonl --destination-config "$demo/destination.json" \
  --state-file "$demo/state.json"
echo "rows now in $demo/out:"
wc -l "$demo"/out/*.jsonl
