"""Airbyte's standard destination tests (airbyte-cdk 7.39.1) against this connector's image.

Run by scripts/standard-tests.sh (pytest -p airbyte_rs_standard ... --connector-image).
"""

from airbyte_rs_standard import DestinationImageTestSuite


class TestAirbyteStandardDestination(DestinationImageTestSuite):
    """Every test of Airbyte's destination suite, on the scenarios of acceptance-test-config.yml."""
