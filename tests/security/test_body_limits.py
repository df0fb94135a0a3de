"""Oversized bodies: 413 JSON on every JSON route before the body is read, and at the gateway
(from Content-Length and while streaming) — never buffered, never a 500."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from kubeserve.config import Settings
from kubeserve.deployments.gateway_asgi import MAX_BODY
from tests.fixtures.app import Headers

LIMIT_KB = 4
CHUNK = 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.max_request_body_kb = LIMIT_KB
    return settings


def _json_routes(client: httpx.AsyncClient) -> list[tuple[str, str, bool]]:
    """Every (method, path, takes a body) of the API that could be sent one, except the
    streaming uploads."""
    routes = []
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        if path.startswith("/api/v1/predict/"):
            continue  # the gateway: its own limit, tested below
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if method in ("post", "put", "patch") and "multipart/form-data" not in content:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path), bool(content)))
    return routes


async def _chunks(count: int, consumed: list[int]) -> AsyncIterator[bytes]:
    for _ in range(count):
        consumed.append(1)
        yield b" " * CHUNK


async def test_every_json_route_refuses_an_oversized_body(
    client: httpx.AsyncClient, user_headers: Headers
) -> None:
    routes = _json_routes(client)
    assert {("POST", "/api/v1/auth/login", True), ("POST", "/api/v1/deployments", True)} <= set(routes)
    too_big = b"{" + b" " * (LIMIT_KB * 1024) + b"}"
    for method, path, takes_body in routes:
        for headers in ({}, user_headers):  # anonymous callers too: refused before any auth
            declared = await client.request(
                method, path, content=too_big, headers={**headers, "content-type": "application/json"}
            )
            assert declared.status_code == 413, (method, path, declared.text)
            assert "larger than" in declared.json()["detail"]
            consumed: list[int] = []
            streamed = await client.request(  # chunked: no Content-Length to trust
                method,
                path,
                content=_chunks(1000, consumed),
                headers={**headers, "content-type": "application/json"},
            )
            if takes_body or streamed.status_code == 413:
                assert streamed.status_code == 413, (method, path, streamed.text)
                assert "larger than" in streamed.json()["detail"]
            else:  # a route that takes no body answers without reading it (logout: 204)
                assert streamed.status_code < 500, (method, path, streamed.text)
            assert len(consumed) <= LIMIT_KB + 2, "the body was read past the limit"


async def test_a_body_within_the_limit_still_works(client: httpx.AsyncClient, user_headers: Headers) -> None:
    r = await client.post(
        "/api/v1/models", json={"name": "small", "description": "x" * 2000}, headers=user_headers
    )
    assert r.status_code == 201, r.text


async def test_login_form_bodies_are_limited_too(client: httpx.AsyncClient) -> None:
    form = {"username": "a@example.com", "password": "x" * (LIMIT_KB * 1024)}
    assert (await client.post("/api/v1/auth/login", data=form)).status_code == 413
    r = await client.post(
        "/api/v1/auth/login", files={"username": (None, "a@example.com"), "password": (None, "x" * 8000)}
    )
    assert r.status_code == 413


async def test_gateway_refuses_bodies_over_the_replicas_limit(
    client: httpx.AsyncClient, user_headers: Headers
) -> None:
    """From Content-Length before anything else; while streaming for a public deployment."""
    declared = await client.post(
        "/api/v1/predict/anything",
        content=b"x",
        headers={**user_headers, "content-length": str(MAX_BODY + 1)},
    )
    assert declared.status_code == 413 and "larger than" in declared.json()["detail"]

    name = await _public_deployment(client, user_headers)
    consumed: list[int] = []
    chunk_count = MAX_BODY // (64 * 1024) + 50

    async def big() -> AsyncIterator[bytes]:
        for _ in range(chunk_count):
            consumed.append(1)
            yield b"x" * (64 * 1024)

    streamed = await client.post(f"/api/v1/predict/{name}", content=big())
    assert streamed.status_code == 413 and "larger than" in streamed.json()["detail"]
    assert len(consumed) <= MAX_BODY // (64 * 1024) + 2, "the gateway kept reading past its limit"


async def _public_deployment(client: httpx.AsyncClient, headers: Headers) -> str:
    """A public deployment row (its replicas need not start: the body is refused first)."""
    from sqlalchemy import update

    from kubeserve.orm import ModelVersion

    model = (await client.post("/api/v1/models", json={"name": "gw"}, headers=headers)).json()
    version = (
        await client.post(
            f"/api/v1/models/{model['id']}/versions", json={"version_tag": "v1"}, headers=headers
        )
    ).json()
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await session.execute(
            update(ModelVersion)
            .where(ModelVersion.id == version["id"])
            .values(status="Ready", s3_path="models/none/model.joblib", sha256="0" * 64)
        )
        await session.commit()
    created = await client.post(
        "/api/v1/deployments", json={"version_id": version["id"], "public": True}, headers=headers
    )
    assert created.status_code in (200, 201, 202), created.text
    return str(created.json()["name"])
