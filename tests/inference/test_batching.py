"""Adaptive batching: batched answers equal unbatched ones, bad requests fail alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from kubeserve.inference.batching import AdaptiveBatcher
from kubeserve.inference.codec import Payload
from kubeserve.inference.merge import run_batch
from tests.inference.conftest import client_for, metric, start_app
from tests.inference.models import iris_estimator


async def test_concurrent_answers_equal_unbatched(iris_artifact: Path, tmp_path: Path) -> None:
    app = await start_app(iris_artifact, max_batch_size=16, work_dir=tmp_path)
    rows = np.random.default_rng(0).uniform(0, 8, size=(200, 4)).round(3)
    model = iris_estimator()
    async with client_for(app) as client:
        for method in ("predict", "predict_proba"):
            bodies = [{"data": [r.tolist()], "method": method} for r in rows]
            answers = await asyncio.gather(*(client.post("/predict", json=b) for b in bodies))
            batched = [a.json()["predictions"][0] for a in answers]
            alone = [getattr(model, method)(r.reshape(1, -1))[0].tolist() for r in rows]
            assert batched == alone  # exactly, not approximately
        text = (await client.get("/metrics")).text
    batches = metric(text, "kubeserve_prediction_batch_requests_count")
    assert batches < 400, "concurrent requests were never merged"
    assert metric(text, "kubeserve_prediction_batch_requests_sum") == 400


async def test_a_bad_request_never_spoils_its_batch(frame_artifact: Path, tmp_path: Path) -> None:
    app = await start_app(frame_artifact, work_dir=tmp_path)
    good = {"data": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}]}
    bad = {"data": [{**good["data"][0], "petal_width": "wide"}]}  # passes decoding, not predict
    async with client_for(app) as client:
        answers = await asyncio.gather(
            *(client.post("/predict", json=b) for b in [good, bad, good, bad, good])
        )
    assert [a.status_code for a in answers] == [200, 422, 200, 422, 200]
    assert "the model rejected the input" in answers[1].json()["detail"]


def test_run_batch_splits_rows_back() -> None:
    model = iris_estimator()
    parts = [np.array([[5.1, 3.5, 1.4, 0.2]]), np.array([[6.2, 2.9, 4.3, 1.3], [7.7, 3, 6.1, 2.3]])]
    outcomes = run_batch(
        lambda x, m: getattr(model, m)(x), "predict", [Payload(p, len(p), "array") for p in parts]
    )
    assert [o.result().tolist() for o in outcomes] == [model.predict(p).tolist() for p in parts]


async def test_alone_never_waits_and_together_merge() -> None:
    sizes: list[int] = []
    batcher = AdaptiveBatcher(
        lambda x, m: x.sum(axis=1),
        max_batch_size=64,
        max_wait=30.0,
        inline=False,
        arriving=lambda: 0,
        on_batch=sizes.append,
        exact=frozenset({"predict"}),
    )
    one = Payload(np.ones((1, 3)), 1, "array")
    alone = await asyncio.wait_for(batcher.submit(one, "predict"), 5)  # max_wait is 30 s
    assert alone.tolist() == [3.0]
    rows = [Payload(np.full((1, 3), float(i)), 1, "array") for i in range(5)]
    together = await asyncio.gather(*(batcher.submit(p, "predict") for p in rows))
    assert [t.tolist() for t in together] == [[0.0], [3.0], [6.0], [9.0], [12.0]]
    assert sizes == [1, 5]
    batcher.close()
