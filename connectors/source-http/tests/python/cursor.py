"""The reference for source-http's incremental cursors: the ConcurrentCursor
(and ConcurrentPerPartitionCursor) that airbyte-cdk's ModelToComponentFactory
builds from a DatetimeBasedCursor. Reads JSON lines, prints one line each,
prefixed with `ANSWER `:

    {"cursor": {...DatetimeBasedCursor...}, "config": {...}, "state": {...},
     "now": MICROS,                       # what "now" is (the default end)
     "reads": [[record, ...], ...],       # the records read in window i
     "close_order": [i, ...],             # the windows closed, in this order (default: all, in order)
     "check": [record, ...]}              # records given to should_be_synced
    (an IncrementingCountCursor too: its slice's infinite end is written null)
    -> {"slices": [...], "states": [state emitted, ...], "final": state, "synced": [bool, ...]}

    {"per_partition": true, "cursor": ..., "config": ..., "state": ..., "now": ...,
     "partitions": [{"partition": {...}, "extra_fields": {...}, "parent_state": X}, ...],
     "router_state": X,                   # get_stream_state() at the end
     "grouping": false,
     "reads": [[record, ...], ...],       # by slice, over all partitions' windows
     "check": [[slice index, record], ...]}
    -> {"slices": [{"partition", "cursor_slice", "extra_fields"}], "states": [...], "final": state, "synced": [...]}

    {"duration": TEXT, "micros": N, "offset": S}   # isodate.parse_duration, added to and taken from a datetime
    -> {"added": MICROS or "error", "subtracted": MICROS or "error", "truthy": bool}

    -> {"error": "<exception type>"} when the CDK raises.
"""
import contextlib
import datetime
import io
import json
import sys

from isodate import parse_duration

from airbyte_cdk.models import AirbyteMessageSerializer, Type
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    DatetimeBasedCursor as DatetimeBasedCursorModel,
)
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    IncrementingCountCursor as IncrementingCountCursorModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import (
    ModelToComponentFactory,
)
from airbyte_cdk.sources.declarative.partition_routers.grouping_partition_router import (
    GroupingPartitionRouter,
)
from airbyte_cdk.sources.declarative.partition_routers.partition_router import PartitionRouter
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams.concurrent.state_converters import datetime_stream_state_converter
from airbyte_cdk.sources.types import Record, StreamSlice
from airbyte_cdk.utils.datetime_helpers import AirbyteDateTime

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class Closed:
    def __init__(self, stream_slice):
        self._slice = stream_slice

    def to_slice(self):
        return self._slice


class FakeRouter(PartitionRouter):
    """Yields the given partitions; its state is the last one's parent_state."""

    def __init__(self, partitions, final_state):
        self._partitions = partitions
        self._final = final_state
        self._state = None
        self._done = False

    def stream_slices(self):
        for p in self._partitions:
            self._state = p.get("parent_state")
            yield StreamSlice(
                partition=p["partition"], cursor_slice={}, extra_fields=p.get("extra_fields") or {}
            )
        self._done = True

    def get_stream_state(self):
        return self._final if self._done else self._state

    def get_request_params(self, **kwargs):
        return {}

    def get_request_headers(self, **kwargs):
        return {}

    def get_request_body_data(self, **kwargs):
        return {}

    def get_request_body_json(self, **kwargs):
        return {}


class FakeGrouping(FakeRouter, GroupingPartitionRouter):
    """A router the factory takes for a GroupingPartitionRouter."""


def states(repository):
    out = []
    for message in repository.consume_queue():
        if message.type == Type.STATE:
            out.append(AirbyteMessageSerializer.dump(message)["state"]["stream"]["stream_state"])
    return out


def plain(s):
    return {
        "partition": dict(s.partition),
        "cursor_slice": dict(s.cursor_slice),
        "extra_fields": dict(s.extra_fields),
    }


def finite(window):
    """Python's `inf` (a counting cursor's end) is no JSON: null."""
    return {k: None if v == float("inf") else v for k, v in window.items()}


def micros_of(dt):
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def duration(q):
    d = parse_duration(q["duration"])
    tz = datetime.timezone(datetime.timedelta(seconds=q.get("offset", 0)))
    dt = (EPOCH + datetime.timedelta(microseconds=q["micros"])).astimezone(tz)
    out = {"truthy": bool(d)}
    for key, f in (("added", lambda: dt + d), ("subtracted", lambda: dt - d)):
        try:
            out[key] = micros_of(f())
        except (OverflowError, ValueError):
            out[key] = "error"
    return out


def answer(q):
    if "duration" in q:
        return duration(q)
    now = AirbyteDateTime.from_datetime(EPOCH + datetime.timedelta(microseconds=q.get("now", 0)))
    datetime_stream_state_converter.ab_datetime_now = lambda: now
    repository = InMemoryMessageRepository()
    factory = ModelToComponentFactory(message_repository=repository)
    definition = dict(q["cursor"])
    if q.get("per_partition"):
        router_class = FakeGrouping if q.get("grouping") else FakeRouter
        router = router_class(q["partitions"], q.get("router_state"))
        cursor = factory.create_concurrent_cursor_from_perpartition_cursor(
            state_manager=ConnectorStateManager(),
            model_type=DatetimeBasedCursorModel,
            component_definition=definition,
            stream_name="s",
            stream_namespace=None,
            config=q.get("config", {}),
            stream_state=q.get("state", {}),
            partition_router=router,
            attempt_to_create_cursor_if_not_provided=True,
        )
    elif definition["type"] == "IncrementingCountCursor":
        cursor = factory.create_concurrent_cursor_from_incrementing_count_cursor(
            model_type=IncrementingCountCursorModel,
            component_definition=definition,
            stream_name="s",
            stream_namespace=None,
            stream_state=q.get("state", {}),
            config=q.get("config", {}),
            message_repository=repository,
        )
    else:
        cursor = factory.create_concurrent_cursor_from_datetime_based_cursor(
            model_type=DatetimeBasedCursorModel,
            component_definition=definition,
            stream_name="s",
            stream_namespace=None,
            stream_state=q.get("state", {}),
            config=q.get("config", {}),
            message_repository=repository,
        )
    slices = list(cursor.stream_slices())
    synced = []
    for item in q.get("check", []):
        index, record = item if q.get("per_partition") else (None, item)
        s = slices[index] if index is not None else None
        synced.append(cursor.should_be_synced(Record(data=record, associated_slice=s, stream_name="s")))
    reads = q.get("reads", [])
    emitted = []
    for i in q.get("close_order", range(len(slices))):
        s = slices[i]
        for record in reads[i] if i < len(reads) else []:
            cursor.observe(Record(data=record, associated_slice=s, stream_name="s"))
        cursor.close_partition(Closed(s))
        emitted.extend(states(repository))
    cursor.ensure_at_least_one_state_emitted()
    final = states(repository)
    shown = [plain(s) for s in slices] if q.get("per_partition") else [finite(dict(s)) for s in slices]
    return {"slices": shown, "states": emitted, "final": final[-1] if final else None, "synced": synced}


for line in sys.stdin:
    q = json.loads(line)
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            out = answer(q)
        except Exception as e:  # the CDK raising is an answer too
            out = {"error": type(e).__name__, "message": str(e)}
    print("ANSWER " + json.dumps(out), flush=True)
