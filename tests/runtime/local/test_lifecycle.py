"""Whole-runtime lifecycle: cold-start timing, close(), a killed control plane, own packages."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import joblib
import pytest

from kubeserve.runtime.local import LocalRuntime
from kubeserve.runtime.local.build import packages_dir
from tests.runtime.conftest import runtime_settings
from tests.runtime.helpers import alive, make_spec, observed, predict, wait_gone, wait_status

pytestmark = pytest.mark.slow


async def first_prediction_seconds(
    runtime: LocalRuntime, http: httpx.AsyncClient, model: Path, name: str
) -> float:
    """Time from deploy() to the first good prediction, polling as a client would."""
    began = time.perf_counter()
    await runtime.apply(make_spec(name, model))
    deadline = began + 30
    while time.perf_counter() < deadline:
        for endpoint in runtime.endpoints(name):
            answer = await predict(http, endpoint)
            if answer.status_code == 200 and answer.json() == {"predictions": [0]}:
                return time.perf_counter() - began
        await asyncio.sleep(0.002)
    raise AssertionError(f"no prediction within 30 s: {await observed(runtime, name)}")


async def test_warm_pool_cold_start(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, name: str
) -> None:
    assert await runtime.launcher.wait_warm(60)
    elapsed = await first_prediction_seconds(runtime, http, iris_model, name)
    print(f"\ndeploy to first prediction, warm pool: {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0  # the goal is 0.5 s; leave room for a loaded CI machine
    await runtime.delete(name)


async def test_without_pool_and_close_leaves_no_child(
    tmp_path: Path, http: httpx.AsyncClient, iris_model: Path
) -> None:
    local = LocalRuntime(runtime_settings(tmp_path, warm_pool_size=0))
    elapsed = await first_prediction_seconds(local, http, iris_model, "cold")
    print(f"\ndeploy to first prediction, no pool: {elapsed * 1000:.0f} ms")
    await local.apply(make_spec("cold", iris_model, replicas=2))
    await wait_status(local, "cold", lambda s: s.ready_replicas == 2, "two replicas")
    children = children_under(tmp_path)
    assert len(children) == 2
    await local.close()
    assert not any(alive(pid) for pid in children) and children_under(tmp_path) == []


async def test_a_killed_control_plane_takes_its_replicas_along(tmp_path: Path, iris_model: Path) -> None:
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from kubeserve.runtime.local import LocalRuntime\n"
        "from tests.runtime.conftest import runtime_settings\n"
        "from tests.runtime.helpers import make_spec, observed, pids\n"
        "async def main():\n"
        "    rt = LocalRuntime(runtime_settings(Path(sys.argv[1]), warm_pool_size=1))\n"
        "    await rt.apply(make_spec('orphan', Path(sys.argv[2])))\n"
        "    while not pids(await observed(rt, 'orphan')):\n"
        "        await asyncio.sleep(0.01)\n"
        "    print(pids(await observed(rt, 'orphan'))[0], flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    plane = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path), str(iris_model)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[3],
    )
    assert plane.stdout is not None
    replica = int(await asyncio.to_thread(plane.stdout.readline))
    children = children_under(tmp_path, parent=plane.pid)  # the replica, maybe the pool's
    assert replica in children
    plane.send_signal(signal.SIGKILL)
    await asyncio.to_thread(plane.wait)
    for pid in children:
        await wait_gone(pid, timeout=5)
    assert children_under(tmp_path, parent=None) == []


async def test_a_model_with_its_own_packages_starts_cold(
    runtime: LocalRuntime, http: httpx.AsyncClient, iris_model: Path, tmp_path: Path, name: str
) -> None:
    spec = make_spec(name, iris_model, version_id=4242)  # where the build installed its packages:
    packages = packages_dir(runtime.settings, spec.version_id)
    packages.mkdir(parents=True)
    (packages / "joblib").symlink_to(Path(joblib.__file__).parent)  # "its own" joblib
    await runtime.apply(spec)
    await wait_status(runtime, name, lambda s: s.ready_replicas == 1, "ready, cold", 60)
    assert (await predict(http, runtime.endpoints(name)[0])).status_code == 200
    logs = "\n".join(await runtime.logs(name, 100))
    assert "brings its own packages or a big artifact: starting cold" in logs
    await runtime.delete(name)


def children_under(root: Path, parent: int | None = os.getpid()) -> list[int]:
    """Live processes working under `root` (and children of `parent`), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state, ppid_text = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            ppid = int(ppid_text)
        except (OSError, ValueError, IndexError):
            continue
        if cwd.startswith(str(root.resolve())) and state != "Z" and parent in (None, ppid):
            found.append(int(entry.name))
    return found
