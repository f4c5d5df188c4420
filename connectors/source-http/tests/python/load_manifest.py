"""Loads YAML from stdin the way airbyte-cdk does, and prints it as JSON.

    load_manifest.py yaml      yaml.safe_load (PyYAML, YAML 1.1)
    load_manifest.py manifest  safe_load, then the CDK's reference resolver
                               and component transformer (types, $parameters)

The JSON is normalised as source-http keeps values: mapping keys and
dates as Python's str() writes them, inf/nan as strings, integers beyond
64 bits as strings.
"""
import datetime
import json
import math
import sys

import yaml


def normalise(value):
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return str(value)
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and not (-(2**63) <= value < 2**64):
        return str(value)
    return value


def main():
    mode = sys.argv[1]
    loaded = yaml.safe_load(sys.stdin.read())
    if mode == "manifest":
        from airbyte_cdk.sources.declarative.parsers.manifest_component_transformer import (
            ManifestComponentTransformer,
        )
        from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import (
            ManifestReferenceResolver,
        )

        loaded.setdefault("type", "DeclarativeSource")
        resolved = ManifestReferenceResolver().preprocess_manifest(loaded)
        loaded = ManifestComponentTransformer().propagate_types_and_parameters("", resolved, {})
    json.dump(normalise(loaded), sys.stdout)


main()
