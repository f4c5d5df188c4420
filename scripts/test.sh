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
venvs="$(scripts/python/venv-dir.sh)"
export AIRBYTE_TEST_PYTHON="$venvs/venv-protocol/bin/python"
export AIRBYTE_TEST_CDK_PYTHON="$venvs/venv-cdk/bin/python"
export AIRBYTE_TEST_PYAIRBYTE_PYTHON="$venvs/venv-pyairbyte/bin/python"
export AIRBYTE_TEST_FAKER="$venvs/venv-faker/bin/source-faker"

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
echo "== test network (PostgreSQL in a container, for the images)"
# Images reach their database on a private Docker network, never the host's
# loopback: scripts/test-network.sh prints AIRBYTE_TEST_NETWORK* for the tests.
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    net_env="$(scripts/test-network.sh start)"
    while IFS= read -r line; do export "${line?}"; done <<<"$net_env"
    trap 'scripts/test-network.sh stop || true; scripts/pg.sh stop || true' EXIT
fi
# Both test runs go to the end, so that one failing does not hide the other's results.
status=0
echo "== cargo test --release"
cargo test --locked --release --workspace --no-fail-fast || status=1
echo "== the README's second example: scripts/run-meter-readings.sh, then a week later"
if scripts/run-meter-readings.sh && scripts/run-meter-readings.sh --days 21 | tee .cache/meter-readings/later.log; then
    # The second run moves only the new week, and the tables hold 21 days.
    grep -Eq 'electricity_readings +\| +6048 +\| +3 ' .cache/meter-readings/later.log &&
        grep -Eq 'gas_readings +\| +1008 +\| +2 ' .cache/meter-readings/later.log ||
        { echo "the meter-readings example did not leave 21 days of readings" >&2; status=1; }
else
    status=1
fi
echo "== Airbyte's standard tests (airbyte-cdk 7.39.1, pytest) against every image"
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    scripts/standard-tests.sh || status=1
elif [[ -n ${CI:-} ]]; then
    echo "no Docker engine: Airbyte's standard tests run the images, and CI needs them" >&2
    status=1
else
    echo "docker: no Docker engine available; Airbyte's standard tests need one (not run)"
fi
exit "$status"
