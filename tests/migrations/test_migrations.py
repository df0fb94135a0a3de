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


async def test_ids_are_never_reused_after_upgrade_with_data(empty_database: str) -> None:
    """0003 keeps every row (no cascade while tables are recreated) and ids never come back."""
    from sqlalchemy import text

    engine = create_engine(empty_database)
    try:
        await migrations.upgrade(engine, "0002")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, is_active, created_at) VALUES "
                    "('a@example.com', 'h', 'user', true, CURRENT_TIMESTAMP),"
                    "('b@example.com', 'h', 'user', true, CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO models (user_id, name, type, description, created_at, updated_at) "
                    "VALUES (1, 'm', 'sklearn', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        await migrations.upgrade(engine)
        async with engine.begin() as conn:
            keys = (await conn.execute(text("SELECT token_key FROM users ORDER BY id"))).scalars().all()
            assert len(keys) == 2 and len(set(keys)) == 2 and all(len(k) == 32 for k in keys)
            assert (await conn.execute(text("SELECT count(*) FROM models"))).scalar() == 1
            await conn.execute(text("DELETE FROM users WHERE id = 2"))
            await conn.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, is_active, created_at, token_key) "
                    "VALUES ('c@example.com', 'h', 'user', true, CURRENT_TIMESTAMP, 'k')"
                )
            )
            new_id = (await conn.execute(text("SELECT id FROM users WHERE email = 'c@example.com'"))).scalar()
        assert new_id == 3  # not 2
    finally:
        await engine.dispose()


async def test_every_sqlite_table_is_autoincrement(tmp_path: Path) -> None:
    from sqlalchemy import text

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/ids.db")
    try:
        await migrations.upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type='table'"))).all()
            foreign_keys = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    finally:
        await engine.dispose()
    declared = {name: sql for name, sql in rows if name in TABLES}
    assert set(declared) == TABLES
    assert all("AUTOINCREMENT" in sql for sql in declared.values()), declared
    assert foreign_keys == 1  # switched back on after the migration


async def test_quotas_come_and_go_with_0005_and_users_stay(empty_database: str) -> None:
    """0005 adds the users' quota columns (NULL: the default) and takes them away again,
    keeping every user and their ids on both databases."""
    from sqlalchemy import text

    engine = create_engine(empty_database)
    try:
        await migrations.upgrade(engine, "0004")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, is_active, created_at, token_key) "
                    "VALUES ('a@example.com', 'h', 'admin', true, CURRENT_TIMESTAMP, 'k')"
                )
            )
        await migrations.upgrade(engine, "0005")
        async with engine.begin() as conn:
            row = (
                await conn.execute(text("SELECT id, quota_cpu, quota_memory, quota_pods FROM users"))
            ).one()
            assert tuple(row) == (1, None, None, None)
            await conn.execute(text("UPDATE users SET quota_cpu = '4', quota_memory = '8Gi', quota_pods = 9"))
        await migrations.downgrade(engine, "0004")
        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("users")})
            users = (await conn.execute(text("SELECT id, email, role FROM users"))).all()
        assert not columns & {"quota_cpu", "quota_memory", "quota_pods"}
        assert [tuple(u) for u in users] == [(1, "a@example.com", "admin")]
    finally:
        await engine.dispose()
