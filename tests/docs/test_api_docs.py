"""/docs and /redoc work offline: every asset they reference is served by the control plane
itself, and Swagger UI renders the API in Chromium with every non-loopback request refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.dashboard.browser import CHROMIUM, launch
from tests.fixtures.control_plane import ControlPlane

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


def assets(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_every_asset_is_local(client: httpx.AsyncClient, page: str) -> None:
    r = await client.get(page)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    found = assets(r.text)
    assert any(a.endswith(".js") for a in found), found
    for asset in found:
        assert not urlsplit(asset).netloc, f"{page} loads {asset} from another host"
        served = await client.get(asset)
        assert served.status_code == 200, f"{page}: {asset} -> {served.status_code}"
        assert served.content, asset
    assert "/openapi.json" in r.text


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: these tests are about the pages, not the database backends."""
    return sqlite_database_url


@pytest.fixture
def plane(tmp_path: Path, database_url: str) -> Iterator[ControlPlane]:
    plane = ControlPlane(tmp_path / "data", database_url)
    plane.start()
    yield plane
    plane.stop()


@pytest.mark.slow
def test_swagger_ui_renders_without_network(plane: ControlPlane) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `.ci/run` installs Debian's chromium")
    refused: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            page.goto(f"{plane.url}/docs")
            page.wait_for_selector('[data-path="/api/v1/auth/register"]', timeout=30_000)
            assert "KubeServe" in page.inner_text(".swagger-ui .info")
            assert refused == []
            page.goto(f"{plane.url}/redoc")
            page.wait_for_selector("[data-section-id]", timeout=30_000)
        finally:
            browser.close()
    # ReDoc's bundle links its own "powered by" logo; the page works without it.
    assert [u for u in refused if not u.endswith("/logo-mini.svg")] == []
