"""Attacks on per-user quotas (in-process, fake runtime, SQLite and PostgreSQL): quantities an
admin could type that the schema let through but Kubernetes refuses, and concurrent requests
that each see the quota free before the other commits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kubeserve.admin.operator import set_role
from kubeserve.app import create_app
from kubeserve.config import Settings
from kubeserve.runtime.fake import FakeRuntime
from tests.deployments.test_api import ready_version
from tests.fixtures.app import Headers, register_and_login
from tests.fixtures.database import database_url  # noqa: F401  (both backends: the race is PostgreSQL's)
from tests.registry.helpers import create_model


@pytest.fixture
async def fake() -> FakeRuntime:
    return FakeRuntime()


@pytest.fixture
async def http(settings: Settings, fake: FakeRuntime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, runtime=fake)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _admin(http: httpx.AsyncClient, settings: Settings) -> Headers:
    headers = await register_and_login(http, "boss@example.com")
    await set_role(settings, "boss@example.com", "admin")
    return headers


# Python's \d and int() take any Unicode digit, and `$` matches before a final newline:
# each of these passed the check, was stored, and reached the tenant's ResourceQuota, which
# a real API server refuses (the tenant's namespace could no longer be applied).
NOT_KUBERNETES_QUANTITIES = [
    {"cpu": "\u0664"},  # ARABIC-INDIC DIGIT FOUR
    {"cpu": "\uff12"},  # FULLWIDTH DIGIT TWO
    {"cpu": "500\u0660m"},
    {"cpu": "2\n"},
    {"memory": "\u0664Gi"},
    {"memory": "4Gi\n"},
    {"memory": "\U0001d7dcGi"},  # MATHEMATICAL DOUBLE-STRUCK DIGIT FOUR
    {"cpu": "1e3"},
    {"memory": "1e10"},
    {"cpu": "-1"},
    {"cpu": "0"},
    {"memory": "0"},
    {"cpu": "9" * 16},
    {"memory": "9" * 14 + "Pi"},
    {"cpu": " 2"},
    {"pods": -1},
    {"pods": 10**30},
    {"pods": "1e3"},
    {"pods": 1.5},
]


async def test_quantities_kubernetes_would_refuse_are_422(
    http: httpx.AsyncClient, settings: Settings, fake: FakeRuntime
) -> None:
    admin = await _admin(http, settings)
    me = (await http.get("/api/v1/me", headers=admin)).json()
    for body in NOT_KUBERNETES_QUANTITIES:
        answer = await http.patch(f"/api/v1/admin/users/{me['id']}/quota", headers=admin, json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert fake.quotas == {}
    default = {"cpu": "2", "memory": "4Gi", "pods": 5}
    assert (await http.get("/api/v1/me", headers=admin)).json()["quota"] == default


async def test_concurrent_deploys_cannot_exceed_the_pods_quota(
    http: httpx.AsyncClient, settings: Settings, fake: FakeRuntime, iris_model: Path
) -> None:
    admin = await _admin(http, settings)
    owner = await register_and_login(http, "ada@example.com")
    owner_id = (await http.get("/api/v1/me", headers=owner)).json()["id"]
    quota = await http.patch(f"/api/v1/admin/users/{owner_id}/quota", headers=admin, json={"pods": 2})
    assert quota.status_code == 200, quota.text
    model = await create_model(http, owner, "iris")  # type: ignore[arg-type]
    version = await ready_version(http, owner, model["id"], "v1", iris_model)  # type: ignore[arg-type]

    answers = await asyncio.gather(
        *(
            http.post("/api/v1/deployments", headers=owner, json={"version_id": version["id"], "replicas": 1})
            for _ in range(12)
        )
    )
    codes = sorted(a.status_code for a in answers)
    assert all(code in (201, 403, 409) for code in codes), [a.text for a in answers]
    listed = (await http.get("/api/v1/deployments", headers=owner)).json()
    assert sum(d["replicas"] for d in listed) <= 2, codes
