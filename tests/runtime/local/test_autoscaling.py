"""Local autoscaling: requests in flight per replica drive the replica count, both ways."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kubeserve.runtime.base import Autoscaling, Phase
from kubeserve.runtime.local import LocalRuntime
from tests.runtime.helpers import make_spec, wait_status

pytestmark = pytest.mark.slow


async def test_grows_under_load_and_shrinks_after_the_window(
    runtime: LocalRuntime, iris_model: Path, name: str
) -> None:
    policy = Autoscaling(min_replicas=1, max_replicas=3, target_in_flight=1.0)
    await runtime.apply(make_spec(name, iris_model, replicas=1, autoscaling=policy))
    await wait_status(runtime, name, lambda s: s.ready_replicas == 1, "one ready replica")
    runtime.endpoints(name)[0].in_flight = 5  # as the gateway counts requests in flight
    grown = await wait_status(
        runtime,
        name,
        lambda s: s.desired_replicas == 3 and s.ready_replicas == 3,
        "three replicas under load",
    )
    assert grown.phase is Phase.RUNNING and len(grown.replicas) == 3
    for endpoint in runtime.endpoints(name):
        endpoint.in_flight = 0
    quiet = time.monotonic()
    shrunk = await wait_status(
        runtime, name, lambda s: s.desired_replicas == 1 and len(s.replicas) == 1, "back to the minimum"
    )
    waited = time.monotonic() - quiet
    settings = runtime.settings
    # Not before the stabilization window has forgotten the last recommendation of 3.
    assert waited >= settings.scale_down_stabilization_seconds - settings.autoscale_interval_seconds
    assert shrunk.ready_replicas == 1
    await runtime.delete(name)


async def test_bounds_apply_from_the_first_replica(
    runtime: LocalRuntime, iris_model: Path, name: str
) -> None:
    policy = Autoscaling(min_replicas=2, max_replicas=4, target_in_flight=10.0)
    await runtime.apply(make_spec(name, iris_model, replicas=1, autoscaling=policy))
    status = await wait_status(runtime, name, lambda s: s.ready_replicas == 2, "the minimum")
    assert status.desired_replicas == 2
    await runtime.delete(name)
