"""Releases: zero-downtime rollout under load, and a failed rollout that keeps the old one."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import httpx
import pytest

from kubeserve.runtime.base import Phase
from kubeserve.runtime.local import LocalRuntime
from tests.runtime.helpers import (
    alive,
    details,
    gateway_call,
    make_spec,
    pids,
    predict,
    wait_gone,
    wait_status,
    wait_until,
)

pytestmark = pytest.mark.slow


class Load:
    """A client that keeps predicting through `endpoints()` like the gateway, counting."""

    def __init__(self, runtime: LocalRuntime, http: httpx.AsyncClient, name: str) -> None:
        self.runtime, self.http, self.name = runtime, http, name
        self.ok = self.failed = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        for turn in itertools.count():
            if await gateway_call(self.runtime, self.http, self.name, turn):
                self.ok += 1
            else:
                self.failed += 1

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_rollout_under_load_loses_no_request(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model, replicas=2))
    first = await wait_status(runtime, name, lambda s: s.ready_replicas == 2, "release 1 ready")
    load = Load(runtime, http, name)
    try:
        await runtime.apply(make_spec(name, iris_model, release=2, replicas=2))
        rolled = await wait_status(
            runtime,
            name,
            lambda s: s.release == 2 and s.ready_replicas == 2 and details(s, "release") == [2, 2],
            "release 2 serving alone",
        )
        for pid in pids(first):
            await wait_gone(pid)  # the old release drained, then stopped
        served_before = load.ok

        async def more_traffic() -> bool:
            return load.ok > served_before + 20

        await wait_until(more_traffic, "more traffic")
    finally:
        await load.stop()
    print(f"\nrollout under load: {load.ok} predictions, {load.failed} failed")
    assert load.failed == 0 and load.ok > 50
    assert rolled.phase is Phase.RUNNING and rolled.failed_release is None
    await runtime.delete(name)


async def test_failed_rollout_keeps_the_old_release_serving(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, garbage_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model))
    first = await wait_status(runtime, name, lambda s: s.ready_replicas == 1, "release 1 ready")
    await runtime.apply(make_spec(name, garbage_model, release=2))
    status = await wait_status(runtime, name, lambda s: s.failed_release == 2, "refused rollout")
    assert status.phase is Phase.RUNNING and status.release == 1
    assert status.message is not None and "release 1 keeps serving" in status.message
    assert "pickle" in status.message.lower()
    assert pids(status) == pids(first) and all(alive(pid) for pid in pids(first))
    assert details(status, "release") == [1]  # the new release's replicas are gone
    assert (await predict(http, runtime.endpoints(name)[0])).status_code == 200
    # Re-applying the refused release does not retry it; a newer one rolls out.
    await runtime.apply(make_spec(name, garbage_model, release=2))
    assert details((await runtime.observe())[name], "release") == [1]
    await runtime.apply(make_spec(name, iris_model, release=3))
    fixed = await wait_status(
        runtime, name, lambda s: s.release == 3 and s.ready_replicas == 1, "release 3 serving"
    )
    assert fixed.failed_release is None and fixed.message is None
    await runtime.delete(name)


async def test_a_newer_release_supersedes_a_rollout_in_progress(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, garbage_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model))
    await wait_status(runtime, name, lambda s: s.ready_replicas == 1, "release 1 ready")
    await runtime.apply(make_spec(name, garbage_model, release=2))
    await runtime.apply(make_spec(name, iris_model, release=3))
    status = await wait_status(
        runtime, name, lambda s: s.release == 3 and details(s, "release") == [3], "release 3 serving alone"
    )
    assert status.failed_release is None and status.ready_replicas == 1
    assert (await predict(http, runtime.endpoints(name)[0])).status_code == 200
    await runtime.delete(name)
