"""Login abuse: a stranger's failures never lock the owner out, a flood of failed logins does
not stop other tenants' predictions, and password hashing is bounded."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from kubeserve.config import Settings
from kubeserve.errors import ServiceUnavailable
from kubeserve.security import HASH_NICENESS, PasswordHasher
from tests.e2e.journey import owner_with_ready_model
from tests.fixtures.app import PASSWORD
from tests.fixtures.control_plane import ControlPlane, poll
from tests.fixtures.models import IRIS_ROW

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
    niceness: list[int] = []

    def slow() -> str:
        niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
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
        assert niceness == [HASH_NICENESS]  # hashing yields the CPU to predictions
        assert await hasher.verify("whatever", None) is False  # a slot is free again
    finally:
        release.set()
        hasher.close()


class LoginFlood:
    """`workers` threads posting failed logins (a new email each time) until stopped."""

    def __init__(self, base: str, workers: int = 4) -> None:
        self.base, self.statuses = base, Counter[int]()
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(workers)]

    def __enter__(self) -> LoginFlood:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self, worker: int) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as http:
            for n in itertools.count():
                if self._stop.is_set():
                    return
                body = {"email": f"flood{worker}-{n}@example.com", "password": "not-the-password"}
                status = http.post("/api/v1/auth/login", json=body).status_code
                with self._lock:
                    self.statuses[status] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.statuses.values())


@pytest.mark.slow
def test_a_login_flood_does_not_stop_another_tenants_predictions(
    tmp_path: Path, database_url: str, iris_model: Path, iris_requirements: Path
) -> None:
    """Every prediction of another tenant succeeds while strangers loop on failed logins
    (the per-address cap lifted, as for a flood from many addresses: every try hashes)."""
    plane = ControlPlane(tmp_path / "data", database_url, KUBESERVE_LOGIN_ADDRESS_MAX_FAILURES="1000000000")
    plane.start()
    try:
        tenant, _, version = owner_with_ready_model(
            plane, "tenant@example.com", "iris", iris_model, iris_requirements
        )
        dep = tenant.call("POST", "/deployments", 201, json={"version_id": version["id"]})
        poll(
            lambda: tenant.http.post(dep["url"], json={"data": [IRIS_ROW]}).status_code == 200,
            90,
            "a replica",
        )
        with LoginFlood(plane.url) as flood:
            poll(lambda: flood.total >= 8, 120, "the flood to get going")
            # at least 100 predictions, and until at least 8 more failed logins went through
            before, answers = flood.total, []
            deadline = time.monotonic() + 120
            while len(answers) < 100 or flood.total < before + 8:
                assert time.monotonic() < deadline, f"the flood stalled: {flood.statuses}"
                answers.append(tenant.http.post(dep["url"], json={"data": [IRIS_ROW]}))
        assert [r.status_code for r in answers] == [200] * len(answers), [
            r.text for r in answers if r.status_code != 200
        ][:3]
        assert all(r.json()["predictions"] == answers[0].json()["predictions"] for r in answers)
        assert set(flood.statuses) <= {401, 503}, flood.statuses
        # ...and the tenant can still log in: the flood's failures were for other emails
        ok = httpx.post(
            f"{plane.url}/api/v1/auth/login", json={"email": "tenant@example.com", "password": PASSWORD}
        )
        assert ok.status_code == 200
    finally:
        plane.stop()
