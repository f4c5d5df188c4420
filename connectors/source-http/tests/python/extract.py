"""The reference for source-http's record extraction: airbyte-cdk's
DpathExtractor with its JsonDecoder. Reads JSON lines
{"body": TEXT, "field_path": [...], "config": {...}} and prints
{"records": [...]} or {"error": true}, each line prefixed with `ANSWER `
(the CDK logs parse failures as LOG messages on stdout too).
"""
import contextlib
import io
import json
import sys

import requests

from airbyte_cdk.sources.declarative.decoders.json_decoder import JsonDecoder
from airbyte_cdk.sources.declarative.extractors.dpath_extractor import DpathExtractor

for line in sys.stdin:
    q = json.loads(line)
    response = requests.Response()
    response._content = q["body"].encode()
    response.status_code = 200
    # The CDK prints its parse errors as LOG messages on stdout: keep them out.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            extractor = DpathExtractor(
                field_path=q["field_path"], config=q["config"], parameters={}, decoder=JsonDecoder(parameters={})
            )
            out = {"records": list(extractor.extract_records(response))}
        except Exception:
            out = {"error": True}
    print("ANSWER " + json.dumps(out), flush=True)
