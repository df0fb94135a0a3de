"""Every object the Kubernetes runtime builds: golden files, strict validation on Kubernetes
1.29/1.33/1.37, Pod Security "restricted", requests and limits, and the classic mistakes."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kubeserve.config import Settings
from kubeserve.runtime.base import Autoscaling, BuildSpec, Quota
from kubeserve.runtime.kubernetes import objects
from tests.kubernetes.sample import SPEC, URLS
from tests.kubernetes.validation import assert_deployable, missing_resources, pod_spec_of

GOLDEN = Path(__file__).parent / "golden"
SECRET_KEY = "golden-files-secret-key-0123456789abcdef"


BUILD = BuildSpec(
    owner_id=7,
    version_id=3,
    artifact_uri=SPEC.artifact_uri,
    requirements_uri=SPEC.requirements_uri,
    code_uri="s3://models/models/7/iris/v2/code.zip",
    allow_unsafe_pickle=True,
)
BUILD_URLS = objects.BuildUrls(
    "https://s3.example/models/7/iris/v2/model.joblib?X-Amz-Signature=sig3",
    "https://s3.example/models/7/iris/v2/requirements.txt?X-Amz-Signature=sig4",
    "https://s3.example/models/7/iris/v2/code.zip?X-Amz-Signature=sig5",
)


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"secret_key": SECRET_KEY, "s3_access_key": "AKIA-NEVER-IN-A-POD", **overrides}
    return Settings(**values, _env_file=None)  # type: ignore[call-arg]


CODE_URL = "https://s3.example/models/7/iris/v2/code.zip?X-Amz-Signature=sig3"
ADMIN_QUOTA = Quota("8", "16Gi", 12)  # what an admin set for the owner


def all_objects(autoscaling: bool = True, monitor: bool = True) -> list[dict[str, Any]]:
    """The autoscaled variant also ships code and has a quota an admin set."""
    spec, urls, quota = SPEC, URLS, Quota()
    if autoscaling:
        code = "s3://models/models/7/iris/v2/code.zip"
        spec = replace(SPEC, autoscaling=Autoscaling(1, 4, 2.0), code_uri=code, quota=ADMIN_QUOTA)
        urls, quota = replace(URLS, code=CODE_URL), ADMIN_QUOTA
    tenant = objects.tenant_objects(7, settings(kubernetes_egress_cidrs=["52.216.0.0/15"]), quota)
    return tenant + objects.deployment_objects(spec, settings(), urls, monitor)


def build_objects(spec: BuildSpec = BUILD, **overrides: Any) -> list[dict[str, Any]]:
    urls = BUILD_URLS if spec.code_uri else objects.BuildUrls(BUILD_URLS.model, BUILD_URLS.requirements)
    return objects.build_objects(spec, objects.build_name(spec, "a1b2c3"), settings(**overrides), urls)


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("autoscaling", [True, False])
def test_golden(autoscaling: bool) -> None:
    docs = all_objects(autoscaling=autoscaling)
    path = GOLDEN / f"objects{'-autoscaled' if autoscaling else ''}.json"
    text = json.dumps(docs, indent=2, sort_keys=True) + "\n"
    if os.environ.get("KUBESERVE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{path.name} changed: rerun with KUBESERVE_UPDATE_GOLDEN=1 and review"


def test_golden_build() -> None:
    path = GOLDEN / "build.json"
    text = json.dumps(build_objects(pip_index_url="https://pypi.example/simple"), indent=2, sort_keys=True)
    if os.environ.get("KUBESERVE_UPDATE_GOLDEN"):
        path.write_text(text + "\n")
    assert text + "\n" == path.read_text(), "build.json changed: rerun with KUBESERVE_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("code", [True, False])
def test_a_build_is_a_locked_down_pod_that_runs_once_within_its_deadline(code: bool) -> None:
    """Strict on 1.29/1.33/1.37, restricted, requests = limits from the build settings; the
    pod reads presigned URLs from its Secret (never keys, never a URL in the pod spec)."""
    spec = BUILD if code else BuildSpec(**{**BUILD.__dict__, "code_uri": None, "allow_unsafe_pickle": False})
    docs = build_objects(spec, build_timeout_seconds=240, build_memory_mb=1536, build_cpu="750m")
    for doc in docs:
        assert_deployable(doc)
        assert doc["metadata"]["namespace"] == "user-7"
        assert doc["metadata"]["labels"][objects.BUILD_LABEL] == "3"
    [secret], [pod] = by_kind(docs, "Secret"), by_kind(docs, "Pod")
    assert pod["metadata"]["name"] == secret["metadata"]["name"] == "build-3-a1b2c3"
    body = pod["spec"]
    assert body["restartPolicy"] == "Never" and body["activeDeadlineSeconds"] == 240
    assert body["automountServiceAccountToken"] is False
    [c] = body["containers"]
    size = {"cpu": "750m", "memory": "1536Mi"}
    assert c["resources"] == {"requests": size, "limits": size}
    assert c["securityContext"]["readOnlyRootFilesystem"] and c["securityContext"]["capabilities"] == {
        "drop": ["ALL"]
    }
    assert c["command"] == ["python", "-m", "kubeserve.inference.inspect"]
    assert c["args"][-1 if not code else -2] in ("all", "--allow-unsafe-pickle")
    assert ("--allow-unsafe-pickle" in c["args"]) is code and ("--code" in c["args"]) is code
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/packages", "/tmp"}
    assert all("emptyDir" in v for v in body["volumes"])
    urls = {"model-url": BUILD_URLS.model, "requirements-url": BUILD_URLS.requirements}
    if code:
        urls["code-url"] = str(BUILD_URLS.code)
    assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == urls
    refs = {e["valueFrom"]["secretKeyRef"]["key"] for e in c["env"] if "valueFrom" in e}
    assert refs == set(urls)
    text = json.dumps(pod)
    assert "X-Amz" not in text and "s3.example" not in text and "AKIA-NEVER-IN-A-POD" not in text
    assert SECRET_KEY not in json.dumps(docs)


@pytest.mark.parametrize("autoscaling", [True, False])
def test_every_object_is_deployable_on_every_version(autoscaling: bool) -> None:
    """Strict schemas on 1.29, 1.33 and 1.37 (a missing schema fails; the ServiceMonitor is a
    CRD, validated against the vendored schema), restricted, requests and limits."""
    docs = all_objects(autoscaling=autoscaling)
    kinds = {d["kind"] for d in docs}
    assert {
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "Secret",
        "Deployment",
        "Service",
    } <= kinds
    assert ("HorizontalPodAutoscaler" in kinds) == autoscaling and "ServiceMonitor" in kinds
    for doc in docs:
        assert_deployable(doc)


def test_the_tenant_namespace_enforces_restricted_and_the_quota_has_defaults() -> None:
    docs = all_objects(autoscaling=False)
    [namespace] = by_kind(docs, "Namespace")
    assert namespace["metadata"]["name"] == "user-7"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    [quota] = by_kind(docs, "ResourceQuota")
    assert quota["spec"]["hard"] == {
        "requests.cpu": "2",
        "limits.cpu": "2",
        "requests.memory": "4Gi",
        "limits.memory": "4Gi",
        "pods": "6",  # 5 replicas + one pod of headroom for a rollout's surge or a build
    }
    # Classic mistake: a quota on requests/limits refuses any container without them, init
    # containers included, unless a LimitRange gives defaults.
    [limits] = by_kind(docs, "LimitRange")
    [item] = limits["spec"]["limits"]
    assert item["type"] == "Container" and set(item["default"]) == set(item["defaultRequest"]) == {
        "cpu",
        "memory",
    }
    bare = {"containers": [{"name": "app", "image": "x"}], "initContainers": [{"name": "init", "image": "x"}]}
    assert len(missing_resources(bare)) == 8  # what the LimitRange fills in at admission


def test_network_policies_deny_both_ways_then_allow_exactly() -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in by_kind(all_objects(), "NetworkPolicy")}
    # Classic mistake: default-deny for egress only leaves ingress open (and vice versa).
    deny = policies["default-deny"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    egress = policies["allow-egress"]["egress"]
    dns, platform, external = egress
    assert {p["port"] for p in dns["ports"]} == {53} and dns["to"][0]["podSelector"]["matchLabels"] == {
        "k8s-app": "kube-dns"
    }
    assert platform["to"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kubeserve"}}}
    ]
    assert external == {
        "to": [{"ipBlock": {"cidr": "52.216.0.0/15"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    ingress = policies["allow-ingress-from-platform"]["ingress"]
    sources = [
        s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for s in ingress[0]["from"]
    ]
    assert sources == ["kubeserve", "monitoring"] and ingress[0]["ports"] == [
        {"protocol": "TCP", "port": 8080}
    ]


def test_no_storage_keys_anywhere_and_the_pod_reads_urls_from_its_secret() -> None:
    docs = all_objects()
    text = json.dumps(docs)
    assert "AKIA-NEVER-IN-A-POD" not in text and SECRET_KEY not in text
    assert "X-Amz-Signature" not in json.dumps(by_kind(docs, "Deployment"))  # URLs only in the Secret
    [secret] = by_kind(docs, "Secret")
    assert secret["metadata"]["name"] == "iris-a1b2c3d4e5-v3"
    assert base64.b64decode(secret["data"]["model-url"]).decode() == URLS.model
    [deployment] = by_kind(docs, "Deployment")
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KUBESERVE_MODEL_ARTIFACT"]["valueFrom"]["secretKeyRef"] == {
        "name": secret["metadata"]["name"],
        "key": "model-url",
    }
    assert not any(name.startswith(("KUBESERVE_MODEL_S3", "AWS_")) for name in env)


def test_shipped_code_and_the_owners_quota_reach_the_cluster() -> None:
    """Code travels like the model: a presigned URL in the version's Secret, read through
    secretKeyRef (never a URL in the pod spec); the admin's quota is the tenant's ResourceQuota."""
    docs = all_objects(autoscaling=True)
    [secret] = by_kind(docs, "Secret")
    assert base64.b64decode(secret["data"]["code-url"]).decode() == CODE_URL
    [deployment] = by_kind(docs, "Deployment")
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KUBESERVE_MODEL_CODE"] == {
        "name": "KUBESERVE_MODEL_CODE",
        "valueFrom": {"secretKeyRef": {"name": secret["metadata"]["name"], "key": "code-url"}},
    }
    assert "code.zip" not in json.dumps(deployment)
    plain = all_objects(autoscaling=False)  # no code shipped: no key, no variable
    assert "code-url" not in by_kind(plain, "Secret")[0]["data"]
    assert "KUBESERVE_MODEL_CODE" not in json.dumps(by_kind(plain, "Deployment"))
    [quota] = by_kind(docs, "ResourceQuota")
    assert quota["spec"]["hard"] == {
        "requests.cpu": "8",
        "limits.cpu": "8",
        "requests.memory": "16Gi",
        "limits.memory": "16Gi",
        "pods": "13",
    }


def test_the_deployment_is_locked_down_and_probed_where_the_model_server_answers() -> None:
    [deployment] = by_kind(all_objects(autoscaling=False), "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 2 and spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = pod_spec_of(deployment)
    assert pod is not None and pod["automountServiceAccountToken"] is False
    [c] = pod["containers"]
    sc = c["securityContext"]
    assert (
        sc["readOnlyRootFilesystem"]
        and not sc["allowPrivilegeEscalation"]
        and sc["capabilities"] == {"drop": ["ALL"]}
    )
    assert sc["runAsNonRoot"] and sc["runAsUser"] != 0 and sc["seccompProfile"] == {"type": "RuntimeDefault"}
    # Classic mistake: probing a path the model server does not serve.
    assert (
        c["readinessProbe"]["httpGet"]["path"] == "/ready"
        and c["livenessProbe"]["httpGet"]["path"] == "/health"
    )
    assert c["startupProbe"]["httpGet"]["path"] == "/ready"
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/packages", "/work", "/tmp"}
    assert all("emptyDir" in v for v in pod["volumes"])


def test_with_autoscaling_the_replica_count_belongs_to_the_hpa() -> None:
    docs = all_objects(autoscaling=True)
    [deployment] = by_kind(docs, "Deployment")
    assert "replicas" not in deployment["spec"]  # server-side apply would fight the HPA
    [hpa] = by_kind(docs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2" and (
        hpa["spec"]["minReplicas"],
        hpa["spec"]["maxReplicas"],
    ) == (1, 4)


def test_without_the_crd_there_is_no_service_monitor() -> None:
    assert by_kind(all_objects(monitor=False), "ServiceMonitor") == []
    [monitor] = by_kind(all_objects(monitor=True), "ServiceMonitor")
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["path"] == "/metrics" and endpoint["bearerTokenSecret"]["key"] == "gateway-token"


def test_the_chart_grants_the_runtime_every_kind_it_writes_and_no_more() -> None:
    """The control plane's ClusterRole (charts/kubeserve) against what this module builds."""
    from tests.kubernetes.chart import SECRETS, render
    from tests.kubernetes.chart import by_kind as chart_kind

    plural = {"NetworkPolicy": "networkpolicies", "HorizontalPodAutoscaler": "horizontalpodautoscalers"}

    def resources(docs: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {
            (d["apiVersion"].rpartition("/")[0], plural.get(d["kind"], d["kind"].lower() + "s")) for d in docs
        }

    [role] = chart_kind(render(SECRETS), "ClusterRole")

    def granted(*verbs: str) -> set[tuple[str, str]]:
        return {
            (group, resource)
            for rule in role["rules"]
            if set(verbs) <= set(rule["verbs"])
            for group in rule["apiGroups"]
            for resource in rule["resources"]
        }

    # applied (server-side apply: create + patch); deletes are held by test_chart_runtime.py
    assert resources(all_objects(monitor=False)) == granted("create", "patch")
    # created once and deleted (builds): the pod needs no patch, the Secret has it anyway
    assert resources(build_objects()) <= granted("create", "delete")
    assert ("", "pods") not in granted("patch")
