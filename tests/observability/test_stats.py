"""Stats arithmetic: counter increases across restarts, histogram quantiles, windows."""

from __future__ import annotations

import math

import pytest

from kubeserve.inference.metrics import Metrics
from kubeserve.observability.stats import Sample, increase, parse, quantile, summarize

INF = math.inf


def sample(at: float, ok: float, bad: float = 0, replica: str = "r1-1", cpu: float = 0.0) -> Sample:
    buckets = ((0.001, ok), (0.01, ok + bad), (INF, ok + bad))
    return Sample(at, replica, 1, {"ok": ok, "client_error": bad}, buckets, cpu, 1e8)


def test_parse_reads_a_real_model_server_exposition() -> None:
    metrics = Metrics()
    for seconds in (0.0004, 0.002, 0.002):
        metrics.observe("ok", seconds, 1)
    metrics.observe("client_error", 0.0001, 0)
    got = parse(metrics.render().decode(), at=5.0, replica="r2-1", release=2)
    assert got.outcomes == {"ok": 3, "client_error": 1, "server_error": 0}
    assert dict(got.buckets)[0.0005] == 2 and dict(got.buckets)[0.0025] == 4 and got.buckets[-1] == (INF, 4)
    assert got.rss_bytes > 0 and got.cpu_seconds > 0 and (got.replica, got.release) == ("r2-1", 2)


def test_increase_counts_a_restart_as_a_fresh_counter() -> None:
    assert increase([5, 9, 12], from_zero=False) == 7
    assert increase([5, 9, 12], from_zero=True) == 12
    assert increase([5, 9, 2, 4], from_zero=False) == 4 + 2 + 2  # reset to 0 after 9, then 2 and 4


def test_quantile_interpolates_like_prometheus() -> None:
    buckets = [(0.001, 50.0), (0.01, 100.0), (INF, 100.0)]
    assert quantile(0.5, buckets) == pytest.approx(0.001)
    assert quantile(0.75, buckets) == pytest.approx(0.0055)
    assert quantile(0.99, [(0.001, 1.0), (INF, 2.0)]) == 0.001  # open bucket: highest finite bound
    assert quantile(0.5, [(0.001, 0.0), (INF, 0.0)]) is None


def test_summary_of_a_window() -> None:
    samples = [
        sample(0, ok=100),  # before the window: the baseline of r1-1
        sample(10, ok=130, bad=2, cpu=1.0),
        sample(20, ok=160, bad=4, cpu=3.0),
        sample(15, ok=7, replica="r1-2"),  # started inside the window: counts from zero
        sample(20, ok=10, replica="r1-2"),
    ]
    samples.sort(key=lambda s: s.at)
    got = summarize(samples, start=5, end=25, first_seen={"r1-1": 0, "r1-2": 15})
    assert got.requests == 60 + 4 + 10 and got.client_errors == 4 and got.errors == 4
    assert got.rate == pytest.approx(74 / 20)
    assert got.latency_seconds["p50"] is not None and got.latency_seconds["p50"] <= 0.001
    cpu = {r.replica: r.cpu_cores for r in got.replicas}
    assert cpu["r1-1"] == pytest.approx((3.0 - 0.0) / 20)  # from the baseline at t=0 to t=20
