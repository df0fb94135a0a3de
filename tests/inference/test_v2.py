"""The Open Inference Protocol (V2) REST endpoints, in process."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.inference.conftest import client_for, start_app
from tests.inference.models import FEATURES, IRIS_ROWS, iris_estimator

EXPECTED = iris_estimator()
X = np.array(IRIS_ROWS)


def tensor(data: object, shape: list[int], datatype: str = "FP32", name: str = "x") -> dict:
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


async def test_health_and_metadata(iris: httpx.AsyncClient) -> None:
    assert (await iris.get("/v2/health/live")).status_code == 200
    assert (await iris.get("/v2/health/ready")).json()["ready"] is True
    assert (await iris.get("/v2/models/iris/ready")).json() == {"name": "iris", "ready": True}
    meta = (await iris.get("/v2/models/iris")).json()
    assert meta["name"] == "iris" and meta["platform"] == "sklearn"
    assert meta["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
    assert {"name": "predict", "datatype": "INT64", "shape": [-1]} in meta["outputs"]
    assert {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]} in meta["outputs"]
    assert (await iris.get("/v2/models/other")).status_code == 404


@pytest.mark.parametrize("data", [X.ravel().tolist(), X.tolist()])
@pytest.mark.parametrize("datatype", ["FP32", "FP64"])
async def test_infer_flat_or_nested(iris: httpx.AsyncClient, data: list, datatype: str) -> None:
    body = {"id": "42", "inputs": [tensor(data, [3, 4], datatype)]}
    r = await iris.post("/v2/models/iris/infer", json=body)
    assert r.status_code == 200
    out = r.json()
    assert out["model_name"] == "iris" and out["id"] == "42"
    assert out["outputs"] == [
        {"name": "predict", "shape": [3], "datatype": "INT64", "data": EXPECTED.predict(X).tolist()}
    ]


async def test_infer_requested_outputs_and_versions_path(iris: httpx.AsyncClient) -> None:
    body = {
        "inputs": [tensor([1, 2, 3, 4], [1, 4], "INT64")],
        "outputs": [{"name": "predict_proba"}, {"name": "predict"}],
    }
    r = await iris.post("/v2/models/iris/versions/1/infer", json=body)
    proba, label = r.json()["outputs"]
    assert proba["name"] == "predict_proba" and proba["shape"] == [1, 3]
    assert proba["data"] == EXPECTED.predict_proba([[1.0, 2.0, 3.0, 4.0]]).ravel().tolist()
    assert label["data"] == EXPECTED.predict([[1.0, 2.0, 3.0, 4.0]]).tolist()


async def test_infer_one_column_per_input(frame_artifact: Path) -> None:
    app = await start_app(frame_artifact, name="frame")
    inputs = [tensor(X[:, i].tolist(), [3], "FP64", name) for i, name in enumerate(FEATURES)]
    async with client_for(app) as client:
        r = await client.post("/v2/models/frame/infer", json={"inputs": inputs[::-1]})
        rows = await client.post("/predict", json={"data": IRIS_ROWS})
    assert r.json()["outputs"][0]["data"] == rows.json()["predictions"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"inputs": []}, 'body needs "inputs"'),
        ({"inputs": [tensor([1, 2, 3], [1, 4])]}, "needs 4 values, got 3"),
        ({"inputs": [tensor([1, 2, 3], [1, 3])]}, "expected 4 features, got 3"),
        ({"inputs": [tensor([1, 2, 3, 4], [1, 4], "FP128")]}, "unsupported datatype"),
        ({"inputs": [tensor(["a", "b", "c", "d"], [1, 4], "FP32")]}, "non-numeric"),
        ({"inputs": [tensor([[1, 2], [3]], [1, 4])]}, "ragged"),
        ({"inputs": [tensor([1, 2, 3, 4], [1, 4])], "outputs": [{"name": "nope"}]}, "unknown method 'nope'"),
    ],
)
async def test_infer_errors(iris: httpx.AsyncClient, body: dict, message: str) -> None:
    r = await iris.post("/v2/models/iris/infer", json=body)
    assert r.status_code == 422
    assert message in r.json()["error"] and r.json()["error"] == r.json()["detail"]
