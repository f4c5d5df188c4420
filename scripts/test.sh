#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs the format
# check, clippy and every test of the workspace.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup-test-env.sh
export AIRBYTE_TEST_PYTHON="$root/.venv/bin/python"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
echo "== cargo test"
cargo test --locked --workspace --all-features
