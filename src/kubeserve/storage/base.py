"""The artifact store contract shared by every backend, and its errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from kubeserve.errors import KubeServeError


class StorageError(KubeServeError):
    """The artifact store failed (unreachable, refused); not the user's fault."""

    status_code = 503


class ArtifactNotFound(StorageError):
    status_code = 404


class ArtifactStore(Protocol):
    """Where model artifacts live. Keys are `/`-separated, relative, validated by `check_key`.

    Writes are atomic: `put_file` either makes the whole object visible or nothing.
    """

    async def put_file(self, key: str, source: Path) -> None:
        """Store the local file `source` under `key`, replacing any previous object."""
        ...

    def stream(self, key: str, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
        """Yield the object's bytes in chunks; raises ArtifactNotFound."""
        ...

    async def fetch_to(self, key: str, dest: Path) -> None:
        """Download the object to the local file `dest` (atomically); raises ArtifactNotFound."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Delete one object; a missing object is not an error."""
        ...

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every object whose key starts with `prefix`."""
        ...

    def uri(self, key: str) -> str:
        """A URI a model server can fetch the object from (file://... or s3://bucket/key)."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that could escape the store's root (absolute, `..`, empty parts)."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise ValueError(f"invalid artifact key: {key!r}")
    return key
