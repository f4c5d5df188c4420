"""The reference for source-http's partition routers: the CDK's
ListPartitionRouter (built by ModelToComponentFactory), SubstreamPartitionRouter
(over fake parent streams), GroupingPartitionRouter and the Cartesian product
of a list of routers. Reads JSON lines
    {"router": {...} or [...], "config": {...},
     "parents": [[{"partition": {...}, "records": [...]}, ...], ...]}   # per parent config
and prints `ANSWER ` + {"partitions": [{"partition", "cursor_slice", "extra_fields",
"state", "params"}], "final_state": ...} or {"error": "<exception type>"}.

A fake parent's cursor state counts the calls the router makes:
{"observed": n, "closed": n, "ensured": n}.
"""
import contextlib
import io
import json
import sys

from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    ListPartitionRouter as ListPartitionRouterModel,
    RequestOption as RequestOptionModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import (
    ModelToComponentFactory,
)
from airbyte_cdk.sources.declarative.partition_routers.cartesian_product_stream_slicer import (
    CartesianProductStreamSlicer,
)
from airbyte_cdk.sources.declarative.partition_routers.grouping_partition_router import (
    GroupingPartitionRouter,
)
from airbyte_cdk.sources.declarative.partition_routers.substream_partition_router import (
    ParentStreamConfig,
    SubstreamPartitionRouter,
)
from airbyte_cdk.sources.types import Record, StreamSlice

factory = ModelToComponentFactory()


class FakeCursor:
    def __init__(self):
        self.counts = {"observed": 0, "closed": 0, "ensured": 0}

    @property
    def state(self):
        return dict(self.counts)

    def observe(self, record):
        self.counts["observed"] += 1

    def close_partition(self, partition):
        self.counts["closed"] += 1

    def ensure_at_least_one_state_emitted(self):
        self.counts["ensured"] += 1


class FakePartition:
    def __init__(self, page):
        self._slice = StreamSlice(partition=page["partition"], cursor_slice={})
        self._records = page["records"]

    def read(self):
        for r in self._records:
            yield Record(data=r, associated_slice=self._slice, stream_name="parent")

    def to_slice(self):
        return self._slice


class FakeStream:
    def __init__(self, name, pages):
        self.name = name
        self.cursor = FakeCursor()
        self._pages = pages

    def generate_partitions(self):
        for page in self._pages:
            yield FakePartition(page)


def build(definition, config, parents):
    if isinstance(definition, list):
        return CartesianProductStreamSlicer(
            [build(d, config, parents) for d in definition], parameters={}
        )
    t = definition["type"]
    if t == "ListPartitionRouter":
        return factory.create_component(ListPartitionRouterModel, definition, config)
    if t == "GroupingPartitionRouter":
        return GroupingPartitionRouter(
            group_size=definition["group_size"],
            underlying_partition_router=build(definition["underlying_partition_router"], config, parents),
            config=config,
            deduplicate=definition.get("deduplicate", True),
        )
    if t == "SubstreamPartitionRouter":
        configs = []
        for i, c in enumerate(definition["parent_stream_configs"]):
            option = (
                factory.create_component(RequestOptionModel, c["request_option"], config)
                if c.get("request_option")
                else None
            )
            configs.append(
                ParentStreamConfig(
                    stream=FakeStream(c["stream"]["name"], parents[i] if i < len(parents) else []),
                    parent_key=c["parent_key"],
                    partition_field=c["partition_field"],
                    config=config,
                    parameters=c.get("$parameters", {}),
                    extra_fields=c.get("extra_fields"),
                    request_option=option,
                    incremental_dependency=c.get("incremental_dependency", False),
                )
            )
        return SubstreamPartitionRouter(parent_stream_configs=configs, config=config, parameters={})
    raise ValueError(f"unknown router {t}")


for line in sys.stdin:
    q = json.loads(line)
    config = q.get("config", {})
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            router = build(q["router"], config, q.get("parents", []))
            out = []
            for s in router.stream_slices():
                out.append(
                    {
                        "partition": dict(s.partition),
                        "cursor_slice": dict(s.cursor_slice),
                        "extra_fields": dict(s.extra_fields),
                        "state": router.get_stream_state(),
                        "params": dict(router.get_request_params(stream_slice=s)),
                    }
                )
            answer = {"partitions": out, "final_state": router.get_stream_state()}
        except Exception as e:  # the CDK raising is an answer too
            answer = {"error": type(e).__name__, "message": str(e)}
    print("ANSWER " + json.dumps(answer), flush=True)
