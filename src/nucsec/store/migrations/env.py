"""Alembic environment: migrations run on the connection nucsec hands over.

Upgrades run the revisions as written; autogenerating a revision compares with the
metadata the caller passes (``target_metadata``: every table, from
:func:`nucsec.assembly.metadata`).
"""

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - nucsec always passes a connection
    raise RuntimeError("run migrations through nucsec.store.migrate")
context.configure(
    connection=connection,
    target_metadata=config.attributes.get("target_metadata"),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
