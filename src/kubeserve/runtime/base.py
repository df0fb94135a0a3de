"""The runtime contract: how deployments become running replicas, whatever runs them.

The reconciler is the only caller. Every method is idempotent on `name` (the deployment's
stable slug, a valid Kubernetes name), so the reconciler can re-apply desired state at any
time — after a restart too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

from kubeserve.errors import KubeServeError


class RuntimeFailure(KubeServeError):
    """The runtime could not do what was asked (not the user's fault)."""

    status_code = 503


class Phase(enum.StrEnum):
    STARTING = "Starting"  # replicas launched, none ready yet
    RUNNING = "Running"  # at least one replica of the current release is ready
    FAILED = "Failed"  # replicas keep crashing; `message` says why
    STOPPED = "Stopped"  # nothing runs under this name


@dataclass(frozen=True)
class Autoscaling:
    """HorizontalPodAutoscaler-style bounds; target is requests in flight per replica."""

    min_replicas: int
    max_replicas: int
    target_in_flight: float


@dataclass(frozen=True)
class DeploymentSpec:
    """Desired state of one deployment at one release."""

    name: str  # slug: DNS-1035 label, unique, stable across releases
    owner_id: int
    model_name: str
    version_tag: str
    release: int  # revision number; a new one means "roll out"
    artifact_uri: str  # file:///... or s3://bucket/key
    requirements_uri: str
    sha256: str
    replicas: int
    autoscaling: Autoscaling | None = None
    packages_dir: str | None = None  # local runtime: where the build already installed requirements


TOKEN_HEADER = "X-KubeServe-Token"  # a replica refuses every request but /health without it


@dataclass
class Endpoint:
    """One ready replica the gateway may send traffic to."""

    url: str  # base URL, e.g. http://127.0.0.1:40123
    token: str  # sent as X-KubeServe-Token; the replica refuses requests without it
    in_flight: int = 0  # maintained by the gateway, read by the local autoscaler


@dataclass
class RuntimeStatus:
    phase: Phase
    release: int | None = None  # release actually serving traffic
    ready_replicas: int = 0
    desired_replicas: int = 0
    message: str | None = None  # why Failed, or why the last rollout was refused
    failed_release: int | None = None  # a rollout that failed; the previous release kept serving
    replicas: list[dict[str, object]] = field(default_factory=list)  # per-replica detail


class Runtime(Protocol):
    async def deploy(self, spec: DeploymentSpec) -> None:
        """Create the deployment, or roll it out to `spec.release` with zero downtime.

        Returns at once; progress shows in `status`. A rollout whose new replicas fail to
        become ready leaves the previous release serving and sets `failed_release`/`message`.
        """
        ...

    async def scale(self, name: str, replicas: int) -> None: ...

    async def status(self, name: str) -> RuntimeStatus:
        """Current state; `Phase.STOPPED` for an unknown name."""
        ...

    def endpoints(self, name: str) -> list[Endpoint]:
        """Ready replicas of the serving release (what the gateway round-robins over)."""
        ...

    def report_failure(self, name: str, endpoint: Endpoint) -> None:
        """The gateway could not reach `endpoint`: stop sending it traffic until it recovers."""
        ...

    async def logs(self, name: str, tail: int) -> list[str]: ...

    async def delete(self, name: str) -> None:
        """Stop and forget everything under `name`; unknown names are fine."""
        ...

    async def close(self) -> None:
        """Stop every child (control-plane shutdown): no orphans, no ports left bound."""
        ...
