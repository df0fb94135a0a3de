"""Prometheus metrics of one model server (all its worker processes when there are several)."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS_MS = (0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """`prediction_latency_ms`, `predictions_total{status}`, `prediction_batch_size`,
    `requests_in_flight`, each labelled with the model name.

    With several workers (PROMETHEUS_MULTIPROC_DIR set) every worker writes its samples to
    that directory and any worker renders the sum.
    """

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, model: str) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.latency = Histogram(
            "prediction_latency_ms",
            "Time to answer a prediction request",
            ["model"],
            buckets=LATENCY_BUCKETS_MS,
            registry=r,
        ).labels(model)
        self._predictions = Counter(
            "predictions_total", "Prediction requests by outcome", ["model", "status"], registry=r
        )
        self.batch_size = Histogram(
            "prediction_batch_size",
            "Requests merged into one predict",
            ["model"],
            buckets=BATCH_BUCKETS,
            registry=r,
        ).labels(model)
        self.in_flight = Gauge(
            "requests_in_flight",
            "Prediction requests being handled",
            ["model"],
            registry=r,
            multiprocess_mode="livesum",
        ).labels(model)
        # Bound children: the hot path does no label lookups.
        self.by_status = {
            s: self._predictions.labels(model, s) for s in ("ok", "client_error", "server_error")
        }

    def observe(self, status: str, latency_ms: float) -> None:
        self.by_status[status].inc()
        self.latency.observe(latency_ms)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
