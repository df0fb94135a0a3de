"""Browser sessions: an httpOnly SameSite=Strict cookie, and a CSRF token on unsafe methods."""

from __future__ import annotations

import httpx

from tests.fixtures.app import PASSWORD

EMAIL = "browser@example.com"


async def log_in(client: httpx.AsyncClient) -> str:
    assert (
        await client.post("/api/v1/auth/register", json={"email": EMAIL, "password": PASSWORD})
    ).status_code == 201
    r = await client.post("/api/v1/auth/session", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/api/" in cookie
    body = r.json()
    assert body["user"]["email"] == EMAIL and "access_token" not in body
    return str(body["csrf_token"])


async def test_cookie_session_reads_and_writes_with_csrf(client: httpx.AsyncClient) -> None:
    csrf = await log_in(client)
    assert (await client.get("/api/v1/me")).json()["email"] == EMAIL  # safe method: cookie alone
    again = await client.get("/api/v1/auth/session")
    assert again.status_code == 200 and again.json()["csrf_token"] == csrf  # survives a reload
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        refused = await client.post("/api/v1/api-keys", json={"name": "k"}, headers=headers)
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    assert (await client.get("/api/v1/api-keys")).json() == []  # nothing was written
    created = await client.post("/api/v1/api-keys", json={"name": "k"}, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    gateway = await client.post("/api/v1/predict/anything", json={"data": [[1]]})
    assert gateway.status_code == 403  # the gateway asks the same of a cookie


async def test_bearer_tokens_need_no_csrf_token(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/auth/register", json={"email": EMAIL, "password": PASSWORD})
    token = (await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.post("/api/v1/api-keys", json={"name": "k"}, headers=auth)).status_code == 201
    assert (await client.get("/api/v1/auth/session", headers=auth)).status_code == 403  # no browser session


async def test_log_out_and_bad_logins(client: httpx.AsyncClient) -> None:
    csrf = await log_in(client)
    out = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204 and "max-age=0" in out.headers["set-cookie"].lower()
    assert (await client.get("/api/v1/me")).status_code == 401
    wrong = await client.post("/api/v1/auth/session", json={"email": EMAIL, "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "incorrect email or password"
    assert "set-cookie" not in wrong.headers
    bad = await client.post("/api/v1/auth/session", json={"email": "not-an-email", "password": "x"})
    assert bad.status_code == 422
