"""A body limit for every JSON route: 413 JSON before the body is buffered.

Checked from Content-Length first, then counted while the body streams in (chunked
requests declare nothing). Streaming uploads (routes documenting a multipart body) keep
their own, larger limits; the gateway sits in front of this and has its own too.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes
        self._exempt: list[re.Pattern[str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_upload(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        received, refused, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}  # the route stops reading
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is already out
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps({"detail": f"request body is larger than {self.max_bytes // 1024} KB"})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _is_upload(self, scope: Scope) -> bool:
        if self._exempt is None:
            self._exempt = _upload_paths(scope["app"])
        return any(pattern.match(scope["path"]) for pattern in self._exempt)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _upload_paths(app: Any) -> list[re.Pattern[str]]:
    """Routes whose documented body is multipart/form-data stream it themselves, with limits."""
    patterns = []
    for path, operations in app.openapi()["paths"].items():
        for operation in operations.values():
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                patterns.append(re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"))
    return patterns
