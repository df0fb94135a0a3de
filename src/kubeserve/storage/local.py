"""Artifact store on a local directory: the zero-service default."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from kubeserve.storage.base import ArtifactNotFound, StorageError, check_key


def check_prefix(prefix: str) -> str:
    """Validate a key prefix: a valid key, optionally ending in `/`; never empty."""
    check_key(prefix.removesuffix("/"))
    return prefix


def _write_atomically(dest: Path, source: BinaryIO) -> None:
    """Copy `source` to a temp file beside `dest`, then rename it over `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalStore:
    """Objects are files under `root`; the key is the relative path."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"invalid artifact key: {key!r}")
        return path

    def _open(self, key: str, path: Path) -> BinaryIO:
        """Open the object for reading; anything but a regular file is a missing artifact."""
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ArtifactNotFound(f"artifact not found: {key}") from exc
        except OSError as exc:
            raise self._failed(f"read {key}", exc) from exc

    def _failed(self, action: str, exc: OSError) -> StorageError:
        return StorageError(f"local artifact store at {self.root} cannot {action}: {exc}")

    def _prune(self, directory: Path) -> None:
        """Remove `directory` and its ancestors while they are empty, stopping at root."""
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    async def put_file(self, key: str, source: Path) -> None:
        dest = self._path(key)

        def put() -> None:
            try:
                with source.open("rb") as src:
                    _write_atomically(dest, src)
            except OSError as exc:
                raise self._failed(f"store {key}", exc) from exc

        await asyncio.to_thread(put)

    def stream(self, key: str, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
        return self._stream(key, self._path(key), chunk_size)

    async def _stream(self, key: str, path: Path, chunk_size: int) -> AsyncIterator[bytes]:
        fh = await asyncio.to_thread(self._open, key, path)
        try:
            while chunk := await asyncio.to_thread(fh.read, chunk_size):
                yield chunk
        finally:
            fh.close()

    async def fetch_to(self, key: str, dest: Path) -> None:
        path = self._path(key)

        def fetch() -> None:
            with self._open(key, path) as src:
                try:
                    _write_atomically(dest, src)
                except OSError as exc:
                    raise self._failed(f"fetch {key} to {dest}", exc) from exc

        await asyncio.to_thread(fetch)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        path = self._path(key)

        def delete() -> None:
            try:
                if path.is_file():
                    path.unlink(missing_ok=True)
                    self._prune(path.parent)
            except OSError as exc:
                raise self._failed(f"delete {key}", exc) from exc

        await asyncio.to_thread(delete)

    async def delete_prefix(self, prefix: str) -> None:
        head, _, name = check_prefix(prefix).rpartition("/")
        parent = self._path(head) if head else self.root

        def delete_prefix() -> None:
            if not parent.is_dir():
                return
            try:
                for entry in parent.iterdir():
                    if not entry.name.startswith(name):
                        continue
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink(missing_ok=True)
                self._prune(parent)
            except OSError as exc:
                raise self._failed(f"delete {prefix}*", exc) from exc

        await asyncio.to_thread(delete_prefix)

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()
