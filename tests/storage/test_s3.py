"""S3-only behaviour: failures of the server become our errors, never minio's."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import urllib3
from minio.error import MinioException

from kubeserve.storage import ArtifactNotFound, S3Store, StorageError


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket closes


async def test_unreachable_endpoint_raises_storage_error(tmp_path: Path) -> None:
    endpoint = f"127.0.0.1:{closed_port()}"
    store = S3Store(endpoint, "key", "secret", "models", secure=False)
    source = tmp_path / "m.bin"
    source.write_bytes(b"model")
    started = time.monotonic()
    for attempt in (
        store.put_file("a/m.bin", source),
        store.exists("a/m.bin"),
        store.fetch_to("a/m.bin", tmp_path / "out.bin"),
    ):
        with pytest.raises(StorageError) as info:
            await attempt
        assert not isinstance(info.value, ArtifactNotFound | MinioException)
        assert endpoint in str(info.value.detail)
        assert isinstance(info.value.__cause__, MinioException | urllib3.exceptions.HTTPError)
    with pytest.raises(StorageError):
        [chunk async for chunk in store.stream("a/m.bin")]
    assert time.monotonic() - started < 20  # few retries: an outage is reported quickly
    assert not (tmp_path / "out.bin").exists()


async def test_bucket_is_created_once_and_shared(s3_store: S3Store, tmp_path: Path) -> None:
    source = tmp_path / "m.bin"
    source.write_bytes(b"model")
    await s3_store.put_file("a/m.bin", source)
    again = S3Store(
        s3_store.endpoint, "other-key", "other-secret", s3_store.bucket, secure=False
    )  # an existing bucket is reused, not an error
    assert await again.exists("a/m.bin")


async def test_missing_source_file_is_a_storage_error(s3_store: S3Store, tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        await s3_store.put_file("a/m.bin", tmp_path / "missing.bin")
    assert not await s3_store.exists("a/m.bin")
