"""Registration, login (form and JSON), /me, tokens, throttling."""

from __future__ import annotations

import time

import httpx
import jwt

from kubeserve.config import Settings
from tests.fixtures.app import PASSWORD, Headers


async def test_register_returns_user_without_secrets(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/register", json={"email": "A@Example.com", "password": PASSWORD})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"id", "email", "role", "created_at"}
    assert body["email"] == "a@example.com" and body["role"] == "user"


async def test_register_duplicate_email_is_409(client: httpx.AsyncClient) -> None:
    payload = {"email": "dup@example.com", "password": PASSWORD}
    assert (await client.post("/api/v1/auth/register", json=payload)).status_code == 201
    again = await client.post("/api/v1/auth/register", json={**payload, "email": "DUP@example.com"})
    assert again.status_code == 409


async def test_register_rejects_bad_input(client: httpx.AsyncClient) -> None:
    for payload in (
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "x@example.com", "password": "short"},
        {"email": "x@example.com"},
    ):
        r = await client.post("/api/v1/auth/register", json=payload)
        assert r.status_code == 422, payload
        assert "detail" in r.json()
    r = await client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


async def test_login_form_and_json_then_me(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/auth/register", json={"email": "f@example.com", "password": PASSWORD})
    form = await client.post("/api/v1/auth/login", data={"username": "f@example.com", "password": PASSWORD})
    assert form.status_code == 200
    body = form.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    js = await client.post("/api/v1/auth/login", json={"email": "f@example.com", "password": PASSWORD})
    assert js.status_code == 200
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == "f@example.com"


async def test_token_claims(client: httpx.AsyncClient, settings: Settings) -> None:
    await client.post("/api/v1/auth/register", json={"email": "c@example.com", "password": PASSWORD})
    token = (
        await client.post("/api/v1/auth/login", json={"email": "c@example.com", "password": PASSWORD})
    ).json()["access_token"]
    claims = jwt.decode(token, settings.jwt_key, algorithms=["HS256"])
    assert {"sub", "exp", "iat"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 3600


async def test_same_401_for_unknown_email_and_wrong_password(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/auth/register", json={"email": "w@example.com", "password": PASSWORD})
    wrong = await client.post("/api/v1/auth/login", json={"email": "w@example.com", "password": "nope-nope"})
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_login_content_types(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/login", content=b"x", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    r = await client.post("/api/v1/auth/login", content=b"{bad", headers={"content-type": "application/json"})
    assert r.status_code == 422


async def test_repeated_failures_lock_the_email_out(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/auth/register", json={"email": "l@example.com", "password": PASSWORD})
    bad = {"email": "l@example.com", "password": "wrong-password"}
    codes = [(await client.post("/api/v1/auth/login", json=bad)).status_code for _ in range(5)]
    assert codes == [401] * 5
    locked = await client.post("/api/v1/auth/login", json={"email": "l@example.com", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    other = await client.post("/api/v1/auth/register", json={"email": "o@example.com", "password": PASSWORD})
    assert other.status_code == 201
    ok = await client.post("/api/v1/auth/login", json={"email": "o@example.com", "password": PASSWORD})
    assert ok.status_code == 200  # the lock is per email


async def test_me_refuses_missing_bad_and_expired_tokens(
    client: httpx.AsyncClient, settings: Settings, user_headers: Headers
) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me", headers={"Authorization": "Bearer junk"})).status_code == 401
    sub = jwt.decode(user_headers["Authorization"].split()[1], settings.jwt_key, algorithms=["HS256"])["sub"]
    now = int(time.time())
    expired = jwt.encode(
        {"sub": sub, "iat": now - 7200, "exp": now - 3600, "typ": "access"},
        settings.jwt_key,
        algorithm="HS256",
    )
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    forged = jwt.encode(
        {"sub": sub, "iat": now, "exp": now + 60, "typ": "access"}, "x" * 40, algorithm="HS256"
    )
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})).status_code == 401


async def test_inactive_user_is_refused(client: httpx.AsyncClient, user_headers: Headers) -> None:
    from sqlalchemy import update

    from kubeserve.orm import User

    me = (await client.get("/api/v1/me", headers=user_headers)).json()
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await session.execute(update(User).where(User.id == me["id"]).values(is_active=False))
        await session.commit()
    assert (await client.get("/api/v1/me", headers=user_headers)).status_code == 401
    r = await client.post("/api/v1/auth/login", json={"email": me["email"], "password": PASSWORD})
    assert r.status_code == 401


def test_throttle_forgets_stale_emails_when_many_are_tried(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kubeserve.accounts import throttle

    monkeypatch.setattr(throttle, "MAX_TRACKED", 3)
    # Back-off that is over at once: every record is stale as soon as it is written.
    limiter = throttle.LoginThrottle(
        max_failures=1, back_off_seconds=1e-9, back_off_max_seconds=1e-9, address_max_failures=1
    )
    for i in range(50):
        limiter.failed(f"10.0.0.{i}", f"user{i}@example.com")
    assert len(limiter._pairs) <= 4
