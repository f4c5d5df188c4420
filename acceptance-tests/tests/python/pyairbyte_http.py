"""PyAirbyte reads source-http (the image, or the binary) into its DuckDB cache.

Run by acceptance-tests/tests/pyairbyte_connectors.rs with the PyAirbyte venv's
Python, offline (AIRBYTE_OFFLINE_MODE=1), with every PyAirbyte folder in a
temp dir. Usage: pyairbyte_http.py ARGS_JSON RESULT_JSON

ARGS_JSON: {"config": the source's config (the example manifest injected, as
the platform runs a Connector Builder source), "streams": [...],
"incremental_streams": [...] (whose cached state to report), "dir": a folder
for the cache, and either "docker_image" (run with `docker run
--network host`, PyAirbyte's `use_host_network`, so that the image reaches
the fixture API on 127.0.0.1) or "local_executable"}.

It checks the source, reads the streams into the cache twice (PyAirbyte asks
for `incremental` where a stream supports it, and the second read resumes
from the state the first left in the cache), and writes to RESULT_JSON what
it saw: records processed per read, rows and distinct ids per stream in the
cache, and the stream state the cache keeps for the incremental stream.
"""

import json
import sys
from pathlib import Path

import airbyte as ab
from airbyte.caches import DuckDBCache


def source(args):
    how = (
        {"docker_image": args["docker_image"], "use_host_network": True}
        if "docker_image" in args
        else {"local_executable": args["local_executable"]}
    )
    src = ab.get_source("source-http", config=args["config"], install_if_missing=False, **how)
    src.select_streams(args["streams"])
    return src


def main():
    args = json.loads(Path(sys.argv[1]).read_text())
    src = source(args)
    src.check()
    duck = DuckDBCache(db_path=str(Path(args["dir"]) / "http.duckdb"), schema_name="main")
    first = src.read(cache=duck)
    counts = {}
    for name in args["streams"]:
        ids = [row["id"] for row in first[name]]
        counts[name] = {"rows": len(ids), "distinct_ids": len(set(ids))}
    second = src.read(cache=duck)
    states = duck.get_state_provider("source-http")
    out = {
        "processed_records": first.processed_records,
        "second_processed_records": second.processed_records,
        "cache_counts": counts,
        "cache_streams": sorted(first.streams.keys()),
        "stream_states": {
            name: states.get_stream_state(name).model_dump(mode="json", exclude_none=True)[
                "stream"
            ]["stream_state"]
            for name in args["incremental_streams"]
        },
    }
    Path(sys.argv[2]).write_text(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
