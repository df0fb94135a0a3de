"""The control plane reads its replicas' /metrics: for Prometheus (re-exposed) and for stats.

Every `stats_interval_seconds` the sampler scrapes each ready replica once, keeps what the
stats need (bounded: `stats_retention_seconds` of samples per deployment), and refreshes
the replica gauges from the runtime's observation. A stats request newer data than a second
samples that deployment first, so the numbers include the requests just made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime

from kubeserve.config import Settings
from kubeserve.deployments.upstream import UpstreamPool, UpstreamUnavailable
from kubeserve.errors import NotFound, ServiceUnavailable
from kubeserve.observability.discovery import ReplicaDirectory, ReplicaTarget
from kubeserve.observability.metrics import ControlPlaneMetrics
from kubeserve.observability.schemas import Latency, ReplicaUsage, StatsPoint, StatsRead
from kubeserve.observability.stats import Sample, Summary, parse, summarize
from kubeserve.runtime.base import TOKEN_HEADER, Runtime

log = logging.getLogger(__name__)
FRESH_SECONDS = 1.0  # a stats request samples first when the last sample is older
SCRAPE_TIMEOUT = 5.0
MAX_REPLICAS = 20  # per deployment, for the bound on kept samples
POINTS = 30  # steps of a stats answer's `points`


class Sampler:
    """Reads replicas' metrics; built by the app's lifespan, `start`ed and `close`d with it."""

    def __init__(self, settings: Settings, runtime: Runtime, metrics: ControlPlaneMetrics) -> None:
        self.settings, self.runtime, self.metrics = settings, runtime, metrics
        self.interval, self.retention = settings.stats_interval_seconds, settings.stats_retention_seconds
        self._pool = UpstreamPool(connect_timeout=2.0)
        keep = int(self.retention / self.interval + 2) * MAX_REPLICAS
        self._keep = keep
        self._samples: dict[str, deque[Sample]] = {}
        self._first_seen: dict[str, dict[str, float]] = {}
        self._sampled_at: dict[str, float] = {}  # deployment -> wall clock of the last sample
        self._known: set[str] = set()  # deployments with series in the replica gauges
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="metrics-sampler")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._pool.close()

    def targets(self, deployment: str | None = None) -> list[ReplicaTarget]:
        if not isinstance(self.runtime, ReplicaDirectory):
            return []
        found: Sequence[ReplicaTarget] = self.runtime.replica_targets()
        return [t for t in found if deployment is None or t.deployment == deployment]

    async def scrape(self, target: ReplicaTarget) -> bytes:
        """One replica's /metrics, read with its own token (which never leaves this process)."""
        headers = {TOKEN_HEADER: target.upstream.token} if target.upstream.token else {}
        try:
            status, _, body, _, _ = await self._pool.request(
                target.upstream.address, "GET", "/metrics", headers, b"", SCRAPE_TIMEOUT
            )
        except (UpstreamUnavailable, TimeoutError) as exc:
            raise ServiceUnavailable(f"replica {target.replica} is not answering: {exc}") from None
        if status != 200:
            raise ServiceUnavailable(f"replica {target.replica} answered {status} to /metrics")
        return body

    async def replica_metrics(self, deployment: str, replica: str) -> bytes:
        """For Prometheus: one replica's exposition, as the replica wrote it."""
        for target in self.targets(deployment):
            if target.replica == replica:
                return await self.scrape(target)
        raise NotFound(f"no ready replica {replica!r} of {deployment!r}")

    async def sample(self, deployment: str | None = None) -> None:
        """Scrape every ready replica (of one deployment, or all) once."""
        targets = self.targets(deployment)
        bodies = await asyncio.gather(*(self.scrape(t) for t in targets), return_exceptions=True)
        now, wall = time.monotonic(), time.time()
        for target, body in zip(targets, bodies, strict=True):
            if isinstance(body, BaseException):
                continue  # stopping or restarting: the next round will tell
            sample = parse(body.decode("utf-8", "replace"), now, target.replica, target.release)
            self._samples.setdefault(target.deployment, deque(maxlen=self._keep)).append(sample)
            self._first_seen.setdefault(target.deployment, {}).setdefault(target.replica, now)
            self._sampled_at[target.deployment] = wall
        if deployment is None:
            await self._observe_replicas({t.deployment: t for t in targets})

    async def stats(self, deployment: str, window: float) -> StatsRead:
        """Requests, errors, latency and per-replica usage over the last `window` seconds."""
        if time.time() - self._sampled_at.get(deployment, 0) > FRESH_SECONDS:
            await self.sample(deployment)
        end = time.monotonic()
        samples = list(self._samples.get(deployment, ()))
        first_seen = self._first_seen.get(deployment, {})
        total = summarize(samples, end - window, end, first_seen)
        status = (await self.runtime.observe()).get(deployment)
        step, wall_end = window / POINTS, time.time()
        points = [
            _point(
                summarize(samples, end - window + i * step, end - window + (i + 1) * step, first_seen),
                wall_end - window + (i + 1) * step,
            )
            for i in range(POINTS)
        ]
        sampled = self._sampled_at.get(deployment)
        return StatsRead(
            deployment=deployment,
            window_seconds=window,
            requests=round(total.requests),
            rate=total.rate,
            errors=round(total.errors),
            client_errors=round(total.client_errors),
            server_errors=round(total.server_errors),
            latency_ms=Latency(
                **{k: None if v is None else v * 1000 for k, v in total.latency_seconds.items()}
            ),
            ready_replicas=status.ready_replicas if status else 0,
            desired_replicas=status.desired_replicas if status else 0,
            replicas=[
                ReplicaUsage(
                    replica=r.replica,
                    release=r.release,
                    requests=round(r.requests),
                    cpu_cores=r.cpu_cores,
                    memory_bytes=round(r.memory_bytes),
                )
                for r in total.replicas
            ],
            points=points,
            sampled_at=datetime.fromtimestamp(sampled, UTC) if sampled else None,
        )

    def forget(self, deployment: str) -> None:
        self._samples.pop(deployment, None)
        self._first_seen.pop(deployment, None)
        self._sampled_at.pop(deployment, None)
        self.metrics.forget(deployment)

    async def _observe_replicas(self, ready: dict[str, ReplicaTarget]) -> None:
        """Replica gauges by state; forget what the runtime no longer runs."""
        observed = await self.runtime.observe()
        for name in (self._known | set(self._samples)) - set(observed):
            self.forget(name)
        self._known = set(observed)
        for name, status in observed.items():
            states: dict[str, int] = {}
            for replica in status.replicas:
                state = str(replica.get("state", "unknown"))
                states[state] = states.get(state, 0) + 1
            self.metrics.set_replicas(name, status.desired_replicas, states)
            self.metrics.gateway.keep_upstreams(name, {t.replica for t in self.targets(name)})
        horizon = time.monotonic() - self.retention
        for samples in self._samples.values():
            while samples and samples[0].at < horizon:
                samples.popleft()

    async def _loop(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception:  # keep sampling; one bad round must not stop the stats
                log.exception("sampling replica metrics failed")
            await asyncio.sleep(self.interval)  # a period, not a synchronisation


def _point(part: Summary, at: float) -> StatsPoint:
    p95 = part.latency_seconds.get("p95")
    return StatsPoint(
        time=datetime.fromtimestamp(at, UTC),
        requests=round(part.requests),
        errors=round(part.errors),
        p95_ms=None if p95 is None else p95 * 1000,
    )
