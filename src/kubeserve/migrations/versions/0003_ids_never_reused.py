"""Ids are never reused: AUTOINCREMENT on every SQLite table; users get a token key.

SQLite reuses the largest rowid after a delete unless a table is declared AUTOINCREMENT,
which only CREATE TABLE can do, so every table is recreated (batch mode; foreign keys are
switched off around migrations by kubeserve.migrations). PostgreSQL sequences never reuse.
`users.token_key` is a random value every access token carries and every request checks:
a token cannot outlive its user, nor authenticate whoever gets a recycled id.

Revision ID: 0003
Revises: 0002
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("users", "models", "model_versions", "deployments", "releases", "api_keys")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_key", sa.String(32), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("token_key", sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(token_key=secrets.token_hex(16)))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("token_key", existing_type=sa.String(32), nullable=False)
    if bind.dialect.name == "sqlite":
        _recreate(autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _recreate(autoincrement=False)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_key")


def _recreate(autoincrement: bool) -> None:
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
