"""One supervised replica: launched, probed until ready, watched, restarted with back-off."""

from __future__ import annotations

import asyncio
import enum
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from kubeserve.config import Settings
from kubeserve.inference.artifact import local_path
from kubeserve.runtime import process
from kubeserve.runtime.base import DeploymentSpec, Upstream
from kubeserve.runtime.local.boxes import ReplicaFiles, Serving
from kubeserve.runtime.local.build import packages_dir
from kubeserve.runtime.local.pool import Launcher, Process
from kubeserve.runtime.local.probes import (
    answers_again,
    append_line,
    client_for,
    exit_or_timeout,
    tail_lines,
    wait_ready,
)
from kubeserve.runtime.local.warm_child import log_file

STABLE_SECONDS = 10.0  # up this long, a replica has recovered: its crash count starts over
BACKOFF_FIRST, BACKOFF_CAP = 0.5, 30.0
RECHECK_SECONDS = 5.0  # how long a replica the gateway could not reach gets to answer again
MESSAGE_LINES = 20
# Exit statuses of a replica killed by SIGKILL/SIGTERM: of its process, or (128 + signal) of the
# sandbox whose process was. A replica that exits by itself, or on SIGSEGV etc., died of its work.
KILLED_FROM_OUTSIDE = frozenset({-9, -15, 137, 143})


class ReplicaState(enum.StrEnum):
    STARTING = "starting"
    READY = "ready"
    UNREACHABLE = "unreachable"  # reported by the gateway, being re-checked
    BACKOFF = "backoff"  # crashed, waiting before the next start
    FAILED = "failed"  # gave up: see `message`
    STOPPED = "stopped"


@dataclass(eq=False)
class Endpoint(Upstream):
    """A ready local replica; `in_flight` and `last_used` are kept by the gateway (through the
    TrafficHook): the autoscaler reads them."""

    in_flight: int = 0
    last_used: float = field(default_factory=time.monotonic)  # ready, or the latest request
    proc: Process | None = None
    stopped: bool = False  # we stopped it (retired, deleted): its requests may be replayed

    async def died_from_outside(self, wait: float = 1.0) -> bool:
        """After a request's connection dropped: whether the process was stopped or killed
        from outside (replay is safe) rather than dying of the request (it is not)."""
        if self.stopped or self.proc is None:
            return True
        await exit_or_timeout(self.proc, wait)
        if self.proc.returncode is None:
            return False  # alive: it dropped our request itself
        return self.stopped or self.proc.returncode in KILLED_FROM_OUTSIDE


@dataclass
class Services:
    """What every replica shares: settings, the process launcher, the probing HTTP client."""

    settings: Settings
    launcher: Launcher
    http: httpx.AsyncClient


def backoff(failures: int) -> float:
    return min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, failures - 1))


class Replica:
    """A model-server child for one release. `on_change` fires whenever `endpoint` may have.

    On probation (a rollout's new replica) the first failed start is final: the rollout
    gives up and the old release keeps serving, instead of waiting through restarts.
    """

    def __init__(
        self,
        rid: str,
        spec: DeploymentSpec,
        services: Services,
        on_change: Callable[[], None],
        probation: bool = False,
    ) -> None:
        self.id, self.spec, self.services, self.on_change = rid, spec, services, on_change
        self.probation = probation
        self.dir = (services.settings.data_dir / "replicas" / spec.name / rid).resolve()
        self.log_path = log_file(self.dir)
        self.state = ReplicaState.STARTING
        self.restarts = self.failures = 0
        self.proc: Process | None = None
        self.address: str | None = None
        self.endpoint: Endpoint | None = None
        self.message: str | None = None
        self.outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._suspect = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # A new runtime reuses replica ids: the last one's lines would read like ours.
        os.close(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        self._task = asyncio.create_task(self._supervise(), name=f"replica-{self.id}")

    def suspect(self) -> None:
        """The gateway could not reach us: no traffic until a probe says otherwise."""
        if self.state is ReplicaState.READY:
            self._set(ReplicaState.UNREACHABLE)
            self._suspect.set()

    @property
    def serving(self) -> Endpoint | None:
        return self.endpoint if self.state is ReplicaState.READY else None

    async def stop(self, grace: float = 5.0) -> None:
        if self.endpoint is not None:
            self.endpoint.stopped = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.proc is not None:
            await process.stop(self.proc, grace)
        self.endpoint = None
        self._resolve(False)
        self._set(ReplicaState.STOPPED)

    def tail(self, count: int) -> list[str]:
        return tail_lines(self.log_path, count)

    def detail(self) -> dict[str, Any]:
        running = self.proc is not None and self.proc.returncode is None
        return {
            "id": self.id,
            "release": self.spec.release,
            "state": str(self.state),
            "pid": self.proc.pid if running and self.proc else None,
            "address": self.address if running else None,
            "restarts": self.restarts,
        }

    async def _supervise(self) -> None:
        while True:
            stable = await self._run_once()
            if self.probation and not self.outcome.done():
                return self._fail()
            self.failures = 0 if stable else self.failures + 1
            if self.failures > self.services.settings.replica_max_restarts:
                return self._fail()
            delay = backoff(self.failures)
            append_line(self.log_path, f"restarting in {delay:.1f} s")
            self._set(ReplicaState.BACKOFF)
            await asyncio.sleep(delay)
            self.restarts += 1

    async def _run_once(self) -> bool:
        """Start, get ready, serve until the process ends; True when it ran long enough."""
        token, settings = secrets.token_urlsafe(32), self.services.settings
        self._set(ReplicaState.STARTING)
        serving = Serving(
            self.spec.model_name,
            self.spec.version_tag,
            self.spec.sha256 or None,
            token,
            # Once the gateway gave up on a request (its timeout), /ready must say "stuck".
            settings.gateway_timeout_seconds / 2,
        )
        launching = asyncio.ensure_future(
            self.services.launcher.launch(self._files(), serving, self.log_path, self.dir)
        )
        try:
            launched = await asyncio.shield(launching)
        except asyncio.CancelledError:  # stopped mid-handover: do not leak the process
            await process.stop((await launching).proc, grace=1)
            raise
        except OSError as exc:  # could not even fork (out of memory, too many processes)
            append_line(self.log_path, f"could not start a process: {exc}")
            return False
        self.proc, self.address = launched.proc, launched.address
        async with client_for(launched.address, self.services.http) as (http, url):
            reason = await wait_ready(http, self.proc, url, token, settings.replica_start_timeout_seconds)
            self.services.launcher.fill()  # see Launcher.launch
            if reason is not None:
                append_line(self.log_path, f"start failed: {reason}")
                await process.stop(self.proc, grace=2)
                return False
            self.endpoint = Endpoint(
                address=launched.address,
                token=token,
                replica=self.id,
                release=self.spec.release,
                proc=self.proc,
            )
            self._resolve(True)
            self._set(ReplicaState.READY)
            since = time.monotonic()
            try:
                await self._watch(self.proc, http, url, token)
            finally:
                self.endpoint = None
                self.on_change()
        await process.stop(self.proc, grace=2)
        append_line(self.log_path, f"replica exited (code {self.proc.returncode})")
        return time.monotonic() - since >= STABLE_SECONDS

    def _files(self) -> ReplicaFiles:
        """The version's files on this disk (the reconciler hands local runtimes file:// URIs)."""
        artifact = local_path(self.spec.artifact_uri)
        requirements = local_path(self.spec.requirements_uri) if self.spec.requirements_uri else None
        packages = packages_dir(self.services.settings, self.spec.version_id)
        assert artifact is not None, "local replicas read local files"
        code = local_path(self.spec.code_uri) if self.spec.code_uri else None
        return ReplicaFiles(artifact, requirements, code, packages)

    async def _watch(self, proc: Process, http: httpx.AsyncClient, url: str, token: str) -> None:
        """Until the process exits, or stays unreachable after the gateway reported it."""
        while True:
            suspect = asyncio.ensure_future(self._suspect.wait())
            exited = asyncio.ensure_future(proc.wait())
            try:
                await asyncio.wait({suspect, exited}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                suspect.cancel()
                exited.cancel()
            if proc.returncode is not None:
                return
            self._suspect.clear()
            if await answers_again(http, proc, url, token, RECHECK_SECONDS):
                self._set(ReplicaState.READY)
                continue
            append_line(self.log_path, "unreachable and not answering /ready: restarting")
            return

    def _fail(self) -> None:
        self.message = "\n".join(self.tail(MESSAGE_LINES))
        self._resolve(False)
        self._set(ReplicaState.FAILED)

    def _resolve(self, ready: bool) -> None:
        if not self.outcome.done():
            self.outcome.set_result(ready)

    def _set(self, state: ReplicaState) -> None:
        self.state = state
        self.on_change()
