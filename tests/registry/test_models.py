"""Models and versions: create, list, get, patch, delete; constraints answer 409/422."""

from __future__ import annotations

import httpx

from tests.fixtures.app import Headers
from tests.registry.helpers import create_model, create_version


async def test_model_crud(client: httpx.AsyncClient, user_headers: Headers) -> None:
    model = await create_model(client, user_headers, "iris")
    assert model["type"] == "sklearn" and model["name"] == "iris"
    listed = await client.get("/api/v1/models", headers=user_headers)
    assert [m["id"] for m in listed.json()] == [model["id"]]
    got = await client.get(f"/api/v1/models/{model['id']}", headers=user_headers)
    assert got.json()["description"] == "d"
    patched = await client.patch(
        f"/api/v1/models/{model['id']}", json={"description": "new"}, headers=user_headers
    )
    assert patched.status_code == 200 and patched.json()["description"] == "new"
    deleted = await client.delete(f"/api/v1/models/{model['id']}", headers=user_headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/models/{model['id']}", headers=user_headers)).status_code == 404


async def test_model_name_rules(client: httpx.AsyncClient, user_headers: Headers) -> None:
    await create_model(client, user_headers, "iris")
    dup = await client.post("/api/v1/models", json={"name": "iris"}, headers=user_headers)
    assert dup.status_code == 409
    for bad in ("Iris", "../etc", "a/b", "-x", "", "x" * 64, "iris_model"):
        r = await client.post("/api/v1/models", json={"name": bad}, headers=user_headers)
        assert r.status_code == 422, bad
    r = await client.post("/api/v1/models", json={"name": "ok", "type": "tensorflow"}, headers=user_headers)
    assert r.status_code == 422
    r = await client.patch("/api/v1/models/1", json={"name": "renamed"}, headers=user_headers)
    assert r.status_code == 422  # the name is part of artifact keys: immutable


async def test_two_users_may_share_a_model_name(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    a, b = await make_user(), await make_user()
    await create_model(client, a, "shared")
    await create_model(client, b, "shared")


async def test_models_need_auth(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/models")).status_code == 401
    assert (await client.post("/api/v1/models", json={"name": "x"})).status_code == 401


async def test_pagination(client: httpx.AsyncClient, user_headers: Headers) -> None:
    for i in range(3):
        await create_model(client, user_headers, f"m{i}")
    page = await client.get("/api/v1/models?limit=2&offset=1", headers=user_headers)
    assert [m["name"] for m in page.json()] == ["m1", "m2"]
    assert (await client.get("/api/v1/models?limit=0", headers=user_headers)).status_code == 422


async def test_version_crud_and_rules(client: httpx.AsyncClient, user_headers: Headers) -> None:
    model = await create_model(client, user_headers)
    v1 = await create_version(client, user_headers, model["id"], "v1")
    assert v1["status"] == "Pending" and v1["s3_path"] is None and v1["sha256"] is None
    dup = await client.post(
        f"/api/v1/models/{model['id']}/versions", json={"version_tag": "v1"}, headers=user_headers
    )
    assert dup.status_code == 409
    for bad in ("../v2", "v 2", "", "a/b"):
        r = await client.post(
            f"/api/v1/models/{model['id']}/versions", json={"version_tag": bad}, headers=user_headers
        )
        assert r.status_code == 422, bad
    await create_version(client, user_headers, model["id"], "v2.0-rc_1")
    listed = await client.get(f"/api/v1/models/{model['id']}/versions", headers=user_headers)
    assert [v["version_tag"] for v in listed.json()] == ["v1", "v2.0-rc_1"]
    assert (await client.get(f"/api/v1/versions/{v1['id']}", headers=user_headers)).json()["id"] == v1["id"]
    assert (await client.delete(f"/api/v1/versions/{v1['id']}", headers=user_headers)).status_code == 204
    assert (await client.get(f"/api/v1/versions/{v1['id']}", headers=user_headers)).status_code == 404
    assert (await client.get("/api/v1/versions/999999", headers=user_headers)).status_code == 404
    assert (
        await client.post("/api/v1/models/999999/versions", json={"version_tag": "v1"}, headers=user_headers)
    ).status_code == 404


async def test_deleting_model_cascades_to_versions(client: httpx.AsyncClient, user_headers: Headers) -> None:
    model = await create_model(client, user_headers)
    v = await create_version(client, user_headers, model["id"])
    await client.delete(f"/api/v1/models/{model['id']}", headers=user_headers)
    assert (await client.get(f"/api/v1/versions/{v['id']}", headers=user_headers)).status_code == 404


async def test_absurd_ids_are_4xx_not_500(client: httpx.AsyncClient, user_headers: Headers) -> None:
    huge = 2**70
    for method, path, body in (
        ("GET", f"/api/v1/models/{huge}", None),
        ("PATCH", f"/api/v1/deployments/{huge}", {"replicas": 1}),
        ("GET", "/api/v1/versions/0", None),
        ("DELETE", f"/api/v1/api-keys/{-1}", None),
        ("POST", "/api/v1/deployments", {"version_id": huge}),
    ):
        r = await client.request(method, path, json=body, headers=user_headers)
        assert r.status_code == 422, (method, path, r.status_code)
