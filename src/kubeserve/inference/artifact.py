"""Fetch a model artifact (local path, file:// or s3://) and verify its checksum."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ArtifactError(RuntimeError):
    """The artifact cannot be fetched, or is not the one expected. The server refuses to start."""


def local_path(uri: str) -> Path | None:
    """The filesystem path a local path or file:// URI names; None for remote URIs."""
    if uri.startswith("file://"):
        parts = urlsplit(uri)
        return Path(unquote(parts.path))
    if "://" in uri:
        return None
    return Path(uri).expanduser()


def fetch(uri: str, work_dir: Path) -> Path:
    """A local file holding the artifact: local paths as they are, S3 objects downloaded."""
    path = local_path(uri)
    if path is not None:
        if not path.is_file():
            raise ArtifactError(f"artifact not found: {path}")
        return path
    if not uri.startswith("s3://"):
        raise ArtifactError(f"unsupported artifact URI {uri!r} (use a path, file:// or s3://)")
    return asyncio.run(_fetch_s3(uri, work_dir))


async def _fetch_s3(uri: str, work_dir: Path) -> Path:
    # Imported here: a local artifact must never need minio or the control plane's settings.
    from kubeserve.config import Settings
    from kubeserve.storage import S3Store, StorageError, parse_uri

    settings = Settings()
    try:
        bucket, key = parse_uri(uri)
    except ValueError as exc:
        raise ArtifactError(str(exc)) from exc
    store = S3Store(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key.get_secret_value(),
        bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    dest = work_dir / Path(key).name
    try:
        await store.fetch_to(key, dest)
    except StorageError as exc:
        raise ArtifactError(f"could not fetch {uri}: {exc.detail}") from exc
    return dest


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected: str | None) -> str:
    """The file's sha256; raises ArtifactError when it differs from `expected`."""
    actual = sha256_of(path)
    if expected and not hmac.compare_digest(actual, expected.strip().lower()):
        raise ArtifactError(
            f"sha256 mismatch for {path.name}: expected {expected}, got {actual}; "
            "refusing to serve an artifact that is not the one registered"
        )
    return actual
