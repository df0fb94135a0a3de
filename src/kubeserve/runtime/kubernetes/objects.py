"""Every Kubernetes object the runtime applies, built by pure functions (no client, no I/O).

Per tenant (`tenant_objects`): a Namespace `user-{id}` enforcing Pod Security "restricted", a
ResourceQuota, a LimitRange giving every container (init containers too) requests and limits,
and NetworkPolicies: deny all ingress and egress, then allow DNS, the platform's namespace
(artifact store, package proxy), configured CIDRs on 443, and ingress from the gateway's
namespace (and the monitoring namespace) only.

Per deployment (`deployment_objects`): a Secret per version (presigned URLs of the model, its
requirements and its shipped code, and the gateway token: no storage keys anywhere), a
Deployment, a Service, a HorizontalPodAutoscaler when autoscaling is set, and a
ServiceMonitor when the cluster has that CRD.

Per build (`build_objects`): a bare Pod (restartPolicy Never, the build timeout as its
activeDeadlineSeconds) in the tenant's namespace running the inspect step with the model-server
image, locked down as replicas are, and a Secret with presigned GET URLs of the version's files.
Both carry BUILD_LABEL, so leftovers of a control plane that died mid-build can be swept.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

from kubeserve.config import Settings
from kubeserve.runtime.base import BuildSpec, DeploymentSpec, Quota

Doc = dict[str, Any]
MANAGED_BY = {"app.kubernetes.io/managed-by": "kubeserve"}
DEPLOYMENT_LABEL = "kubeserve.io/deployment"
OWNER_LABEL = "kubeserve.io/owner"
RELEASE_LABEL = "kubeserve.io/release"
VERSION_LABEL = "kubeserve.io/version"
BUILD_LABEL = "kubeserve.io/build"  # on a build's Pod and Secret: the version it vets
PORT = 8080
UID = 10001  # the model-server image's user
CONTAINER = "model"
MOUNTS = {"packages": "/packages", "work": "/work", "tmp": "/tmp"}


@dataclass(frozen=True)
class BuildUrls:
    """Presigned GET URLs of the files one build vets."""

    model: str
    requirements: str
    code: str | None = None


@dataclass(frozen=True)
class ArtifactUrls:
    """Presigned GET URLs of one version's files, and the token replicas demand."""

    model: str
    requirements: str
    gateway_token: str
    code: str | None = None  # the shipped code (code.zip), when the version has some


def _container_security() -> Doc:
    """Every container of a tenant's pods, replica or build: non-root, read-only, no privilege."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _pod_security() -> Doc:
    """Every pod of a tenant: no service-account token, no service links, non-root."""
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def namespace_of(owner_id: int) -> str:
    return f"user-{owner_id}"


def secret_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-v{spec.version_id}"


def _meta(name: str, namespace: str | None, **labels: str) -> Doc:
    meta: Doc = {"name": name, "labels": {**MANAGED_BY, **labels}}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


# --- per tenant ---------------------------------------------------------------------------------


def tenant_objects(owner_id: int, settings: Settings, quota: Quota) -> list[Doc]:
    ns = namespace_of(owner_id)
    return [
        namespace(owner_id),
        resource_quota(ns, quota),
        limit_range(ns, settings),
        *network_policies(ns, settings),
    ]


def namespace(owner_id: int) -> Doc:
    labels = {
        OWNER_LABEL: str(owner_id),
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": _meta(namespace_of(owner_id), None, **labels),
    }


ROLLOUT_HEADROOM_PODS = 1
"""Pods the ResourceQuota allows beyond the owner's `pods` (which the API holds replicas to):
a rolling update's surge pod (maxUnavailable 0) or a build's pod. Without it an owner at exactly
their quota could neither roll out nor build: the cluster would refuse the extra pod."""


def resource_quota(ns: str, quota: Quota) -> Doc:
    hard = {
        "requests.cpu": quota.cpu,
        "limits.cpu": quota.cpu,
        "requests.memory": quota.memory,
        "limits.memory": quota.memory,
        "pods": str(quota.pods + ROLLOUT_HEADROOM_PODS),
    }
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": _meta("kubeserve-quota", ns),
        "spec": {"hard": hard},
    }


def limit_range(ns: str, settings: Settings) -> Doc:
    """Defaults for any container that names no requests or limits (init containers too), so
    the quota never refuses a pod for lacking them."""
    limits = {"cpu": settings.replica_cpu, "memory": f"{settings.replica_memory_mb}Mi"}
    requests = {"cpu": settings.replica_cpu_request, "memory": f"{settings.replica_memory_mb}Mi"}
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": _meta("kubeserve-defaults", ns),
        "spec": {"limits": [{"type": "Container", "default": limits, "defaultRequest": requests}]},
    }


def _namespace_peer(name: str) -> Doc:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def network_policies(ns: str, settings: Settings) -> list[Doc]:
    def policy(name: str, spec: Doc) -> Doc:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta(name, ns),
            "spec": {"podSelector": {}, **spec},
        }

    dns = {
        "to": [
            {
                **_namespace_peer("kube-system"),
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    egress = [dns, {"to": [_namespace_peer(settings.kubernetes_platform_namespace)]}]
    if settings.kubernetes_egress_cidrs:
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in settings.kubernetes_egress_cidrs],
                "ports": [{"protocol": "TCP", "port": 443}],
            }
        )
    sources = [_namespace_peer(settings.kubernetes_platform_namespace)]
    if settings.kubernetes_monitoring_namespace:
        sources.append(_namespace_peer(settings.kubernetes_monitoring_namespace))
    ingress = [{"from": sources, "ports": [{"protocol": "TCP", "port": PORT}]}]
    return [
        policy("default-deny", {"policyTypes": ["Ingress", "Egress"]}),
        policy("allow-egress", {"policyTypes": ["Egress"], "egress": egress}),
        policy("allow-ingress-from-platform", {"policyTypes": ["Ingress"], "ingress": ingress}),
    ]


# --- per deployment -----------------------------------------------------------------------------


def deployment_objects(
    spec: DeploymentSpec, settings: Settings, urls: ArtifactUrls, service_monitor: bool
) -> list[Doc]:
    objects = [artifact_secret(spec, urls), deployment(spec, settings), service(spec)]
    if spec.autoscaling is not None:
        objects.append(autoscaler(spec, settings))
    if service_monitor:
        objects.append(monitor(spec))
    return objects


def _labels(spec: DeploymentSpec) -> dict[str, str]:
    return {DEPLOYMENT_LABEL: spec.name, OWNER_LABEL: str(spec.owner_id)}


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def artifact_secret(spec: DeploymentSpec, urls: ArtifactUrls) -> Doc:
    """One per version: what its replicas need to start, and nothing that reaches other objects."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(secret_name(spec), namespace_of(spec.owner_id), **_labels(spec)),
        "type": "Opaque",
        "data": {
            "model-url": _b64(urls.model),
            "requirements-url": _b64(urls.requirements),
            "gateway-token": _b64(urls.gateway_token),
            **({"code-url": _b64(urls.code)} if urls.code else {}),
        },
    }


def _secret_env(name: str, secret: str, key: str) -> Doc:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def container(spec: DeploymentSpec, settings: Settings) -> Doc:
    secret = secret_name(spec)
    env: list[Doc] = [
        _secret_env("KUBESERVE_MODEL_ARTIFACT", secret, "model-url"),
        _secret_env("KUBESERVE_MODEL_REQUIREMENTS", secret, "requirements-url"),
        _secret_env("KUBESERVE_MODEL_GATEWAY_TOKEN", secret, "gateway-token"),
        {"name": "KUBESERVE_MODEL_SHA256", "value": spec.sha256},
        {"name": "KUBESERVE_MODEL_NAME", "value": spec.model_name},
        {"name": "KUBESERVE_MODEL_VERSION", "value": spec.version_tag},
        {"name": "KUBESERVE_MODEL_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "KUBESERVE_MODEL_PORT", "value": str(PORT)},
        {"name": "KUBESERVE_MODEL_WORK_DIR", "value": MOUNTS["work"]},
        {"name": "KUBESERVE_MODEL_PACKAGES_DIR", "value": MOUNTS["packages"]},
        {"name": "HOME", "value": MOUNTS["tmp"]},
        {"name": "TMPDIR", "value": MOUNTS["tmp"]},
    ]
    if spec.code_uri:  # fetched beside the model and put on sys.path before loading
        env.append(_secret_env("KUBESERVE_MODEL_CODE", secret, "code-url"))
    if settings.pip_index_url:
        env.append({"name": "KUBESERVE_MODEL_PIP_INDEX_URL", "value": settings.pip_index_url})
    period = 2
    resources = {
        "requests": {"cpu": settings.replica_cpu_request, "memory": f"{settings.replica_memory_mb}Mi"},
        "limits": {"cpu": settings.replica_cpu, "memory": f"{settings.replica_memory_mb}Mi"},
    }
    return {
        "name": CONTAINER,
        "image": settings.kubernetes_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python", "-m", "kubeserve.inference"],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env,
        "resources": resources,
        "securityContext": _container_security(),
        # Requirement installs and loading happen behind /ready: until it answers, liveness
        # is not checked at all, so a slow install is never killed as "not alive".
        "startupProbe": {
            "httpGet": {"path": "/ready", "port": "http"},
            "periodSeconds": period,
            "failureThreshold": max(1, math.ceil(settings.replica_start_timeout_seconds / period)),
        },
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {
            "httpGet": {"path": "/health", "port": "http"},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "volumeMounts": [{"name": name, "mountPath": path} for name, path in MOUNTS.items()],
    }


def deployment(spec: DeploymentSpec, settings: Settings) -> Doc:
    labels = _labels(spec)
    pod_labels = {
        **MANAGED_BY,
        **labels,
        RELEASE_LABEL: str(spec.release),
        VERSION_LABEL: str(spec.version_id),
    }
    body: Doc = {
        "revisionHistoryLimit": 3,
        "progressDeadlineSeconds": settings.kubernetes_progress_deadline_seconds,
        "selector": {"matchLabels": {DEPLOYMENT_LABEL: spec.name}},
        # Zero downtime: a new pod must be ready before an old one goes.
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {
            "metadata": {"labels": pod_labels},
            "spec": {
                **_pod_security(),
                "containers": [container(spec, settings)],
                "volumes": [
                    {"name": name, "emptyDir": {"sizeLimit": "1Gi" if name == "packages" else "256Mi"}}
                    for name in MOUNTS
                ],
            },
        },
    }
    if spec.autoscaling is None:  # with an HPA the replica count is the HPA's field, not ours
        body = {"replicas": spec.replicas, **body}
    meta = _meta(spec.name, namespace_of(spec.owner_id), **labels)
    meta["annotations"] = {RELEASE_LABEL: str(spec.release)}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": body}


def service(spec: DeploymentSpec) -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(spec.name, namespace_of(spec.owner_id), **_labels(spec)),
        "spec": {
            "type": "ClusterIP",
            "selector": {DEPLOYMENT_LABEL: spec.name},
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def autoscaler(spec: DeploymentSpec, settings: Settings) -> Doc:
    """CPU-driven (metrics-server is everywhere; requests in flight would need an adapter)."""
    assert spec.autoscaling is not None
    policy = spec.autoscaling
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(spec.name, namespace_of(spec.owner_id), **_labels(spec)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            # HPAs cannot scale to zero (an alpha feature gate); scale-to-zero is local-only.
            "minReplicas": max(1, policy.min_replicas),
            "maxReplicas": policy.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": settings.kubernetes_hpa_cpu_percent,
                        },
                    },
                }
            ],
            "behavior": {
                "scaleDown": {"stabilizationWindowSeconds": int(settings.scale_down_stabilization_seconds)}
            },
        },
    }


def monitor(spec: DeploymentSpec) -> Doc:
    """Prometheus Operator scrape config; the replica wants its token, as a bearer token."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _meta(spec.name, namespace_of(spec.owner_id), **_labels(spec)),
        "spec": {
            "selector": {"matchLabels": {DEPLOYMENT_LABEL: spec.name}},
            "endpoints": [
                {
                    "port": "http",
                    "path": "/metrics",
                    "interval": "15s",
                    "bearerTokenSecret": {"name": secret_name(spec), "key": "gateway-token"},
                }
            ],
        },
    }


# --- per build ----------------------------------------------------------------------------------

BUILD_CONTAINER = "build"
BUILD_MOUNTS = {"packages": "/packages", "tmp": "/tmp"}


def build_name(spec: BuildSpec, suffix: str) -> str:
    """The build's Pod and Secret; `suffix` (random) keeps a retried build apart from a leftover."""
    return f"build-{spec.version_id}-{suffix}"


def build_objects(spec: BuildSpec, name: str, settings: Settings, urls: BuildUrls) -> list[Doc]:
    """The Secret first: the pod reads its URLs from it."""
    return [build_secret(spec, name, urls), build_pod(spec, name, settings)]


def _build_labels(spec: BuildSpec) -> dict[str, str]:
    return {BUILD_LABEL: str(spec.version_id), OWNER_LABEL: str(spec.owner_id)}


def build_secret(spec: BuildSpec, name: str, urls: BuildUrls) -> Doc:
    data = {"model-url": _b64(urls.model), "requirements-url": _b64(urls.requirements)}
    if urls.code is not None:
        data["code-url"] = _b64(urls.code)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(name, namespace_of(spec.owner_id), **_build_labels(spec)),
        "type": "Opaque",
        "data": data,
    }


def build_pod(spec: BuildSpec, name: str, settings: Settings) -> Doc:
    """`python -m kubeserve.inference.inspect --step all`: the URLs come from the Secret into the
    environment and from there into the arguments (Kubernetes expands `$(VAR)`), never the spec."""
    env = [
        _secret_env("MODEL_URL", name, "model-url"),
        _secret_env("REQUIREMENTS_URL", name, "requirements-url"),
        {"name": "PACKAGES_DIR", "value": BUILD_MOUNTS["packages"]},
        {"name": "HOME", "value": BUILD_MOUNTS["tmp"]},
        {"name": "TMPDIR", "value": BUILD_MOUNTS["tmp"]},
        {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
    ]
    args = ["--model", "$(MODEL_URL)", "--requirements", "$(REQUIREMENTS_URL)"]
    if spec.code_uri is not None:
        env.append(_secret_env("CODE_URL", name, "code-url"))
        args += ["--code", "$(CODE_URL)"]
    if settings.pip_index_url:
        env.append({"name": "PIP_INDEX_URL", "value": settings.pip_index_url})
    args += ["--packages-dir", "$(PACKAGES_DIR)", "--step", "all"]
    if spec.allow_unsafe_pickle:
        args.append("--allow-unsafe-pickle")
    size = {"cpu": settings.build_cpu, "memory": f"{settings.build_memory_mb}Mi"}
    tmp = f"{settings.max_model_size_mb + settings.max_code_size_mb + 256}Mi"  # the downloads
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, namespace_of(spec.owner_id), **_build_labels(spec)),
        "spec": {
            **_pod_security(),
            "restartPolicy": "Never",
            "activeDeadlineSeconds": settings.build_timeout_seconds,
            "containers": [
                {
                    "name": BUILD_CONTAINER,
                    "image": settings.kubernetes_image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["python", "-m", "kubeserve.inference.inspect"],
                    "args": args,
                    "env": env,
                    "resources": {"requests": size, "limits": size},
                    "securityContext": _container_security(),
                    "volumeMounts": [{"name": n, "mountPath": path} for n, path in BUILD_MOUNTS.items()],
                }
            ],
            "volumes": [
                {"name": "packages", "emptyDir": {"sizeLimit": "1Gi"}},
                {"name": "tmp", "emptyDir": {"sizeLimit": tmp}},
            ],
        },
    }
