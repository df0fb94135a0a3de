"""The control plane's own files: a private data dir, nothing left over, nothing orphaned.

Per-version state on disk (`packages/{version_id}`) is keyed by an id that is never reused
and removed with its row — also when a model's or user's deletion cascades to it (the sweep
after such deletions and at start-up removes every directory whose version is gone).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kubeserve.config import Settings
from kubeserve.orm import ModelVersion

log = logging.getLogger(__name__)
SCRATCH_DIRS = ("staging", "builds")  # only ever used by a running request or build


def prepare_data_dir(settings: Settings) -> None:
    """Mode 0700 for the data dir, 0600 for the SQLite file; scratch left by a crash removed."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    database = _sqlite_file(settings.sqlalchemy_url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite's -wal/-shm copy it
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            if path.exists():
                os.chmod(path, 0o600)
    for name in SCRATCH_DIRS:
        shutil.rmtree(settings.data_dir / name, ignore_errors=True)


def packages_root(settings: Settings) -> Path:
    return (settings.data_dir / "packages").resolve()


async def remove_version_dirs(settings: Settings, version_ids: Iterable[int]) -> None:
    """Remove what builds and replicas of these (deleted) versions left on disk."""
    root = packages_root(settings)
    for version_id in version_ids:
        await asyncio.to_thread(shutil.rmtree, root / str(version_id), True)


async def sweep_orphans(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    """Remove the packages dir of every version that no longer exists; returns their ids."""
    root = packages_root(settings)
    if not root.is_dir():
        return []
    on_disk = {int(p.name) for p in root.iterdir() if p.name.isdecimal()}
    async with sessionmaker() as session:
        alive = set((await session.execute(select(ModelVersion.id))).scalars().all())
    orphans = sorted(on_disk - alive)
    await remove_version_dirs(settings, orphans)
    if orphans:
        log.info("removed the packages of %d deleted versions", len(orphans))
    return orphans


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)
