"""The reference for source-http's Jinja: airbyte-cdk's JinjaInterpolation.
Reads JSON lines {"template": T, "context": {...}, "default": D|null} and
prints {"value": V} (tuples as lists, dict keys as str()) or {"error": true}.
"""
import json
import sys

from airbyte_cdk.sources.declarative.interpolation.jinja import JinjaInterpolation

jinja = JinjaInterpolation()


def normalise(v):
    if isinstance(v, dict):
        return {str(k): normalise(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [normalise(x) for x in v]
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


for line in sys.stdin:
    q = json.loads(line)
    context = dict(q["context"])
    config = context.pop("config", {})
    try:
        out = {"value": normalise(jinja.eval(q["template"], config, default=q["default"], **context))}
    except Exception:  # any failure: both engines must fail
        out = {"error": True}
    print(json.dumps(out))
