"""Storage adapter: SQLAlchemy schema, repositories and Alembic migrations.

SQLite (WAL, foreign keys on) is the embedded default; PostgreSQL runs in production.
"""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "blobs",
    "db",
    "immutable",
    "labels",
    "migrate",
    "records",
    "schema",
]
