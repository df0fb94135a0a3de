"""Login abuse: a stranger's failures never lock the owner out, a flood of failed logins does
not stop other tenants' predictions, and password hashing is bounded."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from kubeserve.config import Settings
from kubeserve.errors import ServiceUnavailable
from kubeserve.security import PasswordHasher
from tests.fixtures.app import PASSWORD

OWNER = "victim@example.com"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.login_address_max_failures = 10  # a small cap keeps the test short (each try hashes)
    return settings


@asynccontextmanager
async def _from(client: httpx.AsyncClient, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same app whose requests come from `address`."""
    transport = httpx.ASGITransport(app=client.app, client=(address, 40000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_lockout_attack_leaves_the_owner_logging_in(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/auth/register", json={"email": OWNER, "password": PASSWORD})
    wrong = {"email": OWNER, "password": "not-the-password"}
    async with _from(client, "203.0.113.7") as attacker, _from(client, "198.51.100.2") as owner:
        codes = [(await attacker.post("/api/v1/auth/login", json=wrong)).status_code for _ in range(8)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes  # the attacker backs off
        refused = await attacker.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        for _ in range(3):  # the owner, from their own address, is never refused
            ok = await owner.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
            assert ok.status_code == 200, ok.text
        # ...and a few typos of their own do not lock them out either
        assert (await owner.post("/api/v1/auth/login", json=wrong)).status_code == 401
        ok = await owner.post("/api/v1/auth/login", data={"username": OWNER, "password": PASSWORD})
        assert ok.status_code == 200, ok.text


async def test_one_address_spraying_many_emails_is_capped(client: httpx.AsyncClient) -> None:
    cap = client.app.state.settings.login_address_max_failures  # type: ignore[attr-defined]
    await client.post("/api/v1/auth/register", json={"email": OWNER, "password": PASSWORD})
    async with _from(client, "203.0.113.8") as sprayer, _from(client, "198.51.100.3") as owner:
        for i in range(cap):
            r = await sprayer.post(
                "/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": "x" * 9}
            )
            assert r.status_code == 401
        capped = await sprayer.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
        assert capped.status_code == 429 and int(capped.headers["Retry-After"]) > 0
        ok = await owner.post("/api/v1/auth/login", json={"email": OWNER, "password": PASSWORD})
        assert ok.status_code == 200


async def test_hashing_is_bounded_and_off_the_event_loop() -> None:
    """One worker, no queue: a second hash while one runs is 503 at once; the loop stays free."""
    hasher = PasswordHasher(workers=1, queue=0)
    release, started = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(30)
        return "done"

    try:
        running = asyncio.ensure_future(hasher._run(slow))
        await asyncio.to_thread(started.wait, 30)
        with pytest.raises(ServiceUnavailable):
            await hasher._run(slow)
        ticks = 0
        for _ in range(10):  # the event loop keeps running while the hash is in its thread
            await asyncio.sleep(0)
            ticks += 1
        assert ticks == 10 and not running.done()
        release.set()
        assert await running == "done"
        assert await hasher.verify("whatever", None) is False  # a slot is free again
    finally:
        release.set()
        hasher.close()
