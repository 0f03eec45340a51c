"""Append-only tables: triggers that reject UPDATE and DELETE, on SQLite and PostgreSQL.

Used by migrations for immutable record versions and labels (and by the audit log).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

__all__ = ["append_only_statements", "make_append_only"]

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nucsec_reject_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'nucsec: % on append-only table % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def append_only_statements(dialect: str, table: str) -> list[str]:
    """DDL making ``table`` append-only on ``dialect`` ("sqlite" or "postgresql")."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'nucsec: {op} on append-only table {table} is not "
            f"allowed'); END"
            for op in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            _PG_FUNCTION,
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION nucsec_reject_change()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION nucsec_reject_change()",
        ]
    raise ValueError(f"append-only triggers not implemented for {dialect}")


def make_append_only(conn: Connection, tables: Iterable[str]) -> None:
    for table in tables:
        for statement in append_only_statements(conn.dialect.name, table):
            conn.execute(text(statement))
