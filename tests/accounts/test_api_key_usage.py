"""API keys' last use is kept current without a database write per request."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event

from kubeserve.accounts import api_keys
from kubeserve.accounts.api_keys import ApiKeyCache
from tests.fixtures.app import Headers


async def test_last_used_at_is_written_once_per_cache_period(
    client: httpx.AsyncClient, user_headers: Headers
) -> None:
    created = (await client.post("/api/v1/api-keys", json={"name": "k"}, headers=user_headers)).json()
    assert created["last_used_at"] is None
    app = client.app  # type: ignore[attr-defined]
    updates: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            updates.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        cache = ApiKeyCache(ttl_seconds=600)
        owners = {await api_keys.owner_of(app.state.sessionmaker, cache, created["key"]) for _ in range(50)}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    me = (await client.get("/api/v1/me", headers=user_headers)).json()
    assert owners == {me["id"]}
    assert len(updates) == 1, updates  # 50 uses, one write
    listed = (await client.get("/api/v1/api-keys", headers=user_headers)).json()
    assert listed[0]["last_used_at"] is not None
