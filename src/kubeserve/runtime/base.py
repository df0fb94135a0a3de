"""The runtime contract, in desired and observed state, whatever runs the replicas.

The reconciler is the only writer: `apply` a deployment's desired state (idempotent on
`name`, the deployment's stable slug and a valid Kubernetes name), `delete` it. Readers get
one cached `observe()` of every deployment and, on the gateway's hot path, `upstream(name)`:
where to send a request and with which credential. Backends: `local` (child processes),
`kubernetes` (Deployments in per-tenant namespaces) and `fake` (in memory, for tests).

The runtime also runs builds (`build`): vetting an upload runs the user's code, so it happens
where replicas run (local: sandboxed children; Kubernetes: a pod in the tenant's namespace),
never in the control plane.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from kubeserve.errors import KubeServeError


class RuntimeFailure(KubeServeError):
    """The runtime could not do what was asked (not the user's fault)."""

    status_code = 503


class Phase(enum.StrEnum):
    STARTING = "Starting"  # replicas launched, none ready yet
    RUNNING = "Running"  # at least one replica of the serving release is ready
    FAILED = "Failed"  # replicas keep failing; `message` says why
    STOPPED = "Stopped"  # nothing runs under this name


@dataclass(frozen=True)
class Autoscaling:
    """HorizontalPodAutoscaler-style bounds; target is requests in flight per replica."""

    min_replicas: int
    max_replicas: int
    target_in_flight: float


@dataclass(frozen=True)
class Quota:
    """What one owner may use at once, all deployments together (a Kubernetes ResourceQuota's
    hard limits): CPU and memory as Kubernetes quantities (requests and limits), pods."""

    cpu: str = "2"
    memory: str = "4Gi"
    pods: int = 5


@dataclass(frozen=True)
class DeploymentSpec:
    """Desired state of one deployment at one release."""

    name: str  # slug: DNS-1035 label, unique, stable across releases
    owner_id: int
    model_name: str
    version_id: int
    version_tag: str
    release: int  # revision number; a new one means "roll out"
    artifact_uri: str  # where the store keeps it: file:///... or s3://bucket/key
    requirements_uri: str
    sha256: str
    replicas: int  # with autoscaling: where it starts, within the bounds
    autoscaling: Autoscaling | None = None
    code_uri: str | None = None  # the user's shipped code (code.zip beside the model), if any
    quota: Quota = Quota()  # the owner's effective quota (an admin's, else the platform default)


@dataclass(frozen=True)
class BuildSpec:
    """One version to vet: its files as the store names them (the runtime fetches or presigns)."""

    owner_id: int
    version_id: int
    artifact_uri: str
    requirements_uri: str
    code_uri: str | None = None  # the user's shipped code (code.zip), if any
    allow_unsafe_pickle: bool = False  # the owner accepts a pickle that runs code when loaded
    quota: Quota = Quota()  # the owner's effective quota: a build pod counts against it


@dataclass(frozen=True)
class BuildAnswer:
    """What `python -m kubeserve.inference.inspect --step all` answers: Ready with a signature,
    or Failed with a reason a person can act on."""

    ok: bool
    signature: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @classmethod
    def failed(cls, error: str) -> BuildAnswer:
        return cls(ok=False, error=error)

    @classmethod
    def parse(cls, line: bytes | str) -> BuildAnswer | None:
        """The inspect step's JSON answer line, strictly: None for anything else."""
        if len(line) > MAX_ANSWER_BYTES:
            return None
        try:
            answer = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(answer, dict) or not isinstance(ok := answer.get("ok"), bool):
            return None
        signature, notes, error = answer.get("signature"), answer.get("notes", []), answer.get("error")
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            return None
        if ok and isinstance(signature, dict | None) and error is None:  # None: the install step's
            return cls(ok=True, signature=signature, notes=notes)
        if not ok and isinstance(error, str) and signature is None:
            return cls(ok=False, notes=notes, error=error)
        return None


MAX_ANSWER_BYTES = 4 << 20  # a signature with many named features is large, not this large

TOKEN_HEADER = "X-KubeServe-Token"  # a replica refuses every request but /health without it


@dataclass(eq=False)
class Upstream:
    """Where the gateway sends one request, and the credential the replica wants.

    `address` is `http://host:port` or `unix:/path/to/socket` (HTTP over a Unix socket).
    """

    address: str
    token: str | None = None
    replica: str = ""  # which replica answers, when the backend knows: metrics and request logs
    release: int | None = None  # the release that replica serves


@dataclass(frozen=True)
class RuntimeStatus:
    """What the runtime observes of one deployment."""

    phase: Phase
    release: int | None = None  # release actually serving traffic
    ready_replicas: int = 0
    desired_replicas: int = 0
    message: str | None = None  # why Failed, or why the last rollout was refused
    failed_release: int | None = None  # a rollout that failed; the previous release kept serving
    replicas: list[dict[str, object]] = field(default_factory=list)  # per-replica detail


STOPPED = RuntimeStatus(phase=Phase.STOPPED)


class TrafficHook(Protocol):
    """Optional: a backend that wants to see each request (local autoscaling, draining,
    dropping a dead replica at once). The gateway calls it around every forward."""

    def began(self, upstream: Upstream) -> None: ...

    def ended(self, upstream: Upstream) -> None: ...

    def unreachable(self, name: str, upstream: Upstream) -> None:
        """The gateway could not reach `upstream`: stop handing it out until it recovers."""
        ...

    async def replayable(self, name: str, upstream: Upstream) -> bool:
        """A request was sent to `upstream` and its connection dropped before any answer:
        whether resending it elsewhere is safe — the replica was stopped or killed from
        outside — rather than the request having killed it (then it must not reach another)."""
        ...

    async def wake(self, name: str, timeout: float) -> Upstream | None:
        """A request waits for `name`, autoscaled to zero: start a replica and return it once
        ready; None if it is not ready within `timeout` seconds (or cannot be woken)."""
        ...


class Runtime(Protocol):
    @property
    def traffic(self) -> TrafficHook | None:
        """None: the backend needs no per-request bookkeeping (Kubernetes, fake)."""
        ...

    @property
    def leading(self) -> bool:
        """Whether this control plane reconciles: always for one process (local, fake); on
        Kubernetes, while it holds the reconciler's Lease (several control-plane replicas)."""
        ...

    async def apply(self, spec: DeploymentSpec) -> None:
        """Create, roll out (a new `release`, zero downtime) or rescale; idempotent.

        Returns at once; progress shows in `observe`. A rollout whose new replicas fail to
        become ready leaves the previous release serving and sets `failed_release`/`message`.
        """
        ...

    async def delete(self, name: str) -> None:
        """Stop and remove everything under `name`; unknown names are fine."""
        ...

    async def apply_quota(self, owner_id: int, quota: Quota) -> None:
        """Make `quota` the owner's limit now, whether or not their deployments change
        (an admin's change); idempotent. Backends without a quota object of their own ignore it."""
        ...

    async def observe(self) -> Mapping[str, RuntimeStatus]:
        """One cached observation of every deployment; a name not in it is Stopped."""
        ...

    def upstream(self, name: str) -> Upstream | None:
        """Where to send the next request (no I/O); None when nothing is ready."""
        ...

    async def logs(self, name: str, tail: int) -> list[str]: ...

    async def build(self, spec: BuildSpec) -> BuildAnswer:
        """Vet one upload where user code may run: install what its requirements add, unpickle
        it, record its signature. Waits for the end (bounded by the build timeout); a failure
        of the user's making is an answer with `ok=False`, never an exception. Cancelling it
        stops the build and removes what it created."""
        ...

    async def close(self) -> None:
        """Release everything this process holds (local: stop every child, no orphans)."""
        ...
