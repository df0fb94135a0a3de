"""Alembic environment: always run on the connection handed over by kubeserve.migrations."""

from alembic import context

from kubeserve.orm import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through kubeserve.migrations.upgrade()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
