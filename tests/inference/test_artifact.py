"""Fetching artifacts (local, file://, S3 with the model server's settings, presigned URLs), sha256."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from kubeserve.inference.artifact import ArtifactError, fetch, verify
from kubeserve.inference.settings import ModelServerSettings
from kubeserve.storage.s3 import S3Store
from tests.fixtures.s3 import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY


def test_local_paths_and_file_uris(iris_artifact: Path, tmp_path: Path) -> None:
    assert fetch(str(iris_artifact), tmp_path) == iris_artifact
    assert fetch(iris_artifact.as_uri(), tmp_path) == iris_artifact
    with pytest.raises(ArtifactError, match="artifact not found"):
        fetch(str(tmp_path / "missing.joblib"), tmp_path)
    with pytest.raises(ArtifactError, match="unsupported artifact URI"):
        fetch("ftp://host/model.joblib", tmp_path)


def test_checksum(iris_artifact: Path) -> None:
    digest = hashlib.sha256(iris_artifact.read_bytes()).hexdigest()
    assert verify(iris_artifact, digest.upper()) == digest
    with pytest.raises(ArtifactError, match=f"sha256 mismatch .* got {digest}"):
        verify(iris_artifact, "ab" * 32)


def test_s3_uri_uses_the_model_servers_own_settings(
    iris_artifact: Path, tmp_path: Path, s3_store: S3Store, s3_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "models/1/iris/v1/model.joblib"
    asyncio.run(s3_store.put_file(key, iris_artifact))
    for name, value in {
        "ARTIFACT": s3_store.uri(key),
        "S3_ENDPOINT": s3_server,
        "S3_ACCESS_KEY": S3_ACCESS_KEY,
        "S3_SECRET_KEY": S3_SECRET_KEY,
        "S3_SECURE": "false",
        "S3_REGION": S3_REGION,
    }.items():
        monkeypatch.setenv(f"KUBESERVE_MODEL_{name}", value)
    monkeypatch.setenv("KUBESERVE_S3_ENDPOINT", "127.0.0.1:1")  # the control plane's: not read
    settings = ModelServerSettings()  # type: ignore[call-arg]
    fetched = fetch(settings.artifact, tmp_path, settings)
    assert fetched.read_bytes() == iris_artifact.read_bytes()
    with pytest.raises(ArtifactError, match="could not fetch"):
        fetch(s3_store.uri("models/1/iris/v1/missing.joblib"), tmp_path, settings)
    with pytest.raises(ArtifactError, match="no S3 settings"):
        fetch(s3_store.uri(key), tmp_path)


def test_presigned_url_needs_no_keys_and_never_logs_its_signature(
    iris_artifact: Path, tmp_path: Path, s3_store: S3Store
) -> None:
    key = "models/1/iris/v2/model.joblib"
    asyncio.run(s3_store.put_file(key, iris_artifact))
    url = asyncio.run(s3_store.presigned_get(key, timedelta(minutes=5)))
    assert "X-Amz-Signature=" in url
    fetched = fetch(url, tmp_path / "work")
    assert fetched.name == "model.joblib" and fetched.read_bytes() == iris_artifact.read_bytes()
    missing = asyncio.run(s3_store.presigned_get("models/1/iris/v2/missing.joblib", timedelta(minutes=5)))
    with pytest.raises(ArtifactError, match="HTTP 404") as refused:
        fetch(missing, tmp_path / "work")
    assert "X-Amz" not in str(refused.value)  # the query string is a credential
