"""DataFrame input: records, split orientation, columns and name-less rows, checked by name.

Every way in ends in `from_columns`: one DataFrame in the fitted column order, numeric
columns as float64 (so a request answers the same alone or in a batch), string columns as
Python `str` objects. Errors name the missing and unknown columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from kubeserve.errors import Unprocessable
from kubeserve.inference.columns import Column
from kubeserve.inference.model import ModelRuntime
from kubeserve.inference.payload import Payload


def check_names(given: Iterable[str], model: ModelRuntime, what: str = "columns") -> list[Column]:
    """The model's columns, if `given` names exactly them (in any order)."""
    if model.columns is None:
        raise Unprocessable("this model was trained without feature names: send rows as lists")
    given = list(given)
    known = {c.name for c in model.columns}
    missing = [c.name for c in model.columns if c.name not in given]
    unknown = [n for n in given if n not in known]
    if missing or unknown:
        raise Unprocessable(
            f"{what}: missing features {missing}, unknown {unknown} "
            f"(the model's features are {[c.name for c in model.columns]})"
        )
    if len(set(given)) != len(given):
        raise Unprocessable(f"{what} name a feature twice: {given}")
    return model.columns


def from_columns(columns: dict[str, Any], model: ModelRuntime) -> Payload:
    """`{name: values}` for every feature -> a DataFrame payload."""
    fitted = check_names(columns, model)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise Unprocessable(f"all columns must have the same length (got lengths {sorted(lengths)})")
    if lengths == {0}:
        raise Unprocessable("data is empty: send at least one row")
    import pandas as pd

    frame = pd.DataFrame({c.name: _values(c, columns[c.name]) for c in fitted})
    return Payload(frame, len(frame), "frame")


def from_records(records: list[Any], model: ModelRuntime) -> Payload:
    """`[{name: value, ...}, ...]`."""
    fitted = check_names(records[0] if isinstance(records[0], dict) else {}, model, "record 0")
    names = [c.name for c in fitted]
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise Unprocessable(f"row {i} is not an object: do not mix records and lists")
        if len(rec) != len(names) or any(n not in rec for n in names):
            check_names(rec, model, f"record {i}")
    return from_columns({n: [rec[n] for rec in records] for n in names}, model)


def from_split(columns: Any, data: Any, model: ModelRuntime) -> Payload:
    """pandas' split orientation: `{"columns": [names], "data": [[row], ...]}`."""
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise Unprocessable('"columns" must be a list of column names')
    if not isinstance(data, list) or not data:
        raise Unprocessable('"data" must be a non-empty list of rows')
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise Unprocessable(f"row {i} must be a list of {len(columns)} values, one per column")
    return from_columns({name: [row[i] for row in data] for i, name in enumerate(columns)}, model)


def from_rows(rows: list[Any], model: ModelRuntime) -> Payload:
    """Name-less rows of a DataFrame model, values in the fitted column order."""
    assert model.feature_names is not None
    return from_split(model.feature_names, rows, model)


def from_matrix(arr: np.ndarray, model: ModelRuntime) -> Payload:
    """A 2-D tensor (V2) of a DataFrame model: its columns in the fitted order."""
    assert model.feature_names is not None
    if arr.ndim != 2 or arr.shape[1] != len(model.feature_names):
        raise Unprocessable(f"expected {len(model.feature_names)} features, got shape {list(arr.shape)}")
    return from_columns({n: arr[:, i] for i, n in enumerate(model.feature_names)}, model)


def _values(column: Column, values: Any) -> np.ndarray:
    arr = values if isinstance(values, np.ndarray) else np.array(values, dtype=object)
    if arr.ndim != 1:
        raise Unprocessable(f"column {column.name!r}: one value per row expected")
    if column.datatype == "BYTES":
        if arr.dtype.kind in "OSU":
            return np.array([v.decode() if isinstance(v, bytes) else v for v in arr], dtype=object)
        return arr
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False)
    try:
        return arr.astype(np.float64)  # JSON null -> NaN, "5.1" -> 5.1
    except (TypeError, ValueError):
        return arr  # not numbers: a string column the fit did not reveal; the model decides
