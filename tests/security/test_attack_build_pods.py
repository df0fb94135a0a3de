"""Attacks from inside a build pod on Kubernetes (stand-in API server, real inspect process, S3
on loopback): what the tenant's own code (the owner's unsafe-pickle switch; shipped code runs
the same way by default) can make the control plane do when it reads the build's answer, or a
replica's log."""

from __future__ import annotations

import asyncio
import pickle
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kubeserve.runtime.base import MAX_ANSWER_BYTES
from kubeserve.runtime.kubernetes import objects
from kubeserve.runtime.kubernetes.runtime import REPLICA_LOG_BYTES
from kubeserve.storage.s3 import S3Store
from tests.fixtures.kube_apiserver import StandInCluster
from tests.fixtures.kube_apiserver.controllers import K
from tests.fixtures.kubernetes import MODEL_IMAGE
from tests.runtime.conftest import stand_in_runtime
from tests.runtime.helpers import wait_until
from tests.runtime.kubernetes.test_runtime import build_objects, put_version

pytestmark = pytest.mark.slow

HUGE = 48 << 20  # one line, no newline: the kubelet rotates logs only every few seconds


class _PrintsOneHugeLine:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (exec, (f"import os\nos.write(1, b'x' * {HUGE})\nos._exit(0)",))


async def test_a_build_printing_a_line_of_gigabytes_is_read_only_up_to_a_bound(
    stand_in: StandInCluster, s3_store: S3Store, tmp_path: Path
) -> None:
    hostile = tmp_path / "huge.pkl"
    hostile.write_bytes(pickle.dumps(_PrintsOneHugeLine()))
    spec = await put_version(s3_store, "models/1/huge/v1", hostile, tmp_path)
    kube = stand_in_runtime(stand_in, s3_store, tmp_path)
    read: list[int] = []
    real_read = kube._build_log

    async def counted(name: str, ns: str) -> list[str]:  # a spy: the real read, measured
        lines = await real_read(name, ns)
        read.append(sum(len(line) for line in lines))
        return lines

    kube._build_log = counted  # type: ignore[method-assign]
    try:
        answer = await kube.build(replace(spec, allow_unsafe_pickle=True))
        assert not answer.ok and (answer.error or "").startswith("build crashed (exit 0): xxx")
        assert len(answer.error or "") < 1000
        assert read and read[0] <= MAX_ANSWER_BYTES + (1 << 20), f"read {read[0]} bytes of the build's log"
        assert build_objects(stand_in) == []
    finally:
        await kube.close()


async def test_a_replica_printing_a_line_of_gigabytes_is_read_only_up_to_a_bound(
    stand_in: StandInCluster, s3_store: S3Store, tmp_path: Path
) -> None:
    """GET /deployments/{id}/logs on Kubernetes reads each replica pod's log: the tenant's
    model server writes it (here a pod of the deployment printing one 48 MiB line)."""
    stand_in.call(lambda: stand_in.api.create(K["Namespace"], None, objects.namespace(1)))
    command = f"import os, time\nos.write(1, b'y' * {HUGE})\ntime.sleep(60)"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "noisy-0",
            "namespace": "user-1",
            "labels": {**objects.MANAGED_BY, objects.DEPLOYMENT_LABEL: "noisy"},
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "model", "image": MODEL_IMAGE, "command": ["python", "-c", command]}],
        },
    }
    stand_in.call(lambda: stand_in.api.create(K["Pod"], "user-1", pod))
    kube = stand_in_runtime(stand_in, s3_store, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while sum(len(line) for line in await kube.logs("noisy", 5000)) < 1 << 20:
            assert time.monotonic() < deadline, "the pod never printed"
            await asyncio.sleep(0.2)
        [container] = stand_in.call(lambda: list(stand_in.kubelet.containers.values()))

        async def printed_all() -> bool:  # it goes on printing to 48 MiB: the read stays bounded
            return container.log.exists() and container.log.stat().st_size >= HUGE

        await wait_until(printed_all, "the whole line in the pod's log", 60)
        lines = await kube.logs("noisy", 5000)
        assert lines[0].startswith("[noisy-0] yyy")
        assert sum(len(line) for line in lines) <= REPLICA_LOG_BYTES + 100
    finally:
        await kube.close()
