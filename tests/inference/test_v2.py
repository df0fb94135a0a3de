"""The Open Inference Protocol (V2) REST endpoints, in process."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import httpx
import numpy as np
import orjson
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
        ({"inputs": [tensor([1, 2, 3, 4], [True, 4])]}, "shape must be a list of non-negative integers"),
        ({"inputs": [tensor([1, 2, 3, 4], [1, 4], ["FP32"])]}, "unsupported datatype"),  # type: ignore[arg-type]
        ({"inputs": [{}]}, "each input needs a name"),
        ({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32"}]}, "needs data"),
        ({"inputs": [tensor([1, 2, 3, 4], [1, 4])], "outputs": "predict"}, '"outputs" must be'),
        ({"inputs": [tensor([1, 2, 3, 4], [1, 4])], "parameters": [1]}, "parameters must be an object"),
        ({"inputs": [tensor(["a", "b", "c", "d"], [1, 4], "BYTES")]}, "BYTES input needs a model fit on"),
        ({"inputs": [tensor([1], [1]), tensor([1], [1], name="x")]}, "same name"),
        ({"inputs": "x"}, 'body needs "inputs"'),
        ([1, 2], 'body needs "inputs"'),
    ],
)
async def test_infer_errors(iris: httpx.AsyncClient, body: dict, message: str) -> None:
    """Every bad request is a 400 with the reason in "error" (what V2 clients print)."""
    r = await iris.post("/v2/models/iris/infer", json=body)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"] and r.json()["error"] == r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"{not json", {}, "malformed JSON"),
        (b"", {}, "empty body"),
        (b'{"inputs": []}xx', {"Inference-Header-Content-Length": "99"}, "> body size"),
        (b"{}", {"Inference-Header-Content-Length": "two"}, "must be a byte count"),
        (b"\x1f\x8b\x08\x00gar", {"Content-Encoding": "gzip"}, "truncated"),
        (b"plain text", {"Content-Encoding": "gzip"}, "not valid gzip"),
        (b"plain text", {"Content-Encoding": "deflate"}, "not valid deflate"),
    ],
)
async def test_infer_malformed_bodies(
    iris: httpx.AsyncClient, body: bytes, headers: dict, message: str
) -> None:
    r = await iris.post("/v2/models/iris/infer", content=body, headers=headers)
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert message in r.json()["error"]


async def test_unsupported_content_encoding_is_415(iris: httpx.AsyncClient) -> None:
    r = await iris.post("/v2/models/iris/infer", content=b"{}", headers={"Content-Encoding": "br"})
    assert r.status_code == 415 and "gzip or deflate" in r.json()["error"]


def binary_request(inputs: list[tuple[str, np.ndarray, str]], **doc: object) -> tuple[bytes, dict[str, str]]:
    """A V2 request with the binary tensor data extension, built by hand from the spec."""
    blobs, tensors = [], []
    for name, arr, datatype in inputs:
        if datatype == "BYTES":
            blob = b"".join(len(s.encode()).to_bytes(4, "little") + s.encode() for s in arr.ravel())
        else:
            blob = arr.tobytes()
        blobs.append(blob)
        params = {"binary_data_size": len(blob)}
        tensors.append({"name": name, "shape": list(arr.shape), "datatype": datatype, "parameters": params})
    head = orjson.dumps({"inputs": tensors, **doc})
    return head + b"".join(blobs), {"Inference-Header-Content-Length": str(len(head))}


def split_binary(r: httpx.Response) -> tuple[dict, bytes]:
    length = int(r.headers["Inference-Header-Content-Length"])
    return orjson.loads(r.content[:length]), r.content[length:]


async def test_binary_inputs_and_outputs(iris: httpx.AsyncClient) -> None:
    body, headers = binary_request(
        [("x", X.astype("<f4"), "FP32")],
        outputs=[{"name": "predict", "parameters": {"binary_data": True}}, {"name": "predict_proba"}],
    )
    r = await iris.post("/v2/models/iris/infer", content=body, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    doc, raw = split_binary(r)
    label, proba = doc["outputs"]
    assert label["parameters"] == {"binary_data_size": 24} and "data" not in label
    x32 = X.astype(np.float32).astype(np.float64)  # what the client sent, exactly
    assert np.frombuffer(raw, "<i8").tolist() == EXPECTED.predict(x32).tolist()
    assert proba["data"] == EXPECTED.predict_proba(x32).ravel().tolist()


async def test_binary_data_output_and_omitted_outputs(iris: httpx.AsyncClient) -> None:
    """No outputs named: "predict" only (documented in v2.py); binary when asked for all."""
    body, headers = binary_request([("x", X, "FP64")], parameters={"binary_data_output": True})
    r = await iris.post("/v2/models/iris/infer", content=body, headers=headers)
    doc, raw = split_binary(r)
    assert [o["name"] for o in doc["outputs"]] == ["predict"]
    assert np.frombuffer(raw, "<i8").tolist() == EXPECTED.predict(X).tolist()
    plain = await iris.post("/v2/models/iris/infer", json={"inputs": [tensor(X.tolist(), [3, 4])]})
    assert "Inference-Header-Content-Length" not in plain.headers
    assert [o["name"] for o in plain.json()["outputs"]] == ["predict"]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([("x", X[:2], "FP64")], "shape [3, 4] of FP64 needs 96 bytes, got 64"),
        ([("x", np.array(["a"], dtype=object), "BYTES")], "BYTES input needs a model fit on"),
    ],
)
async def test_binary_errors(iris: httpx.AsyncClient, inputs: list, message: str) -> None:
    body, headers = binary_request(inputs)
    if message.startswith("shape"):  # declare more rows than the bytes hold
        doc = orjson.loads(body[: int(headers["Inference-Header-Content-Length"])])
        doc["inputs"][0]["shape"] = [3, 4]
        doc["inputs"][0]["parameters"]["binary_data_size"] = 64
        head = orjson.dumps(doc)
        body, headers = head + body[-64:], {"Inference-Header-Content-Length": str(len(head))}
    r = await iris.post("/v2/models/iris/infer", content=body, headers=headers)
    assert r.status_code == 400 and message in r.json()["error"], r.text


async def test_binary_size_past_the_body_and_leftover_bytes(iris: httpx.AsyncClient) -> None:
    body, headers = binary_request([("x", X, "FP64")])
    r = await iris.post("/v2/models/iris/infer", content=body[:-8], headers=headers)
    assert r.status_code == 400 and "does not fit the binary data" in r.json()["error"]
    r = await iris.post("/v2/models/iris/infer", content=body + b"extra", headers=headers)
    assert r.status_code == 400 and "5 bytes after the binary inputs" in r.json()["error"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_bodies(iris: httpx.AsyncClient, encoding: str) -> None:
    plain = orjson.dumps({"inputs": [tensor(X.tolist(), [3, 4])]})
    packed = gzip.compress(plain) if encoding == "gzip" else zlib.compress(plain)
    r = await iris.post("/v2/models/iris/infer", content=packed, headers={"Content-Encoding": encoding})
    assert r.status_code == 200 and r.json()["outputs"][0]["data"] == EXPECTED.predict(X).tolist()
    rows = gzip.compress(orjson.dumps({"data": IRIS_ROWS}))
    r = await iris.post("/predict", content=rows, headers={"Content-Encoding": "gzip"})
    assert r.json() == {"predictions": EXPECTED.predict(X).tolist()}


async def test_zip_bomb_is_413(iris: httpx.AsyncClient) -> None:
    """4 KB limit (the fixture's): a 1 MB body of spaces compresses to ~1 KB and is refused."""
    bomb = gzip.compress(b"{" + b" " * (1 << 20) + b"}")
    assert len(bomb) < 4096
    r = await iris.post("/v2/models/iris/infer", content=bomb, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413 and "inflates to more than" in r.json()["error"]


async def test_versions_server_metadata_and_trailing_slash(iris: httpx.AsyncClient) -> None:
    body = {"inputs": [tensor(X.tolist(), [3, 4])]}
    ok = await iris.post("/v2/models/iris/versions/1/infer", json=body)
    assert ok.status_code == 200 and ok.json()["model_version"] == "1"
    assert (await iris.post("/v2/models/iris/versions/7/infer", json=body)).status_code == 404
    missing = await iris.get("/v2/models/iris/versions/7")
    assert missing.status_code == 404 and "no version '7'" in missing.json()["error"]
    assert (await iris.get("/v2/models/iris/versions/1")).json()["versions"] == ["1"]
    for path in ("/v2", "/v2/"):
        server = await iris.get(path)
        assert server.status_code == 200 and "binary_tensor_data" in server.json()["extensions"]
    assert (await iris.get("/v2/models/iris/")).json()["name"] == "iris"
