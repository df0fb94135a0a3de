"""Without a sandbox the control plane still runs, as a single-user install (unless accepted)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kubeserve.config import Settings
from kubeserve.runtime import sandbox
from tests.fixtures.app import PASSWORD, register_and_login


@pytest.fixture(params=["off", "off-accepted", "auto"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        sandbox="auto" if request.param == "auto" else "off",
        allow_unsandboxed_multi_user=request.param == "off-accepted",
        _env_file=None,  # type: ignore[call-arg]
    )


async def test_second_account_only_where_user_code_is_contained(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    first = await register_and_login(client, "first@example.com")
    me = (await client.get("/api/v1/me", headers=first)).json()
    contained = settings.sandbox == "auto" and sandbox.support().available
    assert me["sandboxed"] is contained
    assert me["single_user"] is not (contained or settings.allow_unsandboxed_multi_user)
    assert me["isolation"].startswith("bubblewrap" if contained else "no sandbox")
    second = await client.post(
        "/api/v1/auth/register", json={"email": "second@example.com", "password": PASSWORD}
    )
    if me["single_user"]:
        assert second.status_code == 403
        detail = second.json()["detail"]
        assert "single-user install" in detail and "KUBESERVE_ALLOW_UNSANDBOXED_MULTI_USER" in detail
    else:
        assert second.status_code == 201, second.text
