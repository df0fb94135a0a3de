"""/api/v1/admin and the quota it sets, in-process on a fake runtime: who may call it (403), what
it refuses (404, 422, nothing written), and that a change reaches the runtime at once and
bounds the owner's deployments (403 naming the quota)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kubeserve.admin.operator import set_role
from kubeserve.config import Settings
from kubeserve.errors import NotFound, Unprocessable
from kubeserve.runtime.base import Quota
from kubeserve.runtime.fake import FakeRuntime
from tests.deployments.test_api import ready_version
from tests.fixtures.app import make_admin, register_and_login
from tests.registry.helpers import create_model

DEFAULT = {"cpu": "2", "memory": "4Gi", "pods": 5}
UNSET = {"cpu": None, "memory": None, "pods": None}


async def test_only_admins_and_the_operator_makes_them(
    fake_client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await register_and_login(fake_client, "ada@example.com")
    me = (await fake_client.get("/api/v1/me", headers=user)).json()
    assert me["role"] == "user" and me["quota"] == DEFAULT
    for method, path in [
        ("GET", "/api/v1/admin/users"),
        ("GET", f"/api/v1/admin/users/{me['id']}"),
        ("PATCH", f"/api/v1/admin/users/{me['id']}/quota"),
        ("DELETE", f"/api/v1/admin/users/{me['id']}/quota"),
    ]:
        refused = await fake_client.request(method, path, headers=user, json={"pods": 50})
        assert refused.status_code == 403 and "kubeserve admin grant" in refused.json()["detail"], path
        assert (await fake_client.request(method, path)).status_code == 401
    assert (await fake_client.get("/api/v1/me", headers=user)).json()["quota"] == DEFAULT  # nothing written

    admin = await make_admin(fake_client, settings)
    assert (await fake_client.get("/api/v1/me", headers=admin)).json()["role"] == "admin"
    listed = (await fake_client.get("/api/v1/admin/users", headers=admin)).json()
    assert [(u["email"], u["role"]) for u in listed] == [
        ("ada@example.com", "user"),
        ("boss@example.com", "admin"),
    ]
    assert listed[0]["quota"] == DEFAULT and listed[0]["custom_quota"] == UNSET
    assert listed[0]["usage"] == {"deployments": 0, "replicas": 0}
    assert (await fake_client.get("/api/v1/admin/users/999999", headers=admin)).status_code == 404
    assert (
        await fake_client.patch("/api/v1/admin/users/999999/quota", headers=admin, json={"pods": 1})
    ).status_code == 404

    # revoked: refused at once (the role is read on every request)
    assert await set_role(settings, "boss@example.com", "user") == "boss@example.com is no longer an admin"
    assert (await fake_client.get("/api/v1/admin/users", headers=admin)).status_code == 403
    with pytest.raises(NotFound, match="register first"):
        await set_role(settings, "nobody@example.com", "admin")
    with pytest.raises(Unprocessable):
        await set_role(settings, "not an email", "admin")


BAD = [
    ({"cpu": "lots"}, "not a CPU quantity"),
    ({"cpu": "0.0001"}, "not a CPU quantity"),
    ({"cpu": "50m"}, "out of bounds"),
    ({"cpu": "5000"}, "out of bounds"),
    ({"cpu": 4}, "string"),
    ({"memory": "4GB"}, "not a memory quantity"),
    ({"memory": "1Mi"}, "out of bounds"),
    ({"memory": "99999Ti"}, "out of bounds"),
    ({"pods": -1}, "greater than or equal to 0"),
    ({"pods": 1001}, "less than or equal to 1000"),
    ({"pods": "many"}, "integer"),
    ({"gpus": 1}, "Extra inputs"),
]


async def test_bad_quotas_are_422_and_change_nothing(
    fake_client: httpx.AsyncClient, settings: Settings, fake_runtime: FakeRuntime
) -> None:
    admin = await make_admin(fake_client, settings)
    me = (await fake_client.get("/api/v1/me", headers=admin)).json()
    for body, why in BAD:
        answer = await fake_client.patch(f"/api/v1/admin/users/{me['id']}/quota", headers=admin, json=body)
        assert answer.status_code == 422 and why in str(answer.json()["detail"]), (body, answer.text)
    assert (await fake_client.get("/api/v1/me", headers=admin)).json()["quota"] == DEFAULT
    assert fake_runtime.quotas == {}


async def test_a_quota_reaches_the_runtime_and_bounds_the_owners_replicas(
    fake_client: httpx.AsyncClient, settings: Settings, fake_runtime: FakeRuntime, iris_model: Path
) -> None:
    admin = await make_admin(fake_client, settings)
    owner = await register_and_login(fake_client, "ada@example.com")
    owner_id = (await fake_client.get("/api/v1/me", headers=owner)).json()["id"]
    model = await create_model(fake_client, owner, "iris")  # type: ignore[arg-type]
    version = await ready_version(fake_client, owner, model["id"], "v1", iris_model)  # type: ignore[arg-type]

    quota_url = f"/api/v1/admin/users/{owner_id}/quota"
    set_ = await fake_client.patch(quota_url, headers=admin, json={"cpu": "1.5", "memory": "8Gi", "pods": 3})
    assert set_.status_code == 200, set_.text
    assert set_.json()["quota"] == {"cpu": "1.5", "memory": "8Gi", "pods": 3}
    assert fake_runtime.quotas[owner_id] == Quota("1.5", "8Gi", 3)  # applied at once, no deployment changed
    assert (await fake_client.get("/api/v1/me", headers=owner)).json()["quota"]["pods"] == 3

    async def deploy(body: dict) -> httpx.Response:
        return await fake_client.post(
            "/api/v1/deployments", headers=owner, json={"version_id": version["id"], **body}
        )

    first = await deploy({"replicas": 2})
    assert first.status_code == 201 and fake_runtime.applied[-1].quota == Quota("1.5", "8Gi", 3)
    refused = await deploy({"autoscaling": {"min": 1, "max": 2}})  # 2 + 2 > 3
    assert refused.status_code == 403, refused.text
    assert "exceeded quota: pods" in refused.json()["detail"] and "quota is 3" in refused.json()["detail"]
    assert (
        len((await fake_client.get("/api/v1/deployments", headers=owner)).json()) == 1
    )  # nothing half-written
    dep_url = f"/api/v1/deployments/{first.json()['id']}"
    assert (await fake_client.patch(dep_url, headers=owner, json={"replicas": 4})).status_code == 403
    assert (await fake_client.get(dep_url, headers=owner)).json()["replicas"] == 2
    assert (await deploy({"replicas": 1})).status_code == 201  # 2 + 1 = 3

    # lowered below what runs: nothing more starts, scaling down and other changes still work
    lowered = await fake_client.patch(quota_url, headers=admin, json={"pods": 1, "cpu": None})
    assert lowered.json()["quota"] == {"cpu": "2", "memory": "8Gi", "pods": 1}
    assert lowered.json()["custom_quota"] == {"cpu": None, "memory": "8Gi", "pods": 1}
    assert lowered.json()["usage"] == {"deployments": 2, "replicas": 3}
    assert (await fake_client.patch(dep_url, headers=owner, json={"public": True})).status_code == 200
    assert (await fake_client.patch(dep_url, headers=owner, json={"replicas": 1})).status_code == 200
    assert (await deploy({"replicas": 1})).status_code == 403

    reset = await fake_client.delete(quota_url, headers=admin)
    assert reset.status_code == 200 and reset.json()["quota"] == DEFAULT
    assert reset.json()["custom_quota"] == UNSET
    assert fake_runtime.quotas[owner_id] == Quota(**DEFAULT)  # type: ignore[arg-type]
    assert (await deploy({"replicas": 3})).status_code == 201  # 1 + 1 + 3 = 5


async def test_two_deploys_at_once_cannot_both_pass_the_quota(
    fake_client: httpx.AsyncClient, iris_model: Path
) -> None:
    """Each alone fits (3 of 5 pods), both do not: exactly one is refused, on both databases."""
    import asyncio

    owner = await register_and_login(fake_client, "ada@example.com")
    model = await create_model(fake_client, owner, "iris")  # type: ignore[arg-type]
    version = await ready_version(fake_client, owner, model["id"], "v1", iris_model)  # type: ignore[arg-type]
    body = {"version_id": version["id"], "replicas": 3}
    answers = await asyncio.gather(
        *(fake_client.post("/api/v1/deployments", headers=owner, json=body) for _ in range(2))
    )
    assert sorted(a.status_code for a in answers) == [201, 403], [a.text for a in answers]
    assert len((await fake_client.get("/api/v1/deployments", headers=owner)).json()) == 1
