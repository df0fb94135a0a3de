"""Two uploads to one version at once: one wins, the other is 409."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.fixtures.app import Headers
from tests.registry.helpers import create_model, create_version, upload, wait_built

BOUNDARY = "kubeserve-test-boundary"


def _multipart(model: bytes) -> tuple[bytes, bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="model_file"; filename="model.joblib"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + model, f"\r\n--{BOUNDARY}--\r\n".encode()


async def test_concurrent_uploads_to_one_version_one_wins_the_other_409(
    client: httpx.AsyncClient, user_headers: Headers, iris_model: Path
) -> None:
    model = await create_model(client, user_headers, "race")
    version = await create_version(client, user_headers, model["id"])
    url = f"/api/v1/versions/{version['id']}/upload"
    first_part, last_part = _multipart(iris_model.read_bytes())
    halfway, other_done = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield first_part
        halfway.set()
        await other_done.wait()  # the second upload runs while this one is mid-body
        yield last_part

    headers = {**user_headers, "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    first = asyncio.ensure_future(client.post(url, content=slow_body(), headers=headers))
    await asyncio.wait_for(halfway.wait(), 60)
    try:
        second = await upload(client, user_headers, version["id"], iris_model)
    finally:
        other_done.set()
    assert second.status_code == 409 and "in progress" in second.json()["detail"], second.text
    won = await first
    assert won.status_code == 200, won.text
    built = await wait_built(client, user_headers, version["id"])
    assert built["status"] == "Ready", built["error"]
    again = await upload(client, user_headers, version["id"], iris_model)
    assert again.status_code == 409  # Ready versions are immutable
