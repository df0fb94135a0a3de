"""Fixtures of the inference tests: artifacts, in-process apps, real server processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubeserve.inference.rest import ModelServerApp
from kubeserve.inference.server import build_app, prepare
from kubeserve.inference.settings import ModelServerSettings
from tests.inference.models import make_frame_model, make_iris_model


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inference-artifacts")


@pytest.fixture(scope="session")
def iris_artifact(artifacts: Path) -> Path:
    return make_iris_model(artifacts / "iris.joblib")


@pytest.fixture(scope="session")
def frame_artifact(artifacts: Path) -> Path:
    return make_frame_model(artifacts / "frame.joblib")


async def start_app(artifact: Path, **options: Any) -> ModelServerApp:
    """An app whose start-up steps have run (as the lifespan would run them)."""
    settings = ModelServerSettings(artifact=str(artifact), **options)
    app = build_app(settings, prepare(settings))
    await app.on_startup()
    return app


def client_for(app: ModelServerApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://model")


@pytest.fixture(scope="session")
async def iris_app(iris_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> ModelServerApp:
    return await start_app(
        iris_artifact, name="iris", max_body_bytes=4096, work_dir=tmp_path_factory.mktemp("iris-work")
    )


@pytest.fixture
async def iris(iris_app: ModelServerApp) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(iris_app) as client:
        yield client


def metric(text: str, name: str) -> float:
    """The sum of the Prometheus samples whose line starts with `name`."""
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def model_server(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """`python -m kubeserve.inference ARGS` as a real child process, stopped afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubeserve.inference", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until(
    url: str,
    proc: subprocess.Popen[str],
    want: int = 200,
    deadline: float = 45.0,
    headers: dict[str, str] | None = None,
    until: Callable[[httpx.Response], bool] = lambda r: True,
) -> httpx.Response:
    """Poll `url` until it answers `want` and `until` holds for the answer; fail if the process
    dies or the deadline passes."""
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"server exited {proc.returncode}: {output}")
        try:
            last = httpx.get(url, headers=headers, timeout=2)
            if last.status_code == want and until(last):
                return last
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.05)
    pytest.fail(f"{url} never answered {want}: last {last!r}")
