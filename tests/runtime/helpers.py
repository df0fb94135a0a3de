"""Helpers for local-runtime tests: specs, deadline polling, predictions, process checks."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from kubeserve.runtime.base import (
    STOPPED,
    TOKEN_HEADER,
    Autoscaling,
    DeploymentSpec,
    Runtime,
    RuntimeStatus,
    Upstream,
)
from kubeserve.runtime.local import LocalRuntime
from tests.fixtures.models import IRIS_ROW

DEADLINE = 30.0


def make_spec(
    name: str,
    model: Path,
    release: int = 1,
    replicas: int = 1,
    autoscaling: Autoscaling | None = None,
    version_id: int = 1,
) -> DeploymentSpec:
    requirements = model.parent / "requirements.txt"
    if not requirements.exists():
        requirements.write_text("")
    return DeploymentSpec(
        name=name,
        owner_id=1,
        model_name="iris",
        version_id=version_id,
        version_tag=f"v{release}",
        release=release,
        artifact_uri=f"file://{model}",
        requirements_uri=f"file://{requirements}",
        sha256="",
        replicas=replicas,
        autoscaling=autoscaling,
    )


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = DEADLINE) -> None:
    """Poll `check` until it holds; fail the test with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def observed(runtime: Runtime, name: str) -> RuntimeStatus:
    """What the runtime's one cached observation says of `name`."""
    return (await runtime.observe()).get(name, STOPPED)


async def wait_status(
    runtime: Runtime,
    name: str,
    test: Callable[[RuntimeStatus], bool],
    what: str,
    timeout: float = DEADLINE,
) -> RuntimeStatus:
    async def check() -> bool:
        return test(await observed(runtime, name))

    try:
        await wait_until(check, what, timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last status {await observed(runtime, name)}") from None
    return await observed(runtime, name)


async def predict(http: httpx.AsyncClient, endpoint: Upstream, token: str | None = None) -> httpx.Response:
    headers = {TOKEN_HEADER: (endpoint.token or "") if token is None else token}
    return await http.post(f"{endpoint.address}/predict", json={"data": [IRIS_ROW]}, headers=headers)


async def gateway_call(runtime: LocalRuntime, http: httpx.AsyncClient, name: str, turn: int) -> bool:
    """One request as the gateway makes it: round robin, in_flight kept, one retry."""
    for _ in range(2):
        endpoints = runtime.endpoints(name)
        if not endpoints:
            return False
        endpoint = endpoints[turn % len(endpoints)]
        runtime.began(endpoint)
        try:
            answer = await predict(http, endpoint)
            return answer.status_code == 200 and answer.json() == {"predictions": [0]}
        except httpx.TransportError:
            runtime.unreachable(name, endpoint)
        finally:
            runtime.ended(endpoint)
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def wait_gone(pid: int, timeout: float = DEADLINE) -> None:
    async def gone() -> bool:
        return not alive(pid)

    await wait_until(gone, f"pid {pid} to exit", timeout)


def pids(status: RuntimeStatus) -> list[int]:
    return [int(p) for r in status.replicas if isinstance(p := r.get("pid"), int)]


def details(status: RuntimeStatus, key: str) -> list[Any]:
    return [r[key] for r in status.replicas]
