"""The reference for source-http's error handling: airbyte-cdk's
DefaultErrorHandler and CompositeErrorHandler built by the
ModelToComponentFactory, and HttpClient's retry loops.

Reads JSON lines and prints `ANSWER {...}`, `ANSWER {"error":
"AirbyteTracedException", "message": TEXT, "failure_type": F}` or `ANSWER
{"error": CLASS, "message": TEXT}`:

- {"kind": "resolve", "handler": {...}, "config": {...}, "outcome": O,
  "attempt": N} gives {"action", "failure_type", "message", "max_retries",
  "wait"} where O is {"status", "reason", "url", "headers": [[n, v]],
  "body"} or {"exception": CLASS, "message": TEXT}, and "wait" the first
  truthy backoff of the handler's strategies (time.time() is `now`).
- {"kind": "retry", "handler": {...}, "config": {...}, "outcomes": [O...]}
  sends one request through HttpClient.send_request, the session answering
  with the outcomes in turn (the last one repeated), sleeping on a fake
  clock; gives {"sends": N, "sleeps": [...], "status": S} or the error.
"""
import contextlib
import datetime as real_datetime
import io
import json
import logging
import sys
import time
import types

import backoff._sync
import requests
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    CompositeErrorHandler as CompositeErrorHandlerModel,
    DefaultErrorHandler as DefaultErrorHandlerModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

logging.disable(logging.CRITICAL)

NOW = 1_700_000_000.0
CLOCK = [0.0]
SLEEPS = []
BASE = real_datetime.datetime(2024, 1, 1)


class FakeDatetime:
    @staticmethod
    def now():
        return BASE + real_datetime.timedelta(seconds=CLOCK[0])


def fake_sleep(seconds):
    if seconds:
        SLEEPS.append(seconds)
        CLOCK[0] += seconds


time.sleep = fake_sleep
time.time = lambda: NOW
backoff._sync.datetime = types.SimpleNamespace(datetime=FakeDatetime)


def build(q):
    definition = q["handler"]
    model = CompositeErrorHandlerModel if definition["type"] == "CompositeErrorHandler" else DefaultErrorHandlerModel
    return ModelToComponentFactory().create_component(model, definition, q.get("config", {}))


def outcome(o, request=None):
    if "exception" in o:
        return getattr(requests.exceptions, o["exception"])(o["message"])
    r = requests.Response()
    r.status_code = o["status"]
    r.reason = o.get("reason", "")
    r.url = o.get("url", "https://api.io/x")
    r._content = o.get("body", "").encode()
    headers = HTTPHeaderDict()
    for name, value in o.get("headers", []):
        headers.add(name, value)
    r.headers = CaseInsensitiveDict(headers)
    r.request = request
    return r


def failure(f):
    return f.value if f is not None else None


def run(q):
    handler = build(q)
    if q["kind"] == "resolve":
        o = outcome(q["outcome"])
        resolution = handler.interpret_response(o)
        wait = None
        for strategy in handler.backoff_strategies or []:
            wait = strategy.backoff_time(response_or_exception=o, attempt_count=q.get("attempt", 1))
            if wait:
                break
        return {
            "action": resolution.response_action.value,
            "failure_type": failure(resolution.failure_type),
            "message": resolution.error_message,
            "max_retries": handler.max_retries,
            "wait": wait or None,
        }
    CLOCK[0] = 0.0
    SLEEPS.clear()
    client = HttpClient(
        name="s",
        logger=logging.getLogger("s"),
        error_handler=handler,
        backoff_strategy=handler.backoff_strategies,
    )
    outcomes = list(q["outcomes"])
    sends = [0]

    def send(request, **kwargs):
        i = min(sends[0], len(outcomes) - 1)
        sends[0] += 1
        o = outcome(outcomes[i], request)
        if isinstance(o, Exception):
            raise o
        return o

    client._session.send = send
    try:
        _, response = client.send_request("GET", "https://api.io/x", request_kwargs={})
        return {"sends": sends[0], "sleeps": SLEEPS[:], "status": response.status_code}
    except AirbyteTracedException as e:
        return {
            "sends": sends[0],
            "sleeps": SLEEPS[:],
            "error": "AirbyteTracedException",
            "message": e.message,
            "failure_type": failure(e.failure_type),
        }


answers = []
for line in sys.stdin:
    q = json.loads(line)
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            out = run(q)
        except AirbyteTracedException as e:
            out = {"error": "AirbyteTracedException", "message": e.message, "failure_type": failure(e.failure_type)}
        except Exception as e:
            out = {"error": type(e).__name__, "message": str(e)}
    # Answered once stdin is read: the caller writes every query before it reads.
    answers.append("ANSWER " + json.dumps(out))
print("\n".join(answers), flush=True)
