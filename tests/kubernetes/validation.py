"""Offline checks for Kubernetes objects, shared by the chart tests and the runtime backend's tests.

- `validate_strict(doc)`: the object against the strict OpenAPI schemas of Kubernetes 1.29, 1.33
  and 1.37 (kubernetes-validate); a kind without a schema is a failure, not a warning. Custom
  kinds (ServiceMonitor) are checked against a small hand-written schema in `schemas/`.
  Object names and labels are checked the way the API server checks them.
- `restricted_violations(pod_spec)`: the Pod Security Standards "restricted" profile (which
  includes "baseline"), for containers, init containers and ephemeral containers.
- `missing_resources(pod_spec)`: every container and init container has cpu and memory requests
  and limits (a ResourceQuota refuses pods whose containers lack them).
- `assert_deployable(doc)`: all three at once, for any object (pod templates are found inside
  Deployments, Jobs, CronJobs, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import referencing
import referencing.jsonschema

__all__ = [
    "KUBERNETES_VERSIONS",
    "InvalidObject",
    "assert_deployable",
    "missing_resources",
    "pod_spec_of",
    "restricted_violations",
    "validate_strict",
]

Doc = dict[str, Any]
KUBERNETES_VERSIONS = ("1.29", "1.33", "1.37")
SCHEMAS_DIR = Path(__file__).parent / "schemas"


class InvalidObject(AssertionError):
    """An object the API server (or its Pod Security admission) would refuse."""


# --- strict schema validation -------------------------------------------------------------------


def validate_strict(doc: Doc, versions: tuple[str, ...] = KUBERNETES_VERSIONS) -> None:
    """Raise InvalidObject unless `doc` is valid, strictly, on every one of `versions`."""
    errors = _metadata_errors(doc)
    for version in versions:
        errors += [f"Kubernetes {version}: {error}" for error in _schema_errors(doc, version)]
    if errors:
        raise InvalidObject(f"{_describe(doc)}: " + "; ".join(errors))


def _schema_errors(doc: Doc, version: str) -> list[str]:
    kind, api_version = str(doc.get("kind", "")), str(doc.get("apiVersion", ""))
    validator = _validator(kind, api_version, version)
    if validator is None:
        return [f"no schema for kind {kind} with api version {api_version} in Kubernetes {version}"]
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(doc)
    ]


@cache
def _validator(kind: str, api_version: str, version: str) -> jsonschema.Draft202012Validator | None:
    """The strict schema of `kind` on Kubernetes `version` (kubernetes-validate's files, as its
    `validate()` finds them, built once), or the vendored schema of a custom kind."""
    custom = SCHEMAS_DIR / f"{kind.lower()}-{api_version.replace('/', '-')}.json"
    if custom.is_file():
        schema = json.loads(custom.read_text())
    else:
        # kubernetes-validate names files <kind>-<group without its domain>-<version>.json
        short = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        path = _schemas_root(version) / f"{kind.lower()}-{short}.json"
        if not kind or not path.is_file():
            return None
        schema = json.loads(path.read_text())
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        [
            (schema["$id"], referencing.jsonschema.DRAFT202012.create_resource(schema)),
            ("https://kubernetes.io/api/_definitions.json", _definitions(version)),
        ]
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _schemas_root(version: str) -> Path:
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return root / f"v{version}.0-local-strict"


@cache
def _definitions(version: str) -> referencing.Resource[Any]:
    contents = json.loads((_schemas_root(version) / "_definitions.json").read_text())
    return referencing.jsonschema.DRAFT202012.create_resource(contents)


# What the API server checks beyond the OpenAPI schema (apimachinery's validation).
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# Kinds whose names must be DNS-1123 labels (63 characters), not subdomains (253).
_LABEL_NAMED_KINDS = {"Namespace", "Service"}


def _metadata_errors(doc: Doc) -> list[str]:
    errors = [f"missing {key}" for key in ("apiVersion", "kind") if not doc.get(key)]
    meta = doc.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return [*errors, "metadata.name is missing"]
    label_named = doc.get("kind") in _LABEL_NAMED_KINDS
    pattern, limit = (_DNS_LABEL, 63) if label_named else (_DNS_SUBDOMAIN, 253)
    if not pattern.match(name) or len(name) > limit:
        errors.append(f"metadata.name {name!r} is not a DNS-1123 {'label' if label_named else 'subdomain'}")
    for key, value in (meta.get("labels") or {}).items():
        if not _label_key_ok(key):
            errors.append(f"label key {key!r} is invalid")
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            errors.append(f"label {key}={value!r}: the value is invalid")
    return errors


def _label_key_ok(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    prefix_ok = not prefix or (len(prefix) <= 253 and bool(_DNS_SUBDOMAIN.match(prefix)))
    return prefix_ok and len(name) <= 63 and bool(_LABEL_NAME.match(name))


def _describe(doc: Doc) -> str:
    return f"{doc.get('kind', '?')}/{(doc.get('metadata') or {}).get('name', '?')}"


# --- Pod Security Standards: restricted ---------------------------------------------------------

RESTRICTED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
SELINUX_TYPES = frozenset({"container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})
CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def restricted_violations(pod_spec: Doc) -> list[str]:
    """Every way `pod_spec` breaks the "restricted" Pod Security Standard (empty when it complies).

    Pod annotations (the legacy AppArmor ones) are not part of a spec and are not checked.
    """
    pod_sc = pod_spec.get("securityContext") or {}
    problems = [f"{key} is true" for key in ("hostNetwork", "hostPID", "hostIPC") if pod_spec.get(key)]
    problems += _volume_violations(pod_spec.get("volumes") or [])
    problems += [
        f"sysctl {s.get('name')} is not in the safe set"
        for s in pod_sc.get("sysctls") or []
        if s.get("name") not in SAFE_SYSCTLS
    ]
    problems += _security_context_violations("pod", pod_sc)
    if pod_sc.get("seccompProfile", {}).get("type") not in (None, *SECCOMP_TYPES):
        problems.append("pod: seccompProfile.type must be RuntimeDefault or Localhost")
    for where, container in _containers(pod_spec):
        problems += _container_violations(where, container, pod_sc)
    return problems


def _volume_violations(volumes: list[Doc]) -> list[str]:
    problems = []
    for volume in volumes:
        for source in set(volume) - {"name"} - RESTRICTED_VOLUME_SOURCES:
            problems.append(f"volume {volume.get('name')}: {source} volumes are not allowed")
    return problems


def _security_context_violations(where: str, sc: Doc) -> list[str]:
    """The checks that apply alike to a pod's and to a container's securityContext."""
    problems = []
    if (sc.get("windowsOptions") or {}).get("hostProcess"):
        problems.append(f"{where}: windowsOptions.hostProcess is true")
    selinux = sc.get("seLinuxOptions") or {}
    if selinux.get("type") not in (None, "", *SELINUX_TYPES):
        problems.append(f"{where}: seLinuxOptions.type {selinux['type']!r} is not allowed")
    if selinux.get("user") or selinux.get("role"):
        problems.append(f"{where}: seLinuxOptions.user/role must not be set")
    if sc.get("runAsUser") == 0:
        problems.append(f"{where}: runAsUser is 0 (root)")
    if sc.get("runAsNonRoot") is False:
        problems.append(f"{where}: runAsNonRoot is false")
    if (sc.get("appArmorProfile") or {}).get("type") not in (None, *SECCOMP_TYPES):
        problems.append(f"{where}: appArmorProfile.type must be RuntimeDefault or Localhost")
    return problems


def _container_violations(where: str, container: Doc, pod_sc: Doc) -> list[str]:
    sc = container.get("securityContext") or {}
    problems = _security_context_violations(where, sc)
    if sc.get("privileged"):
        problems.append(f"{where}: privileged is true")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation must be false")
    if sc.get("procMount") not in (None, "Default"):
        problems.append(f"{where}: procMount must be Default")
    capabilities = sc.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        problems.append(f"{where}: capabilities.drop must include ALL")
    for added in set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
        problems.append(f"{where}: capability {added} may not be added")
    if sc.get("runAsNonRoot") is None and not pod_sc.get("runAsNonRoot"):
        problems.append(f"{where}: runAsNonRoot must be true (pod or container)")
    seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
    if seccomp not in SECCOMP_TYPES:
        problems.append(
            f"{where}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container)"
        )
    for port in container.get("ports") or []:
        if port.get("hostPort"):
            problems.append(f"{where}: hostPort {port['hostPort']} is not allowed")
    return problems


def _containers(pod_spec: Doc) -> Iterator[tuple[str, Doc]]:
    for field in CONTAINER_FIELDS:
        for container in pod_spec.get(field) or []:
            yield f"{field}[{container.get('name')}]", container


# --- requests and limits --------------------------------------------------------------------------


def missing_resources(pod_spec: Doc) -> list[str]:
    """Each cpu/memory request or limit that a container or init container lacks."""
    missing = []
    for where, container in _containers(pod_spec):
        if where.startswith("ephemeralContainers"):
            continue  # the API forbids resources on ephemeral containers
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if (resources.get(section) or {}).get(resource) in (None, ""):
                    missing.append(f"{where}: no {resource} {section[:-1]}")
    return missing


# --- all of it ------------------------------------------------------------------------------------


def pod_spec_of(doc: Doc) -> Doc | None:
    """The pod spec inside a Pod, a workload (Deployment, StatefulSet, Job, ...) or a CronJob."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template")
    if kind == "PodTemplate":
        template = doc.get("template")
    return (template or {}).get("spec") if template is not None else None


def assert_deployable(doc: Doc) -> None:
    """Strictly valid on every version, and any pod it holds is restricted with requests and limits."""
    validate_strict(doc)
    pod_spec = pod_spec_of(doc)
    if pod_spec is not None:
        problems = restricted_violations(pod_spec) + missing_resources(pod_spec)
        if problems:
            raise InvalidObject(f"{_describe(doc)}: " + "; ".join(problems))
