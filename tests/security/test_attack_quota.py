"""Attacks on per-user quotas (in-process, fake runtime): quantities an admin could type that
the schema let through but a Kubernetes API server refuses. (Two deploys at once passing the
pods quota together: tests/admin/test_admin_api.py.)"""

from __future__ import annotations

import httpx

from kubeserve.config import Settings
from kubeserve.runtime.fake import FakeRuntime
from tests.fixtures.app import make_admin

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
    fake_client: httpx.AsyncClient, settings: Settings, fake_runtime: FakeRuntime
) -> None:
    admin = await make_admin(fake_client, settings)
    me = (await fake_client.get("/api/v1/me", headers=admin)).json()
    for body in NOT_KUBERNETES_QUANTITIES:
        answer = await fake_client.patch(f"/api/v1/admin/users/{me['id']}/quota", headers=admin, json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert fake_runtime.quotas == {}
    default = {"cpu": "2", "memory": "4Gi", "pods": 5}
    assert (await fake_client.get("/api/v1/me", headers=admin)).json()["quota"] == default
