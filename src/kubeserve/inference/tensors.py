"""Open Inference Protocol tensors as numpy arrays: JSON `data`, or raw bytes (binary extension).

Binary tensors are row-major and little-endian; BOOL is one byte per element; a BYTES element
is a 4-byte little-endian length followed by that many bytes. Every problem is a BadRequest.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from kubeserve.errors import BadRequest

NUMPY: dict[str, str] = {
    "BOOL": "?",
    "UINT8": "u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}
DATATYPES = frozenset(NUMPY) | {"BYTES"}
_LENGTH = struct.Struct("<I")
# Beyond any body a server accepts; keeps numpy's size arithmetic in range (no 500, no huge allocation).
MAX_ELEMENTS = 2**40
MAX_DIMS = 32


def check_shape(name: str, shape: Any) -> list[int]:
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise BadRequest(f"input {name!r}: shape must be a list of non-negative integers, got {shape!r}")
    if len(shape) > MAX_DIMS or math.prod(d for d in shape if d) > MAX_ELEMENTS:
        raise BadRequest(f"input {name!r}: shape {shape!r} is too large (at most {MAX_DIMS} dimensions)")
    return shape


def from_json(name: str, datatype: str, shape: list[int], data: Any) -> np.ndarray:
    """The `data` of a tensor (flat or nested) as an array of `shape`."""
    try:
        arr = np.array(data, dtype=object if datatype == "BYTES" else None)
    except (ValueError, TypeError):
        raise BadRequest(f"input {name!r}: nested data is ragged") from None
    flat = arr.ravel()
    if flat.size != math.prod(shape):
        raise BadRequest(f"input {name!r}: shape {shape} needs {math.prod(shape)} values, got {flat.size}")
    if datatype == "BYTES":
        if not all(isinstance(v, str | bytes) for v in flat):
            raise BadRequest(f"input {name!r}: BYTES data must be strings")
    elif flat.dtype.kind not in "fiub":
        raise BadRequest(f"input {name!r}: non-numeric data for datatype {datatype}")
    return flat.reshape(shape)


def from_binary(name: str, datatype: str, shape: list[int], raw: memoryview) -> np.ndarray:
    """`raw` (exactly this tensor's bytes) as an array of `shape`."""
    count = math.prod(shape)
    if datatype == "BYTES":
        return _bytes_elements(name, raw, count).reshape(shape)
    dtype = np.dtype(NUMPY[datatype])
    if len(raw) != count * dtype.itemsize:
        need = count * dtype.itemsize
        raise BadRequest(f"input {name!r}: shape {shape} of {datatype} needs {need} bytes, got {len(raw)}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _bytes_elements(name: str, raw: memoryview, count: int) -> np.ndarray:
    if count * _LENGTH.size > len(raw):  # each element has a 4-byte length: refuse before allocating
        raise BadRequest(f"input {name!r}: {count} BYTES elements cannot fit in {len(raw)} bytes")
    out, offset = np.empty(count, dtype=object), 0
    for i in range(count):
        if offset + 4 > len(raw):
            raise BadRequest(f"input {name!r}: BYTES data ends before element {i}")
        (size,) = _LENGTH.unpack_from(raw, offset)
        offset += 4
        if offset + size > len(raw):
            raise BadRequest(f"input {name!r}: BYTES element {i} runs past the data")
        element = bytes(raw[offset : offset + size])
        offset += size
        try:
            out[i] = element.decode()
        except UnicodeDecodeError:
            raise BadRequest(f"input {name!r}: BYTES element {i} is not UTF-8 text") from None
    if offset != len(raw):
        raise BadRequest(f"input {name!r}: {len(raw) - offset} bytes left after {count} BYTES elements")
    return out


def to_binary(arr: np.ndarray, datatype: str) -> bytes:
    """An output tensor's raw bytes."""
    if datatype == "BYTES":
        parts = []
        for value in arr.ravel():
            data = value if isinstance(value, bytes) else str(value).encode()
            parts += [_LENGTH.pack(len(data)), data]
        return b"".join(parts)
    return np.ascontiguousarray(arr, dtype=NUMPY[datatype]).tobytes()


def to_json(arr: np.ndarray) -> Any:
    """An output tensor's `data`, flattened: numbers stay a numpy array (orjson writes it)."""
    if arr.dtype.kind in "fiub":
        return np.ascontiguousarray(arr).ravel()
    return [v.decode() if isinstance(v, bytes) else v for v in arr.ravel().tolist()]
