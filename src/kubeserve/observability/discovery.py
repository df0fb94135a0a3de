"""Prometheus HTTP service discovery of the control plane and every local replica.

Replicas answer on no address Prometheus can reach (a private network namespace, a Unix
socket) and want a token Prometheus must never hold. So every target points at the control
plane: its own `/metrics`, and per replica `/metrics/replicas/{deployment}/{replica}`, which
the control plane answers by reading that replica's /metrics itself. Target labels say who
the replica is (user, model, version, deployment, release, replica): its series carry no
such labels of their own. On Kubernetes a ServiceMonitor scrapes the pods instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from kubeserve.runtime.base import Upstream

REPLICA_METRICS = "/metrics/replicas/{deployment}/{replica}"


@dataclass(frozen=True)
class ReplicaTarget:
    """One ready replica: where it answers, and who it is."""

    deployment: str
    replica: str
    release: int
    owner_id: int
    model: str
    version: str
    upstream: Upstream

    @property
    def labels(self) -> dict[str, str]:
        return {
            "user": str(self.owner_id),
            "model": self.model,
            "version": self.version,
            "deployment": self.deployment,
            "release": str(self.release),
            "replica": self.replica,
        }


@runtime_checkable
class ReplicaDirectory(Protocol):
    """A runtime that can list its replicas one by one (the local one; Kubernetes pods are
    scraped through their ServiceMonitor instead)."""

    def replica_targets(self) -> Sequence[ReplicaTarget]: ...


def targets(runtime: object, scheme: str, host: str) -> list[dict[str, Any]]:
    """The `http_sd_configs` answer: the control plane, then one target per replica."""
    found: list[dict[str, Any]] = [
        {
            "targets": [host],
            "labels": {"__metrics_path__": "/metrics", "__scheme__": scheme, "component": "control-plane"},
        }
    ]
    if not isinstance(runtime, ReplicaDirectory):
        return found
    for target in runtime.replica_targets():
        path = REPLICA_METRICS.format(deployment=target.deployment, replica=target.replica)
        labels = {
            "__metrics_path__": path,
            "__scheme__": scheme,
            "instance": f"{target.deployment}/{target.replica}",
        }
        found.append({"targets": [host], "labels": {**labels, "component": "replica", **target.labels}})
    return found
