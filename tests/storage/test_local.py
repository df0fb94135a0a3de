"""Local-only behaviour: atomic writes and keys that cannot escape the root."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import BinaryIO

import pytest

from kubeserve.storage import LocalStore, StorageError
from kubeserve.storage import local as local_module


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


@pytest.fixture
async def stored(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "artifacts")
    (tmp_path / "v1").write_bytes(b"version one")
    await store.put_file("m/v/model.bin", tmp_path / "v1")
    return store


async def test_put_from_a_directory_keeps_the_previous_object(stored: LocalStore, tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        await stored.put_file("m/v/model.bin", tmp_path)
    with pytest.raises(StorageError):
        await stored.put_file("m/v/model.bin", tmp_path / "vanished")
    assert (stored.root / "m/v/model.bin").read_bytes() == b"version one"
    assert files_under(stored.root) == ["m/v/model.bin"]


async def test_copy_failing_midway_leaves_no_half_object(
    stored: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_copy(src: BinaryIO, dst: BinaryIO, length: int = 0) -> None:
        dst.write(src.read(3))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(local_module.shutil, "copyfileobj", broken_copy)
    (tmp_path / "v2").write_bytes(b"version two, much longer")
    with pytest.raises(StorageError, match="No space left"):
        await stored.put_file("m/v/model.bin", tmp_path / "v2")
    with pytest.raises(StorageError):
        await stored.put_file("m/new/model.bin", tmp_path / "v2")
    monkeypatch.setattr(local_module.shutil, "copyfileobj", shutil.copyfileobj)
    assert (stored.root / "m/v/model.bin").read_bytes() == b"version one"
    assert files_under(stored.root) == ["m/v/model.bin"]
    assert not await stored.exists("m/new/model.bin")


async def test_symlink_cannot_escape_the_root(stored: LocalStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (stored.root / "link").symlink_to(outside)
    with pytest.raises(ValueError):
        await stored.put_file("link/x", tmp_path / "v1")
    assert list(outside.iterdir()) == []


async def test_deletes_prune_empty_directories(stored: LocalStore, tmp_path: Path) -> None:
    await stored.put_file("models/1/a/v1/model.bin", tmp_path / "v1")
    await stored.delete("models/1/a/v1/model.bin")
    assert not (stored.root / "models").exists()
    await stored.delete_prefix("m/")
    assert list(stored.root.iterdir()) == []
    assert stored.root.is_dir()
