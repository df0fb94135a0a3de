"""One contract for every ArtifactStore backend: local directory and S3 (moto over HTTP)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from kubeserve.storage import ArtifactNotFound, ArtifactStore, LocalStore, S3Store, parse_uri

BIG = 7 * 1024 * 1024 + 123  # above the 5 MiB multipart threshold, not chunk-aligned


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalStore(tmp_path / "artifacts")
    s3: S3Store = request.getfixturevalue("s3_store")
    return s3


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def read_all(store: ArtifactStore, key: str, chunk_size: int = 1024 * 1024) -> bytes:
    return b"".join([chunk async for chunk in store.stream(key, chunk_size)])


async def test_round_trip_of_a_big_file(store: ArtifactStore, tmp_path: Path) -> None:
    data = os.urandom(BIG)
    digest = hashlib.sha256(data).hexdigest()
    await store.put_file("models/1/iris/v1/model.joblib", write(tmp_path / "src.bin", data))

    hasher = hashlib.sha256()
    async for chunk in store.stream("models/1/iris/v1/model.joblib", 64 * 1024):
        assert len(chunk) <= 64 * 1024
        hasher.update(chunk)
    assert hasher.hexdigest() == digest

    dest = tmp_path / "fetched" / "deep" / "model.joblib"
    await store.fetch_to("models/1/iris/v1/model.joblib", dest)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == digest
    assert list(dest.parent.iterdir()) == [dest]  # no temp file left beside it


async def test_overwrite_replaces(store: ArtifactStore, tmp_path: Path) -> None:
    await store.put_file("a/b.txt", write(tmp_path / "1", b"first version, longer"))
    await store.put_file("a/b.txt", write(tmp_path / "2", b"second"))
    assert await read_all(store, "a/b.txt") == b"second"


async def test_missing_key_is_artifact_not_found(store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound):
        await read_all(store, "nope/model.bin")
    dest = tmp_path / "out" / "model.bin"
    with pytest.raises(ArtifactNotFound):
        await store.fetch_to("nope/model.bin", dest)
    assert not dest.exists()
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []


async def test_exists_and_delete(store: ArtifactStore, tmp_path: Path) -> None:
    assert not await store.exists("x/y/model.bin")
    await store.put_file("x/y/model.bin", write(tmp_path / "m", b"m"))
    assert await store.exists("x/y/model.bin")
    assert not await store.exists("x/y")  # a "directory" is not an object
    await store.delete("x/y")  # neither is it deleted
    assert await store.exists("x/y/model.bin")
    await store.delete("x/y/model.bin")
    assert not await store.exists("x/y/model.bin")
    await store.delete("x/y/model.bin")  # deleting a missing object is fine


async def test_delete_prefix_deletes_only_under_the_prefix(store: ArtifactStore, tmp_path: Path) -> None:
    keys = [
        "models/1/a/v1/model.bin",
        "models/1/a/v1/requirements.txt",
        "models/1/a/v2/model.bin",
        "models/1/ab/v1/model.bin",
        "models/2/a/v1/model.bin",
    ]
    source = write(tmp_path / "s", b"data")
    for key in keys:
        await store.put_file(key, source)

    await store.delete_prefix("models/1/a/")
    assert [await store.exists(k) for k in keys] == [False, False, False, True, True]
    await store.delete_prefix("models/1/a")  # a plain string prefix, as on S3
    assert [await store.exists(k) for k in keys] == [False, False, False, False, True]
    await store.delete_prefix("models/9/")  # nothing there: no error


@pytest.mark.parametrize("key", ["../x", "/abs", "a//b", "", "a/../../b", "a/./b"])
async def test_invalid_keys_are_refused(store: ArtifactStore, tmp_path: Path, key: str) -> None:
    source = write(tmp_path / "s", b"data")
    with pytest.raises(ValueError):
        await store.put_file(key, source)
    with pytest.raises(ValueError):
        store.stream(key)
    with pytest.raises(ValueError):
        await store.fetch_to(key, tmp_path / "d")
    with pytest.raises(ValueError):
        await store.exists(key)
    with pytest.raises(ValueError):
        await store.delete(key)
    with pytest.raises(ValueError):
        await store.delete_prefix(key)
    with pytest.raises(ValueError):
        store.uri(key)


async def test_uri_format(store: ArtifactStore) -> None:
    uri = store.uri("models/1/iris/v1/model.joblib")
    bucket, location = parse_uri(uri)
    if isinstance(store, LocalStore):
        path = store.root / "models/1/iris/v1/model.joblib"
        assert uri == "file://" + str(path) and path.is_absolute()
        assert (bucket, location) == ("", str(path))
    else:
        assert isinstance(store, S3Store)
        assert uri == f"s3://{store.bucket}/models/1/iris/v1/model.joblib"
        assert (bucket, location) == (store.bucket, "models/1/iris/v1/model.joblib")
