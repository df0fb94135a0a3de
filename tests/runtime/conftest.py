"""One local runtime shared by the runtime tests (its warm pool is the expensive part)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from kubeserve.config import Settings
from kubeserve.runtime.kubernetes import KubernetesRuntime
from kubeserve.runtime.local import LocalRuntime
from kubeserve.storage.s3 import S3Store
from tests.fixtures.kubernetes import MODEL_IMAGE, start_stand_in
from tests.fixtures.s3 import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY

_names = itertools.count(1)


def runtime_settings(data_dir: Path, **overrides: object) -> Settings:
    """Small timeouts and windows so supervision and autoscaling show within seconds."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "warm_pool_size": 2,
        "replica_start_timeout_seconds": 20,
        "replica_max_restarts": 2,
        "autoscale_interval_seconds": 0.2,
        "scale_down_stabilization_seconds": 1.5,
        "gateway_timeout_seconds": 5,
    }
    values.update(overrides)
    return Settings(**values, _env_file=None)  # type: ignore[arg-type,call-arg]


def stand_in_runtime(
    cluster: object, store: S3Store, data_dir: Path, **overrides: object
) -> KubernetesRuntime:
    """A Kubernetes runtime on the stand-in `cluster` (a StandInCluster), with the model-server
    image its kubelet knows unless `overrides` name another."""
    overrides.setdefault("kubernetes_image", MODEL_IMAGE)
    kubeconfig = cluster.kubeconfig  # type: ignore[attr-defined]
    settings = runtime_settings(data_dir, runtime="kubernetes", kubeconfig=kubeconfig, **overrides)
    return KubernetesRuntime(settings, store)


@pytest.fixture(scope="session")
async def runtime(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalRuntime]:
    local = LocalRuntime(runtime_settings(tmp_path_factory.mktemp("runtime")))
    yield local
    await local.close()


@pytest.fixture
def name() -> Iterator[str]:
    """A fresh deployment name per test (the runtime is shared)."""
    yield f"dep-{next(_names)}"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def garbage_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model.joblib that is not a pickle: the server starts, then never gets ready."""
    path = tmp_path_factory.mktemp("garbage") / "model.joblib"
    path.write_bytes(b"this is not a pickle\n" * 10)
    return path


@pytest.fixture(scope="session")
async def kube_runtime(
    tmp_path_factory: pytest.TempPathFactory, s3_server: str, iris_model: Path, garbage_model: Path
) -> AsyncIterator[tuple[KubernetesRuntime, dict[Path, tuple[str, str]]]]:
    """A KubernetesRuntime on a stand-in cluster, the iris and garbage models in S3:
    (runtime, each model's URIs: model, requirements)."""
    root = tmp_path_factory.mktemp("kube")
    cluster = start_stand_in(root / "cluster")
    store = S3Store(s3_server, S3_ACCESS_KEY, S3_SECRET_KEY, "kube-runtime", secure=False, region=S3_REGION)
    requirements = root / "requirements.txt"
    requirements.write_text("")
    uris = {}
    for model, name in ((iris_model, "iris"), (garbage_model, "garbage")):
        await store.put_file(f"models/1/{name}/v1/model.joblib", model)
        await store.put_file(f"models/1/{name}/v1/requirements.txt", requirements)
        uris[model] = (
            store.uri(f"models/1/{name}/v1/model.joblib"),
            store.uri(f"models/1/{name}/v1/requirements.txt"),
        )
    settings = runtime_settings(
        root,
        runtime="kubernetes",
        kubeconfig=cluster.kubeconfig,
        kubernetes_image=MODEL_IMAGE,
        replica_memory_mb=256,
        kubernetes_lease_seconds=2,
    )
    kube = KubernetesRuntime(settings, store)
    yield kube, uris
    await kube.close()
    await asyncio.to_thread(cluster.stop)
