"""The control plane's /metrics: scrape token, route templates, promtool-clean, gateway series."""

from __future__ import annotations

import httpx

from kubeserve.config import Settings
from kubeserve.observability.series import GatewaySeries
from tests.fixtures.app import Headers
from tests.inference.conftest import metric
from tests.observability.promtool import assert_promtool_clean


def scrape_headers(settings: Settings) -> Headers:
    return {"Authorization": f"Bearer {settings.metrics_token}"}


async def test_metrics_need_the_scrape_token(
    client: httpx.AsyncClient, settings: Settings, user_headers: Headers
) -> None:
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=user_headers)).status_code == 401  # a login is not it
    token_file = settings.data_dir / "scrape_token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert (await client.get("/metrics", headers=scrape_headers(settings))).status_code == 200


async def test_api_requests_by_route_template_and_status(
    client: httpx.AsyncClient, settings: Settings, user_headers: Headers
) -> None:
    for model_id in (101, 102, 103):  # three ids, one route template
        assert (await client.get(f"/api/v1/models/{model_id}", headers=user_headers)).status_code == 404
    await client.request("BREW", "/api/v1/models/7")  # unknown method: no series of its own
    await client.get("/no/such/path/at/all")
    text = (await client.get("/metrics", headers=scrape_headers(settings))).text
    series = 'kubeserve_http_requests_total{method="GET",route="/api/v1/models/{model_id}",status="404"}'
    assert metric(text, series) == 3
    # The unknown path falls under one template (the dashboard's catch-all, or "other").
    others = [
        line
        for line in text.splitlines()
        if line.startswith('kubeserve_http_requests_total{method="GET"') and 'status="404"' in line
    ]
    assert len(others) == 2 and metric(text, 'kubeserve_http_requests_total{method="GET"') >= 4
    assert metric(text, 'kubeserve_http_requests_total{method="other"') == 1
    assert "/no/such/path" not in text and "BREW" not in text
    assert 'kubeserve_http_request_duration_seconds_bucket{le="0.001",method="GET"' in text
    assert_promtool_clean(text)


def test_gateway_series_are_cumulative_and_pruned() -> None:
    series = GatewaySeries()
    for seconds in (0.0004, 0.0004, 0.003, 100.0):
        series.latency("iris-abc", "r1-1", seconds)
    series.latency("iris-abc", "r1-2", 0.02)
    series.request("iris-abc", 200)
    series.request("iris-abc", 200)
    series.request("", 404)
    families = {f.name: f for f in series.collect()}
    buckets = {
        s.labels["le"]: s.value
        for s in families["kubeserve_gateway_request_duration_seconds"].samples
        if s.name.endswith("_bucket") and s.labels["upstream"] == "r1-1"
    }
    assert buckets["0.0005"] == 2 and buckets["0.005"] == 3 and buckets["30.0"] == 3 and buckets["+Inf"] == 4
    requests = {
        (s.labels["deployment"], s.labels["status"]): s.value
        for s in families["kubeserve_gateway_requests"].samples
    }
    assert requests[("iris-abc", "200")] == 2 and requests[("", "404")] == 1
    series.keep_upstreams("iris-abc", {"r1-2"})
    upstreams = {s.labels["upstream"] for f in series.collect() for s in f.samples if "upstream" in s.labels}
    assert upstreams == {"r1-2"}
    series.forget("iris-abc")
    assert all(s.labels["deployment"] != "iris-abc" for f in series.collect() for s in f.samples)
