"""Deployment API rules in-process (no replica needs to answer): validation, ownership, keys."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.app import Headers
from tests.registry.helpers import create_model, create_version, upload, wait_built


async def ready_version(
    client: httpx.AsyncClient, headers: Headers, model_id: int, tag: str, model: Path
) -> dict:
    version = await create_version(client, headers, model_id, tag)
    assert (await upload(client, headers, version["id"], model)).status_code == 200
    v = await wait_built(client, headers, version["id"], 60)
    assert v["status"] == "Ready", v["error"]
    return v


@pytest.fixture
async def ready(client: httpx.AsyncClient, user_headers: Headers, iris_model: Path) -> dict:
    model = await create_model(client, user_headers, "iris")
    return await ready_version(client, user_headers, model["id"], "v1", iris_model)


async def test_deploy_validation(
    client: httpx.AsyncClient, user_headers: Headers, ready: dict, make_user
) -> None:  # type: ignore[no-untyped-def]
    post = lambda body, h=user_headers: client.post("/api/v1/deployments", json=body, headers=h)  # noqa: E731
    assert (await post({"version_id": ready["id"], "replicas": -1})).status_code == 422
    assert (await post({"version_id": ready["id"], "autoscaling": {"min": 0, "max": 0}})).status_code == 422
    assert (await post({"version_id": ready["id"], "replicas": 11})).status_code == 422
    assert (await post({"version_id": ready["id"], "autoscaling": {"min": 3, "max": 2}})).status_code == 422
    assert (await post({"version_id": ready["id"], "colour": "red"})).status_code == 422
    assert (await post({"version_id": 999999})).status_code == 404
    other = await make_user()
    assert (await post({"version_id": ready["id"]}, other)).status_code == 404
    pending = await create_version(client, user_headers, ready["model_id"], "empty")
    conflict = await post({"version_id": pending["id"]})
    assert conflict.status_code == 409 and "Pending" in conflict.json()["detail"]
    assert (await client.post("/api/v1/deployments", json={"version_id": ready["id"]})).status_code == 401


async def test_deployment_lifecycle_rules(
    client: httpx.AsyncClient, user_headers: Headers, ready: dict, make_user, iris_model: Path
) -> None:  # type: ignore[no-untyped-def]
    auto = await client.post(
        "/api/v1/deployments",
        headers=user_headers,
        json={"version_id": ready["id"], "autoscaling": {"min": 1, "max": 2, "target": 3}},
    )
    assert auto.status_code == 201, auto.text
    dep = auto.json()
    assert dep["autoscaling"] == {"min": 1, "max": 2, "target_in_flight": 3.0}
    assert dep["release"] == 1 and dep["status"] in ("Pending", "Starting", "Running")
    url = f"/api/v1/deployments/{dep['id']}"
    assert (await client.patch(url, json={"replicas": 2}, headers=user_headers)).status_code == 409
    off = await client.patch(url, json={"autoscaling": None, "replicas": 1}, headers=user_headers)
    assert off.status_code == 200 and off.json()["autoscaling"] is None and off.json()["replicas"] == 1
    on = await client.patch(url, json={"autoscaling": {"min": 1, "max": 4}}, headers=user_headers)
    assert on.json()["autoscaling"] == {"min": 1, "max": 4, "target_in_flight": 4.0}
    bad = await client.patch(url, json={"autoscaling": {"min": 5, "max": 4}}, headers=user_headers)
    assert (
        bad.status_code == 422
        and (await client.get(url, headers=user_headers)).json()["autoscaling"]["max"] == 4
    )
    no_previous = await client.post(f"{url}/rollback", headers=user_headers)
    assert no_previous.status_code == 409
    other_model = await create_model(client, user_headers, "other")
    foreign = await ready_version(client, user_headers, other_model["id"], "v1", iris_model)
    assert (
        await client.patch(url, json={"version_id": foreign["id"]}, headers=user_headers)
    ).status_code == 422
    releases = (await client.get(f"{url}/releases", headers=user_headers)).json()
    assert [r["revision"] for r in releases] == [1]
    by_version = (
        await client.get(f"/api/v1/versions/{ready['id']}/deployments", headers=user_headers)
    ).json()
    assert [d["id"] for d in by_version] == [dep["id"]]

    stranger = await make_user()
    for method, path in (
        ("GET", url),
        ("PATCH", url),
        ("DELETE", url),
        ("GET", f"{url}/releases"),
        ("POST", f"{url}/rollback"),
        ("GET", f"{url}/logs"),
        ("GET", f"/api/v1/versions/{ready['id']}/deployments"),
    ):
        r = await client.request(
            method, path, json={"replicas": 1} if method == "PATCH" else None, headers=stranger
        )
        assert r.status_code == 404, (method, path)
    assert (await client.get("/api/v1/deployments", headers=stranger)).json() == []
    assert (await client.delete(url, headers=user_headers)).status_code == 204
    assert (await client.get(url, headers=user_headers)).status_code == 404


async def test_api_keys(client: httpx.AsyncClient, user_headers: Headers, make_user) -> None:  # type: ignore[no-untyped-def]
    created = await client.post("/api/v1/api-keys", json={"name": "laptop"}, headers=user_headers)
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith("ks_") and key["key"].startswith(key["prefix"]) and len(key["key"]) > 40
    listed = (await client.get("/api/v1/api-keys", headers=user_headers)).json()
    assert listed == [{k: key[k] for k in ("id", "name", "prefix", "created_at", "last_used_at")}]
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        from sqlalchemy import select

        from kubeserve.orm import ApiKey

        stored = (await session.execute(select(ApiKey))).scalars().one()
    assert key["key"] not in (stored.key_hash, stored.prefix)
    assert (await client.post("/api/v1/api-keys", json={"name": ""}, headers=user_headers)).status_code == 422
    stranger = await make_user()
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}", headers=stranger)).status_code == 404
    assert (await client.get("/api/v1/api-keys", headers=stranger)).json() == []
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}", headers=user_headers)).status_code == 204
    assert (await client.get("/api/v1/api-keys", headers=user_headers)).json() == []
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}", headers=user_headers)).status_code == 404


async def test_a_disabled_owners_deployment_is_not_found(
    client: httpx.AsyncClient, user_headers: Headers, ready: dict
) -> None:
    from sqlalchemy import update

    from kubeserve.orm import User

    dep = (
        await client.post("/api/v1/deployments", json={"version_id": ready["id"]}, headers=user_headers)
    ).json()
    me = (await client.get("/api/v1/me", headers=user_headers)).json()
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await session.execute(update(User).where(User.id == me["id"]).values(is_active=False))
        await session.commit()
    url, row = f"/api/v1/predict/{dep['name']}", {"data": [[1, 2, 3, 4]]}
    assert (await client.post(url, json=row)).status_code == 404
    assert (await client.post(url, json=row, headers=user_headers)).status_code == 401  # a dead credential
