"""Turn request JSON into validated model input, before it may join a batch.

Everything a bad request can get wrong is caught here with a message naming the problem,
so a batch only ever holds input the model can take. No pydantic: one pass with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from kubeserve.errors import BadRequest, Unprocessable
from kubeserve.inference.model import ModelRuntime


@dataclass(slots=True)
class Payload:
    """Validated input: a 2-D float64 array, or a DataFrame for records keyed by feature name."""

    data: Any
    rows: int
    kind: str  # "array" | "frame": batches never mix the two


def parse_json(body: bytes) -> Any:
    if not body:
        raise BadRequest('empty body: send JSON like {"data": [[...]]}')
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from exc


def check_method(method: Any, model: ModelRuntime) -> str:
    if method not in model.methods:
        raise Unprocessable(f"unknown method {method!r}; this model supports {', '.join(model.methods)}")
    return str(method)


def decode_predict(body: bytes, model: ModelRuntime) -> tuple[Payload, str]:
    """`{"data"|"instances": rows, "method"?: ...}` (or a bare list of rows) -> payload, method."""
    doc = parse_json(body)
    method: Any = "predict"
    if isinstance(doc, dict):
        if "data" in doc:
            data = doc["data"]
        elif "instances" in doc:
            data = doc["instances"]
        else:
            raise Unprocessable('body needs "data" (or "instances"): a list of rows')
        method = doc.get("method", "predict")
    else:
        data = doc
    return decode_rows(data, model), check_method(method, model)


def decode_rows(data: Any, model: ModelRuntime) -> Payload:
    """Rows as lists of numbers, one row, or records (dicts keyed by feature name)."""
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise Unprocessable("data must be a list of rows")
    if not data:
        raise Unprocessable("data is empty: send at least one row")
    if isinstance(data[0], dict):
        return decode_records(data, model)
    arr = to_matrix(data, model)
    return Payload(arr, arr.shape[0], "array")


def to_matrix(data: list[Any], model: ModelRuntime) -> np.ndarray:
    """A 2-D float64 array with the model's feature count, or Unprocessable saying why not."""
    try:
        arr = np.array(data)
    except ValueError:
        raise Unprocessable(_ragged(data)) from None
    if arr.dtype.kind not in "fiub":
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(np.float64)  # JSON null -> NaN
            except (TypeError, ValueError):
                raise Unprocessable(_non_numeric(data)) from None
        else:
            raise Unprocessable(_non_numeric(data))
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    return check_matrix(arr, model)


def check_matrix(arr: np.ndarray, model: ModelRuntime) -> np.ndarray:
    """The numeric array as 2-D float64 (one dtype, so batched == unbatched), if it fits."""
    if arr.ndim != 2:
        raise Unprocessable("rows must be flat lists of numbers")
    arr = arr.astype(np.float64, copy=False)
    if model.n_features is not None and arr.shape[1] != model.n_features:
        raise Unprocessable(f"expected {model.n_features} features, got {arr.shape[1]}")
    if arr.shape[1] == 0:
        raise Unprocessable("rows are empty")
    if not model.allow_nan and np.isnan(arr).any():
        raise Unprocessable("null values are not supported by this model")
    return arr


def _ragged(data: list[Any]) -> str:
    lengths = sorted({len(r) if isinstance(r, list) else 1 for r in data})
    return f"rows must all have the same length (got lengths {lengths})"


def _non_numeric(data: list[Any]) -> str:
    for i, row in enumerate(data):
        for value in row if isinstance(row, list) else [row]:
            if not isinstance(value, int | float) and value is not None:
                return f"non-numeric value {value!r} in row {i}: numbers expected"
    return "non-numeric values: numbers expected"


def decode_records(data: list[Any], model: ModelRuntime) -> Payload:
    """Records keyed by the model's feature names, as a DataFrame in the fitted column order."""
    names = model.feature_names
    if names is None:
        raise Unprocessable("this model was trained without feature names: send rows as lists")
    expected = set(names)
    for i, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise Unprocessable(f"row {i} is not an object: do not mix records and lists")
        if rec.keys() != expected:
            missing = sorted(expected - rec.keys())
            unknown = sorted(rec.keys() - expected)
            raise Unprocessable(f"record {i}: missing features {missing}, unknown {unknown}")
    import pandas as pd

    return Payload(pd.DataFrame(data, columns=names), len(data), "frame")
