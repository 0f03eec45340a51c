"""Connections for a unit of work: one pool checkout per web request, and read transactions.

A web request on PostgreSQL used to check out a pooled connection three times (the
caller's token, the read, the audit append), each with a round trip to test it, and to
send ``BEGIN`` and ``COMMIT`` around each of its reads. Here:

- :func:`connection_scope` opens a scope (a web request: :mod:`nucsec.web.dbscope`) in
  which :func:`connection` hands out **one** connection of an engine, checked out on first
  use and returned to the pool by :meth:`ConnectionScope.release` (when the response
  starts, or when the request is about to wait for its audit events to be committed by
  another thread: holding it idle there starved the other requests' reads) or when the
  scope ends. Whoever asks while that connection is in use (a nested
  transaction, another thread of the request) gets a connection of its own, as before: the
  connection is never shared by two transactions at once.
- :func:`read_transaction` is a read-only transaction on such a connection. On SQLite it
  is a ``BEGIN`` without the write lock (a WAL snapshot: see :mod:`nucsec.store.db`). On
  PostgreSQL, whose default isolation (READ COMMITTED) gives each statement its own
  snapshot whether or not it runs in a transaction block, the statements run in autocommit
  mode: the same answers, two round trips fewer.

Nothing here decides access: services still read through the reference monitor and
record their events in the audit log (:mod:`nucsec.service.trail`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

__all__ = [
    "ConnectionScope",
    "connection",
    "connection_scope",
    "read_transaction",
    "release_scope",
]


class ConnectionScope:
    """The connection of one unit of work (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.checkouts = 0  # how many times the pool was asked (tests, diagnostics)
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._busy = False

    def take(self, engine: Engine) -> Connection | None:
        """The scope's connection, marked busy; None if it is busy or of another engine."""
        if engine is not self.engine:
            return None
        with self._lock:
            if self._busy:
                return None
            if self._conn is None or self._conn.closed:
                self._conn = engine.connect()
                self.checkouts += 1
            self._busy = True
            return self._conn

    def give_back(self, conn: Connection) -> None:
        """End what the taker left open (a transaction: rolled back) and mark it free."""
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            with self._lock:
                self._busy = False

    def release(self) -> None:
        """Return the connection to the pool now, unless it is in use (then the taker keeps
        it until :meth:`close`); a later :meth:`take` checks out again."""
        with self._lock:
            if self._busy or self._conn is None:
                return
            conn, self._conn = self._conn, None
        conn.close()

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


_current: ContextVar[ConnectionScope | None] = ContextVar("nucsec_connection_scope", default=None)


@contextmanager
def connection_scope(engine: Engine) -> Iterator[ConnectionScope]:
    """Within the block (and the threads it starts with a copy of its context),
    :func:`connection` of ``engine`` reuses one checked-out connection."""
    scope = ConnectionScope(engine)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
        scope.close()


def release_scope() -> None:
    """Return the current scope's connection to the pool unless it is in use (a request
    about to wait for something else: see :func:`nucsec.service.trail.reading`)."""
    scope = _current.get()
    if scope is not None:
        scope.release()


@contextmanager
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection of ``engine``: the current scope's if it is free, else a new checkout.

    The caller begins and ends its own transaction; one left open is rolled back."""
    scope = _current.get()
    conn = scope.take(engine) if scope is not None else None
    if conn is None or scope is None:
        with engine.connect() as own:
            yield own
        return
    try:
        yield conn
    finally:
        scope.give_back(conn)


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (see the module docstring) on :func:`connection`."""
    with connection(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                with conn.begin():
                    yield conn
            finally:  # the connection may serve a write transaction next
                conn.execution_options(isolation_level=conn.default_isolation_level)
            return
        conn.execution_options(nucsec_readonly=True)
        try:
            with conn.begin():
                yield conn
        finally:
            conn.execution_options(nucsec_readonly=False)
