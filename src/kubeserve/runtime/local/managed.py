"""One deployment on this machine: its serving replicas, a rollout, scaling, the endpoint cache."""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
import time
from collections.abc import Coroutine, Iterable
from typing import Any

from kubeserve.runtime.base import DeploymentSpec, Phase, RuntimeStatus
from kubeserve.runtime.local.autoscaler import ScaleDownWindow, clamp, recommend
from kubeserve.runtime.local.replica import Endpoint, Replica, ReplicaState, Services
from kubeserve.runtime.local.rollout import Rollout

log = logging.getLogger(__name__)


class ManagedDeployment:
    """Converges the serving release's replicas to `desired`; rolls out new releases.

    `endpoints` is rebuilt whenever a replica changes state, so the gateway reads a
    ready-made list. A rollout's replicas join it only when all of them are ready.
    """

    def __init__(self, spec: DeploymentSpec, services: Services) -> None:
        self.spec, self.services = spec, services
        self.desired = _initial_replicas(spec, spec.replicas)
        self.replicas: list[Replica] = []
        self.endpoints: list[Endpoint] = []
        self.failed_release: int | None = None
        self.message: str | None = None
        self._live: set[Replica] = set()  # every replica not stopped yet, whatever its role
        self._rollout: Rollout | None = None
        self._autoscaler: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self.serving = asyncio.Event()  # set while `endpoints` is not empty (wake waits on it)
        self._woken = time.monotonic()  # the latest wake, or creation

    def start(self) -> ManagedDeployment:
        self.converge()
        self._set_autoscaling()
        return self

    def apply(self, spec: DeploymentSpec) -> None:
        """deploy() of a known name: a new release rolls out; the same one only rescales."""
        rolling = self._rollout.release if self._rollout else 0
        if spec.release in (rolling, self.failed_release) or spec.release < max(rolling, self.spec.release):
            return  # already under way, already refused, or stale
        if spec.release == self.spec.release:
            previous, self.spec = self.spec, spec
            if spec.autoscaling is None and spec.replicas != previous.replicas:
                self.scale(spec.replicas)
            return self._set_autoscaling()
        if self._rollout is not None:  # a newer release supersedes it
            self._background(self._rollout.abandon())
            self._rollout = None
        self.desired = _initial_replicas(spec, self.desired)
        if self.phase in (Phase.FAILED, Phase.STOPPED):
            return self._replace(spec)  # nothing serving that deserves to be kept
        rollout = self._rollout = Rollout(spec, self.desired, self._replica, self._stop)
        rollout.task = self._background(self._roll_out(rollout))

    def scale(self, replicas: int) -> None:
        self.desired = max(0, replicas)
        self.converge()

    def wake(self) -> bool:
        """Start one replica if autoscaling took this deployment to zero; False if it cannot
        scale up on demand (parked with `replicas: 0`, or nothing to wake)."""
        policy = self.spec.autoscaling
        if policy is None or policy.max_replicas < 1:
            return False
        self._woken = time.monotonic()
        if self.desired == 0:
            log.info("waking %s: a request is waiting", self.spec.name)
            self.scale(1)
        return True

    def report_failure(self, endpoint: Endpoint) -> None:
        for replica in self.replicas:
            if replica.endpoint is not None and replica.endpoint is endpoint:
                replica.suspect()

    def refresh(self) -> None:
        self.endpoints = [e for r in self.replicas if (e := r.serving) is not None]
        if self.endpoints:
            self.serving.set()
        else:
            self.serving.clear()

    @property
    def phase(self) -> Phase:
        if self.endpoints:
            return Phase.RUNNING
        if any(r.state is ReplicaState.FAILED for r in self.replicas):
            return Phase.FAILED
        return Phase.STARTING if self.replicas else Phase.STOPPED

    def status(self) -> RuntimeStatus:
        failed = next((r.message for r in self.replicas if r.message), None)
        return RuntimeStatus(
            phase=self.phase,
            release=self.spec.release,
            ready_replicas=len(self.endpoints),
            desired_replicas=self.desired,
            message=self.message or failed,
            failed_release=self.failed_release,
            replicas=[r.detail() for r in self.replicas + self.incoming],
        )

    @property
    def incoming(self) -> list[Replica]:
        return self._rollout.replicas if self._rollout else []

    def logs(self, tail: int) -> list[str]:
        """The last `tail` lines of each replica's log, each line prefixed by its replica."""
        return [f"[{r.id}] {line}" for r in self.replicas + self.incoming for line in r.tail(tail)]

    def converge(self) -> None:
        """Start or retire serving replicas until there are `desired` of them."""
        while len(self.replicas) < self.desired:
            self.replicas.append(self._replica(self.spec, probation=False))
        surplus = len(self.replicas) - self.desired
        if surplus > 0:
            # Retire broken and starting replicas before ready ones, the newest first.
            ranked = sorted(
                enumerate(self.replicas), key=lambda ir: (ir[1].state is ReplicaState.READY, -ir[0])
            )
            retired = [r for _, r in ranked[:surplus]]
            self.replicas = [r for r in self.replicas if r not in retired]
            self.refresh()
            self._background(self._retire(retired))

    async def close(self, forget: bool = False) -> None:
        """Stop every replica and task; with `forget`, remove the replicas' directories."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._stop(list(self._live))
        self.replicas, self.endpoints, self._rollout = [], [], None
        if forget:
            root = self.services.settings.data_dir / "replicas" / self.spec.name
            await asyncio.to_thread(shutil.rmtree, root, True)

    async def _roll_out(self, rollout: Rollout) -> None:
        """Switch traffic to the new release once all of it is ready, then retire the old."""
        ready = await rollout.wait()
        if self._rollout is not rollout:
            return  # superseded meanwhile
        self._rollout = None
        if not ready:
            self.failed_release = rollout.release
            self.message = (
                f"release {rollout.release} failed to start, release "
                f"{self.spec.release} keeps serving:\n{rollout.failure}"
            )
            return
        old, self.replicas, self.spec = self.replicas, rollout.replicas, rollout.spec
        self.failed_release = self.message = None
        self.refresh()
        self._set_autoscaling()
        self.converge()  # a scale() during the rollout
        await self._retire(old)

    def _replace(self, spec: DeploymentSpec) -> None:
        old, self.replicas, self.spec = self.replicas, [], spec
        self.failed_release = self.message = None
        self._background(self._retire(old))
        self.start()

    async def _retire(self, replicas: list[Replica]) -> None:
        """Drain (the gateway's requests in flight finish), then stop and clean up."""
        draining = [r.endpoint for r in replicas if r.endpoint is not None]
        deadline = time.monotonic() + self.services.settings.gateway_timeout_seconds
        while any(e.in_flight > 0 for e in draining) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await self._stop(replicas)
        for replica in replicas:
            await asyncio.to_thread(shutil.rmtree, replica.dir, True)

    async def _stop(self, replicas: Iterable[Replica]) -> None:
        replicas = list(replicas)
        await asyncio.gather(*(r.stop() for r in replicas))
        self._live.difference_update(replicas)

    def _replica(self, spec: DeploymentSpec, probation: bool) -> Replica:
        replica = Replica(f"r{spec.release}-{next(self._ids)}", spec, self.services, self.refresh, probation)
        self._live.add(replica)
        replica.start()
        return replica

    def _set_autoscaling(self) -> None:
        if self.spec.autoscaling is None and self._autoscaler is not None:
            self._autoscaler.cancel()
            self._autoscaler = None
        elif self.spec.autoscaling is not None and self._autoscaler is None:
            self._autoscaler = self._background(self._autoscale())

    async def _autoscale(self) -> None:
        settings = self.services.settings
        window = ScaleDownWindow(settings.scale_down_stabilization_seconds)
        while self.spec.autoscaling is not None:
            await asyncio.sleep(settings.autoscale_interval_seconds)  # a period, not a sync
            policy, ready = self.spec.autoscaling, self.endpoints
            wanted = recommend(policy, self.desired, len(ready), sum(e.in_flight for e in ready))
            now = time.monotonic()
            target = window.apply(self.desired, wanted, now)
            if (
                target == 0
                and self.desired > 0
                and now - self._last_request() < settings.scale_to_zero_after_seconds
            ):
                target = 1  # to zero only after a whole idle window
            if target != self.desired:
                log.info("autoscaling %s from %d to %d replicas", self.spec.name, self.desired, target)
                self.scale(target)

    def _last_request(self) -> float:
        return max([self._woken, *(e.last_used for e in self.endpoints)])

    def _background(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _initial_replicas(spec: DeploymentSpec, current: int) -> int:
    if spec.autoscaling is None:
        return spec.replicas
    return clamp(spec.autoscaling, current)
