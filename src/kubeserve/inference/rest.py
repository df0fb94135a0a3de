"""The thin HTTP layer: a plain ASGI app routing to the data plane.

No framework on the hot path: a dict lookup for the route, the body read once, orjson out.
Errors are KubeServeErrors rendered here, in one place, as `{"detail": ...}` (V2 routes
also carry `"error"`, which V2 clients read).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import orjson

from kubeserve.errors import BadRequest, Forbidden, KubeServeError, NotFound, ServiceUnavailable
from kubeserve.inference.asgi import (
    MethodNotAllowed,
    Receive,
    Send,
    Traffic,
    error_body,
    read_body,
    respond,
)
from kubeserve.inference.encoding import inflate
from kubeserve.inference.metrics import REQUEST_ROWS, Metrics
from kubeserve.inference.startup import ServerState

if TYPE_CHECKING:
    from kubeserve.inference.dataplane import DataPlane

log = logging.getLogger("kubeserve.inference")
# Probes carry no secret (a kubelet's httpGet headers would sit in the pod spec): liveness and
# readiness answer without the token; they reveal only whether the model loaded.
OPEN_PATHS = frozenset({"/health", "/ready"})
HEADER_LENGTH = b"inference-header-content-length"  # V2 binary tensor data extension
OCTET_STREAM = b"application/octet-stream"


class ModelServerApp:
    """ASGI app of one model server; `on_startup` runs once from the lifespan."""

    def __init__(
        self,
        state: ServerState,
        metrics: Metrics,
        traffic: Traffic,
        *,
        max_body_bytes: int,
        token: str | None,
        metrics_token: str | None = None,
        on_startup: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        self.state, self.metrics, self.traffic = state, metrics, traffic
        self.max_body, self.token, self.metrics_token = max_body_bytes, token, metrics_token
        self.on_startup = on_startup
        self._background: set[Any] = set()
        self.routes: dict[tuple[str, str], Callable[..., Awaitable[None]]] = {
            ("GET", "/health"): self.health,
            ("GET", "/ready"): self.ready,
            ("GET", "/metrics"): self.render_metrics,
            ("POST", "/predict"): self.predict,
            ("GET", "/v2"): self.v2_server,
            ("GET", "/v2/health/live"): self.health,
            ("GET", "/v2/health/ready"): self.ready,
        }

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self.lifespan(receive, send)
        if scope["type"] != "http":
            return None
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):  # /v2/ is /v2
            path = scope["path"] = path.rstrip("/") or "/"
        v2 = path.startswith("/v2")
        try:
            if self.token is not None and path not in OPEN_PATHS:
                self.authorize(scope["headers"], path)
            handler = self.routes.get((scope["method"], path))
            if handler is not None:
                return await handler(scope, receive, send)
            if any(p == path for _, p in self.routes):
                raise MethodNotAllowed(f"{scope['method']} is not allowed on {path}")
            return await self.v2_model(scope, receive, send)
        except KubeServeError as exc:
            return await respond(send, exc.status_code, error_body(exc.detail, v2))
        except Exception as exc:  # a bug: still a JSON answer that V2 clients can read
            log.exception("unhandled error on %s %s", scope["method"], path)
            return await respond(send, 500, error_body(f"internal error: {type(exc).__name__}", v2))

    def authorize(self, headers: list[tuple[bytes, bytes]], path: str) -> None:
        """The gateway's token, as X-KubeServe-Token or `Authorization: Bearer`; for /metrics
        also the metrics token (Prometheus' own credential: it never holds the gateway's)."""
        assert self.token is not None
        accepted = [self.token.encode()]
        if path == "/metrics" and self.metrics_token:
            accepted.append(self.metrics_token.encode())
        for key, value in headers:
            if key == b"x-kubeserve-token" or key == b"authorization":
                given = value.decode("latin-1").removeprefix("Bearer ").encode()
                if any(hmac.compare_digest(given, token) for token in accepted):
                    return
        raise Forbidden("missing or wrong X-KubeServe-Token: call this model through the gateway")

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                task = asyncio.create_task(self.on_startup())  # serve /health while loading
                self._background.add(task)
                task.add_done_callback(self._background.discard)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.state.dataplane is not None:
                    self.state.dataplane.batcher.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def health(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        await respond(send, 200, b'{"status":"alive","live":true}')

    async def ready(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        state = self.state
        if state.dataplane is not None:
            stuck = state.dataplane.batcher.running_for()
            if state.stuck_after is None or stuck <= state.stuck_after:
                return await respond(send, 200, b'{"status":"ready","ready":true}')
            detail = f"not ready: a prediction has been running for {stuck:.0f} s"
            return await respond(
                send, 503, orjson.dumps({"status": "stuck", "ready": False, "detail": detail})
            )
        body = {"status": state.status, "ready": False, "detail": f"not ready: {state.detail}"}
        await respond(send, 503, orjson.dumps(body))

    async def render_metrics(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        await respond(send, 200, self.metrics.render(), self.metrics.content_type.encode())

    async def v2_server(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        server = {"name": "kubeserve", "version": "1", "extensions": ["binary_tensor_data"]}
        await respond(send, 200, orjson.dumps(server))

    def dataplane(self) -> DataPlane:
        if self.state.dataplane is None:
            raise ServiceUnavailable(f"model not ready: {self.state.detail}")
        return self.state.dataplane

    async def predict(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        await self.serve_prediction(scope, receive, send, lambda b: self.dataplane().predict(b))

    async def v2_model(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """/v2/models/{name}[/versions/{v}][/ready|/infer]."""
        parts = scope["path"].strip("/").split("/")
        if len(parts) < 3 or parts[:2] != ["v2", "models"]:
            raise NotFound(f"no route {scope['method']} {scope['path']}")
        name, rest, version = parts[2], parts[3:], None
        if rest[:1] == ["versions"]:
            if len(rest) < 2:
                raise NotFound(f"no route {scope['method']} {scope['path']}")
            version, rest = rest[1], rest[2:]
        if rest == ["infer"] and scope["method"] == "POST":
            length = _header_length(scope["headers"])
            return await self.serve_prediction(
                scope, receive, send, lambda b: self.dataplane().infer(name, version, b, length)
            )
        if scope["method"] != "GET" or rest not in ([], ["ready"]):
            raise NotFound(f"no route {scope['method']} {scope['path']}")
        dataplane = self.dataplane()
        if rest == ["ready"]:
            dataplane.check_name(name, version)
            return await respond(send, 200, orjson.dumps({"name": name, "ready": True}))
        await respond(send, 200, orjson.dumps(dataplane.metadata(name, version)))

    async def serve_prediction(
        self,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
        run: Callable[[bytes], Awaitable[bytes | tuple[bytes, int | None]]],
    ) -> None:
        """Read (and inflate), predict, answer; counted in the metrics whatever the outcome.

        `run` answers a body, or (body, JSON header length) for a V2 binary answer. The answer
        says how many rows it predicted (`X-KubeServe-Rows`, for request logs)."""
        metrics, start = self.metrics, time.perf_counter()
        metrics.in_flight.inc()
        outcome = "server_error"
        REQUEST_ROWS.set(0)
        try:
            self.traffic.reading += 1
            try:
                body = await read_body(scope, receive, self.max_body)
            finally:
                self.traffic.reading -= 1
            for key, value in scope["headers"]:
                if key == b"content-encoding":
                    body = inflate(body, value.decode("latin-1"), self.max_body)
            answer = await run(body)
            outcome = "ok"
        except KubeServeError as exc:
            outcome = "client_error" if exc.status_code < 500 else "server_error"
            answer = error_body(exc.detail, scope["path"].startswith("/v2"))
            return await respond(send, exc.status_code, answer)
        finally:
            metrics.in_flight.dec()
            metrics.observe(outcome, time.perf_counter() - start, REQUEST_ROWS.get())
        if isinstance(answer, bytes):
            return await respond(send, 200, answer, rows=REQUEST_ROWS.get())
        content, length = answer
        if length is None:
            return await respond(send, 200, content, rows=REQUEST_ROWS.get())
        extra = [(HEADER_LENGTH, str(length).encode())]
        await respond(send, 200, content, OCTET_STREAM, REQUEST_ROWS.get(), extra)


def _header_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The V2 binary extension's JSON header length, if the request uses it."""
    for key, value in headers:
        if key == HEADER_LENGTH:
            if not value.strip().isdigit():
                raise BadRequest(f"Inference-Header-Content-Length must be a byte count, got {value!r}")
            return int(value)
    return None
