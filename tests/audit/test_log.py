"""The audit log on a real database: append, checkpoints, append-only, concurrency, proofs."""

from __future__ import annotations

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymerkle import InmemoryTree
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from nucsec.audit import queries as audit_log
from nucsec.audit.checkpoint import open_checkpoint
from nucsec.audit.events import AuditEvent, canonical_bytes
from nucsec.audit.log import AuditLog
from nucsec.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from nucsec.audit.tables import audit_checkpoints, audit_events
from nucsec.audit.verify import verify_log
from nucsec.errors import IntegrityError, NotFoundError
from tests.audit.helpers import ORIGIN, T0, Clock, make_events


def _append(engine: Engine, log: AuditLog, events: list[AuditEvent]) -> list[int]:
    with engine.begin() as conn:
        return log.append(conn, events)


def _checkpoints(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        c = audit_checkpoints.c
        return [r[0] for r in conn.execute(select(c.tree_size).order_by(c.id))]


def _verify(engine: Engine, key: Ed25519PrivateKey):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return verify_log(conn, origin=ORIGIN, public_keys=[key.public_key()])


def test_append_returns_consecutive_sequence_numbers(engine: Engine, log: AuditLog) -> None:
    assert _append(engine, log, make_events(3)) == [0, 1, 2]
    assert _append(engine, log, make_events(2)) == [3, 4]
    assert _append(engine, log, []) == []
    with engine.connect() as conn:
        assert audit_log.tree_size(conn) == 5


def test_event_rolls_back_with_the_callers_transaction(engine: Engine, log: AuditLog) -> None:
    _append(engine, log, make_events(2))
    with pytest.raises(RuntimeError), engine.begin() as conn:
        log.append(conn, make_events(5))
        raise RuntimeError("the data change failed")
    assert _append(engine, log, make_events(1)) == [2]  # no gap, nothing half-written
    assert _verify(engine, log.key).ok


def test_checkpoint_every_n_events(engine: Engine, key: Ed25519PrivateKey, clock: Clock) -> None:
    log = AuditLog(ORIGIN, key, checkpoint_every=10, checkpoint_seconds=3600, clock=clock)
    for _ in range(7):
        _append(engine, log, make_events(4))
    # first append anchors the log; then a checkpoint whenever >= 10 events are unsigned
    assert _checkpoints(engine) == [4, 16, 28]


def test_checkpoint_every_t_seconds(engine: Engine, key: Ed25519PrivateKey, clock: Clock) -> None:
    log = AuditLog(ORIGIN, key, checkpoint_every=1000, checkpoint_seconds=60, clock=clock)
    _append(engine, log, make_events(1))
    clock.advance(30)
    _append(engine, log, make_events(1))
    clock.advance(31)
    _append(engine, log, make_events(1))
    assert _checkpoints(engine) == [1, 3]
    with engine.begin() as conn:
        clock.advance(120)
        assert log.maybe_checkpoint(conn) is None  # nothing new to sign


def test_checkpoints_are_signed_and_match_the_tree(engine: Engine, log: AuditLog) -> None:
    events = make_events(250)
    _append(engine, log, events)
    with engine.begin() as conn:
        stored = log.checkpoint(conn)
    cp = open_checkpoint(stored.note, [log.key.public_key()], ORIGIN)
    reference = InmemoryTree()
    for ev in events:
        reference.append_entry(canonical_bytes(ev))
    assert cp.tree_size == 250
    assert cp.root_hash == reference.get_root()
    assert cp.time == T0


@pytest.mark.parametrize("table", ["audit_events", "audit_subtrees", "audit_checkpoints"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"], ids=["update", "delete"]
)
def test_append_only_tables_reject_changes(
    engine: Engine, log: AuditLog, table: str, statement: str
) -> None:
    _append(engine, log, make_events(4))
    column = {"audit_events": "actor", "audit_subtrees": "hash", "audit_checkpoints": "note"}
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement.format(t=table, c=column[table])))
    assert _verify(engine, log.key).ok


def test_truncate_is_rejected_on_postgresql(engine: Engine, log: AuditLog) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    _append(engine, log, make_events(2))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_events"))


def test_concurrent_writers_get_a_gap_free_order(engine: Engine, log: AuditLog) -> None:
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for i in range(10):
                results.append(_append(engine, log, make_events(3, start=100 * w + 10 * i)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = sorted(s for batch in results for s in batch)
    assert seqs == list(range(120))
    assert all(b == list(range(b[0], b[0] + 3)) for b in results)  # batches stay contiguous
    assert _verify(engine, log.key).ok


def test_inclusion_and_consistency_proofs_from_the_database(engine: Engine, log: AuditLog) -> None:
    events = make_events(300)
    for i in range(0, 300, 37):
        _append(engine, log, events[i : i + 37])
    with engine.begin() as conn:
        size = audit_log.tree_size(conn)
        root = audit_log.root(conn, size)
        for seq in (0, 1, 150, 255, 256, 299):
            body, stored_leaf = audit_log.get_event(conn, seq)
            assert body == canonical_bytes(events[seq]) and stored_leaf == leaf_hash(body)
            proof = audit_log.prove_inclusion(conn, seq, size)
            assert verify_inclusion(leaf_hash(body), seq, size, proof, root)
        for first in (1, 37, 100, 256, 299):
            proof = audit_log.prove_consistency(conn, first, size)
            assert verify_consistency(first, size, audit_log.root(conn, first), root, proof)
        with pytest.raises(NotFoundError):
            audit_log.get_event(conn, 300)


def test_query_by_actor_and_time(engine: Engine, log: AuditLog) -> None:
    _append(engine, log, make_events(5, actor="u-alice"))
    later = T0.replace(hour=12)
    _append(engine, log, make_events(3, actor="u-bob", t=later))
    with engine.connect() as conn:
        found, more = audit_log.query_events(conn, actor="u-bob")
        assert [e.seq for e in found] == [5, 6, 7] and not more
        found, more = audit_log.query_events(conn, since=later)
        assert {e.event.actor for e in found} == {"u-bob"}
        found, more = audit_log.query_events(conn, limit=2)
        assert [e.seq for e in found] == [0, 1] and more
        assert conn.execute(select(func.count()).select_from(audit_events)).scalar() == 8


def test_a_fresh_log_verifies(engine: Engine, log: AuditLog) -> None:
    report = _verify(engine, log.key)
    assert report.ok and report.events == 0
    _append(engine, log, make_events(1))
    report = _verify(engine, log.key)
    assert report.ok and report.events == 1 and report.checkpoints == 1


def test_a_deleted_head_is_not_silently_recreated(engine: Engine, log: AuditLog) -> None:
    from tests.audit.helpers import tamper

    _append(engine, log, make_events(3))
    tamper(engine, "DELETE FROM audit_head")
    with pytest.raises(IntegrityError, match="audit_head is missing"), engine.begin() as conn:
        log.append(conn, make_events(1))
