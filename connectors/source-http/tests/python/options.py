"""The reference for source-http's request building: airbyte-cdk's
SimpleRetriever._fetch_next_page with an HttpRequester and a DefaultPaginator
built by the ModelToComponentFactory, a stub slicer and an ApiKeyAuthenticator,
down to the PreparedRequest requests would send (the send itself is stubbed).

Reads JSON lines {"requester": {...}, "paginator": {...}|null, "slicer":
{"params": {}, ...}, "auth": {"inject_into": ..., "field_name": ..., "token":
...}|null, "config": {...}, "partition": {...}, "cursor_slice": {...},
"token": T|null} and prints `ANSWER {"request": {...}}` (method, URL without
its query, the query's encoded pairs sorted, headers without Content-Length,
the body as JSON, sorted form pairs or raw text) or `ANSWER {"error": CLASS,
"message": TEXT}`.
"""
import contextlib
import io
import json
import logging
import sys
from unittest.mock import MagicMock

import requests

from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    ApiKeyAuthenticator as ApiKeyAuthenticatorModel,
    DefaultPaginator as DefaultPaginatorModel,
    HttpRequester as HttpRequesterModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.request_options.request_options_provider import (
    RequestOptionsProvider,
)
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.types import StreamSlice

logging.disable(logging.CRITICAL)


class Slicer(RequestOptionsProvider):
    def __init__(self, options):
        self.options = options

    def get_request_params(self, **kwargs):
        return self.options.get("params", {})

    def get_request_headers(self, **kwargs):
        return self.options.get("headers", {})

    def get_request_body_data(self, **kwargs):
        return self.options.get("body_data", {})

    def get_request_body_json(self, **kwargs):
        return self.options.get("body_json", {})


def normalised(prepared):
    url = prepared.url
    base, _, query = url.partition("?")
    headers = {k: v for k, v in prepared.headers.items() if k != "Content-Length"}
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    content_type = prepared.headers.get("Content-Type", "")
    if body is None:
        shaped = None
    elif content_type == "application/json":
        shaped = {"json": json.loads(body)}
    elif content_type == "application/x-www-form-urlencoded":
        shaped = {"form": sorted(body.split("&"))}
    else:
        shaped = {"raw": body}
    return {
        "method": prepared.method,
        "url": base,
        "query": sorted(query.split("&")) if query else [],
        "headers": headers,
        "body": shaped,
    }


def run(q):
    factory = ModelToComponentFactory()
    config = q.get("config", {})
    auth = None
    if q.get("auth"):
        a = q["auth"]
        auth = factory.create_component(
            ApiKeyAuthenticatorModel,
            {
                "type": "ApiKeyAuthenticator",
                "api_token": a["token"],
                "inject_into": {"type": "RequestOption", "inject_into": a["inject_into"], "field_name": a["field_name"]},
            },
            config,
        )
    requester = factory.create_component(HttpRequesterModel, q["requester"], config, name="s")
    if auth is not None:
        requester._authenticator = auth
        requester._http_client._session.auth = auth
    paginator = (
        factory.create_component(DefaultPaginatorModel, q["paginator"], config, url_base="unused")
        if q.get("paginator")
        else None
    )
    retriever = SimpleRetriever(
        requester=requester,
        record_selector=MagicMock(),
        config=config,
        parameters={},
        name="s",
        primary_key=None,
        paginator=paginator,
        request_option_provider=Slicer(q.get("slicer", {})),
    )
    sent = {}

    def send(request, **kwargs):
        sent["request"] = request
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.request = request
        response.url = request.url
        return response

    requester._http_client._session.send = send
    requester._http_client._session.headers.clear()
    stream_slice = StreamSlice(partition=q.get("partition", {}), cursor_slice=q.get("cursor_slice", {}))
    token = q.get("token")
    retriever._fetch_next_page(stream_slice, {"next_page_token": token} if token is not None else None)
    return normalised(sent["request"])


answers = []
for line in sys.stdin:
    q = json.loads(line)
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            out = {"request": run(q)}
        except Exception as e:
            out = {"error": type(e).__name__, "message": str(e)}
    # Answered once stdin is read: the caller writes every query before it reads.
    answers.append("ANSWER " + json.dumps(out))
print("\n".join(answers), flush=True)
