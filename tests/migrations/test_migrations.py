"""Alembic: upgrade from empty to head, downgrade back to empty, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from kubeserve import migrations
from kubeserve.db import create_engine

TABLES = {"users", "models", "model_versions", "deployments", "releases", "api_keys"}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    import asyncio

    from tests.fixtures.database import _pg

    server = request.getfixturevalue("postgres_server")
    name = f"empty_{tmp_path.name.replace('-', '_')[-20:]}"
    asyncio.run(_pg(server, f"CREATE DATABASE {name}"))
    return f"{server}/{name}"


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_upgrade_from_empty_and_downgrade_to_empty(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        await migrations.upgrade(engine)
        assert await _tables(empty_database) >= TABLES
        await migrations.upgrade(engine)  # idempotent at head
        await migrations.downgrade(engine, "base")
        assert await _tables(empty_database) == set()
        await migrations.upgrade(engine)
        assert await _tables(empty_database) >= TABLES
    finally:
        await engine.dispose()


def test_models_match_migrations() -> None:
    """The ORM and the migrations describe the same schema (no forgotten migration)."""
    import asyncio

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kubeserve.orm import Base

    async def diff(url: str) -> list:
        engine = create_engine(url)
        await migrations.upgrade(engine)
        async with engine.connect() as conn:
            result = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        await engine.dispose()
        return result

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        assert asyncio.run(diff(f"sqlite+aiosqlite:///{tmp}/x.db")) == []
