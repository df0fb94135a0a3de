"""Open Inference Protocol (V2) requests to payloads, and predictions back to responses.

Inputs: one tensor holds the rows (`[n, features]`; BYTES or mixed for a model with string
columns); several tensors are columns, named by the model's features. Numbers become float64
whatever FP32/INT64 the client declared, so a request answers the same alone or in a batch.
With the binary tensor data extension (header `Inference-Header-Content-Length`), the body
is the JSON header followed by each binary input's bytes, in input order.

Outputs are the model's methods (`predict`, `predict_proba`, ...). When a request names
none, only `predict` is returned, as MLServer's scikit-learn runtime does: the spec's "all
outputs" would run every method of the model (up to six) on each request to answer one
question. Each output is JSON, or binary when the request asks for it (`binary_data` on the
output, or `binary_data_output` on the request).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from kubeserve.errors import BadRequest
from kubeserve.inference import frames, tensors
from kubeserve.inference.codec import check_matrix, check_method, parse_json
from kubeserve.inference.model import ModelRuntime
from kubeserve.inference.payload import Payload
from kubeserve.inference.signature import v2_datatype


@dataclass(slots=True)
class InferRequest:
    payload: Payload
    outputs: list[tuple[str, bool]]  # (method, binary)
    id: str


def decode_infer(body: bytes, model: ModelRuntime, header_length: int | None = None) -> InferRequest:
    """An inference request (JSON, or JSON header + binary tensors) -> what to predict."""
    raw = memoryview(body)
    if header_length is not None:
        if header_length > len(body):
            raise BadRequest(f"Inference-Header-Content-Length {header_length} > body size {len(body)}")
        body, raw = body[:header_length], raw[header_length:]
    else:
        raw = raw[len(body) :]
    doc = parse_json(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise BadRequest('body needs "inputs": a non-empty list of tensors')
    params = _params(doc, "request")
    inputs, used = [], 0
    for t in doc["inputs"]:
        name, array, size = _tensor(t, raw[used:])
        inputs.append((name, array))
        used += size
    if used != len(raw):
        raise BadRequest(f"{len(raw) - used} bytes after the binary inputs' declared binary_data_size")
    outputs = _outputs(doc.get("outputs"), model, params.get("binary_data_output") is True)
    request_id = doc.get("id")
    return InferRequest(_payload(inputs, model), outputs, str(request_id or uuid.uuid4()))


def _params(doc: dict[str, Any], what: str) -> dict[str, Any]:
    params = doc.get("parameters") or {}
    if not isinstance(params, dict):
        raise BadRequest(f"{what} parameters must be an object")
    return params


def _tensor(t: Any, raw: memoryview) -> tuple[str, np.ndarray, int]:
    """(name, array, binary bytes used) of one input tensor."""
    if not isinstance(t, dict) or not isinstance(t.get("name"), str):
        raise BadRequest("each input needs a name, shape, datatype and data")
    name, datatype = t["name"], t.get("datatype")
    if not isinstance(datatype, str) or datatype not in tensors.DATATYPES:
        raise BadRequest(f"input {name!r}: unsupported datatype {datatype!r}")
    shape = tensors.check_shape(name, t.get("shape"))
    size = _params(t, f"input {name!r}").get("binary_data_size")
    if size is None:
        if "data" not in t:
            raise BadRequest(f"input {name!r}: needs data (or binary_data_size with the binary extension)")
        return name, tensors.from_json(name, datatype, shape, t["data"]), 0
    if type(size) is not int or size < 0 or size > len(raw):
        raise BadRequest(f"input {name!r}: binary_data_size {size!r} does not fit the binary data")
    return name, tensors.from_binary(name, datatype, shape, raw[:size]), size


def _outputs(requested: Any, model: ModelRuntime, binary_default: bool) -> list[tuple[str, bool]]:
    if requested is None:
        return [("predict", binary_default)]
    if not isinstance(requested, list) or not requested:
        raise BadRequest('"outputs" must be a non-empty list of {"name": ...}')
    found = []
    for o in requested:
        if not isinstance(o, dict):
            raise BadRequest('"outputs" must be a list of {"name": ...}')
        binary = _params(o, "output").get("binary_data", binary_default)
        found.append((check_method(o.get("name"), model), binary is True))
    return found


def _payload(inputs: list[tuple[str, np.ndarray]], model: ModelRuntime) -> Payload:
    if len(inputs) > 1:
        return _columns(inputs, model)
    arr = inputs[0][1]
    if arr.ndim == 1:  # one row, or one column for a single-feature model
        arr = arr.reshape(-1, 1) if model.n_features == 1 else arr.reshape(1, -1)
    if model.columns is not None and (model.needs_frame or arr.dtype.kind == "O"):
        return frames.from_matrix(arr, model)
    if arr.dtype.kind == "O":
        raise BadRequest("BYTES input needs a model fit on a DataFrame (this one has no feature names)")
    arr = check_matrix(arr, model)
    return Payload(arr, arr.shape[0], "array")


def _columns(inputs: list[tuple[str, np.ndarray]], model: ModelRuntime) -> Payload:
    if any(a.ndim > 2 or (a.ndim == 2 and a.shape[1] != 1) for _, a in inputs):
        raise BadRequest("with several inputs, each input is one column: shape [n] or [n, 1]")
    columns = {name: a.ravel() for name, a in inputs}
    if len(columns) != len(inputs):
        raise BadRequest("two inputs have the same name")
    if model.columns is not None:
        return frames.from_columns(columns, model)
    if len({len(c) for c in columns.values()}) != 1:
        raise BadRequest("all input columns must have the same length")
    if any(c.dtype.kind == "O" for c in columns.values()):
        raise BadRequest("BYTES input needs a model fit on a DataFrame (this one has no feature names)")
    arr = check_matrix(np.column_stack(list(columns.values())), model)
    return Payload(arr, arr.shape[0], "array")


def encode_infer(
    name: str, version: str, req_id: str, results: list[tuple[str, np.ndarray, bool]]
) -> tuple[bytes, int | None]:
    """The inference response and, when some output is binary, the JSON header's length."""
    outputs, blobs = [], []
    for method, arr, binary in results:
        datatype = v2_datatype(arr.dtype)
        out: dict[str, Any] = {"name": method, "shape": list(arr.shape), "datatype": datatype}
        if binary:
            blob = tensors.to_binary(arr, datatype)
            out["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            out["data"] = tensors.to_json(arr)
        outputs.append(out)
    doc = {"model_name": name, "model_version": version, "id": req_id, "parameters": {}, "outputs": outputs}
    head = orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)
    if not blobs:
        return head, None
    return b"".join([head, *blobs]), len(head)


def model_metadata(
    name: str, version: str, model: ModelRuntime, outputs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """GET /v2/models/{name}: inputs (one per column, by feature name, when known) and outputs."""
    if model.columns is not None:
        inputs = [{"name": c.name, "datatype": c.datatype, "shape": [-1]} for c in model.columns]
    else:
        inputs = [{"name": "input-0", "datatype": "FP64", "shape": [-1, model.n_features or -1]}]
    return {
        "name": name,
        "versions": [version],
        "platform": "sklearn",
        "inputs": inputs,
        "outputs": [{"name": m, **spec} for m, spec in outputs.items()],
    }
