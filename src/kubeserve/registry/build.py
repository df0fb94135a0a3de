"""The build step: vet an uploaded version where user code may run, then mark it Ready or Failed.

Running the build is the runtime's (`Runtime.build`): local sandboxed children
(runtime/local/build.py) or a pod in the tenant's namespace (runtime/kubernetes/). What is not
runtime-specific is here: a queue with two shared slots, one build at a time per owner,
metrics, the Ready/Failed record, and resuming builds a restart interrupted. The control plane
only ever reads the build's JSON answer: it never unpickles an upload.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeserve.accounts import quota
from kubeserve.config import Settings
from kubeserve.disk import remove_version_dirs
from kubeserve.observability.metrics import ControlPlaneMetrics
from kubeserve.orm import Model, ModelVersion, User, VersionStatus
from kubeserve.runtime.base import BuildAnswer, BuildSpec, Runtime
from kubeserve.storage.base import ArtifactStore, StorageError

log = logging.getLogger(__name__)


def code_key(model_key: str) -> str:
    """The key of the shipped code (code.zip) stored next to a version's model file, if any."""
    return model_key.rsplit("/", 1)[0] + "/code.zip"


def requirements_key(model_key: str) -> str:
    """The key of the requirements.txt stored next to a version's model file."""
    return model_key.rsplit("/", 1)[0] + "/requirements.txt"


class Builder:
    """Runs builds as background tasks; `resume()` re-queues builds a restart interrupted."""

    def __init__(
        self,
        settings: Settings,
        store: ArtifactStore,
        sessionmaker: async_sessionmaker[AsyncSession],
        metrics: ControlPlaneMetrics,
        runtime: Runtime,
    ) -> None:
        self.settings, self.store, self.sessionmaker = settings, store, sessionmaker
        self.metrics, self.runtime = metrics, runtime
        self._tasks: set[asyncio.Task[None]] = set()
        self._semaphore = asyncio.Semaphore(2)
        # One build at a time per owner: a tenant's endless builds queue behind each other and
        # hold at most one of the shared slots, so other tenants' builds still run.
        self._owner_locks: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, builds holding or waiting

    async def submit(self, version_id: int) -> None:
        task = asyncio.create_task(self._build(version_id), name=f"build-{version_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume(self) -> None:
        from kubeserve.registry.repository import VersionRepository

        async with self.sessionmaker() as session:
            pending = await VersionRepository(session).list_by_status(VersionStatus.BUILDING)
        for version in pending:
            await self.submit(version.id)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _build(self, version_id: int) -> None:
        owner = await self._owner_of(version_id)
        lock, users = self._owner_locks.get(owner, (asyncio.Lock(), 0))
        self._owner_locks[owner] = (lock, users + 1)
        try:
            async with lock, self._semaphore:
                await self._build_now(version_id)
        finally:
            lock, users = self._owner_locks[owner]
            if users == 1:
                del self._owner_locks[owner]
            else:
                self._owner_locks[owner] = (lock, users - 1)

    async def _owner_of(self, version_id: int) -> int:
        async with self.sessionmaker() as session:
            found = await session.execute(
                select(Model.user_id)
                .join(ModelVersion, ModelVersion.model_id == Model.id)
                .where(ModelVersion.id == version_id)
            )
            return found.scalar_one_or_none() or 0

    async def _build_now(self, version_id: int) -> None:
        began = time.monotonic()
        try:
            answer = await self._run(version_id)
        except StorageError as exc:
            answer = BuildAnswer.failed(f"could not fetch the artifact: {exc.detail}")
        except Exception as exc:  # a build must always end in Ready or Failed
            log.exception("build of version %s crashed", version_id)
            answer = BuildAnswer.failed(f"internal build error: {exc}")
        outcome = "ready" if answer.ok else "failed"
        self.metrics.builds.labels(outcome).inc()
        self.metrics.build_duration.labels(outcome).observe(time.monotonic() - began)
        await self._record(version_id, answer)

    async def _run(self, version_id: int) -> BuildAnswer:
        async with self.sessionmaker() as session:
            found = await session.execute(
                select(ModelVersion, User)
                .join(Model, ModelVersion.model_id == Model.id)
                .join(User, Model.user_id == User.id)
                .where(ModelVersion.id == version_id)
            )
            row = found.one_or_none()
            key = row[0].s3_path if row is not None else None
            if row is None or key is None:
                return BuildAnswer.failed("version has no artifact")
            version, owner = row
        code = code_key(key)
        spec = BuildSpec(
            owner_id=owner.id,
            version_id=version_id,
            artifact_uri=self.store.uri(key),
            requirements_uri=self.store.uri(requirements_key(key)),
            code_uri=self.store.uri(code) if await self.store.exists(code) else None,
            allow_unsafe_pickle=version.allow_unsafe_pickle,
            quota=quota.effective(owner, self.settings),
        )
        return await self.runtime.build(spec)

    async def _record(self, version_id: int, answer: BuildAnswer) -> None:
        async with self.sessionmaker() as session:
            version = await session.get(ModelVersion, version_id)
            if version is None:  # deleted while building: remove what the build installed
                await remove_version_dirs(self.settings, [version_id])
                return
            if answer.ok:
                version.status, version.signature, version.error = (
                    VersionStatus.READY,
                    answer.signature,
                    None,
                )
            else:
                version.status, version.error = VersionStatus.FAILED, str(answer.error)
            await session.commit()
        log.info("version %s: %s", version_id, version.status)
