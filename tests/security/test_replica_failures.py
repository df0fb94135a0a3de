"""Replicas fail alone: a poison request is not replayed onto a second replica, and a slow
one neither holds the other replica's requests hostage nor keeps its own replica in rotation."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubeserve.config import Settings
from tests.fixtures.app import Headers
from tests.fixtures.models import IRIS_ROW
from tests.security.conftest import built_version, deploy
from tests.security.hostile import write_poison_model

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        gateway_timeout_seconds=3,
        _env_file=None,  # type: ignore[call-arg]
    )


async def poisoned(client: httpx.AsyncClient, owner: Headers, tmp_path: Path) -> dict[str, Any]:
    model = write_poison_model(tmp_path / "model.joblib")
    version = await built_version(client, owner, model, "poison", allow_unsafe_pickle=True)
    assert version["status"] == "Ready", version["error"]
    return await deploy(client, owner, version["id"], replicas=2)


async def state(client: httpx.AsyncClient, owner: Headers, deployment: dict[str, Any]) -> dict[str, Any]:
    return (await client.get(f"/api/v1/deployments/{deployment['id']}", headers=owner)).json()


async def test_a_poison_request_kills_only_its_own_replica(
    client: httpx.AsyncClient, user_headers: Headers, tmp_path: Path
) -> None:
    deployment = await poisoned(client, user_headers, tmp_path)
    pids = {i["id"]: i["pid"] for i in deployment["instances"]}
    url = f"/api/v1/predict/{deployment['name']}"
    r = await client.post(url, json={"data": [[666.0, 0.0, 0.0, 0.0]]}, headers=user_headers)
    assert r.status_code == 502, r.text
    assert "not retried" in r.json()["detail"]
    for _ in range(10):  # the other replica serves, as before
        ok = await client.post(url, json={"data": [IRIS_ROW]}, headers=user_headers)
        assert ok.status_code == 200, ok.text
    now = await state(client, user_headers, deployment)
    untouched = [i for i in now["instances"] if pids.get(i["id"]) == i["pid"] and i["restarts"] == 0]
    assert len(untouched) == 1, now["instances"]  # the poison never reached the second one


async def test_a_slow_predict_holds_nobody_else_and_its_replica_is_restarted(
    client: httpx.AsyncClient, user_headers: Headers, tmp_path: Path
) -> None:
    deployment = await poisoned(client, user_headers, tmp_path)
    url = f"/api/v1/predict/{deployment['name']}"
    slow = asyncio.ensure_future(
        client.post(url, json={"data": [[999.0, 0.0, 0.0, 0.0]]}, headers=user_headers)
    )
    runtime = client.app.state.reconciler.runtime  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while sum(e.in_flight for e in runtime.endpoints(deployment["name"])) == 0:
        assert time.monotonic() < deadline and not slow.done(), "the slow request never left the gateway"
        await asyncio.sleep(0.01)
    for _ in range(5):  # served by the other replica meanwhile
        ok = await client.post(url, json={"data": [IRIS_ROW]}, headers=user_headers)
        assert ok.status_code == 200, ok.text
    assert not slow.done()
    late = await slow
    assert late.status_code == 504 and late.headers["content-type"] == "application/json"
    assert "did not answer within 3 s" in late.json()["detail"]
    deadline = time.monotonic() + 60
    while True:  # out of rotation, restarted, back
        now = await state(client, user_headers, deployment)
        if now["ready_replicas"] == 2 and sum(i["restarts"] for i in now["instances"]) >= 1:
            break
        assert time.monotonic() < deadline, now
        await asyncio.sleep(0.2)
