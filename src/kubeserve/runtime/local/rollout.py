"""A new release started beside the serving one, promoted only when all of it is ready."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from kubeserve.runtime.base import DeploymentSpec
from kubeserve.runtime.local.replica import Replica


class Rollout:
    """The incoming release's replicas, on probation: one failed start fails them all.

    Its replicas start at once (so `status` shows them); `wait` tells whether to switch.
    """

    def __init__(
        self,
        spec: DeploymentSpec,
        replicas: int,
        start: Callable[[DeploymentSpec, bool], Replica],
        stop: Callable[[list[Replica]], Awaitable[None]],
    ) -> None:
        self.spec = spec
        self.replicas = [start(spec, True) for _ in range(replicas)]
        self.failure: str | None = None
        self.task: asyncio.Task[None] | None = None
        self._stop = stop

    @property
    def release(self) -> int:
        return self.spec.release

    async def wait(self) -> bool:
        """True once every replica is ready (probation over); else stopped, with `failure`."""
        for outcome in asyncio.as_completed([r.outcome for r in self.replicas]):
            if not await outcome:  # each replica has its own start deadline: this ends
                break
        else:
            for replica in self.replicas:
                replica.probation = False
            return True
        self.failure = next((r.message for r in self.replicas if r.message), "not ready")
        await self.abandon()
        return False

    async def abandon(self) -> None:
        """Stop the new replicas (a failure, or a newer release superseding this one)."""
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        await self._stop(self.replicas)
