"""ASGI middleware: the control plane's API requests by method, route template and status."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "other"  # paths no route matched (and unknown methods): one series, whatever was asked
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics:
    """Count and time every HTTP request the app (not the gateway front) answers."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status, start = 500, time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics = getattr(self.state, "metrics", None)  # absent before the lifespan ran
            if metrics is not None:
                template = route_template(scope)
                method = scope["method"] if scope["method"] in METHODS else UNMATCHED
                metrics.http_requests.labels(method, template, str(status)).inc()
                metrics.http_duration.labels(method, template).observe(time.perf_counter() - start)


def route_template(scope: Scope) -> str:
    """The matched route's path with its parameters unfilled, prefixes included."""
    # FastAPI >= 0.16x keeps the included router's full path here; `route` lacks the prefix.
    context = scope.get("fastapi", {}).get("effective_route_context")
    route = scope.get("route")
    path = getattr(context, "path", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED
