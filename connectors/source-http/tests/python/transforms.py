"""The reference for source-http's record transformations: the CDK's
transformations as ModelToComponentFactory builds them from their manifest
mappings. Reads JSON lines
    {"transformations": [...], "record": {...}, "config": {...},
     "slice": {"partition": {...}, "cursor_slice": {...}} or null}
and prints `ANSWER ` + {"record": ...} (the record after each
transformation ran in order) or {"error": "<exception type>"}.
"""
import contextlib
import io
import json
import sys

from airbyte_cdk.sources.declarative.models import declarative_component_schema as models
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import (
    ModelToComponentFactory,
)
from airbyte_cdk.sources.types import StreamSlice

factory = ModelToComponentFactory()


def build(definition, config):
    return factory.create_component(getattr(models, definition["type"]), definition, config)


for line in sys.stdin:
    q = json.loads(line)
    config = q.get("config", {})
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            s = q.get("slice")
            stream_slice = (
                StreamSlice(partition=s["partition"], cursor_slice=s["cursor_slice"]) if s else None
            )
            record = q["record"]
            for t in q["transformations"]:
                build(t, config).transform(record, config=config, stream_state=None, stream_slice=stream_slice)
            out = {"record": record}
        except Exception as e:  # the CDK raising is an answer too
            out = {"error": type(e).__name__, "message": str(e)}
    print("ANSWER " + json.dumps(out), flush=True)
