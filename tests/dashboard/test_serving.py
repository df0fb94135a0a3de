"""The dashboard at `/`: files of the export, trailing slashes, 404s, a CSP hashing each inline
script, and the page that says how to build it when the export is missing."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest

from kubeserve.config import Settings
from kubeserve.dashboard import content_security_policy

SCRIPT = b'self.__next_f.push([1,"hello"])'
PAGE = (
    b'<!doctype html><html><head><script src="/_next/static/a.js" async></script></head>'
    b"<body><script>%s</script></body></html>"
)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    root = tmp_path / "out"
    (root / "login").mkdir(parents=True)
    (root / "_next" / "static").mkdir(parents=True)
    (root / "index.html").write_bytes(PAGE % SCRIPT)
    (root / "login" / "index.html").write_bytes(PAGE % b"login()")
    (root / "404.html").write_bytes(b"<!doctype html><p>not found</p>")
    (root / "_next" / "static" / "a.js").write_bytes(b"console.log(1)")
    (tmp_path / "secret.txt").write_text("outside the export")
    return root


@pytest.fixture
def settings(tmp_path: Path, database_url: str, out: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, dashboard_dir=out, _env_file=None)  # type: ignore[call-arg]


def sha(body: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"


async def test_pages_carry_a_csp_with_the_hash_of_each_inline_script(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert f"script-src 'self' {sha(SCRIPT)}" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    login = await client.get("/login/")
    assert sha(b"login()") in login.headers["content-security-policy"]
    assert sha(SCRIPT) not in login.headers["content-security-policy"]


def test_the_policy_follows_a_rebuilt_page(out: Path) -> None:
    page = out / "index.html"
    before = content_security_policy(page)
    page.write_bytes(PAGE % b"rebuilt()")
    assert sha(b"rebuilt()") in content_security_policy(page) != before


async def test_routes_assets_and_misses(client: httpx.AsyncClient) -> None:
    redirect = await client.get("/login")
    assert redirect.status_code == 308 and redirect.headers["location"] == "/login/"
    asset = await client.get("/_next/static/a.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    missing = await client.get("/no-such-page/")
    assert missing.status_code == 404 and "not found" in missing.text
    assert "content-security-policy" in missing.headers
    for escape in ("/../secret.txt", "/%2e%2e/secret.txt", "/login/../../secret.txt"):
        r = await client.get(escape)
        assert r.status_code == 404 and "outside the export" not in r.text, escape


async def test_the_api_keeps_its_paths(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/health")).json() == {"status": "ok"}
    unknown = await client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "no such API path"}
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.post("/api/v1/predict/nobody", json={"data": [[1]]})).status_code == 404


async def test_without_the_export_the_page_says_how_to_build_it(client: httpx.AsyncClient, out: Path) -> None:
    (out / "index.html").unlink()
    r = await client.get("/")
    assert r.status_code == 404 and "make dashboard" in r.text and "npm" in r.text
