"""Deployments get an owner, autoscaling, public flag and release; releases; API keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=False))
        batch.add_column(sa.Column("autoscaling", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("release", sa.Integer(), nullable=False))
        batch.create_foreign_key(
            "fk_deployments_user_id_users", "users", ["user_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_deployments_user_id", ["user_id"])
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            ondelete="CASCADE",
            name="fk_releases_deployment_id_deployments",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            ondelete="CASCADE",
            name="fk_releases_version_id_model_versions",
        ),
        sa.UniqueConstraint("deployment_id", "revision", name="uq_releases_deployment_id_revision"),
    )
    op.create_index("ix_releases_deployment_id", "releases", ["deployment_id"])
    op.create_index("ix_releases_version_id", "releases", ["version_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_used_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_api_keys_user_id_users"
        ),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("releases")
    with op.batch_alter_table("deployments") as batch:
        batch.drop_index("ix_deployments_user_id")
        batch.drop_constraint("fk_deployments_user_id_users", type_="foreignkey")
        for column in ("release", "error", "public", "autoscaling", "user_id"):
            batch.drop_column(column)
