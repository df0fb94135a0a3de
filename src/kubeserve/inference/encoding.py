"""Request bodies sent with `Content-Encoding: gzip` or `deflate`, inflated within a bound.

The bound is the server's body limit, applied to the inflated size: a small compressed body
that would inflate past it (a "zip bomb") is refused with 413 after at most `limit` bytes of
output, never inflated whole.
"""

from __future__ import annotations

import zlib

from kubeserve.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def inflate(body: bytes, encoding: str, limit: int) -> bytes:
    """`body` decoded from `encoding` ("" or "identity": as it is)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported: use gzip or deflate")
    try:
        return _inflate(body, wbits, limit)
    except zlib.error:
        if encoding != "deflate":
            raise BadRequest(f"body is not valid {encoding} data") from None
    try:  # "deflate" is zlib-wrapped by the RFC, but some clients send it raw
        return _inflate(body, -zlib.MAX_WBITS, limit)
    except zlib.error:
        raise BadRequest("body is not valid deflate data") from None


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    parts, size = [], 0
    while data:  # gzip bodies may hold several members
        inflater = zlib.decompressobj(wbits)
        part = inflater.decompress(data, limit - size + 1)
        size += len(part)
        if size > limit or inflater.unconsumed_tail:
            raise PayloadTooLarge(f"body inflates to more than the {limit}-byte limit")
        if not inflater.eof:
            raise BadRequest("compressed body is truncated")
        parts.append(part)
        data = inflater.unused_data
    return b"".join(parts)
