"""Storage adapter: SQLAlchemy schema, repositories and Alembic migrations.

SQLite (WAL, foreign keys on) is the embedded default; PostgreSQL runs in production.
"""
