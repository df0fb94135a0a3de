"""The chart against the Kubernetes runtime it configures: RBAC grants exactly what the runtime
applies and reads, the settings the chart sets build valid tenant objects, and the network
path gateway -> replica is open on both sides (control-plane egress, tenant ingress)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from kubeserve.config import Settings
from kubeserve.runtime.base import Autoscaling
from kubeserve.runtime.kubernetes import objects
from tests.kubernetes.chart import NAMESPACE, SECRETS, SERVICE_MONITOR_API, merged, one, render_helm3
from tests.kubernetes.sample import SPEC, URLS
from tests.kubernetes.validation import assert_deployable

Doc = dict[str, Any]
RESOURCES = {  # kind -> (API group, resource) of every kind the runtime applies
    "Namespace": ("", "namespaces"),
    "ResourceQuota": ("", "resourcequotas"),
    "LimitRange": ("", "limitranges"),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies"),
    "Secret": ("", "secrets"),
    "Deployment": ("apps", "deployments"),
    "Service": ("", "services"),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers"),
    "ServiceMonitor": ("monitoring.coreos.com", "servicemonitors"),
}
# What src/kubeserve/runtime/kubernetes/ does beyond applying (server-side apply = create + patch):
# watches (Deployments, Services, Pods in all namespaces), deletes a deployment's objects, lists
# its Secrets by label, reads pod logs, probes for the ServiceMonitor CRD by listing; a build is a
# Pod and a Secret created, awaited through the Pod watch, read (log) and deleted.
EXPECTED_CLUSTER_RULES = {
    ("", "namespaces"): {"create", "patch"},
    ("", "resourcequotas"): {"create", "patch"},
    ("", "limitranges"): {"create", "patch"},
    ("networking.k8s.io", "networkpolicies"): {"create", "patch"},
    ("apps", "deployments"): {"create", "patch", "delete", "list", "watch"},
    ("", "services"): {"create", "patch", "delete", "list", "watch"},
    ("autoscaling", "horizontalpodautoscalers"): {"create", "patch", "delete"},
    ("", "secrets"): {"create", "patch", "delete", "list"},
    ("", "pods"): {"create", "delete", "list", "watch"},  # builds: a bare pod each
    ("", "pods/log"): {"get"},
    ("monitoring.coreos.com", "servicemonitors"): {"create", "patch", "delete", "list"},
}
VALUES = merged(SECRETS, {"serviceMonitor": {"enabled": True}, "metrics": {"existingSecret": "kubeserve"}})


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    """The chart on a cluster with the ServiceMonitor CRD (the widest RBAC it renders)."""
    return render_helm3(VALUES, tmp_path_factory.mktemp("helm3"), api_versions=(SERVICE_MONITOR_API,))


@pytest.fixture(scope="module")
def settings(chart: list[Doc], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The control plane's settings as the chart's ConfigMap (and the Secrets) make them."""
    env = {
        **one(chart, "ConfigMap")["data"],
        "KUBESERVE_SECRET_KEY": "x" * 40,
        "KUBESERVE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
    }
    with mock.patch.dict(os.environ, env):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def runtime_objects(settings: Settings) -> list[Doc]:
    spec = dataclasses.replace(
        SPEC, autoscaling=Autoscaling(min_replicas=1, max_replicas=3, target_in_flight=4.0)
    )
    tenant = objects.tenant_objects(7, settings, objects.Quota())
    return tenant + objects.deployment_objects(spec, settings, URLS, service_monitor=True)


def granted(rules: list[Doc]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def test_the_cluster_role_can_apply_exactly_the_kinds_the_runtime_builds(
    chart: list[Doc], settings: Settings
) -> None:
    applied = {RESOURCES[doc["kind"]] for doc in runtime_objects(settings)}
    rules = granted(one(chart, "ClusterRole")["rules"])
    assert {key for key, verbs in rules.items() if {"create", "patch"} <= verbs} == applied


def test_the_cluster_role_grants_no_more_verbs_than_the_runtime_uses(chart: list[Doc]) -> None:
    assert granted(one(chart, "ClusterRole")["rules"]) == EXPECTED_CLUSTER_RULES
    assert granted(one(chart, "Role")["rules"]) == {
        ("coordination.k8s.io", "leases"): {"get", "create", "update"}
    }


def test_the_settings_the_chart_sets_build_deployable_objects(settings: Settings) -> None:
    assert settings.runtime == "kubernetes"
    assert settings.kubernetes_platform_namespace == NAMESPACE
    for doc in runtime_objects(settings):
        assert_deployable(doc)


def test_the_gateway_can_reach_a_replica_through_both_policies(chart: list[Doc], settings: Settings) -> None:
    built = runtime_objects(settings)
    tenant_labels = one(built, "Namespace")["metadata"]["labels"]
    port = one(built, "Service")["spec"]["ports"][0]["port"]

    # the control plane's egress lets it out to the tenant namespace on the replicas' port
    def selects_tenants(peer: Doc) -> bool:
        expressions = peer.get("namespaceSelector", {}).get("matchExpressions", [])
        return bool(expressions) and all(
            e["operator"] == "Exists" and e["key"] in tenant_labels for e in expressions
        )

    egress = one(chart, "NetworkPolicy")["spec"]["egress"]
    to_tenants = [rule for rule in egress if any(selects_tenants(peer) for peer in rule.get("to", []))]
    assert any(p["port"] == port for rule in to_tenants for p in rule["ports"])
    # the tenant's ingress lets the release namespace in on that port
    allows = [p for p in by_kind_named(built, "NetworkPolicy") if "Ingress" in p["spec"]["policyTypes"]]
    peers = [
        (peer, rule.get("ports", []))
        for policy in allows
        for rule in policy["spec"].get("ingress", [])
        for peer in rule.get("from", [])
    ]
    release_ns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}}}
    assert any(peer == release_ns and any(p["port"] == port for p in ports) for peer, ports in peers)


def by_kind_named(docs: list[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def test_the_model_server_image_comes_from_the_chart(
    chart: list[Doc], settings: Settings, tmp_path: Path
) -> None:
    deployment = one(runtime_objects(settings), "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "kubeserve/base:0.1.0"
    pinned = merged(
        VALUES, {"runtime": {"image": {"repository": "r.example/base", "digest": "sha256:" + "c" * 64}}}
    )
    data = one(render_helm3(pinned, tmp_path), "ConfigMap")["data"]
    assert data["KUBESERVE_KUBERNETES_IMAGE"] == "r.example/base@sha256:" + "c" * 64
