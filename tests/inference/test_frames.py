"""A DataFrame pipeline with a string column: every input format answers exactly what the
model answers in process (equal, not close), over /predict and V2, JSON and binary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from kubeserve.inference.model import SklearnModel
from kubeserve.inference.rest import ModelServerApp
from tests.inference.conftest import client_for, start_app
from tests.inference.models import HOUSES, houses_frame, houses_pipeline, make_houses_model
from tests.inference.test_v2 import binary_request, split_binary

FRAME = houses_frame()
NAMES = list(HOUSES)
ROWS = FRAME.to_numpy().tolist()  # [["paris", 1, 20.5], ...] in the fitted order
RECORDS = FRAME.to_dict(orient="records")
SHUFFLED = ["area", "city", "rooms"]
PREDICT = houses_pipeline().predict(FRAME).tolist()
PROBA = houses_pipeline().predict_proba(FRAME).tolist()


@pytest.fixture(scope="module")
def houses_artifact(artifacts: Path) -> Path:
    return make_houses_model(artifacts / "houses.joblib")


@pytest.fixture(scope="module")
async def houses_app(houses_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> ModelServerApp:
    return await start_app(houses_artifact, name="houses", work_dir=tmp_path_factory.mktemp("houses"))


@pytest.fixture
async def houses(houses_app: ModelServerApp) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(houses_app) as client:
        yield client


def test_columns_and_sample_from_the_fitted_pipeline(houses_artifact: Path) -> None:
    model = SklearnModel.load(houses_artifact)
    assert [(c.name, c.datatype) for c in model.columns or []] == [
        ("city", "BYTES"),
        ("rooms", "FP64"),
        ("area", "FP64"),
    ]
    sample = model.sample_input(2)
    assert sample["city"].tolist() == ["lyon", "lyon"]  # a category the encoder knows
    assert model.predict(sample).shape == (2,)
    assert "transform" not in model.methods and "predict_proba" in model.methods


PREDICT_BODIES: dict[str, Any] = {
    "records": {"data": RECORDS},
    "instances records": {"instances": RECORDS},
    "dataframe_records": {"dataframe_records": RECORDS},
    "split": {"columns": NAMES, "data": ROWS},
    "split, other column order": {
        "columns": SHUFFLED,
        "data": FRAME[SHUFFLED].to_numpy().tolist(),
    },
    "dataframe_split": {"dataframe_split": FRAME.to_dict(orient="split")},
    "pandas to_json split": {"dataframe_split": orjson.loads(FRAME.to_json(orient="split", index=False))},
    "rows in the fitted order": {"data": ROWS},
    "bare rows": ROWS,
    "columns": {"data": {n: FRAME[n].tolist() for n in SHUFFLED}},
    "mlflow inputs": {"inputs": RECORDS},
}


@pytest.mark.parametrize("fmt", list(PREDICT_BODIES))
async def test_predict_formats_equal_in_process(houses: httpx.AsyncClient, fmt: str) -> None:
    r = await houses.post("/predict", json=PREDICT_BODIES[fmt])
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": PREDICT}


async def test_predict_method_on_records(houses: httpx.AsyncClient) -> None:
    r = await houses.post("/predict", json={"dataframe_records": RECORDS, "method": "predict_proba"})
    assert r.json() == {"predictions": PROBA}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"data": [{"city": "paris", "rooms": 1}]}, "missing features ['area'], unknown []"),
        ({"data": [{**RECORDS[0], "floor": 2}]}, "missing features [], unknown ['floor']"),
        ({"columns": ["city", "rooms"], "data": [["paris", 1]]}, "missing features ['area']"),
        ({"columns": ["city", "rooms", "area", "x"], "data": [["a", 1, 2, 3]]}, "unknown ['x']"),
        ({"columns": ["city", "rooms", "area"], "data": [["a", 1]]}, "row 0 must be a list of 3 values"),
        ({"dataframe_split": [1]}, '"dataframe_split" must be'),
        ({"data": [["paris", 1]]}, "row 0 must be a list of 3 values"),
        ({"data": RECORDS, "method": "fit"}, "unknown method 'fit'"),
    ],
)
async def test_frame_errors_name_the_columns(houses: httpx.AsyncClient, body: Any, message: str) -> None:
    r = await houses.post("/predict", json=body)
    assert r.status_code == 422 and message in r.json()["detail"], r.text


def column_tensors(order: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "name": n,
            "shape": [len(FRAME)],
            "datatype": "BYTES" if n == "city" else "FP64",
            "data": FRAME[n].tolist(),
        }
        for n in order
    ]


async def test_v2_metadata_names_columns_and_types(houses: httpx.AsyncClient) -> None:
    meta = (await houses.get("/v2/models/houses")).json()
    assert meta["inputs"] == [
        {"name": "city", "datatype": "BYTES", "shape": [-1]},
        {"name": "rooms", "datatype": "FP64", "shape": [-1]},
        {"name": "area", "datatype": "FP64", "shape": [-1]},
    ]
    assert {"name": "predict", "datatype": "BYTES", "shape": [-1]} in meta["outputs"]


@pytest.mark.parametrize("order", [NAMES, SHUFFLED])
async def test_v2_one_input_per_column(houses: httpx.AsyncClient, order: list[str]) -> None:
    body = {"inputs": column_tensors(order), "outputs": [{"name": "predict"}, {"name": "predict_proba"}]}
    r = await houses.post("/v2/models/houses/infer", json=body)
    label, proba = r.json()["outputs"]
    assert label == {"name": "predict", "shape": [8], "datatype": "BYTES", "data": PREDICT}
    assert np.array(proba["data"]).reshape(8, 2).tolist() == PROBA


async def test_v2_one_2d_tensor(houses: httpx.AsyncClient) -> None:
    """A 2-D BYTES tensor (every value as text, columns in the fitted order)."""
    text = [[str(v) for v in row] for row in ROWS]
    body = {"inputs": [{"name": "x", "shape": [8, 3], "datatype": "BYTES", "data": text}]}
    r = await houses.post("/v2/models/houses/infer", json=body)
    assert r.json()["outputs"][0]["data"] == PREDICT


async def test_v2_binary_columns_and_bytes_output(houses: httpx.AsyncClient) -> None:
    inputs = [
        ("rooms", FRAME["rooms"].to_numpy().astype("<i8"), "INT64"),
        ("city", FRAME["city"].to_numpy(dtype=object), "BYTES"),
        ("area", FRAME["area"].to_numpy(), "FP64"),
    ]
    body, headers = binary_request(inputs, parameters={"binary_data_output": True})
    r = await houses.post("/v2/models/houses/infer", content=body, headers=headers)
    doc, raw = split_binary(r)
    assert doc["outputs"][0]["datatype"] == "BYTES"
    labels, offset = [], 0
    while offset < len(raw):
        size = int.from_bytes(raw[offset : offset + 4], "little")
        labels.append(raw[offset + 4 : offset + 4 + size].decode())
        offset += 4 + size
    assert labels == PREDICT


async def test_v2_missing_column_is_400_naming_it(houses: httpx.AsyncClient) -> None:
    r = await houses.post("/v2/models/houses/infer", json={"inputs": column_tensors(["city", "rooms"])})
    assert r.status_code == 400 and "missing features ['area']" in r.json()["error"]
