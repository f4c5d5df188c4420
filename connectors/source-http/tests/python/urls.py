"""The reference for source-http's URLs: Python's urllib.parse.urljoin,
HttpRequester._join_url and _get_url, HttpClient._dedupe_query_params and
requests' URL preparation. Reads JSON lines {"kind": ..., ...} and prints
`ANSWER {"value": ...}` or `ANSWER {"error": CLASS, "message": TEXT}`.
"""
import contextlib
import io
import json
import logging
import sys
import urllib.parse

import requests

from airbyte_cdk.sources.declarative.models.declarative_component_schema import HttpRequester as HttpRequesterModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.sources.types import StreamSlice

logging.disable(logging.CRITICAL)


def answer(q):
    kind = q["kind"]
    if kind == "urljoin":
        return urllib.parse.urljoin(q["base"], q["url"])
    if kind == "join_url":
        return HttpRequester._join_url(q["url_base"], q["path"])
    if kind == "prepare":
        return requests.Request("GET", q["url"], params=[tuple(p) for p in q["params"]]).prepare().url
    if kind == "dedupe":
        client = HttpClient(name="s", logger=logging.getLogger("x"))
        return sorted(client._dedupe_query_params(q["url"], q["params"]).keys())
    if kind == "requester":
        config = q.get("config", {})
        requester = ModelToComponentFactory().create_component(HttpRequesterModel, q["requester"], config, name="s")
        token = q.get("token")
        slice_ = StreamSlice(partition=q.get("partition", {}), cursor_slice={})
        return requester._get_url(
            path=q.get("path"),
            stream_slice=slice_,
            next_page_token={"next_page_token": token} if token is not None else None,
        )
    raise ValueError(kind)


answers = []
for line in sys.stdin:
    q = json.loads(line)
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            out = {"value": answer(q)}
        except Exception as e:
            out = {"error": type(e).__name__, "message": str(e)}
    # Answered once stdin is read: the caller writes every query before it reads.
    answers.append("ANSWER " + json.dumps(out))
print("\n".join(answers), flush=True)
