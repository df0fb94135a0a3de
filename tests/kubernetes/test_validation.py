"""The offline Kubernetes checks themselves: what passes, and that each kind of mistake is caught."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from tests.kubernetes.validation import (
    InvalidObject,
    assert_deployable,
    missing_resources,
    pod_spec_of,
    restricted_violations,
    validate_strict,
)

Doc = dict[str, Any]

RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
CONTAINER_SC = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def compliant_pod_spec() -> Doc:
    return copy.deepcopy(
        {
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 10001,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "initContainers": [
                {
                    "name": "init",
                    "image": "busybox:1.36",
                    "securityContext": CONTAINER_SC,
                    "resources": RESOURCES,
                }
            ],
            "containers": [
                {
                    "name": "app",
                    "image": "kubeserve-base:0.1.0",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "securityContext": CONTAINER_SC,
                    "resources": RESOURCES,
                    "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}],
                }
            ],
            "volumes": [{"name": "scratch", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}],
        }
    )


def deployment(pod_spec: Doc | None = None) -> Doc:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "m-abc",
            "namespace": "user-1",
            "labels": {"app.kubernetes.io/name": "kubeserve"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "m-abc"}},
            "template": {"metadata": {"labels": {"app": "m-abc"}}, "spec": pod_spec or compliant_pod_spec()},
        },
    }


def test_a_compliant_pod_passes_every_check() -> None:
    doc = deployment()
    assert restricted_violations(compliant_pod_spec()) == []
    assert missing_resources(compliant_pod_spec()) == []
    assert_deployable(doc)


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation that sets a dotted path (list items by index) in a pod spec."""

    def mutate(spec: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _pop(path: str) -> Callable[[Doc], None]:
    def mutate(spec: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node.pop(last)

    return mutate


def _debug_container(sc: Doc) -> Callable[[Doc], None]:
    return _set("ephemeralContainers", [{"name": "debug", "image": "busybox", "securityContext": sc}])


C0 = "containers.0.securityContext"
I0 = "initContainers.0.securityContext"
VIOLATIONS: dict[str, tuple[Callable[[Doc], None], str]] = {
    "hostNetwork": (_set("hostNetwork", True), "hostNetwork is true"),
    "hostPID": (_set("hostPID", True), "hostPID is true"),
    "hostIPC": (_set("hostIPC", True), "hostIPC is true"),
    "hostPath volume": (_set("volumes.0", {"name": "h", "hostPath": {"path": "/"}}), "hostPath volumes"),
    "nfs volume": (_set("volumes.1", {"name": "n", "nfs": {"server": "x", "path": "/"}}), "nfs volumes"),
    "privileged": (_set(f"{C0}.privileged", True), "privileged is true"),
    "escalation unset": (_pop(f"{C0}.allowPrivilegeEscalation"), "allowPrivilegeEscalation must be false"),
    "escalation in init": (_set(f"{I0}.allowPrivilegeEscalation", True), "initContainers[init]: allowPriv"),
    "no drop ALL": (_set(f"{C0}.capabilities", {"drop": ["NET_RAW"]}), "drop must include ALL"),
    "add SYS_ADMIN": (_set(f"{C0}.capabilities.add", ["SYS_ADMIN"]), "capability SYS_ADMIN"),
    "runAsNonRoot unset": (_pop("securityContext.runAsNonRoot"), "runAsNonRoot must be true"),
    "runAsNonRoot false": (_set(f"{C0}.runAsNonRoot", False), "containers[app]: runAsNonRoot is false"),
    "runAsUser 0": (_set(f"{I0}.runAsUser", 0), "runAsUser is 0"),
    "no seccomp": (_pop("securityContext.seccompProfile"), "seccompProfile.type must be"),
    "seccomp Unconfined": (_set(f"{C0}.seccompProfile", {"type": "Unconfined"}), "containers[app]: seccomp"),
    "pod seccomp Unconfined": (
        _set("securityContext.seccompProfile", {"type": "Unconfined"}),
        "pod: seccomp",
    ),
    "hostPort": (_set("containers.0.ports.0.hostPort", 8080), "hostPort 8080"),
    "procMount": (_set(f"{C0}.procMount", "Unmasked"), "procMount must be Default"),
    "unsafe sysctl": (_set("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]), "sysctl"),
    "seLinux type": (_set("securityContext.seLinuxOptions", {"type": "spc_t"}), "seLinuxOptions.type"),
    "seLinux user": (_set(f"{C0}.seLinuxOptions", {"user": "root"}), "seLinuxOptions.user"),
    "hostProcess": (_set(f"{C0}.windowsOptions", {"hostProcess": True}), "hostProcess is true"),
    "appArmor Unconfined": (_set(f"{C0}.appArmorProfile", {"type": "Unconfined"}), "appArmorProfile"),
    "ephemeral container": (_debug_container({"privileged": True}), "ephemeralContainers[debug]: privileged"),
}


@pytest.mark.parametrize("case", VIOLATIONS)
def test_each_kind_of_violation_is_caught(case: str) -> None:
    mutate, expected = VIOLATIONS[case]
    spec = copy.deepcopy(compliant_pod_spec())
    mutate(spec)
    problems = restricted_violations(spec)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(InvalidObject, match="Deployment/m-abc"):
        assert_deployable(deployment(spec))


def test_net_bind_service_is_the_one_capability_allowed() -> None:
    spec = compliant_pod_spec()
    spec["containers"][0]["securityContext"] = {
        **CONTAINER_SC,
        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
    }
    assert restricted_violations(spec) == []


@pytest.mark.parametrize(
    ("container", "resource"),
    [("containers", "limits.memory"), ("containers", "requests.cpu"), ("initContainers", "limits.cpu")],
)
def test_missing_requests_or_limits_are_named(container: str, resource: str) -> None:
    spec = copy.deepcopy(compliant_pod_spec())
    section, name = resource.split(".")
    spec[container][0]["resources"] = copy.deepcopy(RESOURCES)
    del spec[container][0]["resources"][section][name]
    assert missing_resources(spec) == [f"{container}[{spec[container][0]['name']}]: no {name} {section[:-1]}"]
    spec[container][0].pop("resources")
    assert len(missing_resources(spec)) == 4


def test_strict_validation_refuses_an_unknown_field_on_every_version() -> None:
    doc = deployment()
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(InvalidObject) as caught:
        validate_strict(doc)
    for version in ("1.29", "1.33", "1.37"):
        assert f"Kubernetes {version}: spec/template/spec/containers/0" in str(caught.value)


def test_strict_validation_refuses_a_wrong_type() -> None:
    doc = deployment()
    doc["spec"]["replicas"] = "two"
    with pytest.raises(InvalidObject, match="spec/replicas"):
        validate_strict(doc)


@pytest.mark.parametrize(
    ("api_version", "kind", "failing"),
    [
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", ("1.29", "1.33", "1.37")),  # removed in 1.26
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", ("1.33", "1.37")),  # removed in 1.32
        ("example.com/v1", "Widget", ("1.29", "1.33", "1.37")),  # a CRD kind without a vendored schema
    ],
)
def test_a_kind_without_a_schema_is_a_failure(api_version: str, kind: str, failing: tuple[str, ...]) -> None:
    doc = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": {}}
    with pytest.raises(InvalidObject) as caught:
        validate_strict(doc)
    assert [
        v for v in ("1.29", "1.33", "1.37") if f"Kubernetes {v}: no schema for kind" in str(caught.value)
    ] == list(failing)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("Upper", "Deployment"), ("a" * 64, "Service"), ("dots.are.fine.but_not_underscores", "ConfigMap")],
)
def test_names_are_checked_like_the_api_server_does(name: str, kind: str) -> None:
    api_version = "apps/v1" if kind == "Deployment" else "v1"
    with pytest.raises(InvalidObject, match="metadata.name"):
        validate_strict({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}})


def test_label_values_are_checked() -> None:
    doc = deployment()
    doc["metadata"]["labels"]["version"] = "v1/beta"
    with pytest.raises(InvalidObject, match="label version"):
        validate_strict(doc)


def service_monitor() -> Doc:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "kubeserve", "labels": {"release": "prometheus"}},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "kubeserve"}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
        },
    }


def test_a_service_monitor_validates_against_the_vendored_schema() -> None:
    validate_strict(service_monitor())


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["spec"]["endpoints"][0].update(intervall="30s"), "spec/endpoints/0"),
        (lambda d: d["spec"]["endpoints"][0].update(interval="half a minute"), "spec/endpoints/0/interval"),
        (lambda d: d["spec"].pop("selector"), "'selector' is a required property"),
        (lambda d: d["metadata"].update(labelz={}), "metadata"),
        (lambda d: d["spec"]["selector"].update(matchLabel={}), "spec/selector"),
    ],
)
def test_a_service_monitor_with_a_mistake_fails(mutate: Callable[[Doc], None], where: str) -> None:
    doc = service_monitor()
    mutate(doc)
    with pytest.raises(InvalidObject, match=where):
        validate_strict(doc)


def test_pod_specs_are_found_in_every_workload_kind() -> None:
    spec = compliant_pod_spec()
    template = {"spec": spec}
    assert pod_spec_of({"kind": "Pod", "spec": spec}) is spec
    assert pod_spec_of({"kind": "Job", "spec": {"template": template}}) is spec
    assert pod_spec_of({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template}}}}) is spec
    assert pod_spec_of({"kind": "Service", "spec": {"ports": []}}) is None


@pytest.mark.parametrize("version", ["1.29", "1.37"])
def test_the_cached_validators_agree_with_kubernetes_validate(version: str) -> None:
    """validate_strict builds kubernetes-validate's own schemas once; it must judge as validate() does."""
    good, bad = deployment(), deployment()
    bad["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = ["1"]
    kubernetes_validate.validate(good, version, strict=True)
    validate_strict(good, versions=(version,))
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, version, strict=True)
    with pytest.raises(InvalidObject, match="limits/cpu"):
        validate_strict(bad, versions=(version,))
