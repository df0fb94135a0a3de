"""The journey on KUBESERVE_RUNTIME=kubernetes: a real control plane process, a real S3 server
(moto), and the stand-in Kubernetes API server whose kubelet runs every pod's command as a
real process: builds as pods in the tenant's namespace -> deploy -> Running -> predict through
the gateway -> scale -> roll out -> roll back -> roll out a version that needs its shipped
code -> delete, then quota refusals (the API's, then admission's after an admin lowered the
owner's CPU, lifted when the admin raises it) and a crashing model with their reasons. The
control plane runs no user code: its sandbox is off, as in a restricted pod where bubblewrap
cannot run, and it still is a multi-user install."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pytest

from kubeserve.storage.s3 import S3Store
from tests.e2e.journey import ROWS, roll_out_and_back, scale, upload_ready_version, wait_deployment
from tests.fixtures.control_plane import Api, ControlPlane, poll
from tests.fixtures.kube_apiserver import StandInCluster
from tests.fixtures.kube_apiserver.controllers import K
from tests.fixtures.kubernetes import MODEL_IMAGE
from tests.fixtures.s3 import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY
from tests.inference.models import IRIS_ROWS, make_notebook_model

# The database does not matter to the runtime (the local journey runs on both): SQLite only.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def kube_plane(
    tmp_path: Path, database_url: str, s3_server: str, stand_in: StandInCluster
) -> Iterator[ControlPlane]:
    plane = ControlPlane(
        tmp_path / "data",
        database_url,
        KUBESERVE_RUNTIME="kubernetes",
        KUBESERVE_KUBECONFIG=str(stand_in.kubeconfig),
        KUBESERVE_KUBERNETES_IMAGE=MODEL_IMAGE,
        KUBESERVE_STORAGE="s3",
        KUBESERVE_S3_ENDPOINT=s3_server,
        KUBESERVE_S3_ACCESS_KEY=S3_ACCESS_KEY,
        KUBESERVE_S3_SECRET_KEY=S3_SECRET_KEY,
        KUBESERVE_S3_SECURE="false",
        KUBESERVE_S3_REGION=S3_REGION,
        KUBESERVE_S3_BUCKET=f"k8s-{tmp_path.name[-20:].lower().replace('_', '-')}".rstrip("-"),
        KUBESERVE_REPLICA_MEMORY_MB="256",  # with 250m CPU: the 5-pod quota binds first
        KUBESERVE_REPLICA_CPU="250m",
        KUBESERVE_REPLICA_START_TIMEOUT_SECONDS="60",
        KUBESERVE_KUBERNETES_LEASE_SECONDS="2",
        KUBESERVE_SANDBOX="off",  # no bubblewrap in a restricted pod: builds run as pods anyway
    )
    plane.start()
    yield plane
    plane.stop()


def objects(cluster: StandInCluster, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    return list(cluster.call(lambda: json.loads(json.dumps(cluster.store.list(K[kind], namespace)))))


def test_the_journey_on_kubernetes(
    kube_plane: ControlPlane,
    stand_in: StandInCluster,
    iris_model: Path,
    iris_requirements: Path,
    shifted_model: Path,
    tmp_path: Path,
) -> None:
    owner = Api.register(kube_plane.url, "k8s@example.com")
    me = owner.call("GET", "/me")
    ns = f"user-{me['id']}"
    assert me["isolation"].startswith("kubernetes:") and me["sandboxed"] and not me["single_user"], me
    expected_v1 = joblib.load(iris_model).predict(np.array(ROWS)).tolist()
    expected_v2 = joblib.load(shifted_model).predict(np.array(ROWS)).tolist()
    model = owner.call("POST", "/models", 201, json={"name": "iris"})
    v1 = upload_ready_version(owner, model["id"], "v1", iris_model, iris_requirements)
    # the build ran as a pod in the tenant's namespace (the sandbox is off: not here), then went
    assert ("POST", f"/api/v1/namespaces/{ns}/pods") in stand_in.api.requests
    assert v1["signature"]["n_features_in"] == 4 and v1["signature"]["classes"] == [0, 1, 2]
    assert objects(stand_in, "Pod", ns) == [] and objects(stand_in, "Secret", ns) == []

    # deploy -> Running -> predict through the gateway (Service ClusterIP -> pod process)
    dep = owner.call("POST", "/deployments", 201, json={"version_id": v1["id"], "replicas": 1})
    url, name = dep["url"], dep["name"]
    running = wait_deployment(owner, dep["id"], "Running", lambda d: d["status"] == "Running", 120)
    assert running["ready_replicas"] == 1 and running["instances"][0]["release"] == 1
    answer = owner.http.post(url, json={"data": ROWS})
    assert answer.status_code == 200 and answer.json()["predictions"] == expected_v1, answer.text

    # what the cluster holds: the tenant's namespace and guard rails, the deployment's objects
    [namespace] = [n for n in objects(stand_in, "Namespace") if n["metadata"]["name"] == ns]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert [q["metadata"]["name"] for q in objects(stand_in, "ResourceQuota", ns)] == ["kubeserve-quota"]
    assert len(objects(stand_in, "NetworkPolicy", ns)) == 3 and objects(stand_in, "LimitRange", ns)
    [service] = objects(stand_in, "Service", ns)
    [secret] = objects(stand_in, "Secret", ns)
    [pod] = objects(stand_in, "Pod", ns)
    assert "X-Amz-Signature" in base64.b64decode(secret["data"]["model-url"]).decode()
    assert S3_SECRET_KEY not in json.dumps(objects(stand_in, "Deployment", ns) + [pod])
    # the replica refuses anyone who skips the gateway (no token)
    direct = httpx.post(f"http://{service['spec']['clusterIP']}:8080/predict", json={"data": ROWS})
    assert direct.status_code == 403

    # scale, roll out v2, roll back to v1
    scale(owner, dep["id"], 2, 120)
    assert len(objects(stand_in, "Pod", ns)) == 2
    v2 = upload_ready_version(owner, model["id"], "v2", shifted_model, iris_requirements)
    logs = roll_out_and_back(
        owner, dep, v1, v2, (expected_v1, expected_v2), replicas=2, timeout=120, under_load=False
    )
    assert all(line.startswith(f"[{name}-") for line in logs)

    # a version that needs its shipped code (a notebook's own transformer): the code reaches
    # the pods like the model, by a presigned URL in the version's Secret
    notebook, code, expected_v4 = make_notebook_model(tmp_path)
    v4 = upload_ready_version(owner, model["id"], "v4", notebook, iris_requirements, code=code)
    owner.call("PATCH", f"/deployments/{dep['id']}", json={"version_id": v4["id"]})
    wait_deployment(  # a refused rollout would point the row back at release 3 (v1)
        owner,
        dep["id"],
        "release 4 (shipped code) serving",
        lambda d: d["status"] == "Running" and {i["release"] for i in d["instances"]} == {4},
        120,
    )
    answer = owner.http.post(url, json={"data": IRIS_ROWS})
    assert answer.json()["predictions"] == expected_v4, answer.text
    code_secret = next(
        s for s in objects(stand_in, "Secret", ns) if s["metadata"]["name"].endswith(f"-v{v4['id']}")
    )
    assert "code.zip?X-Amz-" in base64.b64decode(code_secret["data"]["code-url"]).decode()
    assert "code.zip" not in json.dumps(objects(stand_in, "Deployment", ns))

    # delete: everything the deployment owned goes, the URL is a 404
    owner.call("DELETE", f"/deployments/{dep['id']}", 204)
    for kind in ("Deployment", "Service", "Secret", "Pod", "HorizontalPodAutoscaler"):
        poll(lambda kind=kind: objects(stand_in, kind, ns) == [], 30, f"{kind}s to go")
    assert owner.http.post(url, json={"data": ROWS}).status_code == 404
    assert objects(stand_in, "ResourceQuota", ns)  # the tenant's guard rails stay


def test_quota_refusal_and_a_crashing_model_say_why(
    kube_plane: ControlPlane,
    stand_in: StandInCluster,
    iris_model: Path,
    iris_requirements: Path,
    s3_server: str,
) -> None:
    owner = Api.register(kube_plane.url, "quota@example.com")
    owner_id = owner.call("GET", "/me")["id"]
    ns = f"user-{owner_id}"
    model = owner.call("POST", "/models", 201, json={"name": "big"})
    v1 = upload_ready_version(owner, model["id"], "v1", iris_model, iris_requirements)
    # 5 pods at most per owner (the default): 6 replicas are refused at once, in the quota's words
    refused = owner.http.post("/deployments", json={"version_id": v1["id"], "replicas": 6})
    assert refused.status_code == 403 and "exceeded quota: pods" in refused.json()["detail"]

    # the operator makes an admin where the control plane runs; the admin lowers the owner's CPU
    admin = Api.register(kube_plane.url, "boss@example.com")
    granted = kube_plane.kubeserve("admin", "grant", "boss@example.com")
    assert granted.returncode == 0 and "now an admin" in granted.stdout, granted.stderr
    admin.call("PATCH", f"/admin/users/{owner_id}/quota", json={"cpu": "500m"})  # 2 pods of 250m
    dep = owner.call("POST", "/deployments", 201, json={"version_id": v1["id"], "replicas": 3})
    poll(lambda: len(objects(stand_in, "Pod", ns)) == 2, 60, "two pods")
    refused = wait_deployment(
        owner, dep["id"], "the refusal", lambda d: "exceeded quota" in (d["error"] or ""), 120
    )
    assert refused["status"] == "Failed" and "cpu" in refused["error"], refused
    # raised: the ResourceQuota changes at once (the deployment did not) and admission follows
    admin.call("PATCH", f"/admin/users/{owner_id}/quota", json={"cpu": "1"})
    [quota] = objects(stand_in, "ResourceQuota", ns)
    assert quota["spec"]["hard"]["limits.cpu"] == "1" and quota["spec"]["hard"]["pods"] == "6"
    poll(lambda: len(objects(stand_in, "Pod", ns)) == 3, 60, "the third pod admitted")
    owner.call("DELETE", f"/deployments/{dep['id']}", 204)
    poll(lambda: objects(stand_in, "Pod", ns) == [], 30, "pods to go")

    # the stored artifact changes after the build: the model server refuses it (exit 3), the
    # kubelet restarts it with back-off, the deployment is Failed with the reason
    bucket = kube_plane.env["KUBESERVE_S3_BUCKET"]
    store = S3Store(s3_server, S3_ACCESS_KEY, S3_SECRET_KEY, bucket, secure=False, region=S3_REGION)
    tampered = iris_model.parent / "tampered.joblib"
    tampered.write_bytes(iris_model.read_bytes() + b"tampered")
    asyncio.run(store.put_file(v1["s3_path"], tampered))
    dep = owner.call("POST", "/deployments", 201, json={"version_id": v1["id"]})
    failed = wait_deployment(owner, dep["id"], "Failed", lambda d: d["status"] == "Failed", 120)
    assert "CrashLoopBackOff" in failed["error"] and "exit code 3" in failed["error"], failed["error"]
    logs = owner.call("GET", f"/deployments/{dep['id']}/logs", params={"tail": 50})["lines"]
    assert any("sha256 mismatch" in line for line in logs)
    assert owner.http.post(dep["url"], json={"data": ROWS}).status_code == 503
