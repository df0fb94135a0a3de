"""The gateway's HTTP front: a bare ASGI layer in front of FastAPI for /api/v1/predict/...

Predictions are the hot path, so they skip FastAPI's routing, dependency injection and
middleware (several hundred microseconds a request); everything else goes to the app.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from kubeserve.accounts.csrf import cookie_credential, parse_cookie_header
from kubeserve.deployments.gateway import PASSED_HEADERS, Admission, Answer, Call, Gateway
from kubeserve.errors import KubeServeError, MethodNotAllowed, NotFound, PayloadTooLarge
from kubeserve.inference.settings import ModelServerSettings

PREFIX = "/api/v1/predict/"
HEADER_LENGTH = b"inference-header-content-length"
# The replicas' own limit: a body they would refuse is refused here, before it is buffered.
MAX_BODY: int = ModelServerSettings.model_fields["max_body_bytes"].default


class GatewayFront:
    """Route `/api/v1/predict/{name}[/v2/...]` to the gateway; pass the rest to `app`."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        gateway: Gateway = self.state.gateway
        start, call, admission, answer, status = time.perf_counter(), None, None, None, 500
        try:
            call = _parse(scope, self.state.settings.jwt_key)
            _check_length(scope)
            admission = await gateway.admit(call)  # callers are checked before their body is read
            answer = await gateway.forward(call, admission, await _read_body(receive))
            status = answer.status
            passed = [(HEADER_LENGTH, answer.header_length)] if answer.header_length else None
            await _respond(send, answer.status, answer.content_type.encode(), answer.body, passed)
        except KubeServeError as exc:
            status = exc.status_code
            # V2 clients (Triton's, KServe's) read the reason from "error"
            v2 = scope["path"][len(PREFIX) :].partition("/")[2].startswith("v2")
            doc = {"detail": exc.detail, "error": exc.detail} if v2 else {"detail": exc.detail}
            extra = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
            await _respond(send, exc.status_code, b"application/json", orjson.dumps(doc), extra)
        except _Disconnected:
            status = 499  # client closed the request (nginx's code): nothing was answered
        finally:
            self._record(call, admission, answer, status, time.perf_counter() - start)

    def _record(
        self,
        call: Call | None,
        admission: Admission | None,
        answer: Answer | None,
        status: int,
        seconds: float,
    ) -> None:
        """Gateway metrics and the request log. A 404 names no deployment of the caller's,
        so it is counted under `deployment=""` and logged nowhere (bounded cardinality)."""
        metrics = self.state.metrics
        if call is None or status == 404:
            metrics.gateway.request("", status)
            return
        upstream = answer.upstream if answer is not None else None
        name = admission.name if admission is not None else call.name
        metrics.gateway.request(name, status)
        if upstream is not None:
            metrics.gateway.latency(name, upstream.replica, seconds)
        self.state.request_log.record(
            name,
            upstream.release if upstream is not None else None,
            upstream.replica if upstream is not None else "",
            call.method,
            admission.path if admission is not None else "/" + call.path,
            status,
            seconds,
            answer.rows if answer is not None else 0,
            admission.caller if admission is not None else "none",
        )


class _Disconnected(Exception):
    """The client went away before sending its whole body."""


def _parse(scope: Scope, signing_key: str) -> Call:
    name, _, rest = scope["path"][len(PREFIX) :].partition("/")
    method = scope["method"]
    if not name:
        raise NotFound("POST /api/v1/predict/{deployment}, or GET/POST .../v2/...")
    allowed = ("GET", "POST") if rest == "v2" or rest.startswith("v2/") else ("POST",)
    if method not in allowed:
        raise MethodNotAllowed(f"{method} is not allowed here", headers={"Allow": ", ".join(allowed)})
    content_type = credential = api_key = cookie = csrf = None
    passed = []
    for key, value in scope["headers"]:
        if key == b"content-type":
            content_type = value.decode("latin-1")
        elif key in PASSED_HEADERS:
            passed.append((key.decode(), value.decode("latin-1")))
        elif key == b"x-api-key":
            api_key = value.decode("latin-1")
        elif key == b"authorization" and value[:7].lower() == b"bearer ":
            credential = value[7:].decode("latin-1").strip()
        elif key == b"cookie":
            cookie = value.decode("latin-1")
        elif key == b"x-csrf-token":
            csrf = value.decode("latin-1")
    if not (api_key or credential) and cookie:  # the dashboard's try-it form: a browser session
        credential = cookie_credential(method, parse_cookie_header(cookie), csrf, signing_key)
    return Call(name, method, rest, content_type, api_key or credential, tuple(passed))


def _check_length(scope: Scope) -> None:
    for key, value in scope["headers"]:
        if key == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
            raise _too_large()


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is larger than {MAX_BODY // (1024 * 1024)} MB")


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(
    send: Send, status: int, content_type: bytes, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


_CALLER: list[dict[str, list[str]]] = [{"OAuth2PasswordBearer": []}, {"APIKeyHeader": []}]
OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/predict/{deployment}": {
        "post": {
            "tags": ["predict"],
            "summary": "Predict",
            "operationId": "predict",
            "description": 'Body `{"data": [[...]]}` (or `instances`, or records by feature name), '
            'optional `"method": "predict_proba"`; answers `{"predictions": [...]}`. '
            "The owner's bearer token or API key (`X-API-Key`), unless public.",
            "parameters": [
                {"name": "deployment", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {"200": {"description": "predictions"}, "503": {"description": "no replica ready"}},
            "security": _CALLER,
        }
    },
    "/api/v1/predict/{deployment}/v2/{path}": {
        "post": {
            "tags": ["predict"],
            "summary": "Open Inference Protocol (V2)",
            "operationId": "predict_v2",
            "description": "`v2/models/{model}/infer`, `v2/health/ready`, `v2/models/{model}` (GET too).",
            "parameters": [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in ("deployment", "path")
            ],
            "responses": {"200": {"description": "the model server's answer"}},
            "security": _CALLER,
        }
    },
}
_V2 = OPENAPI_PATHS["/api/v1/predict/{deployment}/v2/{path}"]
_V2["get"] = {**_V2["post"], "operationId": "predict_v2_get"}
