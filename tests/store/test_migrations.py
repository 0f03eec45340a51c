"""After every migration has run, the database is exactly what the table definitions say.

Alembic's ``compare_metadata`` lists every difference between a database upgraded to
every head and ``Base.metadata`` with every table module imported (tables, columns,
types, nullability, indexes, unique constraints, foreign keys): a table changed in code
without a revision, or a revision that does not match the code, fails here (SQLite, and
PostgreSQL when the run targets it).
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from nucsec.store.db import Base, make_engine
from nucsec.store.migrate import upgrade
from tests.store.tables import import_every_table


def _virtual_tables(conn: Any) -> tuple[str, ...]:
    """SQLite virtual tables (FTS5) a revision created with raw SQL: no SQLAlchemy table
    describes them or their shadow tables (``<name>_data``, ``<name>_idx``, ...)."""
    if conn.dialect.name != "sqlite":
        return ()
    rows = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
    )
    return tuple(name for (name,) in rows)


def _differences(url: str) -> list[Any]:
    import_every_table()
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            virtual = _virtual_tables(conn)

            def include_name(name: str | None, type_: str, parent: Any) -> bool:
                return not (
                    type_ == "table"
                    and name is not None
                    and any(name == v or name.startswith(v + "_") for v in virtual)
                )

            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": False,
                    "include_name": include_name,
                },
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgraded_database_equals_the_table_definitions(db_url: str) -> None:
    assert _differences(db_url) == []


def test_every_table_module_is_known() -> None:
    import_every_table()
    names = set(Base.metadata.tables)
    for expected in (
        "records",
        "audit_events",
        "exchange_outbox",
        "incident_facts",
        "web_sessions",
    ):
        assert expected in names, expected


def test_a_table_without_a_revision_is_seen(db_url: str) -> None:
    from sqlalchemy import Column, Integer, Table

    extra = Table("not_migrated", Base.metadata, Column("pk", Integer, primary_key=True))
    try:
        found = _differences(db_url)
    finally:
        Base.metadata.remove(extra)
    assert [d[0] for d in found] == ["add_table"]
    assert found[0][1].name == "not_migrated"
