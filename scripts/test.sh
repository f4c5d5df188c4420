#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs the format
# check, clippy, builds the connector images and runs every test.
#
# Tests and images share one build: the release profile. The images carry
# the very binaries the tests run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup-test-env.sh
export AIRBYTE_TEST_PYTHON="$root/.venv/bin/python"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== cargo build --release"
cargo build --locked --release --workspace --bins
echo "== connector images"
scripts/build-images.sh
echo "== PostgreSQL"
AIRBYTE_TEST_PG_URL="$(scripts/pg.sh start)"
export AIRBYTE_TEST_PG_URL
trap 'scripts/pg.sh stop || true' EXIT
echo "== cargo test --release"
cargo test --locked --release --workspace --no-fail-fast
