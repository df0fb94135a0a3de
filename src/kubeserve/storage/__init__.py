"""Artifact storage: one contract (`ArtifactStore`), a local and an S3 backend."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from kubeserve.storage.base import ArtifactNotFound, ArtifactStore, StorageError, check_key
from kubeserve.storage.local import LocalStore, check_prefix
from kubeserve.storage.s3 import S3Store

if TYPE_CHECKING:
    from kubeserve.config import Settings

__all__ = [
    "ArtifactNotFound",
    "ArtifactStore",
    "LocalStore",
    "S3Store",
    "StorageError",
    "build_store",
    "check_key",
    "check_prefix",
    "parse_uri",
]


def build_store(settings: Settings) -> ArtifactStore:
    """The artifact store the settings configure (`KUBESERVE_STORAGE=local|s3`)."""
    if settings.storage == "s3":
        return S3Store(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
    return LocalStore(settings.artifacts_dir)


def parse_uri(uri: str) -> tuple[str, str]:
    """Split an artifact URI made by `ArtifactStore.uri`.

    `s3://bucket/key` -> `("bucket", "key")`; `file:///abs/path` -> `("", "/abs/path")`
    (an empty bucket means a local file). Anything else raises ValueError.
    """
    if uri.startswith("s3://"):
        bucket, _, key = uri[len("s3://") :].partition("/")  # keys are not URL-encoded
        if bucket and key:
            return bucket, check_key(key)
        raise ValueError(f"invalid S3 artifact URI: {uri!r}")
    parts = urlsplit(uri)
    if parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path:
        path = Path(unquote(parts.path))
        if path.is_absolute():
            return "", str(path)
    raise ValueError(f"unsupported artifact URI: {uri!r}")
