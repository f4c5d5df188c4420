"""The reference for source-http's pagination: airbyte-cdk's DefaultPaginator
and NoPagination, built by the ModelToComponentFactory with the default
JsonDecoder. Reads JSON lines {"paginator": {...}|null, "config": {...},
"kind": "next"|"options", ...} and prints `ANSWER {...}` or
`ANSWER {"error": CLASS, "message": TEXT}`.

- "next": {"body": TEXT, "headers": [[name, value], ...], "emitted": N,
  "extracted": N|null, "last_record": {...}|null, "last": TOKEN|null,
  "slice": {...}} gives {"next": TOKEN|null} (the unwrapped token).
- "links": {"headers": [[name, value], ...]} gives {"links": response.links}.
- "options": {"token": TOKEN|null} gives {"initial": ..., "page_size": ...,
  "path": ..., "params": ..., "headers": ..., "body_data": ..., "body_json": ...}.
"""
import contextlib
import io
import json
import logging
import sys

import requests
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict

from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    DefaultPaginator as DefaultPaginatorModel,
    NoPagination as NoPaginationModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.paginators.no_pagination import NoPagination
from airbyte_cdk.sources.types import StreamSlice

logging.disable(logging.CRITICAL)


def build(q):
    definition = q.get("paginator")
    if not definition:
        return NoPagination(parameters={})
    model = NoPaginationModel if definition["type"] == "NoPagination" else DefaultPaginatorModel
    return ModelToComponentFactory().create_component(model, definition, q.get("config", {}), url_base="unused")


def response(q):
    r = requests.Response()
    r.status_code = 200
    r._content = q["body"].encode()
    headers = HTTPHeaderDict()
    for name, value in q.get("headers", []):
        headers.add(name, value)
    r.headers = CaseInsensitiveDict(headers)
    if q.get("extracted") is not None:
        setattr(r, "_airbyte_extracted_record_count", q["extracted"])
    return r


def run(q):
    if q["kind"] == "links":
        return {"links": response({"body": "", **q}).links}
    paginator = build(q)
    if q["kind"] == "next":
        token = paginator.next_page_token(
            response(q),
            q["emitted"],
            q.get("last_record"),
            q.get("last"),
            stream_slice=StreamSlice(partition=q.get("slice", {}), cursor_slice={}),
        )
        return {"next": token.get("next_page_token") if token else None}
    token = q.get("token")
    wrapped = {"next_page_token": token} if token is not None else None
    return {
        "initial": paginator.get_initial_token(),
        "page_size": paginator.get_page_size() if hasattr(paginator, "get_page_size") else None,
        "path": paginator.path(wrapped),
        "params": paginator.get_request_params(next_page_token=wrapped),
        "headers": paginator.get_request_headers(next_page_token=wrapped),
        "body_data": paginator.get_request_body_data(next_page_token=wrapped),
        "body_json": paginator.get_request_body_json(next_page_token=wrapped),
    }


answers = []
for line in sys.stdin:
    q = json.loads(line)
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            out = run(q)
        except Exception as e:
            out = {"error": type(e).__name__, "message": str(e)}
    # Answered once stdin is read: the caller writes every query before it reads.
    answers.append("ANSWER " + json.dumps(out))
print("\n".join(answers), flush=True)
