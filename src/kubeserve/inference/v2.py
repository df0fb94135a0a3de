"""Open Inference Protocol (V2) tensors to payloads and predictions back to tensors.

One input tensor holds the rows; several inputs are columns (named by feature when the model
has feature names). Numbers always become float64, whatever FP32/INT64 the client declared,
so a request answers the same alone or in a batch.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import numpy as np
import orjson

from kubeserve.errors import Unprocessable
from kubeserve.inference.codec import Payload, check_matrix, check_method, parse_json
from kubeserve.inference.model import ModelRuntime
from kubeserve.inference.signature import v2_datatype

DATATYPES = {
    "BOOL",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "FP16",
    "FP32",
    "FP64",
    "BYTES",
}


def decode_infer(body: bytes, model: ModelRuntime) -> tuple[Payload, list[str], str]:
    """An inference request -> (payload, methods to run, request id)."""
    doc = parse_json(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise Unprocessable('body needs "inputs": a non-empty list of tensors')
    requested = doc.get("outputs") or [{"name": "predict"}]
    if not isinstance(requested, list) or not all(isinstance(o, dict) for o in requested):
        raise Unprocessable('"outputs" must be a list of {"name": ...}')
    methods = [check_method(o.get("name"), model) for o in requested]
    tensors = [_tensor(t) for t in doc["inputs"]]
    payload = _rows(tensors[0][1], model) if len(tensors) == 1 else _columns(tensors, model)
    return payload, methods, str(doc.get("id") or uuid.uuid4())


def _tensor(t: Any) -> tuple[str, np.ndarray]:
    if not isinstance(t, dict) or not isinstance(t.get("name"), str):
        raise Unprocessable("each input needs a name, shape, datatype and data")
    name, datatype, shape = t["name"], t.get("datatype"), t.get("shape")
    if datatype not in DATATYPES:
        raise Unprocessable(f"input {name!r}: unsupported datatype {datatype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise Unprocessable(f"input {name!r}: shape must be a list of non-negative integers")
    try:
        flat = np.array(t.get("data"), dtype=object if datatype == "BYTES" else None).ravel()
    except ValueError:
        raise Unprocessable(f"input {name!r}: nested data is ragged") from None
    if flat.size != math.prod(shape):
        raise Unprocessable(f"input {name!r}: shape {shape} needs {math.prod(shape)} values, got {flat.size}")
    if datatype != "BYTES" and flat.dtype.kind not in "fiub":
        raise Unprocessable(f"input {name!r}: non-numeric data for datatype {datatype}")
    return name, flat.reshape(shape)


def _rows(arr: np.ndarray, model: ModelRuntime) -> Payload:
    if arr.dtype.kind == "O":
        raise Unprocessable("BYTES input needs named columns matching the model's features")
    if arr.ndim == 1:  # one row, or one column for a single-feature model
        arr = arr.reshape(-1, 1) if model.n_features == 1 else arr.reshape(1, -1)
    arr = check_matrix(arr, model)
    return Payload(arr, arr.shape[0], "array")


def _columns(tensors: list[tuple[str, np.ndarray]], model: ModelRuntime) -> Payload:
    if any(a.ndim > 2 or (a.ndim == 2 and a.shape[1] != 1) for _, a in tensors):
        raise Unprocessable("with several inputs, each input is one column: shape [n] or [n, 1]")
    columns = {name: a.ravel() for name, a in tensors}
    if len({len(c) for c in columns.values()}) != 1:
        raise Unprocessable("all input columns must have the same length")
    if model.feature_names is None:
        return _rows(np.column_stack(list(columns.values())), model)
    if set(columns) != set(model.feature_names):
        raise Unprocessable(f"inputs must be the features {model.feature_names}")
    import pandas as pd

    frame = pd.DataFrame({n: columns[n] for n in model.feature_names})
    return Payload(frame, len(frame), "frame")


def encode_infer(name: str, version: str | None, req_id: str, results: list[tuple[str, np.ndarray]]) -> bytes:
    """The inference response: one output tensor per requested method, data flattened."""
    outputs = [
        {
            "name": method,
            "shape": list(arr.shape),
            "datatype": v2_datatype(arr.dtype),
            "data": arr.ravel() if arr.dtype.kind in "fiub" else arr.ravel().tolist(),
        }
        for method, arr in results
    ]
    doc: dict[str, Any] = {
        "model_name": name,
        "model_version": version,
        "id": req_id,
        "parameters": {},
        "outputs": outputs,
    }
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)


def model_metadata(
    name: str, version: str | None, model: ModelRuntime, outputs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """GET /v2/models/{name}: inputs (columns by feature name when known) and outputs."""
    if model.feature_names is not None:
        inputs = [{"name": f, "datatype": "FP64", "shape": [-1]} for f in model.feature_names]
    else:
        inputs = [{"name": "input-0", "datatype": "FP64", "shape": [-1, model.n_features or -1]}]
    return {
        "name": name,
        "versions": [version] if version else [],
        "platform": "sklearn",
        "inputs": inputs,
        "outputs": [{"name": m, **spec} for m, spec in outputs.items()],
    }
