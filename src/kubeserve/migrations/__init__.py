"""Alembic migrations, shipped inside the package and applied at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

HERE = Path(__file__).parent
# Several control planes may start at once (the Helm chart runs two): on PostgreSQL the first
# to take this transaction-scoped lock migrates, the others wait and then find the schema at head.
MIGRATION_LOCK_ID = 0x6B7562657365  # "kubese"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` on the engine's database."""
    await _run(engine, lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, lambda sync: command.downgrade(alembic_config(sync), revision))


async def _run(engine: AsyncEngine, migrate: Callable[[Connection], None]) -> None:
    """One transaction, one migrator at a time (a PostgreSQL advisory lock; SQLite's write
    lock serialises it there). On SQLite, foreign keys are off while it runs: recreating a table
    (the only way to change most things there) would otherwise cascade-delete its children;
    they are checked before the transaction commits."""
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as conn:
        if sqlite:  # only effective outside a transaction
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        try:
            async with conn.begin():
                if engine.dialect.name == "postgresql":
                    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
                await conn.run_sync(migrate)
                if sqlite:
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()
