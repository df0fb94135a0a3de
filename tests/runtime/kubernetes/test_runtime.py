"""KubernetesRuntime against the stand-in: what the contract suite does not cover."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lightkube import AsyncClient, KubeConfig

from kubeserve.runtime.base import Phase, Quota
from kubeserve.runtime.kubernetes import KubernetesRuntime
from kubeserve.runtime.kubernetes.lease import LeaderElection
from kubeserve.storage.s3 import S3Store
from tests.fixtures.control_plane import poll
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


async def test_an_admins_quota_change_reaches_the_resource_quota_and_admission(
    stand_in: StandInCluster, s3_store: S3Store, iris_model: Path, tmp_path: Path
) -> None:
    """The quota travels with the spec; `apply_quota` changes it without any deployment change,
    and the API server's admission follows it (pods of an unknown image: created, never run)."""
    await s3_store.put_file("q/model.joblib", iris_model)
    settings = runtime_settings(
        tmp_path, runtime="kubernetes", kubeconfig=stand_in.kubeconfig, kubernetes_image="nope:1"
    )
    kube = KubernetesRuntime(settings, s3_store)

    def cluster(kind: str) -> list[dict]:
        return stand_in.call(lambda: stand_in.store.list(K[kind], "user-1"))

    def hard() -> dict:
        return cluster("ResourceQuota")[0]["spec"]["hard"]

    try:
        await kube.apply_quota(2, Quota(pods=9))  # no namespace yet: it comes with their first deployment
        assert stand_in.call(lambda: stand_in.store.list(K["ResourceQuota"], "user-2")) == []
        uri = s3_store.uri("q/model.joblib")
        spec = replace(make_spec("quota", iris_model, replicas=2), artifact_uri=uri, requirements_uri=uri)
        await kube.apply(replace(spec, quota=Quota("2", "4Gi", 1)))
        assert hard() == {
            "requests.cpu": "2",
            "limits.cpu": "2",
            "requests.memory": "4Gi",
            "limits.memory": "4Gi",
            "pods": "1",
        }

        def refusal() -> str:
            conditions = (cluster("Deployment")[0].get("status") or {}).get("conditions", [])
            return next((c["message"] for c in conditions if c["type"] == "ReplicaFailure"), "")

        poll(lambda: "exceeded quota" in refusal(), 30, "the second pod refused")
        assert "pods" in refusal() and len(cluster("Pod")) == 1

        await kube.apply_quota(1, Quota("2", "4Gi", 2))  # an admin's change, the deployment unchanged
        assert hard()["pods"] == "2"
        poll(lambda: len(cluster("Pod")) == 2, 30, "the second pod admitted")

        await kube.apply(replace(spec, quota=Quota("3", "4Gi", 2)))  # a spec carrying another quota
        assert hard()["requests.cpu"] == "3"
        await kube.delete("quota")
    finally:
        await kube.close()
