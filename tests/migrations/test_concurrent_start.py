"""Several control planes starting at once on a fresh PostgreSQL database (the Helm chart runs
two replicas): every one of them comes up, none trips over another's migration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.fixtures.database import _pg

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

UPGRADE = (
    "import asyncio, sys\n"
    "from kubeserve import migrations\n"
    "from kubeserve.db import create_engine\n"
    "asyncio.run(migrations.upgrade(create_engine(sys.argv[1])))\n"
)


async def test_three_processes_migrate_one_fresh_database_at_once(
    postgres_server: str, tmp_path: Path
) -> None:
    name = f"concurrent_{tmp_path.name.replace('-', '_')[-16:]}"
    await _pg(postgres_server, f"CREATE DATABASE {name}")
    url = f"{postgres_server}/{name}"
    processes = [
        subprocess.Popen([sys.executable, "-c", UPGRADE, url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outcomes = [
        (process.wait(timeout=120), process.stderr.read() if process.stderr else "") for process in processes
    ]
    assert [code for code, _ in outcomes] == [0, 0, 0], [err[-500:] for _, err in outcomes]
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT count(*) FROM alembic_version") == 1
        assert await conn.fetchval("SELECT to_regclass('users') IS NOT NULL")
    finally:
        await conn.close()
