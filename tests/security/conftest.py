"""The arena of a hostile-model test: a victim tenant serving a model, things worth reaching."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubeserve.config import Settings
from tests.fixtures.app import Headers
from tests.registry.helpers import create_model, upload, wait_built
from tests.security.hostile import Targets, cmdline


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the database file is one of the things the hostile model goes for."""
    import shutil

    path = tmp_path / "data" / "kubeserve.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def wait_running(
    http: httpx.AsyncClient, headers: Headers, deployment_id: int, timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        got = (await http.get(f"/api/v1/deployments/{deployment_id}", headers=headers)).json()
        if got["status"] == "Running" and got["ready_replicas"] >= got["desired_replicas"]:
            return got
        assert got["status"] != "Failed", got
        assert time.monotonic() < deadline, f"deployment not running: {got}"
        await asyncio.sleep(0.1)


async def deploy(
    http: httpx.AsyncClient, headers: Headers, version_id: int, replicas: int = 1
) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/deployments", json={"version_id": version_id, "replicas": replicas}, headers=headers
    )
    assert r.status_code == 201, r.text
    return await wait_running(http, headers, r.json()["id"])


async def built_version(
    http: httpx.AsyncClient, headers: Headers, model: Path, name: str, **version: Any
) -> dict[str, Any]:
    m = await create_model(http, headers, name)
    r = await http.post(
        f"/api/v1/models/{m['id']}/versions", json={"version_tag": "v1", **version}, headers=headers
    )
    assert r.status_code == 201, r.text
    v = r.json()
    up = await upload(http, headers, v["id"], model)
    assert up.status_code == 200, up.text
    return await wait_built(http, headers, v["id"], 120)


@dataclass
class Arena:
    settings: Settings
    victim: Headers
    victim_version: dict[str, Any]
    victim_deployment: dict[str, Any]
    attacker: Headers
    sleeper: subprocess.Popen[bytes]
    listener: socket.socket
    marker: str

    def targets(self, mode: str) -> Targets:
        data = self.settings.data_dir.resolve()
        instances = self.victim_deployment["instances"]
        victim_pid = next(i["pid"] for i in instances if i.get("pid"))
        return Targets(
            secret_key=str(data / "secret_key"),
            database=str(data / "kubeserve.db"),
            data_dir=str(data),
            other_artifact=str(self.artifact_path()),
            control_plane_pid=os.getpid(),
            control_plane_cmdline=cmdline(os.getpid()),
            sleeper_pid=self.sleeper.pid,
            sleeper_cmdline=cmdline(self.sleeper.pid),
            tcp_port=self.listener.getsockname()[1],
            marker=self.marker,
            mode=mode,
            victim_pid=victim_pid,
            victim_cmdline=cmdline(victim_pid),
        )

    def artifact_path(self) -> Path:
        return (self.settings.artifacts_dir / self.victim_version["s3_path"]).resolve()

    def marked(self) -> list[int]:
        """Host pids whose command line carries the marker (the probe's setsid grandchild)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if self.marker.encode() in (entry / "cmdline").read_bytes():
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    async def wait_unmarked(self, timeout: float = 15) -> list[int]:
        """Marked processes still alive after `timeout` seconds (empty: none outlived)."""
        deadline = time.monotonic() + timeout
        while (left := self.marked()) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return left


@pytest.fixture
async def arena(
    client: httpx.AsyncClient,
    settings: Settings,
    make_user: Callable[[], Awaitable[Headers]],
    iris_model: Path,
) -> AsyncIterator[Arena]:
    settings.jwt_key  # noqa: B018 - the key file exists from the first login anyway
    victim, attacker = await make_user(), await make_user()
    version = await built_version(client, victim, iris_model, "victim")
    assert version["status"] == "Ready", version
    deployment = await deploy(client, victim, version["id"])
    sleeper = subprocess.Popen(["sleep", "600"])
    listener = socket.create_server(("127.0.0.1", 0))
    arena = Arena(
        settings, victim, version, deployment, attacker, sleeper, listener, f"hostile-{uuid.uuid4().hex}"
    )
    try:
        yield arena
    finally:
        for pid in arena.marked():  # an escaped grandchild: don't leave it behind
            with _ignore():
                os.kill(pid, signal.SIGKILL)
        sleeper.kill()
        sleeper.wait()
        listener.close()


class _ignore:
    def __enter__(self) -> None: ...

    def __exit__(self, *exc: object) -> bool:
        return True


@pytest.fixture
def iris_estimator() -> Iterator[Any]:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    yield LogisticRegression(max_iter=500).fit(x, y)
