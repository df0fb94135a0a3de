"""Per-deployment stats without Prometheus: samples of each replica's /metrics, kept in memory.

A `Sample` is what one scrape of one replica says (counters since the process started);
`summarize` turns the samples of a window into requests, rate, errors, latency quantiles
and per-replica CPU and memory, computing increases as Prometheus does (a counter that went
down means the process restarted: its new value is the increase).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

OUTCOMES = ("ok", "client_error", "server_error")
LATENCY = "kubeserve_prediction_duration_seconds_bucket"


@dataclass(frozen=True)
class Sample:
    """One scrape of one replica at `at` (monotonic seconds)."""

    at: float
    replica: str
    release: int
    outcomes: dict[str, float]  # kubeserve_predictions_total by outcome
    buckets: tuple[tuple[float, float], ...]  # (le, cumulative count), +Inf last
    cpu_seconds: float
    rss_bytes: float


def parse(text: str, at: float, replica: str, release: int) -> Sample:
    """Read the few series the stats need from a replica's exposition (text format)."""
    outcomes: dict[str, float] = {}
    buckets: list[tuple[float, float]] = []
    cpu = rss = 0.0
    for line in text.splitlines():
        if not line.startswith(("kubeserve_predictions_total", LATENCY, "process_")):
            continue
        series, _, value = line.rpartition(" ")
        if series.startswith("kubeserve_predictions_total{"):
            outcomes[_label(series, "outcome")] = float(value)
        elif series.startswith(LATENCY + "{"):
            buckets.append((float(_label(series, "le")), float(value)))
        elif series == "process_cpu_seconds_total":
            cpu = float(value)
        elif series == "process_resident_memory_bytes":
            rss = float(value)
    buckets.sort()
    return Sample(at, replica, release, outcomes, tuple(buckets), cpu, rss)


def _label(series: str, name: str) -> str:
    start = series.index(f'{name}="') + len(name) + 2
    return series[start : series.index('"', start)]


@dataclass
class ReplicaStats:
    replica: str
    release: int
    requests: float
    cpu_cores: float  # average CPU use over the window, in cores
    memory_bytes: float  # resident memory at the latest sample


@dataclass
class Summary:
    window_seconds: float
    requests: float = 0
    client_errors: float = 0
    server_errors: float = 0
    latency_seconds: dict[str, float | None] = field(default_factory=dict)
    replicas: list[ReplicaStats] = field(default_factory=list)

    @property
    def errors(self) -> float:
        return self.client_errors + self.server_errors

    @property
    def rate(self) -> float:
        return self.requests / self.window_seconds if self.window_seconds > 0 else 0.0


def increase(values: Sequence[float], from_zero: bool) -> float:
    """How much a counter grew over consecutive samples (from 0 if it started in the window)."""
    total = values[0] if from_zero and values else 0.0
    for before, after in zip(values, values[1:], strict=False):
        total += after - before if after >= before else after
    return total


def quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """histogram_quantile over cumulative (le, count) buckets; None without observations."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank, lower, below = q * buckets[-1][1], 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower  # in the open bucket: the highest finite bound, as Prometheus does
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def summarize(samples: Iterable[Sample], start: float, end: float, first_seen: dict[str, float]) -> Summary:
    """Stats over [start, end] from every replica's samples (oldest first).

    A replica's first sample counts from zero when the replica was first seen inside the
    window (it started then); otherwise its last sample before `start` is the baseline.
    """
    per_replica: dict[str, list[Sample]] = {}
    for sample in samples:
        runs = per_replica.setdefault(sample.replica, [])
        if sample.at < start:
            runs[:] = [sample]  # keep only the latest sample before the window: the baseline
        elif sample.at <= end:
            runs.append(sample)
    summary = Summary(window_seconds=end - start)
    buckets: dict[float, float] = {}
    for replica, runs in per_replica.items():
        if not runs or runs[-1].at < start:
            continue  # nothing inside the window: gone before it
        from_zero = first_seen.get(replica, start) >= start and runs[0].at >= start
        outcomes = {o: increase([s.outcomes.get(o, 0.0) for s in runs], from_zero) for o in OUTCOMES}
        summary.requests += sum(outcomes.values())
        summary.client_errors += outcomes["client_error"]
        summary.server_errors += outcomes["server_error"]
        for i, (bound, _) in enumerate(runs[-1].buckets):
            series = [s.buckets[i][1] if i < len(s.buckets) else 0.0 for s in runs]
            buckets[bound] = buckets.get(bound, 0.0) + increase(series, from_zero)
        span = runs[-1].at - runs[0].at
        cpu = increase([s.cpu_seconds for s in runs], False) / span if span > 0 else 0.0
        summary.replicas.append(
            ReplicaStats(replica, runs[-1].release, sum(outcomes.values()), cpu, runs[-1].rss_bytes)
        )
    merged = sorted(buckets.items())
    summary.latency_seconds = {
        name: quantile(q, merged) for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    }
    return summary
