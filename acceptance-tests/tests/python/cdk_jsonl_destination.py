"""A destination written on Airbyte's Python CDK: records to JSONL files.

Used by acceptance-tests/tests/python_connectors.rs, run with the airbyte-cdk
venv's Python through our sync runner. Config: {"destination_path": DIR}.
Each record becomes one line of DIR/<namespace>.<stream>.jsonl (or
DIR/<stream>.jsonl without a namespace), as {"data": ..., "emitted_at": ...};
`overwrite` streams are emptied when the write starts. Each STATE is echoed
after every record before it is flushed and fsynced.

The CDK's message models drop the keys the protocol schema does not list,
among them the integer `id` the platform adds to every state it forwards and
reads back from the echo (airbyte-protocol.md §2.5; airbytehq/airbyte#51534).
So this destination echoes each state as the line it received, unchanged.
"""

import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

import orjson
from airbyte_cdk.destinations import Destination
from airbyte_cdk.exception_handler import init_uncaught_exception_handler
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    DestinationSyncMode,
    Status,
    Type,
)


class JsonlDestination(Destination):
    def __init__(self) -> None:
        # The original line of each STATE message read, by the message's identity.
        self._state_lines: dict[int, str] = {}

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(
            connectionSpecification={
                "$schema": "http://json-schema.org/draft-07/schema#",
                "title": "JSONL files (CDK test destination)",
                "type": "object",
                "required": ["destination_path"],
                "additionalProperties": False,
                "properties": {
                    "destination_path": {
                        "type": "string",
                        "description": "The folder the JSONL files are written to.",
                    }
                },
            },
            supported_destination_sync_modes=[
                DestinationSyncMode.append,
                DestinationSyncMode.overwrite,
                DestinationSyncMode.append_dedup,
            ],
        )

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        try:
            folder = Path(config["destination_path"])
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".check"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            return AirbyteConnectionStatus(status=Status.FAILED, message=f"cannot write to the folder: {e}")
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        folder = Path(config["destination_path"])
        folder.mkdir(parents=True, exist_ok=True)
        files: dict[tuple[str | None, str], io.TextIOWrapper] = {}
        for configured in configured_catalog.streams:
            key = (configured.stream.namespace, configured.stream.name)
            mode = "w" if configured.destination_sync_mode == DestinationSyncMode.overwrite else "a"
            files[key] = open(folder / file_name(*key), mode, encoding="utf-8")
        try:
            for message in input_messages:
                if message.type == Type.RECORD:
                    record = message.record
                    out = files.get((record.namespace, record.stream))
                    if out is None:
                        raise ValueError(
                            f"a record for stream {record.namespace}.{record.stream}, which is not in the configured catalog"
                        )
                    out.write(json.dumps({"data": record.data, "emitted_at": record.emitted_at}) + "\n")
                elif message.type == Type.STATE:
                    for out in files.values():
                        out.flush()
                        os.fsync(out.fileno())
                    yield message
        finally:
            for out in files.values():
                out.close()

    def _parse_input_stream(self, input_stream: io.TextIOWrapper) -> Iterable[AirbyteMessage]:
        for line in input_stream:
            try:
                message = AirbyteMessageSerializer.load(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
            if message.type == Type.STATE:
                self._state_lines[id(message)] = line.strip()
            yield message

    def run(self, args: list[str]) -> None:
        init_uncaught_exception_handler(logging.getLogger("airbyte"))
        parsed_args = self.parse_args(args)
        for message in self.run_cmd(parsed_args):
            line = self._state_lines.pop(id(message), None)
            if line is None:
                line = orjson.dumps(AirbyteMessageSerializer.dump(message)).decode()
            print(line, flush=True)


def file_name(namespace: str | None, name: str) -> str:
    return f"{namespace}.{name}.jsonl" if namespace else f"{name}.jsonl"


if __name__ == "__main__":
    JsonlDestination().run(sys.argv[1:])
