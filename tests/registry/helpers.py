"""Small HTTP helpers for registry tests."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.app import Headers


async def create_model(http: httpx.AsyncClient, headers: Headers, name: str = "iris") -> dict[str, Any]:
    r = await http.post("/api/v1/models", json={"name": name, "description": "d"}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def create_version(
    http: httpx.AsyncClient, headers: Headers, model_id: int, tag: str = "v1"
) -> dict[str, Any]:
    r = await http.post(f"/api/v1/models/{model_id}/versions", json={"version_tag": tag}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def upload(
    http: httpx.AsyncClient,
    headers: Headers,
    version_id: int,
    model: Path,
    requirements: Path | None = None,
    model_name: str = "model.joblib",
    code: Path | None = None,
) -> httpx.Response:
    files: dict[str, Any] = {"model_file": (model_name, model.read_bytes())}
    if requirements is not None:
        files["requirements_file"] = ("requirements.txt", requirements.read_bytes())
    if code is not None:
        files["code_file"] = (code.name, code.read_bytes())
    return await http.post(f"/api/v1/versions/{version_id}/upload", files=files, headers=headers)


async def wait_built(
    http: httpx.AsyncClient, headers: Headers, version_id: int, timeout: float = 90
) -> dict[str, Any]:
    """Poll the version until it leaves Building (any outcome); fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (got := (await http.get(f"/api/v1/versions/{version_id}", headers=headers)).json())[
        "status"
    ] == "Building":
        assert time.monotonic() < deadline, "build did not finish"
        await asyncio.sleep(0.1)
    return got
