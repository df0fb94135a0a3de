"""Versions get `allow_unsafe_pickle`: the owner's switch past the pickle policy.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite keeps the table (and its AUTOINCREMENT) as it is.
    op.add_column(
        "model_versions",
        sa.Column("allow_unsafe_pickle", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # Recreated on SQLite: keep AUTOINCREMENT (0003) on the rebuilt table.
    with op.batch_alter_table("model_versions", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("allow_unsafe_pickle")
