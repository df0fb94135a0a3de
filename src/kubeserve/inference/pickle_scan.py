"""What a pickle or joblib file would import, read without executing it.

A small symbolic pickle machine walks the opcodes (`pickletools.genops`): it keeps strings,
numbers, tuples and dicts, and records every global a load would import. joblib files are
pickles with raw numpy buffers written right after each `NumpyArrayWrapper`; the wrapper's
shape and dtype say how many bytes to skip. Nothing here ever calls `pickle.load`.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import math
import pickletools
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kubeserve.inference.pickle_vm import Corrupt, Machine, Obj


class NotAPickle(ValueError):
    """The file is not a joblib/pickle file (or is truncated or corrupt)."""


@dataclass
class PickleScan:
    """The outcome of scanning one file."""

    globals: list[str] = field(default_factory=list)
    """Every `module:name` the file imports when loaded, in first-seen order."""
    sklearn_version: str | None = None
    """The scikit-learn version recorded in the estimator state (`_sklearn_version`)."""

    @property
    def modules(self) -> list[str]:
        return sorted({g.split(":")[0] for g in self.globals})


_COMPRESSED: list[tuple[bytes, Any]] = [
    (b"\x1f\x8b", gzip.open),
    (b"BZ", bz2.open),
    (b"\xfd7zXZ", lzma.open),
    (b"\x5d\x00", lzma.open),
]


def _open(path: Path) -> IO[bytes]:
    """The decompressed stream of a plain or joblib-compressed file."""
    with path.open("rb") as fh:
        head = fh.read(6)
    for magic, opener in _COMPRESSED:
        if head.startswith(magic):
            return opener(path, "rb")  # type: ignore[no-any-return]
    if head[:1] == b"\x78":  # joblib's zlib: one raw zlib stream, decompressed in memory
        try:
            return io.BytesIO(zlib.decompress(path.read_bytes()))
        except zlib.error as exc:
            raise NotAPickle(f"file is not a joblib/pickle (bad zlib data: {exc})") from exc
    if head.startswith(b"\x04\x22\x4d\x18"):
        raise NotAPickle("lz4-compressed joblib files are not supported: dump without lz4")
    return path.open("rb")


def scan_file(path: Path | str, until_version: bool = False) -> PickleScan:
    """Scan a pickle or joblib file; raises NotAPickle for anything else.

    `until_version` stops at the first recorded scikit-learn version (globals incomplete).
    """
    path = Path(path)
    try:
        with _open(path) as stream:
            return scan_stream(stream, until_version)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise NotAPickle(f"file is not a joblib/pickle ({exc})") from exc


def scan_stream(stream: IO[bytes], until_version: bool = False) -> PickleScan:
    """Scan one pickle stream up to its STOP opcode."""
    result = PickleScan()
    _run(stream, result, until_version)
    return result


def _run(stream: IO[bytes], result: PickleScan, until_version: bool = False) -> None:
    vm = Machine()
    try:
        for op, arg, _pos in pickletools.genops(stream):
            built = vm.step(op.name, arg)
            if isinstance(built, Obj) and _is_array_wrapper(built):
                _skip_array(stream, built.state, result)
            if op.name == "STOP" or (until_version and vm.sklearn_version):
                break
    except KeyError as exc:
        raise NotAPickle(f"file is not a joblib/pickle (unknown memo reference {exc})") from exc
    except (ValueError, Corrupt, IndexError, TypeError) as exc:
        raise NotAPickle(f"file is not a joblib/pickle ({exc})") from exc
    for g in vm.globals:
        if g not in result.globals:
            result.globals.append(g)
    result.sklearn_version = result.sklearn_version or vm.sklearn_version


def _is_array_wrapper(obj: Obj) -> bool:
    return obj.qualname().endswith("numpy_pickle.NumpyArrayWrapper")


_FIXED_SIZE = re.compile(r"^[<>|=]?[a-zA-Z](\d+)$")


def _skip_array(stream: IO[bytes], state: Any, result: PickleScan) -> None:
    """Skip the raw buffer joblib wrote after a NumpyArrayWrapper (or scan its nested pickle)."""
    if not isinstance(state, dict) or not isinstance(state.get("dtype"), Obj):
        raise Corrupt("array wrapper without a dtype")
    dtype: Obj = state["dtype"]
    code = dtype.args[0] if isinstance(dtype.args, tuple) and dtype.args else ""
    if code.lstrip("<>|=").startswith("O"):
        _run(stream, result)  # object arrays are a nested pickle
        return
    elsize = dtype.state[5] if isinstance(dtype.state, tuple) and len(dtype.state) > 5 else -1
    if not (isinstance(elsize, int) and elsize > 0):
        match = _FIXED_SIZE.match(code)
        if not match:
            raise Corrupt(f"unknown array dtype {code!r}")
        elsize = int(match.group(1))
    if state.get("numpy_array_alignment_bytes") is not None:
        padding = stream.read(1)
        if not padding:
            raise Corrupt("truncated array")
        stream.read(padding[0])
    nbytes = math.prod(state.get("shape") or ()) * elsize
    while nbytes > 0:  # read rather than seek: compressed streams seek by reading anyway
        chunk = stream.read(min(nbytes, 1 << 20))
        if not chunk:
            raise Corrupt("truncated array data")
        nbytes -= len(chunk)
