"""The reference for source-http's literal evaluation and Python str().

Reads JSON lines on stdin and prints one JSON line per input:
    {"literal": TEXT}  ->  {"value": V} (tuples and sets as lists, dict keys
                           as str()), or {"text": true} when ast.literal_eval
                           fails or gives a complex, inf or nan
    {"str": VALUE}     ->  {"str": str(VALUE)}
"""
import ast
import json
import math
import sys


def normalise(v):
    if isinstance(v, dict):
        return {str(k): normalise(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [normalise(x) for x in v]
    if isinstance(v, (set, frozenset)):
        raise ValueError("a set's order is not defined")
    if isinstance(v, complex):
        raise ValueError("complex")
    if isinstance(v, bytes):
        raise ValueError("bytes are kept as text by source-http")
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        raise ValueError("not JSON")
    if isinstance(v, int) and not isinstance(v, bool) and not (-(2**63) <= v < 2**64):
        return float(v)
    return v


for line in sys.stdin:
    query = json.loads(line)
    if "literal" in query:
        # As the CDK does: ast.literal_eval, which strips leading spaces and tabs.
        try:
            out = {"value": normalise(ast.literal_eval(query["literal"]))}
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            out = {"text": True}
    else:
        out = {"str": str(query["str"])}
    print(json.dumps(out))
