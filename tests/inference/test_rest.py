"""POST /predict, health, readiness and metrics, in process (httpx on the ASGI app)."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from kubeserve.inference.rest import ModelServerApp
from tests.inference.conftest import client_for, metric, start_app
from tests.inference.models import FEATURES, IRIS_ROWS, iris_estimator

EXPECTED = iris_estimator()


async def test_predict_rows(iris: httpx.AsyncClient) -> None:
    r = await iris.post("/predict", json={"data": IRIS_ROWS})
    assert r.status_code == 200
    assert r.json() == {"predictions": EXPECTED.predict(np.array(IRIS_ROWS)).tolist()}


@pytest.mark.parametrize("body", [{"data": IRIS_ROWS[0]}, {"instances": [IRIS_ROWS[0]]}, [IRIS_ROWS[0]]])
async def test_predict_single_row_and_instances(iris: httpx.AsyncClient, body: object) -> None:
    r = await iris.post("/predict", json=body)
    assert r.json() == {"predictions": EXPECTED.predict(np.array([IRIS_ROWS[0]])).tolist()}


async def test_predict_proba(iris: httpx.AsyncClient) -> None:
    r = await iris.post("/predict", json={"data": IRIS_ROWS, "method": "predict_proba"})
    assert r.json()["predictions"] == EXPECTED.predict_proba(np.array(IRIS_ROWS)).tolist()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"data": [[1, 2, 3]]}, 422, "expected 4 features, got 3"),
        ({"data": [[1, 2, 3, 4], [1, 2, 3]]}, 422, "same length"),
        ({"data": [[1, 2, "x", 4]]}, 422, "non-numeric value 'x' in row 0"),
        ({"data": [[1, 2, {"a": 1}, 4]]}, 422, "non-numeric"),
        ({"data": [[1, None, 3, 4]]}, 422, "null values are not supported"),
        ({"data": []}, 422, "data is empty"),
        ({"data": "rows"}, 422, "data must be a list of rows"),
        ({"rows": []}, 422, 'body needs "data"'),
        ({"data": [[1, 2, 3, 4]], "method": "fit"}, 422, "unknown method 'fit'"),
        ({"data": [{"a": 1}]}, 422, "trained without feature names"),
    ],
)
async def test_bad_input_names_the_problem(
    iris: httpx.AsyncClient, body: object, status: int, message: str
) -> None:
    r = await iris.post("/predict", json=body)
    assert r.status_code == status
    assert message in r.json()["detail"]


async def test_malformed_json_and_empty_body(iris: httpx.AsyncClient) -> None:
    r = await iris.post("/predict", content=b'{"data": [[1,2,')
    assert r.status_code == 400 and r.json()["detail"].startswith("malformed JSON")
    r = await iris.post("/predict", content=b"")
    assert r.status_code == 400 and "empty body" in r.json()["detail"]


async def test_body_over_limit_is_413(iris: httpx.AsyncClient) -> None:
    r = await iris.post("/predict", json={"data": [[1.0, 2.0, 3.0, 4.0]] * 500})
    assert r.status_code == 413 and "4096-byte limit" in r.json()["detail"]

    async def chunks():  # no Content-Length: the limit applies while streaming
        for _ in range(10):
            yield b" " * 1000

    r = await iris.post("/predict", content=chunks())
    assert r.status_code == 413


async def test_unknown_route_and_method(iris: httpx.AsyncClient) -> None:
    assert (await iris.get("/nope")).status_code == 404
    assert (await iris.get("/predict")).status_code == 405


async def test_health_ready_metrics(iris: httpx.AsyncClient) -> None:
    assert (await iris.get("/health")).json()["status"] == "alive"
    assert (await iris.get("/ready")).json()["status"] == "ready"
    ok, client_error = (
        'kubeserve_predictions_total{outcome="ok"}',
        'kubeserve_predictions_total{outcome="client_error"}',
    )
    before = (await iris.get("/metrics")).text
    answer = await iris.post("/predict", json={"data": IRIS_ROWS})
    await iris.post("/predict", json={"data": [[1]]})
    text = (await iris.get("/metrics")).text
    # The labelled series exist from start-up on (at 0): only the counts show requests were seen.
    assert metric(text, ok) == metric(before, ok) + 1
    assert metric(text, client_error) == metric(before, client_error) + 1
    count = "kubeserve_prediction_duration_seconds_count"
    assert metric(text, count) == metric(before, count) + 2
    rows = "kubeserve_prediction_rows_sum"
    assert metric(text, rows) == metric(before, rows) + len(IRIS_ROWS)  # the refused request had none
    assert answer.headers["x-kubeserve-rows"] == str(len(IRIS_ROWS))
    for line in (
        "kubeserve_prediction_duration_seconds_bucket",
        "kubeserve_prediction_batch_requests_bucket",
        "kubeserve_predictions_in_flight 0.0",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ):
        assert line in text


async def test_records_for_a_model_with_feature_names(frame_artifact: Path) -> None:
    app = await start_app(frame_artifact)
    records = [dict(zip(FEATURES, row, strict=True)) for row in IRIS_ROWS]
    async with client_for(app) as client:
        r = await client.post("/predict", json={"data": records})
        assert r.status_code == 200
        rows = await client.post("/predict", json={"data": IRIS_ROWS})
        assert r.json() == rows.json()
        bad = await client.post("/predict", json={"data": [{"sepal_length": 1}]})
        assert bad.status_code == 422 and "missing features" in bad.json()["detail"]


async def test_gateway_token(iris_artifact: Path, tmp_path: Path) -> None:
    app: ModelServerApp = await start_app(iris_artifact, gateway_token="s3cret", work_dir=tmp_path)
    async with client_for(app) as client:
        for path in ("/health", "/ready"):  # open: the kubelet's probes carry no secret
            assert (await client.get(path)).status_code == 200
        for path in ("/metrics", "/v2/health/ready"):
            assert (await client.get(path)).status_code == 403
        r = await client.post("/predict", json={"data": IRIS_ROWS})
        assert r.status_code == 403 and "X-KubeServe-Token" in r.json()["detail"]
        wrong = await client.post("/predict", json={"data": IRIS_ROWS}, headers={"X-KubeServe-Token": "nope"})
        assert wrong.status_code == 403
        ok = await client.post("/predict", json={"data": IRIS_ROWS}, headers={"X-KubeServe-Token": "s3cret"})
        assert ok.status_code == 200
        bearer = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert bearer.status_code == 200


async def test_metrics_token_reads_metrics_only(iris_artifact: Path, tmp_path: Path) -> None:
    """Prometheus' own credential opens /metrics and nothing else; the gateway's still works."""
    app = await start_app(iris_artifact, gateway_token="g4te", metrics_token="m3trics", work_dir=tmp_path)
    scraper = {"Authorization": "Bearer m3trics"}
    async with client_for(app) as client:
        assert (await client.get("/metrics", headers=scraper)).status_code == 200
        assert (await client.post("/predict", json={"data": IRIS_ROWS}, headers=scraper)).status_code == 403
        assert (await client.get("/v2/health/ready", headers=scraper)).status_code == 403
        assert (await client.get("/metrics", headers={"Authorization": "Bearer g4te"})).status_code == 200
        assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 403
