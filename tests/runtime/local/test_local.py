"""The local runtime with real model-server children: deploy, predict, scale, crash, delete."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from kubeserve.runtime.base import Phase, RuntimeStatus
from kubeserve.runtime.local import LocalRuntime
from kubeserve.runtime.local.probes import port_is_free
from tests.runtime.helpers import alive, details, make_spec, observed, pids, predict, wait_gone, wait_status

pytestmark = pytest.mark.slow


def running(replicas: int) -> Callable[[RuntimeStatus], bool]:
    return lambda s: s.phase is Phase.RUNNING and s.ready_replicas == replicas == len(s.replicas)


async def test_deploy_serves_predictions_only_with_the_token(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model))
    status = await wait_status(runtime, name, running(1), "one ready replica")
    assert status.release == 1 and status.desired_replicas == 1
    [endpoint] = runtime.endpoints(name)
    answer = await predict(http, endpoint)
    assert answer.status_code == 200 and answer.json() == {"predictions": [0]}
    assert (await predict(http, endpoint, token="wrong")).status_code == 403
    refused = await http.post(f"{endpoint.address}/predict", json={"data": [[1, 2, 3, 4]]})
    assert refused.status_code == 403
    # The token travels over stdin: never in the child's command line or environment.
    pid = pids(status)[0]
    assert endpoint.token.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    assert endpoint.token.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert b"KUBESERVE_" not in environ and b"OPENBLAS_NUM_THREADS=1" in environ
    memory = next(
        line
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
        if line.startswith("Max address space")
    )
    assert str(runtime.settings.replica_memory_mb * 1024 * 1024) in memory
    await runtime.apply(make_spec(name, iris_model))  # the same release again: nothing moves
    assert pids(await observed(runtime, name)) == [pid]
    assert any("ready" in line and line.startswith("[r1-") for line in await runtime.logs(name, 50))
    await runtime.delete(name)


async def test_scale_up_and_down(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model))
    await wait_status(runtime, name, running(1), "one ready replica")
    await runtime.apply(make_spec(name, iris_model, replicas=2))
    status = await wait_status(runtime, name, running(2), "two ready replicas")
    assert status.desired_replicas == 2 and len(set(details(status, "port"))) == 2
    for endpoint in runtime.endpoints(name):
        assert (await predict(http, endpoint)).status_code == 200
    await runtime.apply(make_spec(name, iris_model, replicas=1))
    after = await wait_status(runtime, name, running(1), "back to one replica")
    [gone] = set(pids(status)) - set(pids(after))
    await wait_gone(gone)
    await runtime.delete(name)


async def test_a_killed_replica_comes_back(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model))
    status = await wait_status(runtime, name, running(1), "one ready replica")
    [pid] = pids(status)
    os.kill(pid, signal.SIGKILL)
    back = await wait_status(
        runtime, name, lambda s: running(1)(s) and pids(s) != [pid], "the replica to be restarted"
    )
    assert details(back, "restarts") == [1]
    assert (await predict(http, runtime.endpoints(name)[0])).status_code == 200
    assert any("exited (code -9)" in line for line in await runtime.logs(name, 50))
    await runtime.delete(name)


async def test_a_crashing_model_ends_failed_with_its_log_lines(
    runtime: LocalRuntime, garbage_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, garbage_model))
    status = await wait_status(runtime, name, lambda s: s.phase is Phase.FAILED, "Failed")
    assert status.ready_replicas == 0 and runtime.endpoints(name) == []
    assert status.message is not None and "start failed" in status.message
    assert "pickle" in status.message.lower()  # the model server's own reason
    assert details(status, "restarts") == [runtime.settings.replica_max_restarts]
    assert pids(status) == []  # nothing left running
    await runtime.delete(name)


async def test_report_failure_drops_the_endpoint_at_once(
    runtime: LocalRuntime, iris_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model))
    await wait_status(runtime, name, running(1), "one ready replica")
    [endpoint] = runtime.endpoints(name)
    runtime.unreachable(name, endpoint)
    assert runtime.endpoints(name) == []  # the gateway stops using it before any IO
    # Still alive and answering: the re-check puts it back, without a restart.
    status = await wait_status(runtime, name, running(1), "the endpoint back")
    assert runtime.endpoints(name) == [endpoint] and details(status, "restarts") == [0]
    await runtime.delete(name)


async def test_delete_stops_processes_and_frees_ports(
    runtime: LocalRuntime, iris_model: Path, name: str
) -> None:
    await runtime.apply(make_spec(name, iris_model, replicas=2))
    status = await wait_status(runtime, name, running(2), "two ready replicas")
    await runtime.delete(name)
    assert not any(alive(pid) for pid in pids(status))
    assert all(port_is_free(port) for port in details(status, "port"))
    assert (await observed(runtime, name)).phase is Phase.STOPPED
    assert runtime.endpoints(name) == [] and await runtime.logs(name, 10) == []
    assert not (runtime.settings.data_dir / "replicas" / name).exists()
    await runtime.delete(name)  # unknown names are fine
