"""Uploads: streamed, checksummed, size-limited, typed, atomic; artifacts follow deletes."""

from __future__ import annotations

import hashlib
import socket
import time
from pathlib import Path

import httpx
import pytest

from kubeserve.config import Settings
from tests.fixtures.app import Headers
from tests.registry.helpers import create_model, create_version, upload


@pytest.fixture
async def version(client: httpx.AsyncClient, user_headers: Headers) -> dict:
    model = await create_model(client, user_headers, "iris")
    return await create_version(client, user_headers, model["id"], "v1")


def _artifacts(settings: Settings) -> list[str]:
    root = settings.artifacts_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_upload_stores_checksummed_artifact(
    client: httpx.AsyncClient,
    user_headers: Headers,
    version: dict,
    iris_model: Path,
    iris_requirements: Path,
    settings: Settings,
) -> None:
    r = await upload(client, user_headers, version["id"], iris_model, iris_requirements)
    assert r.status_code == 200, r.text
    body = r.json()
    data = iris_model.read_bytes()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size_bytes"] == len(data)
    assert body["status"] in ("Building", "Ready", "Failed")
    user_id = (await client.get("/api/v1/me", headers=user_headers)).json()["id"]
    prefix = f"models/{user_id}/iris/v1"
    assert body["s3_path"] == f"{prefix}/model.joblib"
    assert _artifacts(settings) == [f"{prefix}/model.joblib", f"{prefix}/requirements.txt"]
    assert (
        settings.artifacts_dir / prefix / "requirements.txt"
    ).read_bytes() == iris_requirements.read_bytes()
    download = await client.get(f"/api/v1/versions/{version['id']}/artifact", headers=user_headers)
    assert download.status_code == 200 and download.content == data
    assert download.headers["x-checksum-sha256"] == body["sha256"]


async def test_client_file_name_never_reaches_the_key(
    client: httpx.AsyncClient, user_headers: Headers, version: dict, iris_model: Path, settings: Settings
) -> None:
    r = await upload(client, user_headers, version["id"], iris_model, model_name="../../../etc/evil.pkl")
    assert r.status_code == 200
    assert r.json()["s3_path"].endswith("/iris/v1/model.pkl")
    assert all(".." not in p and "evil" not in p for p in _artifacts(settings))
    assert (settings.artifacts_dir / "models").is_dir() and not (settings.data_dir.parent / "etc").exists()


async def test_oversized_model_is_413_and_leaves_nothing(
    client: httpx.AsyncClient, user_headers: Headers, version: dict, settings: Settings, tmp_path: Path
) -> None:
    settings.max_model_size_mb = 1
    big = tmp_path / "big.joblib"
    big.write_bytes(b"\0" * (1024 * 1024 + 1))
    r = await upload(client, user_headers, version["id"], big)
    assert r.status_code == 413 and "1 MB" in r.json()["detail"]
    after = (await client.get(f"/api/v1/versions/{version['id']}", headers=user_headers)).json()
    assert after["status"] == "Pending" and after["s3_path"] is None
    assert _artifacts(settings) == []
    assert list((settings.data_dir / "staging").iterdir()) == []


async def test_oversized_requirements_is_413(
    client: httpx.AsyncClient,
    user_headers: Headers,
    version: dict,
    iris_model: Path,
    settings: Settings,
    tmp_path: Path,
) -> None:
    settings.max_requirements_size_kb = 1
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("numpy\n" * 400)
    r = await upload(client, user_headers, version["id"], iris_model, reqs)
    assert r.status_code == 413 and "requirements_file" in r.json()["detail"]
    assert _artifacts(settings) == []


async def test_declared_length_over_budget_is_refused_before_reading(
    client: httpx.AsyncClient, user_headers: Headers, version: dict, settings: Settings
) -> None:
    settings.max_model_size_mb = 1
    r = await client.post(
        f"/api/v1/versions/{version['id']}/upload",
        content=b"x" * 10,
        headers={
            **user_headers,
            "content-type": "multipart/form-data; boundary=abc",
            "content-length": str(50 * 1024 * 1024),
        },
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("field", "name", "status"),
    [
        ("model_file", "model.exe", 415),
        ("model_file", "model", 415),
        ("requirements_file", "setup.py", 415),
        ("weights", "model.joblib", 422),
    ],
)
async def test_wrong_types_and_fields(
    client: httpx.AsyncClient,
    user_headers: Headers,
    version: dict,
    iris_model: Path,
    settings: Settings,
    field: str,
    name: str,
    status: int,
) -> None:
    files = {field: (name, b"data")}
    if field != "model_file":
        files["model_file"] = ("model.joblib", iris_model.read_bytes())
    r = await client.post(f"/api/v1/versions/{version['id']}/upload", files=files, headers=user_headers)
    assert r.status_code == status, r.text
    assert _artifacts(settings) == []


async def test_bad_bodies(client: httpx.AsyncClient, user_headers: Headers, version: dict) -> None:
    url = f"/api/v1/versions/{version['id']}/upload"
    assert (await client.post(url, json={"a": 1}, headers=user_headers)).status_code == 415
    empty = await client.post(url, files={"model_file": ("m.joblib", b"")}, headers=user_headers)
    assert empty.status_code == 422
    missing = await client.post(url, files={"requirements_file": ("r.txt", b"numpy")}, headers=user_headers)
    assert missing.status_code == 422
    binary = await client.post(
        url,
        files={"model_file": ("m.joblib", b"x"), "requirements_file": ("r.txt", b"\xff\xfe\x00")},
        headers=user_headers,
    )
    assert binary.status_code == 422
    garbled = await client.post(
        url,
        content=b"--abc\r\nnonsense",
        headers={**user_headers, "content-type": "multipart/form-data; boundary=abc"},
    )
    assert garbled.status_code in (400, 422)


async def test_built_or_building_version_is_immutable(
    client: httpx.AsyncClient, user_headers: Headers, version: dict, iris_model: Path
) -> None:
    assert (await upload(client, user_headers, version["id"], iris_model)).status_code == 200
    again = await upload(client, user_headers, version["id"], iris_model)
    assert again.status_code == 409


async def test_deletes_remove_artifacts(
    client: httpx.AsyncClient, user_headers: Headers, iris_model: Path, settings: Settings
) -> None:
    model = await create_model(client, user_headers, "gone")
    v1 = await create_version(client, user_headers, model["id"], "v1")
    v2 = await create_version(client, user_headers, model["id"], "v2")
    await upload(client, user_headers, v1["id"], iris_model)
    await upload(client, user_headers, v2["id"], iris_model)
    assert len(_artifacts(settings)) == 4
    assert (await client.delete(f"/api/v1/versions/{v1['id']}", headers=user_headers)).status_code == 204
    assert all("/v2/" in p for p in _artifacts(settings)) and len(_artifacts(settings)) == 2
    assert (await client.delete(f"/api/v1/models/{model['id']}", headers=user_headers)).status_code == 204
    assert _artifacts(settings) == []


def test_interrupted_upload_leaves_nothing_behind(
    live_server: str, settings: Settings, iris_model: Path
) -> None:
    """A client that dies half-way through a body: no object, version still Pending."""
    with httpx.Client(base_url=live_server) as http:
        http.post("/api/v1/auth/register", json={"email": "i@example.com", "password": "p" * 10})
        token = http.post("/api/v1/auth/login", json={"email": "i@example.com", "password": "p" * 10}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        model = http.post("/api/v1/models", json={"name": "half"}, headers=headers).json()
        version = http.post(
            f"/api/v1/models/{model['id']}/versions", json={"version_tag": "v1"}, headers=headers
        ).json()
    host, port = live_server.removeprefix("http://").split(":")
    head = (
        b'--B\r\nContent-Disposition: form-data; name="model_file"; filename="m.joblib"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            f"POST /api/v1/versions/{version['id']}/upload HTTP/1.1\r\nHost: x\r\n"
            f"{headers and 'Authorization: ' + headers['Authorization']}\r\n"
            "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 20000000\r\n\r\n".encode()
        )
        sock.sendall(head + b"\1" * 3_000_000)
    staging = settings.data_dir / "staging"
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=live_server, headers=headers) as http:
        # While the upload runs the version is claimed (Building, no artifact); then released.
        while (after := http.get(f"/api/v1/versions/{version['id']}").json())["status"] == "Building":
            assert time.monotonic() < deadline, "the interrupted upload never released the version"
            time.sleep(0.05)
    assert after["status"] == "Pending" and after["s3_path"] is None
    assert not staging.exists() or not any(staging.iterdir()), "staging files were not cleaned up"
    assert _artifacts(settings) == []
