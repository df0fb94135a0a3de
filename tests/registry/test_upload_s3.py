"""The same upload path with KUBESERVE_STORAGE=s3, against a real S3 server on loopback."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import httpx
import pytest
from minio import Minio

from kubeserve.config import Settings
from tests.fixtures.app import Headers
from tests.fixtures.s3 import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY
from tests.registry.helpers import create_model, create_version, upload


@pytest.fixture
def settings(tmp_path: Path, database_url: str, s3_server: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        storage="s3",
        s3_endpoint=s3_server,
        s3_access_key=S3_ACCESS_KEY,
        s3_secret_key=S3_SECRET_KEY,
        s3_bucket=f"models-{uuid.uuid4().hex[:12]}",
        s3_secure=False,
        s3_region=S3_REGION,
        _env_file=None,  # type: ignore[call-arg]
    )


def _objects(settings: Settings) -> list[str]:
    client = Minio(settings.s3_endpoint, S3_ACCESS_KEY, S3_SECRET_KEY, secure=False, region=S3_REGION)
    if not client.bucket_exists(settings.s3_bucket):
        return []
    return sorted(o.object_name for o in client.list_objects(settings.s3_bucket, recursive=True))


async def test_upload_download_delete_on_s3(
    client: httpx.AsyncClient,
    user_headers: Headers,
    iris_model: Path,
    iris_requirements: Path,
    settings: Settings,
    tmp_path: Path,
) -> None:
    model = await create_model(client, user_headers, "iris")
    version = await create_version(client, user_headers, model["id"], "v1")
    r = await upload(client, user_headers, version["id"], iris_model, iris_requirements)
    assert r.status_code == 200, r.text
    assert r.json()["sha256"] == hashlib.sha256(iris_model.read_bytes()).hexdigest()
    prefix = r.json()["s3_path"].rsplit("/", 1)[0]
    assert _objects(settings) == [f"{prefix}/model.joblib", f"{prefix}/requirements.txt"]
    got = await client.get(f"/api/v1/versions/{version['id']}/artifact", headers=user_headers)
    assert got.content == iris_model.read_bytes()

    settings.max_model_size_mb = 1
    v2 = await create_version(client, user_headers, model["id"], "v2")
    big = tmp_path / "big.pkl"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    assert (await upload(client, user_headers, v2["id"], big)).status_code == 413
    assert all("/v2/" not in o for o in _objects(settings))

    await client.delete(f"/api/v1/models/{model['id']}", headers=user_headers)
    assert _objects(settings) == []
