"""A stranger's V2 tensors against the model server: shapes that numpy cannot hold, BYTES
tensors that declare more elements than the body could carry. Each is a clear 400, never a
500, and never a large allocation before the sizes are checked."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.inference.conftest import client_for, start_app
from tests.inference.models import make_iris_model

BINARY = "application/octet-stream"


@pytest.fixture
async def iris(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = await start_app(make_iris_model(tmp_path / "iris.joblib"), name="iris", work_dir=tmp_path / "work")
    async with client_for(app) as client:
        yield client


def _json(shape: list[int], datatype: str = "FP64") -> dict[str, Any]:
    return {"inputs": [{"name": "x", "datatype": datatype, "shape": shape, "data": []}]}


@pytest.mark.parametrize(
    "shape",
    [[2**62, 0], [0, 2**62], [2**40, 2**40, 0], [1] * 70 + [0]],
    ids=["too-big-rows", "too-big-columns", "no-reshape", "too-many-dims"],
)
async def test_shapes_numpy_cannot_hold_are_400(iris: httpx.AsyncClient, shape: list[int]) -> None:
    r = await iris.post("/v2/models/iris/infer", json=_json(shape))
    assert r.status_code == 400, r.text
    assert "shape" in r.json()["detail"]


@pytest.mark.parametrize("count", [10**12, 10**7, 3])
async def test_binary_bytes_tensor_declaring_more_elements_than_its_bytes(
    iris: httpx.AsyncClient, count: int
) -> None:
    """Each BYTES element takes at least 4 bytes: 8 bytes cannot hold `count` of them, and the
    server must say so before allocating room for `count` objects (10**12 would be 7 TiB)."""
    raw = struct.pack("<I", 4) + b"abcd"
    size = {"binary_data_size": len(raw)}
    tensor = {"name": "x", "datatype": "BYTES", "shape": [count], "parameters": size}
    head = orjson.dumps({"inputs": [tensor]})
    r = await iris.post(
        "/v2/models/iris/infer",
        content=head + raw,
        headers={"Inference-Header-Content-Length": str(len(head)), "content-type": BINARY},
    )
    assert r.status_code == 400, r.text
    assert "BYTES" in r.json()["detail"]
