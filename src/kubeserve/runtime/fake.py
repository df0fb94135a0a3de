"""An in-memory runtime for tests: the contract's bookkeeping with nothing behind it.

Every applied deployment is at once Running with all its replicas ready, serving the
release applied last, unless the test says otherwise (`fail`). `upstream` answers with
`address`: a test server, or by default a refused loopback port (the gateway answers 503).
A build answers at once what the test set for its artifact (`answers`), by default Ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kubeserve.runtime.base import (
    BuildAnswer,
    BuildSpec,
    DeploymentSpec,
    Phase,
    Quota,
    RuntimeStatus,
    Upstream,
)

BUILT = BuildAnswer(ok=True, signature={"fake": True})


@dataclass
class _Fake:
    spec: DeploymentSpec
    status: RuntimeStatus


class FakeRuntime:
    traffic = None
    leading = True

    def __init__(self, address: str = "http://127.0.0.1:9", token: str | None = None) -> None:
        self.address, self.token = address, token
        self.applied: list[DeploymentSpec] = []  # every apply, in order
        self.built: list[BuildSpec] = []  # every build, in order
        self.answers: dict[str, BuildAnswer] = {}  # artifact URI -> what its build answers
        self._deployments: dict[str, _Fake] = {}
        self.quotas: dict[int, Quota] = {}  # owner -> the quota applied last

    async def apply(self, spec: DeploymentSpec) -> None:
        self.applied.append(spec)
        self.quotas[spec.owner_id] = spec.quota
        current = self._deployments.get(spec.name)
        if current is not None and spec.release < current.spec.release:
            return  # stale
        replicas = spec.replicas
        if spec.autoscaling is not None:
            replicas = min(max(replicas, spec.autoscaling.min_replicas), spec.autoscaling.max_replicas)
        status = RuntimeStatus(
            phase=Phase.RUNNING,
            release=spec.release,
            ready_replicas=replicas,
            desired_replicas=replicas,
            replicas=[
                {"id": f"fake-{i}", "release": spec.release, "state": "ready"} for i in range(replicas)
            ],
        )
        self._deployments[spec.name] = _Fake(spec, status)

    async def apply_quota(self, owner_id: int, quota: Quota) -> None:
        self.quotas[owner_id] = quota

    def fail(self, name: str, message: str) -> None:
        """Make a deployment Failed with `message` (as a crash-looping replica would)."""
        fake = self._deployments[name]
        fake.status = RuntimeStatus(Phase.FAILED, fake.spec.release, 0, fake.status.desired_replicas, message)

    async def delete(self, name: str) -> None:
        self._deployments.pop(name, None)

    async def observe(self) -> Mapping[str, RuntimeStatus]:
        return {name: fake.status for name, fake in self._deployments.items()}

    def upstream(self, name: str) -> Upstream | None:
        fake = self._deployments.get(name)
        if fake is None or fake.status.ready_replicas == 0:
            return None
        return Upstream(self.address, self.token)

    async def logs(self, name: str, tail: int) -> list[str]:
        fake = self._deployments.get(name)
        return [f"[fake] release {fake.spec.release} applied"][-tail:] if fake else []

    async def build(self, spec: BuildSpec) -> BuildAnswer:
        self.built.append(spec)
        return self.answers.get(spec.artifact_uri, BUILT)

    async def close(self) -> None:
        self._deployments.clear()
