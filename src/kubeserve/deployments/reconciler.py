"""The reconciler owns every call to the runtime and converges it to the deployments table.

Services write rows and `kick` after commit; at start-up every row is re-applied, so a
restarted control plane brings its deployments back. A sync loop reads the runtime's one
cached observation per tick and writes what it reports (Starting/Running/Failed, rollout
results) back to the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeserve.config import Settings
from kubeserve.deployments.repository import DeploymentRepository, DeploymentRow, ReleaseRepository
from kubeserve.observability.metrics import ControlPlaneMetrics
from kubeserve.orm import Deployment
from kubeserve.registry.build import code_key, requirements_key
from kubeserve.runtime.base import STOPPED, Autoscaling, DeploymentSpec, Phase, Runtime, RuntimeStatus
from kubeserve.storage.base import ArtifactStore

log = logging.getLogger(__name__)
SYNC_INTERVAL = 0.2


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        store: ArtifactStore,
        sessionmaker: async_sessionmaker[AsyncSession],
        metrics: ControlPlaneMetrics,
    ) -> None:
        self.settings, self.runtime, self.store, self.sessionmaker = settings, runtime, store, sessionmaker
        self.metrics = metrics
        self._names: dict[int, str] = {}  # deployment id -> runtime name, for what we manage
        self._lock = asyncio.Lock()
        self._sync_task: asyncio.Task[None] | None = None
        self._active: dict[int, int] = {}  # deployment id -> release already recorded as Active

    async def start(self) -> None:
        """Re-apply every deployment (after a restart) and start writing status back."""
        async with self.sessionmaker() as session:
            rows = await DeploymentRepository(session).list_rows()
        for row in rows:
            await self._apply(row)
        self._sync_task = asyncio.create_task(self._sync_loop(), name="reconciler-sync")

    async def close(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
        await self.runtime.close()

    async def kick(self, deployment_id: int) -> None:
        """Apply the committed desired state of one deployment."""
        async with self.sessionmaker() as session:
            row = await DeploymentRepository(session).get_row(deployment_id)
        if row is not None:
            await self._apply(row)

    async def remove(self, name: str) -> None:
        async with self._lock:
            self._names = {k: v for k, v in self._names.items() if v != name}
            self._active = {k: v for k, v in self._active.items() if k in self._names}
        await self.runtime.delete(name)

    async def observe(self, name: str) -> RuntimeStatus:
        return (await self.runtime.observe()).get(name, STOPPED)

    async def logs(self, name: str, tail: int) -> list[str]:
        return (await self.runtime.logs(name, tail))[-tail:]

    async def _apply(self, row: DeploymentRow) -> None:
        spec = await self._spec(row)
        async with self._lock:
            self._names[row.deployment.id] = spec.name
        await self.runtime.apply(spec)  # idempotent: creates, rolls out or rescales

    async def _spec(self, row: DeploymentRow) -> DeploymentSpec:
        d, version, model = row
        assert version.s3_path is not None
        auto = d.autoscaling
        return DeploymentSpec(
            name=d.k8s_service_name,
            owner_id=d.user_id,
            model_name=model.name,
            version_id=version.id,
            version_tag=version.version_tag,
            release=d.release,
            artifact_uri=self.store.uri(version.s3_path),
            requirements_uri=self.store.uri(requirements_key(version.s3_path)),
            sha256=version.sha256 or "",
            replicas=d.replicas,
            autoscaling=Autoscaling(auto["min"], auto["max"], auto["target_in_flight"]) if auto else None,
            code_uri=self.store.uri(code_key(version.s3_path))
            if (version.signature or {}).get("code")
            else None,
        )

    async def _sync_loop(self) -> None:
        while True:
            began = time.perf_counter()
            try:
                await self._sync_once()
            except Exception:  # keep syncing; a transient DB error must not stop the loop
                self.metrics.reconcile_errors.inc()
                log.exception("reconciler sync failed")
            self.metrics.reconcile_passes.inc()
            self.metrics.reconcile_duration.observe(time.perf_counter() - began)
            await asyncio.sleep(SYNC_INTERVAL)

    async def _sync_once(self) -> None:
        async with self._lock:
            managed = dict(self._names)
        if not managed:
            return
        recorded = dict(self._active)
        try:
            await self._sync_rows(managed)
        except BaseException:
            self._active = recorded  # not committed: record the Active releases again next time
            raise

    async def _sync_rows(self, managed: dict[int, str]) -> None:
        async with self.sessionmaker() as session:
            rows = await DeploymentRepository(session).get_many(list(managed))
            observed = await self.runtime.observe()
            for deployment_id, name in managed.items():
                deployment = rows.get(deployment_id)
                if deployment is None:  # deleted, maybe by a cascade (model or version deleted)
                    await self.remove(name)
                    continue
                await self._sync_one(session, deployment, observed.get(name, STOPPED))
            if session.dirty:
                await session.commit()

    async def _sync_one(self, session: AsyncSession, deployment: Deployment, status: RuntimeStatus) -> None:
        if status.failed_release is not None and status.failed_release == deployment.release:
            await self._rollout_failed(session, deployment, status)
            return
        serving_now = status.release == deployment.release and status.phase == Phase.RUNNING
        if serving_now and self._active.get(deployment.id) != deployment.release:
            await self._mark_active(session, deployment)
        phase = _row_status(deployment, status)
        if deployment.status != phase:
            deployment.status = phase
        error = status.message if status.phase == Phase.FAILED else deployment.error
        if deployment.error != error:
            deployment.error = error

    async def _mark_active(self, session: AsyncSession, deployment: Deployment) -> None:
        """The deployment's release serves: it is Active, the one before Superseded (once)."""
        for release in await ReleaseRepository(session).list_for(deployment.id):
            if release.revision == deployment.release:
                release.status = "Active"
            elif release.status == "Active":
                release.status = "Superseded"
        self._active[deployment.id] = deployment.release

    async def _rollout_failed(
        self, session: AsyncSession, deployment: Deployment, status: RuntimeStatus
    ) -> None:
        """The new release never got ready: record why and point the row back at what serves."""
        releases = ReleaseRepository(session)
        failed = await releases.get_revision(deployment.id, deployment.release)
        if failed is not None:
            failed.status, failed.reason = "Failed", status.message
        serving = await releases.get_revision(deployment.id, status.release) if status.release else None
        if serving is not None:
            deployment.version_id, deployment.release = serving.version_id, serving.revision
        deployment.error = f"release {failed.revision if failed else '?'} failed: {status.message}"
        log.warning("deployment %s: %s", deployment.id, deployment.error)


def _row_status(deployment: Deployment, status: RuntimeStatus) -> str:
    """The runtime's phase, as the row shows it. Nothing running is `Stopped` when parked
    (replicas: 0), `Idle` when autoscaled to zero (a request wakes it), else `Pending`."""
    if status.phase != Phase.STOPPED:
        return status.phase.value
    if status.release is not None and status.desired_replicas == 0:
        return "Idle" if deployment.autoscaling is not None else "Stopped"
    return "Pending"
