"""PyAirbyte against our PostgreSQL connectors, run as local executables.

Run by acceptance-tests/tests/pyairbyte_connectors.rs with the PyAirbyte venv's
Python, offline (AIRBYTE_OFFLINE_MODE=1), with every PyAirbyte folder in a
temp dir. Usage: pyairbyte_postgres.py PHASE ARGS_JSON RESULT_JSON

Phases:
  main         read payment, rental and film into a DuckDB cache, then write
               that result to destination-postgres, then write straight from
               the source (no cache) to a second destination database;
  incremental  read one stream of a scratch schema with a cursor set by
               `set_cursor_key`, into a DuckDB cache that keeps its state.

It writes what it saw (counts per stream in the cache, records processed) to
RESULT_JSON; the Rust test compares them with PostgreSQL.
"""

import json
import sys
from pathlib import Path

import airbyte as ab
from airbyte.caches import DuckDBCache


def source_config(args, schemas):
    return {
        "host": args["host"],
        "port": args["port"],
        "database": args["source_db"],
        "schemas": schemas,
        "username": args["user"],
        "password": args["password"],
        "ssl_mode": {"mode": "disable"},
    }


def destination(args, database):
    return ab.get_destination(
        "destination-postgres",
        config={
            "host": args["host"],
            "port": args["port"],
            "database": database,
            "schema": "public",
            "username": args["user"],
            "password": args["password"],
            "ssl_mode": {"mode": "disable"},
        },
        local_executable=args["destination"],
        install_if_missing=False,
    )


def source(args, schemas, streams):
    src = ab.get_source(
        "source-postgres",
        config=source_config(args, schemas),
        local_executable=args["source"],
        install_if_missing=False,
    )
    src.select_streams(streams)
    return src


def cache(args, name):
    return DuckDBCache(db_path=str(Path(args["dir"]) / f"{name}.duckdb"), schema_name="main")


def main_phase(args):
    streams = args["streams"]
    src = source(args, ["public"], streams)
    src.check()
    duck = cache(args, "main")
    result = src.read(cache=duck)
    out = {
        "processed_records": result.processed_records,
        "cache_counts": {name: len(result[name]) for name in streams},
        "cache_streams": sorted(result.streams.keys()),
    }
    # From the cache: PyAirbyte sends these records without a namespace.
    written = destination(args, args["dest_db_cache"]).write(result)
    out["write_from_cache"] = {"processed_records": written.processed_records}
    # Straight from the source, no cache: records keep the source's namespace.
    written = destination(args, args["dest_db_source"]).write(
        source(args, ["public"], streams), cache=False, state_cache=False
    )
    out["write_from_source"] = {"processed_records": written.processed_records}
    return out


def incremental_phase(args):
    stream = args["stream"]
    src = source(args, [args["schema"]], [stream])
    src.set_cursor_key(stream, args["cursor"])
    duck = cache(args, "incremental")
    result = src.read(cache=duck)
    return {
        "processed_records": result.processed_records,
        "cache_count": len(result[stream]),
    }


def run():
    phase, args_path, result_path = sys.argv[1:4]
    args = json.loads(Path(args_path).read_text())
    phases = {"main": main_phase, "incremental": incremental_phase}
    if phase not in phases:
        sys.exit(f"unknown phase {phase!r}: one of {sorted(phases)}")
    out = phases[phase](args)
    Path(result_path).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    run()
