"""Alembic environment: migrations run on the connection nucsec hands over."""

from alembic import context

from nucsec.store.db import Base, import_all_tables

import_all_tables()

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - nucsec always passes a connection
    raise RuntimeError("run migrations through nucsec.store.migrate")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
