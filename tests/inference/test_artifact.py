"""Fetching artifacts (local, file://, S3 through kubeserve.storage) and checking sha256."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from kubeserve.inference.artifact import ArtifactError, fetch, verify
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


def test_s3_uri_uses_the_storage_settings(
    iris_artifact: Path, tmp_path: Path, s3_store: S3Store, s3_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "models/1/iris/v1/model.joblib"
    asyncio.run(s3_store.put_file(key, iris_artifact))
    for name, value in {
        "ENDPOINT": s3_server,
        "ACCESS_KEY": S3_ACCESS_KEY,
        "SECRET_KEY": S3_SECRET_KEY,
        "SECURE": "false",
        "REGION": S3_REGION,
    }.items():
        monkeypatch.setenv(f"KUBESERVE_S3_{name}", value)
    fetched = fetch(s3_store.uri(key), tmp_path)
    assert fetched.read_bytes() == iris_artifact.read_bytes()
    with pytest.raises(ArtifactError, match="could not fetch"):
        fetch(s3_store.uri("models/1/iris/v1/missing.joblib"), tmp_path)
