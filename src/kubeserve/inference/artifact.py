"""Fetch a model artifact (local path, file://, s3:// or a presigned http(s) URL) and verify it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from kubeserve.inference.settings import ModelServerSettings


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


def fetch(uri: str, work_dir: Path, settings: ModelServerSettings | None = None) -> Path:
    """A local file holding the artifact: local paths as they are, remote ones downloaded
    into `work_dir` under the name their key ends with."""
    path = local_path(uri)
    if path is not None:
        if not path.is_file():
            raise ArtifactError(f"artifact not found: {path}")
        return path
    if uri.startswith(("http://", "https://")):
        name = Path(unquote(urlsplit(uri).path)).name
        if not name:
            raise ArtifactError(f"no file name in {_redacted(uri)!r}")
        return _fetch_url(uri, work_dir / name)
    if not uri.startswith("s3://"):
        raise ArtifactError(
            f"unsupported artifact URI {_redacted(uri)!r} (a path, file://, s3://, http(s)://)"
        )
    if settings is None:
        raise ArtifactError(f"no S3 settings to fetch {uri}")
    return asyncio.run(_fetch_s3(uri, work_dir, settings))


def _fetch_url(url: str, dest: Path) -> Path:
    """GET a (presigned) URL; the query string is a credential, so it never reaches a log."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as answer, dest.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(answer, out, 1 << 20)
    except urllib.error.HTTPError as exc:
        raise ArtifactError(f"could not fetch {_redacted(url)}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ArtifactError(f"could not fetch {_redacted(url)}: {exc}") from None
    return dest


def _redacted(uri: str) -> str:
    return uri.split("?", 1)[0]


async def _fetch_s3(uri: str, work_dir: Path, settings: ModelServerSettings) -> Path:
    # Imported here: a local artifact must never need minio.
    from kubeserve.storage import S3Store, StorageError, parse_uri

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
