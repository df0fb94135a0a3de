"""The build step: vet an uploaded version in sandboxed children, then mark it Ready or Failed.

`python -m kubeserve.inference.inspect` scans the pickle against the pickle policy and
installs what requirements.txt adds (wheels only: no user code runs, so this step has the
network), then a second child inside the sandbox (runtime/sandbox.py: no network, only the
artifact and packages visible) unpickles the model and records its signature. The control
plane only reads their JSON answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeserve.config import Settings
from kubeserve.disk import remove_version_dirs
from kubeserve.observability.metrics import ControlPlaneMetrics
from kubeserve.orm import Model, ModelVersion, VersionStatus
from kubeserve.runtime import process, sandbox
from kubeserve.storage.base import ArtifactStore, StorageError

log = logging.getLogger(__name__)


def code_key(model_key: str) -> str:
    """The key of the shipped code (code.zip) stored next to a version's model file, if any."""
    return model_key.rsplit("/", 1)[0] + "/code.zip"


def packages_dir(settings: Settings, version_id: int) -> Path:
    """Where the build installs what a version's requirements add; local replicas reuse it."""
    return (settings.data_dir / "packages" / str(version_id)).resolve()


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
    ) -> None:
        self.settings, self.store, self.sessionmaker = settings, store, sessionmaker
        self.metrics = metrics
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
            result = await self._run(version_id)
        except StorageError as exc:
            result = {"ok": False, "error": f"could not fetch the artifact: {exc.detail}"}
        except Exception as exc:  # a build must always end in Ready or Failed
            log.exception("build of version %s crashed", version_id)
            result = {"ok": False, "error": f"internal build error: {exc}"}
        outcome = "ready" if result.get("ok") else "failed"
        self.metrics.builds.labels(outcome).inc()
        self.metrics.build_duration.labels(outcome).observe(time.monotonic() - began)
        await self._record(version_id, result)

    async def _run(self, version_id: int) -> dict[str, Any]:
        async with self.sessionmaker() as session:
            version = await session.get(ModelVersion, version_id)
            if version is None or version.s3_path is None:
                return {"ok": False, "error": "version has no artifact"}
            key, allow_unsafe = version.s3_path, version.allow_unsafe_pickle
        builds = self.settings.data_dir / "builds"
        builds.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"{version_id}-", dir=builds)).resolve()  # never shared
        workdir.chmod(0o755)  # the sandbox's own uid reads it (bound read-only at /model)
        try:
            model_path = workdir / Path(key).name
            requirements = workdir / "requirements.txt"
            await self.store.fetch_to(key, model_path)
            await self.store.fetch_to(requirements_key(key), requirements)
            code = None
            if await self.store.exists(code_key(key)):
                code = workdir / "code.zip"
                await self.store.fetch_to(code_key(key), code)
            flags = ["--allow-unsafe-pickle"] if allow_unsafe else []
            return await self._inspect(version_id, model_path, requirements, code, flags)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _inspect(
        self, version_id: int, model: Path, requirements: Path, code: Path | None, flags: list[str]
    ) -> dict[str, Any]:
        """Install outside the sandbox (wheels only, network), then load inside it (none).

        Every file lives in the build's own folder, bound read-only at /model in the sandbox."""
        deadline = time.monotonic() + self.settings.build_timeout_seconds
        packages = packages_dir(self.settings, version_id)
        packages.mkdir(parents=True, exist_ok=True)

        def files(folder: Path, packages: Path) -> list[str]:
            found = ["--model", str(folder / model.name), "--packages-dir", str(packages)]
            found += ["--requirements", str(folder / requirements.name), *flags]
            return found + (["--code", str(folder / code.name)] if code is not None else [])

        outside = files(model.parent, packages)
        if not sandbox.enabled(self.settings):  # a single-user install: one unsandboxed child
            return await self._child([*outside, "--step", "all"], model.parent, deadline)
        installed = await self._child([*outside, "--step", "install"], model.parent, deadline)
        if not installed.get("ok"):
            return installed
        inside = [*files(sandbox.MODEL_DIR, sandbox.PACKAGES_DIR), "--step", "load"]
        inside += [f"--note={note}" for note in installed.get("notes", [])]
        box = sandbox.Box(
            name=f"build-{version_id}-{secrets.token_hex(4)}",
            read_only={sandbox.MODEL_DIR: model.parent, sandbox.PACKAGES_DIR: packages},
            memory_mb=self.settings.build_memory_mb,
            max_processes=self.settings.sandbox_max_processes,
            cpus=self.settings.sandbox_cpus,
        )
        try:
            return await self._child(inside, model.parent, deadline, box)
        finally:
            sandbox.release(box)

    async def _child(
        self, args: list[str], cwd: Path, deadline: float, box: sandbox.Box | None = None
    ) -> dict[str, Any]:
        """One `python -m kubeserve.inference.inspect` child (in `box` when given); its answer."""
        argv = [process.python(), "-m", "kubeserve.inference.inspect", *args]
        if box is not None:
            argv = sandbox.command(argv, box, hidden=[self.settings.data_dir])
        extra = {"PIP_INDEX_URL": self.settings.pip_index_url} if self.settings.pip_index_url else {}
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=process.scrubbed_env(str(cwd), extra),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=process.limits(self.settings.build_memory_mb),
        )
        timeout = self.settings.build_timeout_seconds
        try:
            out, err = await asyncio.wait_for(proc.communicate(), max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            return {"ok": False, "error": f"build timed out after {timeout} s"}
        finally:
            with contextlib.suppress(ProcessLookupError):
                await process.stop(proc, grace=2)
        return _parse_answer(out, err, proc.returncode)

    async def _record(self, version_id: int, result: dict[str, Any]) -> None:
        async with self.sessionmaker() as session:
            version = await session.get(ModelVersion, version_id)
            if version is None:  # deleted while building: remove what the build installed
                await remove_version_dirs(self.settings, [version_id])
                return
            if result.get("ok"):
                version.status, version.signature, version.error = (
                    VersionStatus.READY,
                    result.get("signature"),
                    None,
                )
            else:
                version.status, version.error = VersionStatus.FAILED, str(result.get("error"))
            await session.commit()
        log.info("version %s: %s", version_id, version.status)


def _parse_answer(out: bytes, err: bytes, returncode: int | None) -> dict[str, Any]:
    """The child's last stdout line is its JSON answer; anything else is a crash."""
    lines = out.decode(errors="replace").strip().splitlines()
    if lines:
        with contextlib.suppress(orjson.JSONDecodeError):
            answer = orjson.loads(lines[-1])
            if isinstance(answer, dict) and "ok" in answer:
                return answer
    if returncode is not None and returncode < 0:
        return {"ok": False, "error": f"build killed by signal {-returncode} (memory limit?)"}
    tail = "\n".join(err.decode(errors="replace").strip().splitlines()[-5:])
    if "MemoryError" in tail:
        return {"ok": False, "error": "build ran out of memory (limit reached while loading)"}
    return {"ok": False, "error": f"build crashed (exit {returncode}): {tail or 'no output'}"}
