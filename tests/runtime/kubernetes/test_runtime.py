"""KubernetesRuntime against the stand-in: what the contract suite does not cover."""

from __future__ import annotations

import asyncio
import pickle
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lightkube import AsyncClient, KubeConfig

from kubeserve.runtime.base import BuildSpec, Phase, Quota
from kubeserve.runtime.kubernetes import objects
from kubeserve.runtime.kubernetes.lease import LeaderElection
from kubeserve.storage.s3 import S3Store
from tests.fixtures.control_plane import poll
from tests.fixtures.kube_apiserver import StandInCluster
from tests.fixtures.kube_apiserver.controllers import K
from tests.runtime.conftest import runtime_settings, stand_in_runtime
from tests.runtime.helpers import make_spec, wait_status, wait_until

pytestmark = pytest.mark.slow


async def test_an_image_the_registry_lacks_fails_with_the_pull_error(
    stand_in: StandInCluster, s3_store: S3Store, iris_model: Path, tmp_path: Path
) -> None:
    await s3_store.put_file("m/model.joblib", iris_model)
    kube = stand_in_runtime(stand_in, s3_store, tmp_path, kubernetes_image="nope:1")
    try:
        uri = s3_store.uri("m/model.joblib")
        await kube.apply(replace(make_spec("pull", iris_model), artifact_uri=uri, requirements_uri=uri))
        status = await wait_status(kube, "pull", lambda s: s.phase is Phase.FAILED, "Failed")
        assert any(reason in (status.message or "") for reason in ("ErrImagePull", "ImagePullBackOff"))
        assert kube.upstream("pull") is None
        await kube.delete("pull")
        assert stand_in.call(lambda: stand_in.store.list(K["Deployment"])) == []
        built = await kube.build(BuildSpec(1, 3, uri, uri))  # a build's pod cannot pull it either
        assert (built.error or "").startswith(
            'the build pod cannot start: ImagePullBackOff: Back-off pulling image "nope:1"'
        )
        assert build_objects(stand_in) == []
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


def build_objects(cluster: StandInCluster) -> list[str]:
    """Every build Pod and Secret in the cluster, as kind/namespace/name."""

    def find() -> list[str]:
        return [
            f"{kind}/{o['metadata']['namespace']}/{o['metadata']['name']}"
            for kind in ("Pod", "Secret")
            for o in cluster.store.list(K[kind])
            if objects.BUILD_LABEL in o["metadata"]["labels"]
        ]

    return list(cluster.call(find))


async def put_version(store: S3Store, prefix: str, model: Path, tmp_path: Path) -> BuildSpec:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")
    await store.put_file(f"{prefix}/model.pkl", model)
    await store.put_file(f"{prefix}/requirements.txt", requirements)
    return BuildSpec(1, 5, store.uri(f"{prefix}/model.pkl"), store.uri(f"{prefix}/requirements.txt"))


async def test_a_build_is_a_pod_in_the_tenants_namespace_and_leaves_nothing_behind(
    stand_in: StandInCluster, s3_store: S3Store, iris_model: Path, tmp_path: Path
) -> None:
    spec = await put_version(s3_store, "models/1/iris/v5", iris_model, tmp_path)
    kube = stand_in_runtime(stand_in, s3_store, tmp_path)
    try:
        # leftovers of a control plane that died mid-build: this version's, and an old one's
        stand_in.call(lambda: stand_in.api.create(K["Namespace"], None, objects.namespace(1)))
        dead = objects.BuildUrls("http://127.0.0.1:9/m.pkl", "http://127.0.0.1:9/r.txt")
        for doc in objects.build_objects(spec, objects.build_name(spec, "dead01"), kube.settings, dead):
            stand_in.call(lambda doc=doc: stand_in.api.create(K[doc["kind"]], "user-1", doc))
        old = objects.build_secret(replace(spec, version_id=4), "build-4-old", dead)
        old["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"
        stand_in.call(lambda: stand_in.api.create(K["Secret"], "user-1", old))
        assert len(build_objects(stand_in)) == 3

        answer = await kube.build(spec)
        assert answer.ok and answer.signature is not None and answer.signature["classes"] == [0, 1, 2]
        assert ("POST", "/api/v1/namespaces/user-1/pods") in stand_in.api.requests  # it ran in a pod
        assert build_objects(stand_in) == []  # its own Pod and Secret, and the leftovers
        tenant = stand_in.call(lambda: stand_in.store.list(K["NetworkPolicy"], "user-1"))
        assert len(tenant) == 3  # the guard rails came first

        # cancelled (the control plane shuts down): the pod and its Secret go with it
        task = asyncio.create_task(kube.build(spec))
        await wait_until(lambda: _true(len(build_objects(stand_in)) == 2), "the build pod")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert build_objects(stand_in) == []
    finally:
        await kube.close()


async def _true(value: bool) -> bool:
    return value


class _Sleeps:
    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return (time.sleep, (60,))


async def test_a_full_quota_and_the_deadline_fail_the_build_with_their_reasons(
    stand_in: StandInCluster, s3_store: S3Store, iris_model: Path, tmp_path: Path
) -> None:
    spec = await put_version(s3_store, "models/1/iris/v5", iris_model, tmp_path)
    kube = stand_in_runtime(stand_in, s3_store, tmp_path)
    try:
        refused = await kube.build(replace(spec, quota=Quota(memory="1Gi")))  # a build asks for 2048 MiB
        assert (
            stand_in.call(lambda: stand_in.store.list(K["ResourceQuota"], "user-1"))[0]["spec"]["hard"][
                "limits.memory"
            ]
            == "1Gi"
        )  # the owner's quota, applied before the build pod
        assert not refused.ok and refused.error is not None
        assert refused.error.startswith("exceeded quota:") and "kubeserve-quota" in refused.error
        assert build_objects(stand_in) == []
    finally:
        await kube.close()

    sleepy = tmp_path / "sleepy.pkl"
    sleepy.write_bytes(pickle.dumps(_Sleeps()))
    slow = replace(await put_version(s3_store, "models/2/s/v1", sleepy, tmp_path), owner_id=2)
    kube = stand_in_runtime(stand_in, s3_store, tmp_path, build_timeout_seconds=3)
    try:
        late = await kube.build(replace(slow, allow_unsafe_pickle=True))
        assert not late.ok and late.error == "build timed out after 3 s"
        assert build_objects(stand_in) == []
    finally:
        await kube.close()


async def test_an_admins_quota_change_reaches_the_resource_quota_and_admission(
    stand_in: StandInCluster, s3_store: S3Store, iris_model: Path, tmp_path: Path
) -> None:
    """The quota travels with the spec; `apply_quota` changes it without any deployment change,
    and the API server's admission follows it (pods of an unknown image: created, never run)."""
    await s3_store.put_file("q/model.joblib", iris_model)
    kube = stand_in_runtime(stand_in, s3_store, tmp_path, kubernetes_image="nope:1")

    def cluster(kind: str) -> list[dict]:
        return stand_in.call(lambda: stand_in.store.list(K[kind], "user-1"))

    def hard() -> dict:
        return cluster("ResourceQuota")[0]["spec"]["hard"]

    try:
        await kube.apply_quota(2, Quota(pods=9))  # no namespace yet: it comes with their first deployment
        assert stand_in.call(lambda: stand_in.store.list(K["ResourceQuota"], "user-2")) == []
        uri = s3_store.uri("q/model.joblib")
        spec = replace(make_spec("quota", iris_model, replicas=3), artifact_uri=uri, requirements_uri=uri)
        await kube.apply(replace(spec, quota=Quota("2", "4Gi", 1)))  # (a cluster-side test: 3 > 1)
        assert hard() == {
            "requests.cpu": "2",
            "limits.cpu": "2",
            "requests.memory": "4Gi",
            "limits.memory": "4Gi",
            "pods": "2",  # one pod of headroom: a rollout's surge or a build
        }

        def refusal() -> str:
            conditions = (cluster("Deployment")[0].get("status") or {}).get("conditions", [])
            return next((c["message"] for c in conditions if c["type"] == "ReplicaFailure"), "")

        poll(lambda: "exceeded quota" in refusal(), 30, "the third pod refused")
        assert "pods" in refusal() and len(cluster("Pod")) == 2

        await kube.apply_quota(1, Quota("2", "4Gi", 2))  # an admin's change, the deployment unchanged
        assert hard()["pods"] == "3"
        poll(lambda: len(cluster("Pod")) == 3, 30, "the third pod admitted")

        await kube.apply(replace(spec, quota=Quota("3", "4Gi", 2)))  # a spec carrying another quota
        assert hard()["requests.cpu"] == "3"
        await kube.delete("quota")
    finally:
        await kube.close()
