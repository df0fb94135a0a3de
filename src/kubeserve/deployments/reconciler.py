"""The reconciler owns every call to the runtime and converges it to the deployments table.

Services write rows and `kick` after commit; at start-up every row is re-applied, so a
restarted control plane brings its deployments back. A sync loop reads the runtime's one
cached observation per tick and writes what it reports (Starting/Running/Failed, rollout
results) back to the rows.

Several control planes (Kubernetes): any of them may apply (server-side apply of the same
desired state is idempotent), but only the one `runtime.leading` says leads runs the sync
loop: it discovers deployments other replicas created, writes status back, points a refused
rollout back at what serves and re-applies everything every `resync_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeserve.accounts import quota
from kubeserve.accounts.repository import UserRepository
from kubeserve.config import Settings
from kubeserve.deployments.repository import DeploymentRepository, DeploymentRow, ReleaseRepository
from kubeserve.errors import KubeServeError
from kubeserve.observability.metrics import ControlPlaneMetrics
from kubeserve.orm import Deployment, User
from kubeserve.registry.build import code_key, requirements_key
from kubeserve.runtime.base import (
    STOPPED,
    Autoscaling,
    DeploymentSpec,
    Phase,
    Quota,
    Runtime,
    RuntimeStatus,
)
from kubeserve.storage.base import ArtifactStore

log = logging.getLogger(__name__)
SYNC_INTERVAL = 0.2
DISCOVER_EVERY = 5  # ticks between looks for deployments another control plane created


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
        self._resynced = -math.inf  # when every row was last re-applied (while leading)
        self._refused: list[int] = []  # refused rollouts this tick: re-apply what serves

    async def start(self) -> None:
        """Start observing; when leading, re-apply every deployment (after a restart) at once."""
        try:
            await self.runtime.observe()  # Kubernetes: the watches fill the gateway's cache
        except KubeServeError as exc:  # the sync loop keeps trying
            log.warning("runtime not ready at start-up: %s", exc.detail)
        if self.runtime.leading:
            await self._apply_all()
        self._sync_task = asyncio.create_task(self._sync_loop(), name="reconciler-sync")

    async def _apply_all(self) -> None:
        async with self.sessionmaker() as session:
            rows = await DeploymentRepository(session).list_rows()
            users = {u.id: u for u in await UserRepository(session).list(UserRepository(session).select())}
        for row in rows:
            try:
                await self._apply(row, self._quota(users.get(row.deployment.user_id)))
            except KubeServeError as exc:  # one deployment's trouble must not stop the others
                log.warning("deployment %s: %s", row.deployment.id, exc.detail)
        self._resynced = time.monotonic()

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
            owner = await UserRepository(session).get_by_id(row.deployment.user_id) if row else None
        if row is not None:
            await self._apply(row, self._quota(owner))

    async def apply_quota(self, owner_id: int, owner_quota: Quota) -> None:
        """An admin changed the owner's quota: the runtime applies it now, not at the next
        apply of one of their deployments (idempotent: any control plane may)."""
        try:
            await self.runtime.apply_quota(owner_id, owner_quota)
        except KubeServeError as exc:  # the periodic re-apply carries it later
            log.warning("quota of user %s: %s", owner_id, exc.detail)

    def _quota(self, owner: User | None) -> Quota:
        return quota.effective(owner, self.settings) if owner else quota.default(self.settings)

    async def remove(self, name: str) -> None:
        async with self._lock:
            self._names = {k: v for k, v in self._names.items() if v != name}
            self._active = {k: v for k, v in self._active.items() if k in self._names}
        await self.runtime.delete(name)

    async def observe(self, name: str) -> RuntimeStatus:
        return (await self.runtime.observe()).get(name, STOPPED)

    async def logs(self, name: str, tail: int) -> list[str]:
        return (await self.runtime.logs(name, tail))[-tail:]

    async def _apply(self, row: DeploymentRow, owner_quota: Quota) -> None:
        spec = await self._spec(row, owner_quota)
        async with self._lock:
            self._names[row.deployment.id] = spec.name
        await self.runtime.apply(spec)  # idempotent: creates, rolls out or rescales

    async def _spec(self, row: DeploymentRow, owner_quota: Quota) -> DeploymentSpec:
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
            quota=owner_quota,
        )

    async def _sync_loop(self) -> None:
        for tick in itertools.count():
            began = time.perf_counter()
            try:
                if not self.runtime.leading:
                    self._resynced = -math.inf  # when we lead again, re-apply everything first
                elif time.monotonic() - self._resynced >= self.settings.resync_seconds:
                    await self._apply_all()
                elif tick % DISCOVER_EVERY == 0:
                    await self._discover()
                if self.runtime.leading:
                    await self._sync_once()
            except Exception:  # keep syncing; a transient DB error must not stop the loop
                self.metrics.reconcile_errors.inc()
                log.exception("reconciler sync failed")
            self.metrics.reconcile_passes.inc()
            self.metrics.reconcile_duration.observe(time.perf_counter() - began)
            await asyncio.sleep(SYNC_INTERVAL)

    async def _discover(self) -> None:
        """Apply deployments this process has not seen (created through another replica)."""
        async with self.sessionmaker() as session:
            names = await DeploymentRepository(session).names()
        for deployment_id in names.keys() - self._names.keys():
            await self.kick(deployment_id)

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
        self._refused = []
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
        for deployment_id in self._refused:  # the runtime goes back to what serves
            await self.kick(deployment_id)

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
        self._refused.append(deployment.id)
        log.warning("deployment %s: %s", deployment.id, deployment.error)


def _row_status(deployment: Deployment, status: RuntimeStatus) -> str:
    """The runtime's phase, as the row shows it. Nothing running is `Stopped` when parked
    (replicas: 0), `Idle` when autoscaled to zero (a request wakes it), else `Pending`."""
    if status.phase != Phase.STOPPED:
        return status.phase.value
    if status.release is not None and status.desired_replicas == 0:
        return "Idle" if deployment.autoscaling is not None else "Stopped"
    return "Pending"
