"""ASGI plumbing for the model server: read a bounded body, send a JSON response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from kubeserve.errors import BadRequest, KubeServeError, PayloadTooLarge

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
JSON = b"application/json"
ROWS_HEADER = b"x-kubeserve-rows"  # rows a prediction answered: read by the gateway's request log


class Traffic:
    """Requests whose bodies are still being read: the batcher waits for them, briefly."""

    def __init__(self) -> None:
        self.reading = 0


class MethodNotAllowed(KubeServeError):
    status_code = 405


async def read_body(scope: dict[str, Any], receive: Receive, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (declared or streamed)."""
    for key, value in scope["headers"]:
        if key == b"content-length":
            if not value.isdigit():
                raise BadRequest("invalid Content-Length")
            if int(value) > limit:
                raise PayloadTooLarge(f"body of {int(value)} bytes is over the {limit}-byte limit")
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body  # the common case: the whole body in one message
    chunks, size = [body], len(body)
    while message.get("more_body"):
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def error_body(detail: Any, v2: bool) -> bytes:
    return orjson.dumps({"detail": detail, "error": detail} if v2 else {"detail": detail})


async def respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = JSON,
    rows: int = 0,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if rows:
        headers.append((ROWS_HEADER, str(rows).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})
