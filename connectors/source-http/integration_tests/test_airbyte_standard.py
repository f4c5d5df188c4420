"""Airbyte's standard source tests (airbyte-cdk 7.39.1) against this connector's image.

Run by scripts/standard-tests.sh (pytest -p airbyte_rs_standard ... --connector-image).
"""

from airbyte_rs_standard import SourceImageTestSuite


class TestAirbyteStandardSource(SourceImageTestSuite):
    """Every test of Airbyte's source suite, on the scenarios of acceptance-test-config.yml."""
