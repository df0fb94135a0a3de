"""The OpenAPI document says what the API really answers: every error status an operation can
return, each with its `{"detail": ...}` body, and 405s that list exactly the allowed methods.

Errors come from a few places every route shares (authentication, ids in the path, bodies
and their limit, validation), plus a short table of what particular operations add. The
schemathesis run in `make test` (tests/test_openapi.py) fails when the two disagree.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kubeserve.errors import MethodNotAllowed

ERROR = "ErrorDetail"
VALIDATION_ERROR = "ValidationErrorDetail"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated, or a bad, expired or revoked credential",
    403: "Forbidden",
    404: "Not found (also another user's object)",
    409: "Conflict with the object's current state",
    413: "Body larger than allowed",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many failed logins; see Retry-After",
    502: "The model's replica failed while processing this request (not retried)",
    503: "Busy or not ready yet; see Retry-After",
    504: "The model did not answer in time",
}
# What particular operations add to the shared errors, by (method, path).
EXTRA: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/v1/auth/register"): (403, 409, 503),  # 403: a single-user install
    ("post", "/api/v1/auth/login"): (401, 415, 429, 503),
    ("get", "/api/v1/auth/session"): (403,),
    ("post", "/api/v1/auth/session"): (401, 403, 415, 429, 503),
    ("post", "/api/v1/models"): (409,),
    ("post", "/api/v1/models/{model_id}/versions"): (409,),
    ("post", "/api/v1/versions/{version_id}/upload"): (400, 409, 413, 415),
    ("post", "/api/v1/deployments"): (403, 404, 409),  # 403: the pods quota; 404: the version
    ("patch", "/api/v1/deployments/{deployment_id}"): (403, 409),
    ("post", "/api/v1/deployments/{deployment_id}/rollback"): (409,),
    ("post", "/api/v1/predict/{deployment}"): (401, 403, 404, 413, 415, 422, 502, 503, 504),
    ("get", "/api/v1/predict/{deployment}/v2/{path}"): (401, 404, 502, 503, 504),
    ("post", "/api/v1/predict/{deployment}/v2/{path}"): (401, 403, 404, 413, 415, 422, 502, 503, 504),
}
COOKIE_WRITES = ("post", "put", "patch", "delete")  # a browser session's writes need a CSRF token
ADMIN_PATHS = "/api/v1/admin/"  # every operation under it answers 403 to a non-admin


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add every operation's error responses (idempotent)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR] = {
        "title": ERROR,
        "type": "object",
        "properties": {"detail": {"title": "Detail"}},
        "required": ["detail"],
    }
    components[VALIDATION_ERROR] = {
        "title": VALIDATION_ERROR,
        "type": "object",
        "properties": {
            "detail": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                ]
            }
        },
        "required": ["detail"],
    }
    components.setdefault("ValidationError", _VALIDATION_ITEM)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method in METHODS:
                for status in sorted(_statuses(method, path, operation)):
                    operation.setdefault("responses", {})[str(status)] = _response(status)
    return schema


def _statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    statuses = set(EXTRA.get((method, path), ()))
    if path.startswith(ADMIN_PATHS):
        statuses.add(403)
    parameters = operation.get("parameters", [])
    if operation.get("security") or any(p.get("in") == "cookie" for p in parameters):
        statuses.add(401)
        if method in COOKIE_WRITES:
            statuses.add(403)  # a cookie session without its CSRF token
    if any(p.get("in") == "path" for p in parameters):
        statuses |= {404, 422}
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}  # a body that is not even JSON (or UTF-8); too large
    return statuses


def _response(status: int) -> dict[str, Any]:
    name = VALIDATION_ERROR if status == 422 else ERROR
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The documented methods of every operation whose path template matches `path`."""
    return [m.upper() for pattern, methods in _templates(app) if pattern.match(path) for m in methods]


def _templates(app: FastAPI) -> list[tuple[re.Pattern[str], list[str]]]:
    return _compile(tuple((p, tuple(ops)) for p, ops in app.openapi()["paths"].items()))


@cache
def _compile(paths: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[re.Pattern[str], list[str]]]:
    compiled = []
    for path, operations in paths:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
        compiled.append((re.compile(f"^{pattern}$"), [m for m in operations if m in METHODS]))
    return compiled


def method_not_allowed(app: FastAPI, path: str) -> MethodNotAllowed | None:
    """A 405 listing exactly the allowed methods, when `path` is an API path at all."""
    allowed = sorted(set(allowed_methods(app, path)))
    if not allowed:
        return None
    return MethodNotAllowed("method not allowed", headers={"Allow": ", ".join(allowed)})


def install(app: FastAPI) -> None:
    """Document the errors, and answer 405 with the right `Allow` header (Starlette's lists
    only the first route that matched the path)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        return document_errors(original())

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            refusal = method_not_allowed(app, request.url.path)
            headers = refusal.headers if refusal is not None else headers
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)


_VALIDATION_ITEM = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
    },
    "required": ["loc", "msg", "type"],
}
