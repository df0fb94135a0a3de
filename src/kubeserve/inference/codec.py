"""Turn request JSON into validated model input, before it may join a batch.

Everything a bad request can get wrong is caught here with a message naming the problem,
so a batch only ever holds input the model can take. No pydantic: one pass with numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from kubeserve.errors import BadRequest, Unprocessable
from kubeserve.inference import frames
from kubeserve.inference.model import ModelRuntime
from kubeserve.inference.payload import Payload

__all__ = ["Payload", "check_matrix", "check_method", "decode_predict", "decode_rows", "parse_json"]
ROWS_KEYS = ("data", "instances", "inputs")  # ours, TF Serving's/KServe v1's, MLflow's


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
    """The body of POST /predict -> payload, method. Accepted shapes:

    rows `[[...]]` (bare, or under "data", "instances" or "inputs"), records `[{name: value}]`,
    columns `{name: [values]}`, pandas' split orientation `{"columns": [...], "data": [[...]]}`,
    and MLflow's `{"dataframe_split": {...}}` / `{"dataframe_records": [...]}`; optional
    `"method": "predict_proba"` (any method the model lists).
    """
    doc = parse_json(body)
    if not isinstance(doc, dict):
        return decode_rows(doc, model), "predict"
    method = check_method(doc.get("method", "predict"), model)
    if "dataframe_split" in doc:
        split = doc["dataframe_split"]
        if not isinstance(split, dict):
            raise Unprocessable('"dataframe_split" must be {"columns": [...], "data": [[...]]}')
        return _split(split.get("columns"), split.get("data"), model), method
    if "dataframe_records" in doc:
        return decode_rows(doc["dataframe_records"], model), method
    if "columns" in doc:
        return _split(doc["columns"], doc.get("data"), model), method
    for key in ROWS_KEYS:
        if key in doc:
            return decode_rows(doc[key], model), method
    raise Unprocessable(
        'body needs "data" (or "instances"): a list of rows, records, or {"columns": [...], "data": [...]}'
    )


def _split(columns: Any, data: Any, model: ModelRuntime) -> Payload:
    if model.columns is None:  # a model fit without names: the values, in order (a CSV's rows)
        return decode_rows(data, model)
    return frames.from_split(columns, data, model)


def decode_rows(data: Any, model: ModelRuntime) -> Payload:
    """Rows as lists of values, one row, records (dicts by feature name) or columns."""
    if isinstance(data, dict):
        if data and all(isinstance(v, list) for v in data.values()):
            return frames.from_columns(data, model)  # {name: [values]}
        data = [data]
    if not isinstance(data, list):
        raise Unprocessable("data must be a list of rows")
    if not data:
        raise Unprocessable("data is empty: send at least one row")
    if isinstance(data[0], dict):
        return frames.from_records(data, model)
    if model.needs_frame:
        return frames.from_rows(data if isinstance(data[0], list) else [data], model)
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
