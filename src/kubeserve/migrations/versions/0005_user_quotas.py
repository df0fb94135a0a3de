"""Users get a quota an admin may set (`quota_cpu`, `quota_memory`, `quota_pods`; NULL: the
platform default). Admins are `role = 'admin'` (the column exists since 0001).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("quota_cpu", "quota_memory", "quota_pods")


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite keeps the table (and its AUTOINCREMENT) as it is.
    op.add_column("users", sa.Column("quota_cpu", sa.String(16), nullable=True))
    op.add_column("users", sa.Column("quota_memory", sa.String(16), nullable=True))
    op.add_column("users", sa.Column("quota_pods", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Recreated on SQLite: keep AUTOINCREMENT (0003) on the rebuilt table.
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        for column in COLUMNS:
            batch.drop_column(column)
