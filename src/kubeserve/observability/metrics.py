"""The control plane's own Prometheus metrics, served at `GET /metrics` (scrape token).

Label values are bounded: routes are templates (`/api/v1/deployments/{deployment_id}`),
deployments are the ones that exist (a deleted deployment's series are removed), replicas
the ones that run. The gateway's per-request series use `GatewaySeries`, a collector
without locks (the event loop is one thread), because prometheus_client's Histogram costs
~1.5 us an observation, a few percent of a gateway hop.
"""

from __future__ import annotations

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

from kubeserve.observability.series import GatewaySeries

disable_created_metrics()  # `_created` series double the output and no dashboard reads them

HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
BUILD_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
RECONCILE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5)


class ControlPlaneMetrics:
    """Every control-plane series, in one registry built by the app's lifespan."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.http_requests = Counter(
            "kubeserve_http_requests",
            "API requests (not predictions) by method, route template and status code",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "kubeserve_http_request_duration_seconds",
            "Time to answer an API request (not predictions), in seconds",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.gateway = GatewaySeries()
        r.register(self.gateway)
        self.builds = Counter(
            "kubeserve_builds", "Model version builds finished, by outcome", ["outcome"], registry=r
        )
        self.build_duration = Histogram(
            "kubeserve_build_duration_seconds",
            "Time a build took (install, load, check), in seconds",
            ["outcome"],
            buckets=BUILD_BUCKETS,
            registry=r,
        )
        self.reconcile_passes = Counter(
            "kubeserve_reconciler_passes", "Reconciler passes over the deployments", registry=r
        )
        self.reconcile_errors = Counter(
            "kubeserve_reconciler_errors", "Reconciler passes that failed", registry=r
        )
        self.reconcile_duration = Histogram(
            "kubeserve_reconciler_pass_duration_seconds",
            "Time one reconciler pass took, in seconds",
            buckets=RECONCILE_BUCKETS,
            registry=r,
        )
        self.replicas = Gauge(
            "kubeserve_replicas",
            "Replicas of each deployment by state (starting, ready, backoff, failed, ...)",
            ["deployment", "state"],
            registry=r,
        )
        self.desired_replicas = Gauge(
            "kubeserve_desired_replicas", "Replicas each deployment should have", ["deployment"], registry=r
        )
        ProcessCollector(registry=r)

    def set_replicas(self, deployment: str, desired: int, states: dict[str, int]) -> None:
        """The latest observation of one deployment's replicas (states absent now read 0)."""
        self.desired_replicas.labels(deployment).set(desired)
        for state in set(states) | self._states(deployment):
            self.replicas.labels(deployment, state).set(states.get(state, 0))

    def forget(self, deployment: str) -> None:
        """A deleted deployment: drop every series labelled with it."""
        self.gateway.forget(deployment)
        for state in self._states(deployment):
            self.replicas.remove(deployment, state)
        if (deployment,) in self._label_sets(self.desired_replicas):
            self.desired_replicas.remove(deployment)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def _states(self, deployment: str) -> set[str]:
        return {state for name, state in self._label_sets(self.replicas) if name == deployment}

    @staticmethod
    def _label_sets(metric: Gauge) -> set[tuple[str, ...]]:
        return {tuple(k) for k in metric._metrics}  # prometheus_client keeps children by label values
