"""The reference for source-http's interpolated fields: airbyte-cdk's
InterpolatedString, InterpolatedBoolean and InterpolatedMapping. Reads JSON
lines {"kind": "string"|"boolean"|"mapping", "value": ..., "context": {...},
"values": "any"|"str_or_list"} and prints {"value": V} or {"error": true}.
"""
import json
import sys

from airbyte_cdk.sources.declarative.interpolation.interpolated_boolean import InterpolatedBoolean
from airbyte_cdk.sources.declarative.interpolation.interpolated_mapping import InterpolatedMapping
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString


def normalise(v):
    if isinstance(v, dict):
        return {str(k): normalise(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [normalise(x) for x in v]
    return v


for line in sys.stdin:
    q = json.loads(line)
    context = dict(q["context"])
    config = context.pop("config", {})
    parameters = context.pop("parameters", {})
    try:
        if q["kind"] == "string":
            value = InterpolatedString(q["value"], parameters=parameters).eval(config, **context)
        elif q["kind"] == "boolean":
            value = InterpolatedBoolean(q["value"], parameters=parameters).eval(config, **context)
        else:
            kwargs = {"valid_value_types": (str, list)} if q["values"] == "str_or_list" else {}
            value = InterpolatedMapping(q["value"], parameters=parameters).eval(config, **kwargs, **context)
        out = {"value": normalise(value)}
    except Exception:
        out = {"error": True}
    print(json.dumps(out))
