"""Audit tables and the DDL that makes them append-only (SQLite and PostgreSQL).

Tables (on :data:`nucsec.store.db.Base.metadata`):

``audit_events``
    one row per event: ``seq`` (the leaf index, from 0), the canonical ``body`` that is
    hashed, its ``leaf_hash``, and copies of ``time_utc``/``actor``/``action``/
    ``object_ref``/``outcome`` for queries (``verify`` checks them against the body).
``audit_subtrees``
    hash of every complete aligned subtree of even level >= 2 (``level``, ``idx``; odd
    levels are one hash away, see :func:`nucsec.audit.queries.is_stored_level`): proofs
    read a few dozen of them instead of rehashing the log.
``audit_checkpoints``
    signed checkpoint notes (C2SP text) with their size, root and time.
``audit_head``
    one mutable row (``id = 1``): tree size, the frontier hashes ("peaks") and the last
    checkpoint. Writers lock it (``SELECT ... FOR UPDATE``) so concurrent transactions get
    a gap-free, strictly increasing ``seq``. It is a cache: ``verify`` recomputes it.

The first three are append-only: triggers reject UPDATE and DELETE (and TRUNCATE on
PostgreSQL); :func:`postgres_role_ddl` adds a separate owner role so that the application
role cannot drop the triggers. ``install_append_only(conn)`` is what the migration calls.

``audit_refusals``
    not part of the log: the counters of repeated refusals from one source
    (:mod:`nucsec.service.refusals`), one row per source and kind of refusal, holding how
    many were counted since the last event about them; the counts go into the log as
    counted events (first, last, count). Mutable, owned by the application.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from nucsec.store.db import Base

__all__ = [
    "APPEND_ONLY_TABLES",
    "AUDIT_TABLES",
    "audit_checkpoints",
    "audit_events",
    "audit_head",
    "audit_refusals",
    "audit_subtrees",
    "create_audit_schema",
    "install_append_only",
    "postgres_role_ddl",
    "postgres_triggers",
    "sqlite_triggers",
]

_BIGINT_PK = BigInteger().with_variant(Integer, "sqlite")  # SQLite: rowid alias, fast

audit_events = Table(
    "audit_events",
    Base.metadata,
    Column("seq", _BIGINT_PK, primary_key=True, autoincrement=False),
    Column("time_utc", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object_ref", String(256), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    # Only time is indexed: it grows with seq, so its index appends at the right edge.
    # An (actor, seq) index would insert at as many places as there are actors in a
    # batch and cost 2.7x the storage CPU of an append; `audit log --user` scans instead
    # (narrowed by --since). See docs/audit.md.
    Index("ix_audit_events_time_utc", "time_utc"),
    comment="append-only audit log; seq is the RFC 9162 leaf index",
)

audit_subtrees = Table(
    "audit_subtrees",
    Base.metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
    comment="hashes of complete aligned Merkle subtrees (even levels >= 2)",
)

audit_checkpoints = Table(
    "audit_checkpoints",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tree_size", BigInteger, nullable=False, index=True),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("time_utc", String(32), nullable=False),
    Column("note", Text, nullable=False),
    comment="signed checkpoints (C2SP tlog-checkpoint signed notes)",
)

audit_head = Table(
    "audit_head",
    Base.metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("peaks", LargeBinary, nullable=False),
    Column("checkpoint_size", BigInteger, nullable=True),
    Column("checkpoint_time_utc", String(32), nullable=True),
    comment="write cursor of the audit log (one row, locked by appenders)",
)

audit_refusals = Table(
    "audit_refusals",
    Base.metadata,
    Column("key", String(64), primary_key=True),  # sha256 of source, actor, action, ...
    Column("source", String(80), nullable=False),  # keyed address or principal id
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),  # counted since the window's event
    Column("first_at", DateTime(timezone=True), nullable=True),
    Column("last_at", DateTime(timezone=True), nullable=True),
    Column("event", Text, nullable=False),  # JSON: actor, action, object, outcome, details
    Index("ix_audit_refusals_window_start", "window_start"),
    Index("ix_audit_refusals_source", "source"),
    comment="counters of repeated refusals, flushed to the log as counted events",
)

AUDIT_TABLES = (audit_events, audit_subtrees, audit_checkpoints, audit_head)
APPEND_ONLY_TABLES = ("audit_events", "audit_subtrees", "audit_checkpoints")


def sqlite_triggers() -> list[str]:
    """SQLite DDL: reject UPDATE and DELETE on the append-only tables, DELETE on the head."""
    ddl = []
    for table in APPEND_ONLY_TABLES:
        for op in ("UPDATE", "DELETE"):
            ddl.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    ddl.append(
        "CREATE TRIGGER IF NOT EXISTS audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END"
    )
    return ddl


def postgres_triggers() -> list[str]:
    """PostgreSQL DDL: one trigger function; UPDATE/DELETE/TRUNCATE rejected."""
    ddl = [
        "CREATE OR REPLACE FUNCTION nucsec_audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% on % rejected: the audit log is append-only', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    ]
    for table in APPEND_ONLY_TABLES:
        ddl += [
            f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION nucsec_audit_append_only()",
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION nucsec_audit_append_only()",
        ]
    ddl += [
        "CREATE OR REPLACE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION nucsec_audit_append_only()",
        "CREATE OR REPLACE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION nucsec_audit_append_only()",
    ]
    return ddl


def postgres_role_ddl(owner_role: str, app_role: str) -> list[str]:
    """PostgreSQL DDL giving the audit tables to ``owner_role`` (NOLOGIN).

    The application connects as ``app_role`` and may only SELECT and INSERT (and UPDATE
    the head row); as it does not own the tables it can neither drop the triggers nor
    alter the tables. Run by an administrator after the tables and triggers exist; the
    roles must already exist (``CREATE ROLE nucsec_audit_owner NOLOGIN``).
    """
    for role in (owner_role, app_role):
        if not role.replace("_", "").isalnum():
            raise ValueError(f"role name {role!r} must be alphanumeric or '_'")
    ddl = ["ALTER FUNCTION nucsec_audit_append_only() OWNER TO " + owner_role]
    for table in (*APPEND_ONLY_TABLES, "audit_head"):
        ddl += [
            f"ALTER TABLE {table} OWNER TO {owner_role}",
            f"REVOKE ALL ON {table} FROM {app_role}",
            f"GRANT SELECT, INSERT ON {table} TO {app_role}",
        ]
    ddl += [
        f"GRANT UPDATE (tree_size, peaks, checkpoint_size, checkpoint_time_utc) "
        f"ON audit_head TO {app_role}",
        f"GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO {app_role}",
    ]
    return ddl


def install_append_only(conn: Connection) -> None:
    """Create the append-only triggers for the connection's dialect (idempotent)."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        statements = sqlite_triggers()
    elif dialect == "postgresql":
        statements = postgres_triggers()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no append-only triggers for {dialect}")
    for statement in statements:
        conn.execute(text(statement))  # text(): escapes '%' for psycopg's parameter style


def create_audit_schema(conn: Connection) -> None:
    """Create the audit tables and triggers (tests and tools; nodes use the migration)."""
    Base.metadata.create_all(conn, tables=list(AUDIT_TABLES))
    install_append_only(conn)
