"""build_store picks the configured backend; parse_uri splits what uri() makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from kubeserve.config import Settings
from kubeserve.storage import LocalStore, S3Store, build_store, parse_uri


def test_build_store_local_by_default(tmp_path: Path) -> None:
    store = build_store(Settings(storage="local", data_dir=tmp_path))
    assert isinstance(store, LocalStore)
    assert store.root == (tmp_path / "artifacts").resolve()


def test_build_store_s3() -> None:
    settings = Settings(
        storage="s3",
        s3_endpoint="minio:9000",
        s3_access_key="k",
        s3_secret_key=SecretStr("s"),
        s3_bucket="artifacts",
        s3_secure=False,
    )
    store = build_store(settings)
    assert isinstance(store, S3Store)
    assert (store.endpoint, store.bucket) == ("minio:9000", "artifacts")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://models/models/1/iris/v1/model.joblib", ("models", "models/1/iris/v1/model.joblib")),
        ("file:///srv/art%20ifacts/m.bin", ("", "/srv/art ifacts/m.bin")),
        ("file://localhost/srv/m.bin", ("", "/srv/m.bin")),
    ],
)
def test_parse_uri(uri: str, expected: tuple[str, str]) -> None:
    assert parse_uri(uri) == expected


@pytest.mark.parametrize(
    "uri", ["s3://bucket", "s3://bucket/", "s3:///key", "s3://b/../x", "http://x/y", "file:rel"]
)
def test_parse_uri_refuses_garbage(uri: str) -> None:
    with pytest.raises(ValueError):
        parse_uri(uri)


def test_local_uri_round_trips_with_spaces(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "with space")
    assert parse_uri(store.uri("a/b.bin")) == ("", str(store.root / "a/b.bin"))
