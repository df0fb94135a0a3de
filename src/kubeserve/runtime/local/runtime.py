"""The local runtime: every replica is a sandboxed model-server child process on loopback.

Layout: `LocalRuntime` (this module) keeps one `ManagedDeployment` per name (managed.py: rollout,
scaling, endpoint cache, autoscaling); each `Replica` (replica.py) supervises one child;
the `Launcher` (pool.py) starts children, from a pool of warm interpreters when it can.
Files live under `data_dir/replicas/{name}/{replica}/`: `replica.log` and `work/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from kubeserve.config import Settings
from kubeserve.runtime.base import DeploymentSpec, Endpoint, Phase, RuntimeStatus
from kubeserve.runtime.local.managed import ManagedDeployment
from kubeserve.runtime.local.pool import Launcher
from kubeserve.runtime.local.replica import Services

log = logging.getLogger(__name__)


class LocalRuntime:
    """Runtime backend for one machine; built once by the app's lifespan, closed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.launcher = Launcher(settings)
        # trust_env=False: a proxy from the environment must never see loopback probes.
        http = httpx.AsyncClient(trust_env=False, timeout=2.0)
        self.services = Services(settings, self.launcher, http)
        self._deployments: dict[str, ManagedDeployment] = {}
        with contextlib.suppress(RuntimeError):  # no loop yet: the first deploy fills the pool
            asyncio.get_running_loop()
            self.launcher.fill()

    async def deploy(self, spec: DeploymentSpec) -> None:
        self.launcher.fill()
        current = self._deployments.get(spec.name)
        if current is None:
            self._deployments[spec.name] = ManagedDeployment(spec, self.services).start()
        else:
            current.apply(spec)

    async def scale(self, name: str, replicas: int) -> None:
        deployment = self._deployments.get(name)
        if deployment is not None:
            deployment.scale(replicas)

    async def status(self, name: str) -> RuntimeStatus:
        deployment = self._deployments.get(name)
        return deployment.status() if deployment else RuntimeStatus(phase=Phase.STOPPED)

    def endpoints(self, name: str) -> list[Endpoint]:
        deployment = self._deployments.get(name)
        return deployment.endpoints if deployment else []

    def report_failure(self, name: str, endpoint: Endpoint) -> None:
        deployment = self._deployments.get(name)
        if deployment is not None:
            deployment.report_failure(endpoint)

    async def logs(self, name: str, tail: int) -> list[str]:
        deployment = self._deployments.get(name)
        return await asyncio.to_thread(deployment.logs, tail) if deployment else []

    async def delete(self, name: str) -> None:
        deployment = self._deployments.pop(name, None)
        if deployment is not None:
            await deployment.close(forget=True)

    async def close(self) -> None:
        deployments, self._deployments = list(self._deployments.values()), {}
        await asyncio.gather(*(d.close() for d in deployments))
        await self.launcher.close()
        await self.services.http.aclose()
