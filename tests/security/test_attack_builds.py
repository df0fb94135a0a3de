"""One tenant's builds must not stall everyone else's (one build at a time per owner).

Builds share two slots (`Builder`), and a build holds its slot until it ends or hits
`build_timeout_seconds` (300 s by default). Any tenant can make a build that simply never
ends: the owner's `allow_unsafe_pickle` switch (or shipped code, allowed by default) lets
the pickle sleep. Two such uploads and every other tenant's upload waits in `Building` for
the whole timeout; repeated, builds stop for everyone.
"""

from __future__ import annotations

import asyncio
import pickle
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubeserve.config import Settings
from tests.fixtures.app import Headers
from tests.registry.helpers import create_model, create_version, upload

pytestmark = pytest.mark.slow
STALL_SECONDS = 60  # the attacker's builds time out after this (well past the test's patience)
PATIENCE = 25  # the victim's build alone takes a few seconds


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.build_timeout_seconds = STALL_SECONDS
    return settings


class _Sleep:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (eval, (f"__import__('time').sleep({STALL_SECONDS * 2})",))


async def _status(http: httpx.AsyncClient, headers: Headers, version_id: int) -> str:
    got = await http.get(f"/api/v1/versions/{version_id}", headers=headers)
    return str(got.json()["status"])


async def test_a_tenants_endless_builds_do_not_hold_back_anothers(
    client: httpx.AsyncClient,
    make_user: Callable[[], Awaitable[Headers]],
    iris_model: Path,
    tmp_path: Path,
) -> None:
    attacker, victim = await make_user(), await make_user()
    endless = tmp_path / "model.pkl"
    endless.write_bytes(pickle.dumps(_Sleep()))
    model = await create_model(client, attacker, "endless")
    for tag in ("a", "b", "c"):
        r = await client.post(
            f"/api/v1/models/{model['id']}/versions",
            json={"version_tag": tag, "allow_unsafe_pickle": True},
            headers=attacker,
        )
        sent = await upload(client, attacker, r.json()["id"], endless, model_name="model.pkl")
        assert sent.status_code == 200, sent.text
    victim_model = await create_model(client, victim, "iris")
    version = await create_version(client, victim, victim_model["id"])
    assert (await upload(client, victim, version["id"], iris_model)).status_code == 200
    deadline = time.monotonic() + PATIENCE
    while (status := await _status(client, victim, version["id"])) == "Building":
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert status == "Ready", f"the victim's build is still {status} after {PATIENCE} s"
