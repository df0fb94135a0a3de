"""The control plane inside a bench process (uvicorn on loopback, the app `kubeserve server`
runs) with a registered, logged-in bench user: what gateway.py, sandbox.py and
observability.py measure against."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from servers import free_port

from kubeserve.app import create_app
from kubeserve.config import Settings

CREDENTIALS = {"email": "bench@example.com", "password": "benchmark-password"}


@dataclass
class Plane:
    app: FastAPI
    base: str
    """http://127.0.0.1:<port>"""
    http: httpx.AsyncClient
    """The bench user's client: base URL /api/v1, their bearer token set."""


@contextlib.asynccontextmanager
async def control_plane(data_dir: Path, **settings: Any) -> AsyncIterator[Plane]:
    """Serve a control plane on a free loopback port with `settings` (Settings fields, no
    environment or .env file) until the block ends."""
    port = free_port()
    app = create_app(Settings(data_dir=data_dir, port=port, _env_file=None, **settings))  # type: ignore[call-arg]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and not serving.done(), "the control plane did not start"
        await asyncio.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=60) as http:
            (await http.post("/auth/register", json=CREDENTIALS)).raise_for_status()
            token = (await http.post("/auth/login", json=CREDENTIALS)).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            yield Plane(app, base, http)
    finally:
        server.should_exit = True
        await serving
