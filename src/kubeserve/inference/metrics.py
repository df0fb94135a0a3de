"""Prometheus metrics of one model server (all its worker processes when there are several).

Names follow Prometheus' conventions (base units, `_total` counters). What identifies the
server — user, model, version, deployment, release, replica — is not repeated on every
series: Prometheus attaches those as target labels (see the control plane's service
discovery, `kubeserve.observability.discovery`). Renamed in 0.2 (old -> new):

    prediction_latency_ms{model}            -> kubeserve_prediction_duration_seconds
    predictions_total{model,status}         -> kubeserve_predictions_total{outcome}
    prediction_batch_size{model}            -> kubeserve_prediction_batch_requests
    requests_in_flight{model}               -> kubeserve_predictions_in_flight
    (new)                                   -> kubeserve_prediction_rows, process_*
"""

from __future__ import annotations

import os
from contextvars import ContextVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

disable_created_metrics()  # `_created` series double the output and no dashboard reads them

LATENCY_BUCKETS = (0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
ROW_BUCKETS = (1, 2, 5, 10, 50, 100, 1000, 10000)
OUTCOMES = ("ok", "client_error", "server_error")

# Rows of the request being answered: set by the data plane once decoded, read by the HTTP
# layer for the metrics and the `X-KubeServe-Rows` header (each request runs in its own task).
REQUEST_ROWS: ContextVar[int] = ContextVar("kubeserve_request_rows", default=0)


class Metrics:
    """The model server's registry. With several workers (PROMETHEUS_MULTIPROC_DIR set) every
    worker writes its samples to that directory and any worker renders the sum."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.latency = Histogram(
            "kubeserve_prediction_duration_seconds",
            "Time from request to answer of a prediction request, in seconds",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        predictions = Counter(
            "kubeserve_predictions", "Prediction requests answered, by outcome", ["outcome"], registry=r
        )
        self.batch_size = Histogram(
            "kubeserve_prediction_batch_requests",
            "Requests merged into one predict call",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.rows = Histogram(
            "kubeserve_prediction_rows", "Rows in one prediction request", buckets=ROW_BUCKETS, registry=r
        )
        self.in_flight = Gauge(
            "kubeserve_predictions_in_flight",
            "Prediction requests being handled",
            registry=r,
            multiprocess_mode="livesum",
        )
        ProcessCollector(registry=r)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
        # Bound children: the hot path does no label lookups.
        self.by_outcome = {outcome: predictions.labels(outcome) for outcome in OUTCOMES}

    def observe(self, outcome: str, seconds: float, rows: int) -> None:
        self.by_outcome[outcome].inc()
        self.latency.observe(seconds)
        if rows:
            self.rows.observe(rows)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
