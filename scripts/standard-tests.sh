#!/usr/bin/env bash
# Runs Airbyte's standard tests (airbyte-cdk 7.39.1, airbyte_cdk.test.standard_tests)
# with venv-cdk's pytest against the image of every connector, then prints a table:
# per connector, each test of the suite and its outcome (passed, FAILED, NOT
# RUNNABLE offline with the reason, or not applicable with the suite's reason).
# Exits non-zero if any test failed.
#
# For each connectors/<name>/metadata.yaml:
#   pytest -p airbyte_rs_standard connectors/<name>/integration_tests/test_airbyte_standard.py \
#       --connector-image <dockerRepository>:<dockerImageTag> [--read-from-streams=all]
# so nothing is built: the images are those of scripts/build-images.sh. Sources
# also run the read tests on all their streams (`--read-from-streams=all`).
# Airbyte's CLI (`airbyte-cdk image test`) refuses `language:rust`, so the suite
# is driven through pytest as Airbyte's connectors do: each connector has a
# small test module subclassing the suite (see
# scripts/python/standard_tests/airbyte_rs_standard.py, which also documents how
# the containers join the test network). A connector without that module fails
# here with what to add.
#
# Needs: the images, venv-cdk (scripts/setup-test-env.sh), the host test server
# (scripts/pg.sh start, AIRBYTE_TEST_PG_URL) and the test network with its
# PostgreSQL and source-http's fixture API (scripts/test-network.sh start,
# AIRBYTE_TEST_NETWORK*); scripts/test.sh
# provides them all. Environment: AIRBYTE_TEST_CDK_PYTHON (default: venv-cdk's
# python), STANDARD_TESTS_ONLY (space-separated connector names, to run a few).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

die() {
    echo "scripts/standard-tests.sh: $*" >&2
    exit 1
}

python="${AIRBYTE_TEST_CDK_PYTHON:-$(scripts/python/venv-dir.sh)/venv-cdk/bin/python}"
[[ -x $python ]] || die "no venv-cdk python at $python: run scripts/setup-test-env.sh"
"$python" -c 'import airbyte_cdk.test.standard_tests, pytest' 2>/dev/null ||
    die "$python lacks airbyte-cdk's standard tests or pytest: run scripts/setup-test-env.sh"
command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 ||
    die "no Docker engine available (\`docker info\` failed): the standard tests run the images"
[[ -n ${AIRBYTE_TEST_NETWORK:-} && -n ${AIRBYTE_TEST_NETWORK_PG_HOST:-} && -n ${AIRBYTE_TEST_NETWORK_HTTP_URL:-} ]] ||
    die "AIRBYTE_TEST_NETWORK(_PG_HOST, _HTTP_URL) not set: run \`scripts/test-network.sh start\` and export what it prints"
[[ -n ${AIRBYTE_TEST_PG_URL:-} ]] ||
    die "AIRBYTE_TEST_PG_URL not set: run \`scripts/pg.sh start\` and export the URL it prints"

# meta_value FILE KEY: data.KEY of a metadata.yaml (a direct child of `data:`).
meta_value() {
    "$python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"].get(sys.argv[2]) or "")' "$1" "$2"
}

reports="$(mktemp -d "${TMPDIR:-/tmp}/airbyte-rs-standard-tests.XXXXXX")"
trap 'rm -rf "$reports"' EXIT
export PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH="$root/scripts/python/standard_tests${PYTHONPATH:+:$PYTHONPATH}"

shopt -s nullglob
report_args=()
for metadata in connectors/*/metadata.yaml; do
    dir="$(dirname "$metadata")"
    name="$(basename "$dir")"
    if [[ -n ${STANDARD_TESTS_ONLY:-} && " $STANDARD_TESTS_ONLY " != *" $name "* ]]; then
        continue
    fi
    module="$dir/integration_tests/test_airbyte_standard.py"
    [[ -f $module ]] || die "$module is missing: every connector runs Airbyte's standard tests;
add it with a class subclassing SourceImageTestSuite or DestinationImageTestSuite
from airbyte_rs_standard (copy the one of an example connector)"
    image="$(meta_value "$metadata" dockerRepository):$(meta_value "$metadata" dockerImageTag)"
    docker image inspect "$image" >/dev/null 2>&1 ||
        die "image $image not found: build it with scripts/build-images.sh"
    args=(--connector-image "$image")
    [[ $(meta_value "$metadata" connectorType) == source ]] && args+=(--read-from-streams=all)

    echo "== $name ($image): pytest ${args[*]}"
    junit="$reports/$name.xml"
    # -rA lists every outcome with its reason; failures do not stop the loop.
    "$python" -m pytest -p airbyte_rs_standard -p no:cacheprovider -rA --tb=short \
        --junitxml="$junit" "${args[@]}" "$module" || true
    report_args+=("$name=$junit")
done
((${#report_args[@]} > 0)) || die "no connector selected (connectors/*/metadata.yaml)"

echo
"$python" scripts/python/standard_tests/report.py "${report_args[@]}"
