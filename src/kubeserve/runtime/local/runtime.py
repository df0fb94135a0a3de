"""The local runtime: every replica is a sandboxed model-server child process on loopback.

Layout: `LocalRuntime` (this module) keeps one `ManagedDeployment` per name (managed.py: rollout,
scaling, endpoint cache, autoscaling); each `Replica` (replica.py) supervises one child;
the `Launcher` (pool.py) starts children, from a pool of warm interpreters when it can.
Files live under `data_dir/replicas/{name}/{replica}/`: `replica.log` and `work/`.
Only this backend has a `TrafficHook`: the gateway's in-flight counts drive autoscaling and
draining, and a replica the gateway could not reach leaves the rotation at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Mapping

import httpx

from kubeserve.config import Settings
from kubeserve.observability.discovery import ReplicaTarget
from kubeserve.runtime.base import BuildAnswer, BuildSpec, DeploymentSpec, Quota, RuntimeStatus, Upstream
from kubeserve.runtime.local import build
from kubeserve.runtime.local.artifacts import localized
from kubeserve.runtime.local.managed import ManagedDeployment
from kubeserve.runtime.local.pool import Launcher
from kubeserve.runtime.local.replica import Endpoint, Services
from kubeserve.storage import ArtifactStore

log = logging.getLogger(__name__)


class LocalRuntime:
    """Runtime backend for one machine; built once by the app's lifespan, closed at shutdown."""

    leading = True  # one control plane per machine: it always reconciles

    def __init__(self, settings: Settings, store: ArtifactStore | None = None) -> None:
        self.settings, self.store = settings, store
        self.launcher = Launcher(settings)
        # trust_env=False: a proxy from the environment must never see loopback probes.
        http = httpx.AsyncClient(trust_env=False, timeout=2.0)
        self.services = Services(settings, self.launcher, http)
        self.traffic = self
        self._deployments: dict[str, ManagedDeployment] = {}
        self._turn = itertools.count()
        with contextlib.suppress(RuntimeError):  # no loop yet: the first deploy fills the pool
            asyncio.get_running_loop()
            self.launcher.fill()

    async def apply(self, spec: DeploymentSpec) -> None:
        self.launcher.fill()
        spec = await localized(spec, self.settings, self.store)
        current = self._deployments.get(spec.name)
        if current is None:
            self._deployments[spec.name] = ManagedDeployment(spec, self.services).start()
        else:
            current.apply(spec)

    async def observe(self) -> Mapping[str, RuntimeStatus]:
        return {name: d.status() for name, d in self._deployments.items()}

    async def apply_quota(self, owner_id: int, quota: Quota) -> None:
        """Nothing to apply: on one machine the API refuses replicas beyond `quota.pods`
        (deployments/service.py); CPU and memory are bounded per sandbox, not per owner."""

    def upstream(self, name: str) -> Upstream | None:
        """The ready replica with the fewest requests in flight (round robin among equals):
        a replica stuck on a slow request gets no more until it is free again."""
        endpoints = self.endpoints(name)
        if not endpoints:
            return None
        start = next(self._turn) % len(endpoints)
        turn = endpoints[start:] + endpoints[:start]
        return min(turn, key=lambda e: e.in_flight)

    def endpoints(self, name: str) -> list[Endpoint]:
        """Ready replicas of the serving release (what `upstream` chooses from)."""
        deployment = self._deployments.get(name)
        return deployment.endpoints if deployment else []

    def replica_targets(self) -> list[ReplicaTarget]:
        """Every ready replica, rollouts' included, with who it is (ReplicaDirectory)."""
        return [
            ReplicaTarget(
                name, r.id, r.spec.release, r.spec.owner_id, r.spec.model_name, r.spec.version_tag, e
            )
            for name, deployment in self._deployments.items()
            for r in deployment.replicas + deployment.incoming
            if (e := r.serving) is not None
        ]

    # TrafficHook: the gateway calls these around every request it forwards.
    def began(self, upstream: Upstream) -> None:
        if isinstance(upstream, Endpoint):
            upstream.in_flight += 1
            upstream.last_used = time.monotonic()

    def ended(self, upstream: Upstream) -> None:
        if isinstance(upstream, Endpoint):
            upstream.in_flight -= 1

    def unreachable(self, name: str, upstream: Upstream) -> None:
        deployment = self._deployments.get(name)
        if deployment is not None and isinstance(upstream, Endpoint):
            deployment.report_failure(upstream)

    async def replayable(self, name: str, upstream: Upstream) -> bool:
        return not isinstance(upstream, Endpoint) or await upstream.died_from_outside()

    async def wake(self, name: str, timeout: float) -> Upstream | None:
        deployment = self._deployments.get(name)
        if deployment is None or not deployment.wake():
            return None
        self.launcher.fill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(deployment.serving.wait(), timeout)
        return self.upstream(name)

    async def logs(self, name: str, tail: int) -> list[str]:
        deployment = self._deployments.get(name)
        return await asyncio.to_thread(deployment.logs, tail) if deployment else []

    async def build(self, spec: BuildSpec) -> BuildAnswer:
        """Sandboxed child processes (local/build.py); the packages stay for the replicas."""
        return await build.build(spec, self.settings, self.store)

    async def delete(self, name: str) -> None:
        deployment = self._deployments.pop(name, None)
        if deployment is not None:
            await deployment.close(forget=True)

    async def close(self) -> None:
        deployments, self._deployments = list(self._deployments.values()), {}
        await asyncio.gather(*(d.close() for d in deployments))
        await self.launcher.close()
        await self.services.http.aclose()
