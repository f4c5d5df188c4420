#!/usr/bin/env python3
"""Checks Airbyte message lines against the official protocol models.

Reads JSON lines on stdin (or from files given as arguments) and parses each
one with the pydantic models of `airbyte-protocol-models` (the package the
platform's Python tooling uses). A line also fails if the payload named by its
`type` is missing, since the models do not check that.

  --expect-invalid   every line must be rejected (to show the check can fail)
  --no-nulls         also reject `null` outside opaque blobs (data, schemas,
                     state), since emitters must omit absent fields

Exit status: 0 if every line met the expectation, 1 otherwise.
"""
import json
import sys

from airbyte_protocol.models import AirbyteMessage

PAYLOAD_KEY = {"CONNECTION_STATUS": "connectionStatus"}
# Objects whose content is not protocol structure: skip them in --no-nulls.
OPAQUE = {"data", "json_schema", "stream_state", "shared_state", "connectionSpecification", "config"}


def find_null(value, path):
    if value is None:
        return path or "<root>"
    if isinstance(value, dict):
        for key, child in value.items():
            if key in OPAQUE:
                continue
            found = find_null(child, f"{path}/{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found = find_null(child, f"{path}/{i}")
            if found:
                return found
    return None


def check(line, no_nulls):
    """Returns None if the line is a valid message, else the reason."""
    try:
        obj = json.loads(line)
    except ValueError as e:
        return f"not JSON: {e}"
    if not isinstance(obj, dict):
        return "not a JSON object"
    try:
        AirbyteMessage.parse_obj(obj)
    except Exception as e:  # pydantic.ValidationError, or anything else the models raise
        return " ".join(str(e).split())[:300]
    kind = obj.get("type")
    key = PAYLOAD_KEY.get(kind, str(kind).lower())
    if obj.get(key) is None:
        return f"type={kind} but its payload `{key}` is missing"
    if no_nulls:
        found = find_null(obj, "")
        if found:
            return f"null at {found}: emitters must omit absent fields"
    return None


def main(argv):
    expect_invalid = "--expect-invalid" in argv
    no_nulls = "--no-nulls" in argv
    files = [a for a in argv if not a.startswith("--")]
    sources = [open(f, encoding="utf-8") for f in files] or [sys.stdin]
    checked = wrong = 0
    for source in sources:
        name = getattr(source, "name", "<stdin>")
        for number, line in enumerate(source, 1):
            if not line.strip():
                continue
            checked += 1
            reason = check(line, no_nulls)
            if expect_invalid and reason is None:
                wrong += 1
                print(f"{name}:{number}: accepted, but should have been rejected", file=sys.stderr)
            elif not expect_invalid and reason is not None:
                wrong += 1
                print(f"{name}:{number}: {reason}", file=sys.stderr)
    verdict = "rejected as expected" if expect_invalid else "valid"
    print(f"{checked - wrong} of {checked} lines {verdict}")
    return 1 if wrong or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
