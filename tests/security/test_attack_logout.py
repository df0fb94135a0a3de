"""A stolen access token after its owner logs out: refused at once by the API and the
gateway (logout rotates the user's token key); API keys keep working."""

from __future__ import annotations

import httpx

from kubeserve.accounts.csrf import SESSION_COOKIE
from kubeserve.orm import Deployment, Model, ModelVersion
from tests.fixtures.app import PASSWORD, Headers, register_and_login

EMAIL = "owner-logout@example.com"


async def parked_deployment(client: httpx.AsyncClient, headers: Headers) -> str:
    """A deployment row of the user's (0 replicas: the gateway checks the caller, then 503)."""
    me = (await client.get("/api/v1/me", headers=headers)).json()
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        model = Model(user_id=me["id"], name="iris")
        session.add(model)
        await session.flush()
        version = ModelVersion(model_id=model.id, version_tag="v1", status="Ready")
        session.add(version)
        await session.flush()
        session.add(
            Deployment(
                user_id=me["id"], version_id=version.id, k8s_service_name="iris-logout0001", replicas=0
            )
        )
        await session.commit()
    return "/api/v1/predict/iris-logout0001"


async def bearer_login(client: httpx.AsyncClient) -> Headers:
    token = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_logout_revokes_every_token_of_the_user_but_not_api_keys(client: httpx.AsyncClient) -> None:
    cli = await register_and_login(client, EMAIL)
    stolen = await bearer_login(client)  # another login of the same user, copied by an attacker
    other = await register_and_login(client, "bystander@example.com")
    key = {
        "X-API-Key": (await client.post("/api/v1/api-keys", json={"name": "ci"}, headers=cli)).json()["key"]
    }
    url = await parked_deployment(client, cli)
    row = {"data": [[1.0, 2.0, 3.0, 4.0]]}
    by_model = "/api/v1/predict/iris"  # the owner's model name: their newest deployment of it
    for path in (url, by_model):
        assert (await client.post(path, json=row, headers=stolen)).status_code == 503  # admitted; parked
    # (the gateway has now cached the owner's token key)

    assert (await client.post("/api/v1/auth/logout", headers=cli)).status_code == 204

    for headers in (cli, stolen):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
        assert (await client.post(url, json=row, headers=headers)).status_code == 401
        # by model name too, and alike whether the owner has such a model: no name oracle
        for path in (by_model, "/api/v1/predict/never-deployed"):
            assert (await client.post(path, json=row, headers=headers)).status_code == 401
        assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 401
    assert (await client.post(url, json=row, headers=key)).status_code == 503  # the API key still admitted
    assert (await client.get("/api/v1/me", headers=other)).status_code == 200  # other users untouched
    fresh = await bearer_login(client)
    assert (await client.get("/api/v1/me", headers=fresh)).json()["email"] == EMAIL
    assert (await client.post(url, json=row, headers=fresh)).status_code == 503


async def test_the_dashboard_logout_needs_its_csrf_token_and_revokes_the_cookie(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/auth/register", json={"email": EMAIL, "password": PASSWORD})
    session = await client.post("/api/v1/auth/session", json={"email": EMAIL, "password": PASSWORD})
    csrf, cookie = session.json()["csrf_token"], client.cookies[SESSION_COOKIE]
    assert (await client.post("/api/v1/auth/logout")).status_code == 403  # no CSRF token: not a logout
    assert (await client.get("/api/v1/me")).status_code == 200

    out = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204 and "max-age=0" in out.headers["set-cookie"].lower()
    assert SESSION_COOKIE not in client.cookies
    copied = {"Authorization": f"Bearer {cookie}"}  # the cookie's token, kept by an attacker
    assert (await client.get("/api/v1/me", headers=copied)).status_code == 401
