"""A real Prometheus scrapes a live deployment under traffic, fed by the discovery endpoint:
every panel of every dashboard returns data, both exporters pass `promtool check metrics`,
the stats API agrees with the requests made, and every request shows in the request log."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.journey import owner_with_ready_model, wait_deployment
from tests.fixtures.control_plane import Api, ControlPlane, poll
from tests.observability.prometheus import Prometheus
from tests.observability.promtool import assert_promtool_clean

pytestmark = pytest.mark.slow
DASHBOARDS = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"
SCRAPE_TOKEN = "scrape-token-for-the-test-0123456789"
GOOD, BAD = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], [[1.0, 2.0]]
RATE_INTERVAL = "30s"


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    """On SQLite only: nothing here depends on the database (the API suites run on both)."""
    plane = ControlPlane(
        tmp_path / "data",
        f"sqlite+aiosqlite:///{tmp_path / 'kubeserve.db'}",
        KUBESERVE_SCRAPE_TOKEN=SCRAPE_TOKEN,
        KUBESERVE_STATS_INTERVAL_SECONDS="1",
    )
    plane.start()
    yield plane
    plane.stop()


@pytest.fixture
def prometheus(tmp_path: Path, plane: ControlPlane) -> Iterator[Prometheus]:
    server = Prometheus(tmp_path / "prometheus", plane.url, SCRAPE_TOKEN)
    yield server
    server.stop()


class Traffic:
    """Predictions through the gateway, counted: `good` answered 200, `bad` refused 422."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.http = httpx.Client(headers=headers, timeout=30)
        self.url, self.good, self.bad = url, 0, 0

    def send(self, rounds: int) -> None:
        for _ in range(rounds):
            assert self.http.post(self.url, json={"data": GOOD}).status_code == 200
            self.good += 1
            assert self.http.post(self.url, json={"data": BAD}).status_code == 422
            self.bad += 1


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL) of every panel target of every dashboard."""
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets") or []:
                found.append((path.stem, panel["title"], target["expr"]))
    return found


def values(result: list[dict[str, Any]]) -> list[float]:
    return [float(r["value"][1]) for r in result if not math.isnan(float(r["value"][1]))]


def test_prometheus_dashboards_stats_and_request_logs(
    plane: ControlPlane, prometheus: Prometheus, iris_model: Path, iris_requirements: Path
) -> None:
    owner, _, version = owner_with_ready_model(
        plane, "watched@example.com", "iris", iris_model, iris_requirements
    )
    deployment = owner.call("POST", "/deployments", 201, json={"version_id": version["id"], "replicas": 2})
    name = deployment["name"]
    wait_deployment(owner, deployment["id"], "2 ready replicas", lambda d: d["ready_replicas"] == 2)
    traffic = Traffic(deployment["url"], dict(owner.http.headers))
    traffic.send(10)

    # Discovery: the control plane and both replicas, every credential the scrape token.
    scrape = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}
    assert httpx.get(f"{plane.url}/metrics/targets").status_code == 401
    assert httpx.get(f"{plane.url}/metrics/targets", headers=dict(owner.http.headers)).status_code == 401
    groups = httpx.get(f"{plane.url}/metrics/targets", headers=scrape).json()
    replicas = [g["labels"] for g in groups if g["labels"].get("component") == "replica"]
    assert len(replicas) == 2 and {r["deployment"] for r in replicas} == {name}
    assert {r["model"] for r in replicas} == {"iris"} and {r["version"] for r in replicas} == {"v1"}
    assert all(g["targets"] == [plane.url.removeprefix("http://")] for g in groups)
    replica_path = replicas[0]["__metrics_path__"]
    assert httpx.get(f"{plane.url}{replica_path}").status_code == 401

    # promtool on each exporter: the control plane's own and a replica's, as re-exposed.
    for path in ("/metrics", replica_path):
        answer = httpx.get(f"{plane.url}{path}", headers=scrape)
        assert answer.status_code == 200
        assert_promtool_clean(answer.text)

    try:
        poll(lambda: [t["health"] for t in prometheus.targets()] == ["up"] * 3, 60, "3 targets up")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {prometheus}") from None
    rendered: dict[str, list[float]] = {}
    for board, title, expr in panel_queries():
        query = expr.replace("$deployment", name).replace("$__rate_interval", RATE_INTERVAL)

        def answered(query: str = query) -> list[float]:
            traffic.send(1)  # keep traffic flowing while rates fill in
            return values(prometheus.query(query))

        rendered[f"{board} / {title}: {query}"] = poll(answered, 60, f"data for {board} / {title}: {query}")
    report = Path(plane.data_dir).parent / "dashboard-queries.txt"
    report.write_text("\n".join(f"{k} -> {v}" for k, v in rendered.items()) + "\n")
    print(report.read_text())

    rate = prometheus.query(f'sum(rate(kubeserve_predictions_total{{deployment="{name}"}}[{RATE_INTERVAL}]))')
    assert values(rate)[0] > 0

    # Stats from the control plane alone agree with what was sent, exactly.
    stats = poll(
        lambda: (
            (s := owner.call("GET", f"/deployments/{deployment['id']}/stats", params={"window": "10m"}))
            and s["requests"] == traffic.good + traffic.bad
            and s
        ),
        30,
        "the stats to count every request",
    )
    assert stats["errors"] == stats["client_errors"] == traffic.bad and stats["server_errors"] == 0
    assert stats["ready_replicas"] == 2 and len(stats["replicas"]) == 2
    assert sum(r["requests"] for r in stats["replicas"]) == traffic.good + traffic.bad
    assert all(r["memory_bytes"] > 10 * 2**20 and r["cpu_cores"] >= 0 for r in stats["replicas"])
    assert 0 < stats["latency_ms"]["p50"] <= stats["latency_ms"]["p95"] <= stats["latency_ms"]["p99"]
    assert sum(p["requests"] for p in stats["points"]) == stats["requests"]
    owner.call("GET", f"/deployments/{deployment['id']}/stats", 422, params={"window": "ten minutes"})
    owner.call("GET", f"/deployments/{deployment['id']}/stats", 422, params={"window": "99h"})
    stranger = Api.register(plane.url, "stranger@example.com")
    stranger.call("GET", f"/deployments/{deployment['id']}/stats", 404)

    # One request-log entry per prediction, in order, never the payload.
    logs = poll(
        lambda: (
            (page := owner.call("GET", f"/deployments/{deployment['id']}/logs", params={"tail": 5000}))
            and len(page["requests"]) == traffic.good + traffic.bad
            and page
        ),
        10,
        "every request in the request log",
    )
    statuses = [e["status"] for e in logs["requests"]]
    assert statuses.count(200) == traffic.good and statuses.count(422) == traffic.bad
    first = logs["requests"][0]
    assert (first["deployment"], first["release"], first["method"], first["caller"]) == (
        name,
        1,
        "POST",
        "owner",
    )
    assert first["replica"] in {r["replica"] for r in replicas} and first["rows"] == len(GOOD)
    keys = {"cursor", "time", "deployment", "release", "replica", "method", "path", "status"}
    assert all(set(e) == keys | {"latency_ms", "rows", "caller"} for e in logs["requests"])  # no payload
    traffic.send(1)
    newer = poll(
        lambda: owner.call("GET", f"/deployments/{deployment['id']}/logs", params={"since": logs["cursor"]})[
            "requests"
        ],
        10,
        "the requests after the cursor",
    )
    assert [e["status"] for e in newer] == [200, 422]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", newer[0]["time"])
