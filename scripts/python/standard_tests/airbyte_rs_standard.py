"""Airbyte's standard tests (airbyte-cdk 7.39.1) against our connector images.

A pytest plugin (scripts/standard-tests.sh loads it with `-p airbyte_rs_standard`)
plus the two base classes that each connector's
`integration_tests/test_airbyte_standard.py` subclasses. It requires Airbyte's own
hooks (`--connector-image`, `--read-from-streams`, scenario parametrization), as
Airbyte's connectors do, through `pytest_plugins`.

Airbyte's suite, unchanged, runs every test body; this module only changes how a
connector process is started, in four documented places:

1. The connector under test is the image given by `--connector-image`, never a
   Python class. The suite's in-process tests (`test_spec`, `test_check`,
   `test_discover`, `test_basic_read`, `test_fail_read_with_bad_catalog`,
   `test_config_matches_spec`) call `entrypoint_wrapper._run_command` with a
   connector object and the verb's arguments; for our `ImageConnector` that call
   runs the same arguments in the image with `docker run` and parses its stdout
   with the suite's own `run_docker_airbyte_command`. (Airbyte's CLI picks only
   the image tests for connectors that are not Python, and refuses
   `language:rust`; this keeps its source and destination checks too.)
2. Every `docker run` of the suite joins the private Docker network of the test
   database (`--network $AIRBYTE_TEST_NETWORK`): the suite's docker helper has no
   network option, so `run_docker_command` is wrapped to add it, with a unique
   `--name` per container and a scratch folder mounted at `/local`.
3. Our configs name the host's test servers (scripts/pg.sh, from
   `AIRBYTE_TEST_PG_URL`, e.g. 127.0.0.1:54329; source-http's fixture API, a
   `base_url` on 127.0.0.1), which a container cannot reach.
   `ConnectorTestScenario.get_config_dict` is wrapped so that an object whose
   `host`/`port` are that server's gets the network's PostgreSQL instead
   (`AIRBYTE_TEST_NETWORK_PG_HOST`, port 5432, the same database restored), an
   object whose `base_url` is on 127.0.0.1 or localhost gets the network's
   fixture API (`AIRBYTE_TEST_NETWORK_HTTP_URL`, the same server.py), and our
   placeholders are expanded as our harness does: `${RUN_ID}` (unique to the
   run) and `${LOCAL_ROOT}` (`/local`).
4. Tests that cannot run offline are listed in `UNRUNNABLE` with the reason;
   they are reported as skipped with that reason and in the terminal summary,
   never run (no test may contact a registry).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from airbyte_cdk.models import ConnectorSpecification
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models.scenario import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import docker_base
from airbyte_cdk.test.standard_tests.destination_base import DestinationTestSuiteBase
from airbyte_cdk.test.standard_tests.source_base import SourceTestSuiteBase
from airbyte_cdk.utils import docker as cdk_docker

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

UNRUNNABLE: dict[str, str] = {
    "test_docker_image_spec_backward_compatibility": (
        "not runnable offline: it fetches the published spec of the connector from "
        "Airbyte's public connector registry (connectors.airbyte.com) to compare with; "
        "no test may leave this machine, and airbyte-rs images are not published there"
    ),
}
"""Tests of Airbyte's suite that are not run here, by test function, with why."""

RUN_ID = uuid.uuid4().hex[:10]
"""Unique to this pytest run: `${RUN_ID}` in configs, and in container names."""

CONTAINER_PREFIX = f"airbyte-rs-std-{RUN_ID}-"
"""Every container the suite starts is named with this prefix (removed at the end)."""

NETWORK_PG_PORT = 5432
"""The port of the network's PostgreSQL (scripts/test-network.sh)."""

_state: dict[str, Any] = {"image": None, "local": None, "containers": 0}


def _require_env(name: str, how: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise pytest.UsageError(f"{name} is not set: {how}")
    return value


def pytest_configure(config: pytest.Config) -> None:
    """Checks the environment, and installs the three wrappers of the module docstring."""
    image = config.getoption("--connector-image")
    if not image:
        raise pytest.UsageError(
            "--connector-image <repository:tag> is required: the suite must test our built "
            "image, never build one (scripts/standard-tests.sh passes it; build the images "
            "with scripts/build-images.sh)"
        )
    _state["image"] = image
    _state["network"] = _require_env(
        "AIRBYTE_TEST_NETWORK",
        "start the test network with `scripts/test-network.sh start` and export what it "
        "prints (scripts/test.sh and scripts/standard-tests.sh do)",
    )
    local = Path(tempfile.mkdtemp(prefix=f"airbyte-rs-std-{RUN_ID}-local-"))
    local.chmod(0o777)  # The connector runs as airbyte (1000:1000) in the image.
    _state["local"] = local

    original_run = cdk_docker.run_docker_command

    def run_docker_command(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return original_run(_on_test_network(cmd), **kwargs)

    cdk_docker.run_docker_command = run_docker_command  # used by run_docker_airbyte_command
    docker_base.run_docker_command = run_docker_command  # imported by name by the suite

    original_config = ConnectorTestScenario.get_config_dict

    def get_config_dict(self: ConnectorTestScenario, **kwargs: Any) -> dict[str, Any]:
        return _for_container(original_config(self, **kwargs))

    ConnectorTestScenario.get_config_dict = get_config_dict  # type: ignore[method-assign]

    original_command = entrypoint_wrapper._run_command

    def run_command(source: Any, args: list[str], *rest: Any, **kwargs: Any) -> Any:
        if isinstance(source, ImageConnector):
            return source.run(args)
        return original_command(source, args, *rest, **kwargs)

    entrypoint_wrapper._run_command = run_command  # type: ignore[assignment]


def _on_test_network(cmd: list[str]) -> list[str]:
    """`docker run ...` with our network, a unique name and the `/local` scratch folder."""
    if cmd[:2] != ["docker", "run"]:
        return cmd
    _state["containers"] += 1
    extra = [
        "--network",
        _state["network"],
        "--name",
        f"{CONTAINER_PREFIX}{_state['containers']}",
        "-v",
        f"{_state['local']}:/local",
    ]
    return [*cmd[:2], *extra, *cmd[2:]]


def _host_server() -> tuple[str, int] | None:
    url = os.environ.get("AIRBYTE_TEST_PG_URL")
    if not url:
        return None
    parsed = urlparse(url)
    return (parsed.hostname or "127.0.0.1", parsed.port or 5432)


def _for_container(value: Any) -> Any:
    """`value` with placeholders expanded and the host's test server mapped to the network's."""
    if isinstance(value, str):
        return value.replace("${RUN_ID}", RUN_ID).replace("${LOCAL_ROOT}", "/local")
    if isinstance(value, list):
        return [_for_container(item) for item in value]
    if not isinstance(value, dict):
        return value
    mapped = {key: _for_container(item) for key, item in value.items()}
    host, port = mapped.get("host"), mapped.get("port")
    base_url = mapped.get("base_url")
    if isinstance(base_url, str) and urlparse(base_url).hostname in ("127.0.0.1", "localhost"):
        network_url = _require_env(
            "AIRBYTE_TEST_NETWORK_HTTP_URL",
            "run `scripts/test-network.sh start` and export what it prints",
        )
        mapped["base_url"] = network_url.rstrip("/") + urlparse(base_url).path
    if host in ("127.0.0.1", "localhost") and isinstance(port, int):
        server = _host_server()
        if server is None:
            raise RuntimeError(
                f"a config names {host}:{port}, the host's test server, but AIRBYTE_TEST_PG_URL "
                "is not set: run `scripts/pg.sh start` and export its URL (scripts/test.sh does)"
            )
        if server[1] == port:
            mapped["host"] = _require_env(
                "AIRBYTE_TEST_NETWORK_PG_HOST",
                "run `scripts/test-network.sh start` and export what it prints",
            )
            mapped["port"] = NETWORK_PG_PORT
    return mapped


class ImageConnector:
    """The connector under test: an image, one `docker run` per verb."""

    def __init__(self, image: str) -> None:
        self.image = image

    def run(self, args: list[str]) -> entrypoint_wrapper.EntrypointOutput:
        """Runs `args` (a verb and its `--config`/`--catalog`/`--state` files) in the image.

        Each file argument is mounted read-write at `/secrets/<flag>.json`, as the
        suite's own image tests mount theirs.
        """
        mounts: list[str] = []
        container_args: list[str] = []
        flag = None
        for arg in args:
            if flag is not None:
                target = f"/secrets/{flag}.json"
                mounts += ["-v", f"{Path(arg).resolve()}:{target}:rw"]
                container_args.append(target)
                flag = None
                continue
            if arg in ("--config", "--catalog", "--state"):
                flag = arg.removeprefix("--")
            container_args.append(arg)
        cmd = ["docker", "run", "--rm", *mounts, self.image, *container_args]
        return cdk_docker.run_docker_airbyte_command(cmd, raise_if_errors=False)

    def spec(self, logger: Any) -> ConnectorSpecification:
        """The image's spec (the `IConnector` protocol of the suite asks for it)."""
        output = self.run(["spec"])
        output.raise_if_errors()
        return output.spec_messages[0].spec


def _image_connector(_scenario: ConnectorTestScenario | None) -> ImageConnector:
    return ImageConnector(_state["image"])


class SourceImageTestSuite(SourceTestSuiteBase):
    """Airbyte's source suite (in-process and image tests) against our source image."""

    @classmethod
    def create_connector(cls, scenario: ConnectorTestScenario | None) -> ImageConnector:  # type: ignore[override]
        """Our image instead of a Python connector class."""
        return _image_connector(scenario)


class DestinationImageTestSuite(DestinationTestSuiteBase):
    """Airbyte's destination suite (in-process and image tests) against our destination image."""

    @classmethod
    def create_connector(cls, scenario: ConnectorTestScenario | None) -> ImageConnector:  # type: ignore[override]
        """Our image instead of a Python connector class."""
        return _image_connector(scenario)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks the `UNRUNNABLE` tests skipped with their reason (they are never run)."""
    for item in items:
        reason = UNRUNNABLE.get(getattr(item, "originalname", item.name))
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Lists the tests not runnable offline, with why."""
    terminalreporter.section("Airbyte standard tests not runnable here")
    for name, reason in UNRUNNABLE.items():
        terminalreporter.write_line(f"{name}: {reason}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Removes this run's containers (by id) and the scratch folder."""
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"name=^{CONTAINER_PREFIX}"],
        capture_output=True,
        text=True,
        check=False,
    )
    ids = listed.stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, check=False)
    if _state["local"] is not None:
        shutil.rmtree(_state["local"], ignore_errors=True)


__all__ = ["DestinationImageTestSuite", "ImageConnector", "SourceImageTestSuite"]
