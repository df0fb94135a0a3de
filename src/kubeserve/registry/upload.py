"""Streaming multipart reader: each file goes to a staging file, hashed and size-checked on the way.

Starlette's `request.form()` would buffer the whole body before we could refuse it; this
reader stops at the first byte over the limit (413) and at a wrong extension (415), and
never holds more than one chunk in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from kubeserve.errors import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType


@dataclass(frozen=True)
class FieldRule:
    extensions: tuple[str, ...]
    max_bytes: int


@dataclass
class StagedFile:
    """One uploaded file, already on local disk."""

    path: Path
    extension: str
    filename: str = ""  # the client's base name; used only to name a shipped .py module
    size: int = 0
    sha256: str = ""
    _hash: hashlib._Hash = field(default_factory=hashlib.sha256, repr=False)


class _Collector:
    """Parser callbacks: route each part's bytes to its staging file, enforcing the rules."""

    def __init__(self, rules: dict[str, FieldRule], staging: Path) -> None:
        self.rules, self.staging = rules, staging
        self.files: dict[str, StagedFile] = {}
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._current: tuple[str, StagedFile, IO[bytes]] | None = None

    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode(errors="replace")
        filename = params.get(b"filename", b"").decode(errors="replace")
        rule = self.rules.get(name)
        if rule is None:
            raise Unprocessable(f"unexpected form field {name!r}; send {', '.join(self.rules)}")
        if name in self.files:
            raise Unprocessable(f"form field {name!r} sent twice")
        # Only the extension of the client's name is used; the stored key never contains it.
        base = PurePosixPath(filename.replace("\\", "/")).name
        extension = next(
            (e for e in rule.extensions if base.lower().endswith(e)), PurePosixPath(base).suffix.lower()
        )
        if extension not in rule.extensions:
            raise UnsupportedMediaType(
                f"{name}: {filename or 'no file name'!r} is not one of {', '.join(rule.extensions)}"
            )
        staged = StagedFile(path=self.staging / name, extension=extension, filename=base)
        self.files[name] = staged
        self._current = (name, staged, staged.path.open("wb"))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        assert self._current is not None
        name, staged, fh = self._current
        chunk = data[start:end]
        staged.size += len(chunk)
        if staged.size > self.rules[name].max_bytes:
            raise PayloadTooLarge(f"{name} is larger than {_human(self.rules[name].max_bytes)}")
        staged._hash.update(chunk)
        fh.write(chunk)

    def on_part_end(self) -> None:
        if self._current is not None:
            _, staged, fh = self._current
            fh.close()
            staged.sha256 = staged._hash.hexdigest()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current[2].close()


async def receive_files(
    request: Request, rules: dict[str, FieldRule], staging: Path
) -> dict[str, StagedFile]:
    """Read a multipart body into `staging`; raise 4xx as soon as a rule is broken."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UnsupportedMediaType("send multipart/form-data")
    declared = request.headers.get("content-length")
    budget = sum(rule.max_bytes for rule in rules.values()) + 64 * 1024
    if declared and declared.isdecimal() and int(declared) > budget:
        raise PayloadTooLarge(f"request body is larger than {_human(budget)}")
    collector = _Collector(rules, staging)
    callbacks = {name: getattr(collector, name) for name in dir(collector) if name.startswith("on_")}
    parser = MultipartParser(params[b"boundary"], callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            # Writing to disk off the event loop keeps other requests served during big uploads.
            await asyncio.to_thread(parser.write, chunk)
        parser.finalize()
    except ClientDisconnect as exc:
        raise BadRequest("upload interrupted") from exc
    except MultipartParseError as exc:
        raise BadRequest(f"malformed multipart body: {exc}") from exc
    finally:
        collector.close()
    if collector._current is not None or any(not f.sha256 for f in collector.files.values()):
        raise BadRequest("malformed multipart body")
    return collector.files


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"
