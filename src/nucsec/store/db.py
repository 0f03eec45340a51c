"""Engine and metadata: the one place that knows how to connect to a node's database."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, MetaData, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase

__all__ = ["IDLE_PING_SECONDS", "Base", "is_sqlite", "lock_keys", "make_engine"]

#: a pooled PostgreSQL connection idle longer than this is tested before it is handed out
IDLE_PING_SECONDS = 10.0

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every nucsec table (one MetaData, stable constraint names).

    Each subsystem defines its tables on this metadata in its own ``tables`` module;
    :func:`nucsec.assembly.metadata` imports them all.
    """

    metadata = MetaData(naming_convention=NAMING)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A transaction that writes takes the write lock at BEGIN: two processes then queue on
    # busy_timeout instead of dead-locking on upgrade. Read-only transactions (execution
    # option nucsec_readonly, see nucsec.service.trail.reading) read a WAL snapshot
    # without the lock.
    # (straight on the driver's connection: SQLAlchemy's execution path for a fixed
    # statement cost 5 % of a read request, which begins three transactions)
    sql = "BEGIN" if conn.get_execution_options().get("nucsec_readonly") else "BEGIN IMMEDIATE"
    try:
        conn.connection.driver_connection.execute(sql)
    except sqlite3.Error as exc:  # as SQLAlchemy would have raised it ("database is locked")
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every
    connection, PostgreSQL a test of connections that sat idle (not of every checkout)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it sat idle in the pool for
    :data:`IDLE_PING_SECONDS` (a server restart, an idle timeout of a proxy or firewall):
    SQLAlchemy's ``pool_pre_ping`` costs a round trip on every checkout, a tenth of a
    request's time under load. A connection that fails the test is replaced (the pool
    retries the checkout); one that dies while in use fails its statement, and SQLAlchemy
    then discards every connection opened before it."""

    def checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["nucsec_idle_since"] = time.monotonic()

    def checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("nucsec_idle_since", None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure: let the pool open a new connection
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def lock_keys(conn: Connection, keys: Iterable[str]) -> None:
    """Serialise the transactions that work on the same keys (hex digests) until they end:
    on PostgreSQL a transaction advisory lock per key, taken in a fixed order so that two
    transactions never wait on each other; a SQLite write transaction holds the database's
    write lock from BEGIN already."""
    if conn.dialect.name == "postgresql":
        for key in sorted(set(keys)):
            conn.execute(select(func.pg_advisory_xact_lock(int(key[:15], 16))))
