"""Ids never come back, and nothing keyed by one outlives its row: the id-reuse attack across
two tenants, a deleted user's token, the control plane's own files."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import delete

from kubeserve.app import create_app
from kubeserve.config import Settings
from kubeserve.inference.requirements import installed_version
from kubeserve.orm import User
from kubeserve.runtime.local.build import packages_dir
from tests.fixtures.app import PASSWORD, Headers, register_and_login
from tests.inference.models import make_wheel
from tests.registry.helpers import create_model, create_version, upload, wait_built


async def _ready_version(
    client: httpx.AsyncClient, headers: Headers, name: str, model: Path, requirements: Path
) -> dict:
    created = await create_model(client, headers, name)
    version = await create_version(client, headers, created["id"])
    r = await upload(client, headers, version["id"], model, requirements)
    assert r.status_code == 200, r.text
    built = await wait_built(client, headers, version["id"], 120)
    assert built["status"] == "Ready", built["error"]
    return built


def _gone(path: Path, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.slow
async def test_a_deleted_tenants_package_never_reaches_the_next_tenant(
    client: httpx.AsyncClient,
    settings: Settings,
    iris_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tenant A installs a package into a version and deletes it; tenant B's next version gets
    a new id and its build and replicas (same packages dir) do not see A's package."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "kstiny", "0.2.0")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    with_package = tmp_path / "a-requirements.txt"
    with_package.write_text("kstiny==0.2.0\n")
    plain = tmp_path / "b-requirements.txt"
    plain.write_text("numpy\n")

    tenant_a = await register_and_login(client, "tenant-a@example.com")
    a = await _ready_version(client, tenant_a, "a-model", iris_model, with_package)
    a_packages = packages_dir(settings, a["id"])
    assert installed_version("kstiny", a_packages) == "0.2.0"  # the attack's set-up worked
    assert (await client.delete(f"/api/v1/versions/{a['id']}", headers=tenant_a)).status_code == 204
    assert _gone(a_packages), "the deleted version's packages are still on disk"

    tenant_b = await register_and_login(client, "tenant-b@example.com")
    b = await _ready_version(client, tenant_b, "b-model", iris_model, plain)
    assert b["id"] > a["id"], "a version id came back"
    b_packages = packages_dir(settings, b["id"])
    assert b_packages != a_packages
    assert installed_version("kstiny", b_packages) is None
    assert not (b_packages / "kstiny").exists()


async def test_deleting_a_model_removes_every_versions_packages(
    client: httpx.AsyncClient, user_headers: Headers, settings: Settings
) -> None:
    model = await create_model(client, user_headers, "cascade")
    versions = [await create_version(client, user_headers, model["id"], f"v{i}") for i in range(3)]
    dirs = [packages_dir(settings, v["id"]) for v in versions]
    for folder in dirs:  # as builds leave them
        (folder / "leftover").mkdir(parents=True)
    assert (await client.delete(f"/api/v1/models/{model['id']}", headers=user_headers)).status_code == 204
    assert all(_gone(folder) for folder in dirs)


async def test_start_up_removes_orphans_and_scratch_and_keeps_files_private(settings: Settings) -> None:
    """Packages of versions deleted while the control plane was down (or by a user's cascade),
    staging and build leftovers of a crash: all removed at start; data dir 0700, SQLite 0600."""
    orphan = packages_dir(settings, 424242)
    (orphan / "evil").mkdir(parents=True)
    staging_leftover = settings.data_dir / "staging" / "tmpabc" / "model_file"
    build_leftover = settings.data_dir / "builds" / "7-xyz" / "model.joblib"
    for leftover in (staging_leftover, build_leftover):
        leftover.parent.mkdir(parents=True)
        leftover.write_bytes(b"half")
    settings.data_dir.chmod(0o755)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert not orphan.exists()
        assert not staging_leftover.exists() and not build_leftover.exists()
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
        if settings.sqlalchemy_url.startswith("sqlite"):
            database = Path(settings.sqlalchemy_url.split("///", 1)[1])
            assert stat.S_IMODE(database.stat().st_mode) == 0o600


async def test_a_deleted_users_token_is_refused_after_the_ids_would_be_reuse(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    old = await register_and_login(client, "leaving@example.com")
    me = (await client.get("/api/v1/me", headers=old)).json()
    async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        await session.execute(delete(User).where(User.id == me["id"]))
        await session.commit()
    new = await register_and_login(client, "arriving@example.com")
    arrived = (await client.get("/api/v1/me", headers=new)).json()
    assert arrived["id"] > me["id"], "a user id came back"
    assert (await client.get("/api/v1/me", headers=old)).status_code == 401
    # Even if an id did come back, the old token would not name the new user: its key differs.
    claims = jwt.decode(old["Authorization"].split()[1], settings.jwt_key, algorithms=["HS256"])
    recycled = jwt.encode({**claims, "sub": str(arrived["id"])}, settings.jwt_key, algorithm="HS256")
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {recycled}"})
    ).status_code == 401
    assert (await client.get("/api/v1/me", headers=new)).status_code == 200


@pytest.mark.parametrize(
    "sub",
    ["１２", "٣", "+5", "-1", " 5", "5 ", "0", "9" * 5000, "2147483648", "", "1e3", "0x10"],
)
async def test_token_subject_is_parsed_strictly(
    client: httpx.AsyncClient, settings: Settings, user_headers: Headers, sub: str
) -> None:
    """Unicode digits, signs, spaces, huge or out-of-range values: 401, never a 500."""
    claims = jwt.decode(user_headers["Authorization"].split()[1], settings.jwt_key, algorithms=["HS256"])
    token = jwt.encode({**claims, "sub": sub}, settings.jwt_key, algorithm="HS256")
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text


async def test_emails_are_normalised_before_uniqueness(client: httpx.AsyncClient) -> None:
    first = await client.post(
        "/api/v1/auth/register", json={"email": "Ada@Example.com", "password": PASSWORD}
    )
    assert first.status_code == 201 and first.json()["email"] == "ada@example.com"
    for twin in ("ADA@EXAMPLE.COM", "ａｄａ@example.com", "Ａda@ＥXAMPLE.com"):  # fullwidth forms
        r = await client.post("/api/v1/auth/register", json={"email": twin, "password": PASSWORD})
        assert r.status_code == 409, (twin, r.text)
    login = await client.post(
        "/api/v1/auth/login", json={"email": "ＡＤＡ@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200


@pytest.mark.parametrize("password", ["password123", "iloveyou1", "Sunshine1", "qwertyuiop"])
async def test_common_passwords_are_refused(client: httpx.AsyncClient, password: str) -> None:
    r = await client.post("/api/v1/auth/register", json={"email": "c@example.com", "password": password})
    assert r.status_code == 422 and "too common" in r.json()["detail"], (password, r.text)


async def test_password_equal_to_the_email_is_refused(client: httpx.AsyncClient) -> None:
    for password in ("grace.hopper@example.com", "Grace.Hopper", "GRACE.HOPPER@EXAMPLE.COM"):
        r = await client.post(
            "/api/v1/auth/register", json={"email": "grace.hopper@example.com", "password": password}
        )
        assert r.status_code == 422 and "email" in r.json()["detail"], (password, r.text)
