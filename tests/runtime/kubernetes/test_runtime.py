"""KubernetesRuntime against the stand-in: what the contract suite does not cover."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lightkube import AsyncClient, KubeConfig

from kubeserve.runtime.base import Phase
from kubeserve.runtime.kubernetes import KubernetesRuntime
from kubeserve.runtime.kubernetes.lease import LeaderElection
from kubeserve.storage.s3 import S3Store
from tests.fixtures.kube_apiserver import StandInCluster
from tests.fixtures.kube_apiserver.controllers import K
from tests.runtime.conftest import runtime_settings
from tests.runtime.helpers import make_spec, wait_status

pytestmark = pytest.mark.slow


async def test_an_image_the_registry_lacks_fails_with_the_pull_error(
    stand_in: StandInCluster, s3_store: S3Store, iris_model: Path, tmp_path: Path
) -> None:
    await s3_store.put_file("m/model.joblib", iris_model)
    settings = runtime_settings(
        tmp_path, runtime="kubernetes", kubeconfig=stand_in.kubeconfig, kubernetes_image="nope:1"
    )
    kube = KubernetesRuntime(settings, s3_store)
    try:
        uri = s3_store.uri("m/model.joblib")
        await kube.apply(replace(make_spec("pull", iris_model), artifact_uri=uri, requirements_uri=uri))
        status = await wait_status(kube, "pull", lambda s: s.phase is Phase.FAILED, "Failed")
        assert any(reason in (status.message or "") for reason in ("ErrImagePull", "ImagePullBackOff"))
        assert kube.upstream("pull") is None
        await kube.delete("pull")
        assert stand_in.call(lambda: stand_in.store.list(K["Deployment"])) == []
    finally:
        await kube.close()


async def test_one_leader_at_a_time_and_a_clean_handover(stand_in: StandInCluster, tmp_path: Path) -> None:
    settings = runtime_settings(tmp_path, kubernetes_lease_seconds=30)
    clients = [AsyncClient(KubeConfig.from_file(stand_in.kubeconfig), trust_env=False) for _ in range(2)]
    first, second = (LeaderElection(c, settings) for c in clients)
    try:
        assert await first.try_acquire() and first.leading
        assert not await second.try_acquire() and not second.leading  # held and fresh
        assert await first.try_acquire()  # renewing is fine
        await first.release()
        assert not first.leading
        assert await second.try_acquire() and second.leading  # released: taken at once
        lease = stand_in.call(lambda: stand_in.store.list(K["Lease"], "kubeserve"))[0]
        assert lease["spec"]["holderIdentity"] == second.identity and lease["spec"]["leaseTransitions"] == 2
    finally:
        for client in clients:
            await client.close()
