"""Connections of a unit of work (nucsec.store.scope) and the idle test of pooled
PostgreSQL connections (nucsec.store.db)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, QueuePool, event, text

from nucsec.store import db as store_db
from nucsec.store.db import make_engine
from nucsec.store.scope import (
    connection,
    connection_scope,
    read_transaction,
    release_scope,
)
from tests.conftest import requires_postgres


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, pool_size=3, max_overflow=0)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield eng
    eng.dispose()


def _in_use(engine: Engine) -> int:
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def _checkouts(engine: Engine) -> list[int]:
    seen: list[int] = []
    event.listen(engine, "checkout", lambda *_: seen.append(1))
    return seen


def test_one_checkout_per_scope(engine: Engine) -> None:
    seen = _checkouts(engine)
    with connection_scope(engine) as scope:
        with read_transaction(engine) as a:
            assert a.execute(text("SELECT count(*) FROM notes")).scalar() == 0
        with connection(engine) as b, b.begin():
            b.execute(text("INSERT INTO notes VALUES (1, 'x')"))
        with read_transaction(engine) as c:
            assert c.execute(text("SELECT count(*) FROM notes")).scalar() == 1
        assert a is b is c
        assert scope.checkouts == 1
    assert len(seen) == 1
    assert _in_use(engine) == 0  # returned when the scope ended


def test_nested_and_other_threads_get_their_own(engine: Engine) -> None:
    with connection_scope(engine) as scope, connection(engine) as outer:
        with connection(engine) as inner:  # the scope's is busy: a checkout of its own
            assert inner is not outer
        got: list[object] = []
        worker = threading.Thread(target=lambda: got.append(_use(engine)))
        worker.start()
        worker.join()
        assert got and got[0] is not outer
        assert scope.checkouts == 1


def _use(engine: Engine) -> object:
    with connection(engine) as conn:
        return conn


def test_an_open_transaction_is_rolled_back_and_writes_stay_atomic(engine: Engine) -> None:
    with connection_scope(engine):
        with connection(engine) as conn:
            conn.begin()
            conn.execute(text("INSERT INTO notes VALUES (1, 'left open')"))
        with pytest.raises(RuntimeError), connection(engine) as conn, conn.begin():
            conn.execute(text("INSERT INTO notes VALUES (2, 'failed')"))
            raise RuntimeError("the change failed")
        with read_transaction(engine):  # a read between them changes nothing for writes
            pass
        with pytest.raises(RuntimeError), connection(engine) as conn, conn.begin():
            conn.execute(text("INSERT INTO notes VALUES (3, 'after a read')"))
            raise RuntimeError("the change failed")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar() == 0


def test_release_returns_the_connection_and_a_later_use_checks_out_again(
    engine: Engine,
) -> None:
    with connection_scope(engine) as scope:
        with connection(engine):
            scope.release()  # in use: kept
            assert _in_use(engine) == 1
        release_scope()
        assert _in_use(engine) == 0
        with read_transaction(engine) as conn:
            conn.execute(text("SELECT 1"))
        assert scope.checkouts == 2


def test_outside_a_scope_each_use_checks_out(engine: Engine) -> None:
    seen = _checkouts(engine)
    for _ in range(2):
        with read_transaction(engine) as conn:
            conn.execute(text("SELECT 1"))
    assert len(seen) == 2 and _in_use(engine) == 0


@requires_postgres
def test_postgresql_reads_send_no_begin(engine: Engine) -> None:
    with connection_scope(engine), read_transaction(engine) as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None and raw.autocommit
        conn.execute(text("SELECT 1"))
        assert conn.execute(text("SELECT txid_current_if_assigned()")).scalar() is None
    with connection_scope(engine), connection(engine) as conn, conn.begin():
        raw = conn.connection.dbapi_connection
        assert raw is not None and not raw.autocommit  # writes are transactions again


@requires_postgres
def test_a_connection_killed_while_idle_is_replaced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = make_engine(engine.url.render_as_string(hide_password=False))
    with admin.begin() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    monkeypatch.setattr(store_db, "IDLE_PING_SECONDS", 0.0)  # it has been idle long enough
    with engine.connect() as conn:  # the pooled one fails its test: a new one is opened
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
