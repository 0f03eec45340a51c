"""Tampering straight in the database (triggers bypassed): ``verify`` detects it and names where."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select, text

from nucsec.audit.checkpoint import NoteSignature, SignedNote
from nucsec.audit.events import AuditEvent, canonical_bytes
from nucsec.audit.keys import key_id
from nucsec.audit.log import AuditLog
from nucsec.audit.merkle import MemoryTree, leaf_hash
from nucsec.audit.tables import audit_checkpoints, audit_events
from nucsec.audit.verify import VerifyReport, verify_log
from tests.audit.helpers import ORIGIN, T0, Clock, make_events, tamper

N = 50


@pytest.fixture
def built(engine: Engine, key: Ed25519PrivateKey) -> tuple[Engine, AuditLog]:
    log = AuditLog(ORIGIN, key, checkpoint_every=16, checkpoint_seconds=3600, clock=Clock())
    events = make_events(N)
    for i in range(0, N, 5):
        with engine.begin() as conn:
            log.append(conn, events[i : i + 5])
    with engine.begin() as conn:
        log.checkpoint(conn)
    return engine, log


def _verify(engine: Engine, log: AuditLog) -> VerifyReport:
    with engine.begin() as conn:
        return verify_log(conn, origin=ORIGIN, public_keys=[log.key.public_key()])


def _body(engine: Engine, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(
            conn.execute(select(audit_events.c.body).where(audit_events.c.seq == seq)).scalar_one()
        )


def _forged(seq: int) -> dict[str, object]:
    ev = AuditEvent(T0, "u-9999", "record.read", f"document:{seq}", details={"kind": "forged"})
    body = canonical_bytes(ev)
    return {
        "seq": seq,
        "t": ev.time_utc,
        "obj": ev.object_ref,
        "body": body,
        "leaf": leaf_hash(body),
    }


_INSERT = (
    "INSERT INTO audit_events (seq, time_utc, actor, action, object_ref, outcome, body, "
    "leaf_hash) VALUES (:seq, :t, 'u-9999', 'record.read', :obj, 'success', :body, :leaf)"
)


def change_one_byte(engine: Engine) -> None:
    body = bytearray(_body(engine, 13))
    body[body.index(b"document:13") + 9] ^= 0x01  # document:13 -> document:03
    tamper(engine, "UPDATE audit_events SET body = :b WHERE seq = 13", {"b": bytes(body)})


def change_indexed_column(engine: Engine) -> None:
    tamper(engine, "UPDATE audit_events SET actor = 'u-someone-else' WHERE seq = 21")


def delete_event(engine: Engine) -> None:
    tamper(engine, "DELETE FROM audit_events WHERE seq = 20")


def insert_forged_at_end(engine: Engine) -> None:
    tamper(engine, _INSERT, _forged(N))


def insert_forged_in_middle(engine: Engine) -> None:
    # make room at 30 by renumbering the later events, then slip the forged one in
    tamper(engine, "UPDATE audit_events SET seq = -seq - 2 WHERE seq >= 30")
    tamper(engine, "UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0")
    tamper(engine, _INSERT, _forged(30))


def swap_bodies(engine: Engine) -> None:
    a, b = _body(engine, 10), _body(engine, 17)
    tamper(engine, "UPDATE audit_events SET body = :b WHERE seq = 10", {"b": b})
    tamper(engine, "UPDATE audit_events SET body = :b WHERE seq = 17", {"b": a})


def swap_whole_rows(engine: Engine) -> None:
    tamper(engine, "UPDATE audit_events SET seq = -1 WHERE seq = 10")
    tamper(engine, "UPDATE audit_events SET seq = 10 WHERE seq = 17")
    tamper(engine, "UPDATE audit_events SET seq = 17 WHERE seq = -1")


def truncate_tail(engine: Engine) -> None:
    tamper(engine, "DELETE FROM audit_events WHERE seq >= 40")


def rewrite_consistently(engine: Engine) -> None:
    """Alter event 13 and recompute every hash the database holds (no key: no signature)."""
    with engine.connect() as conn:
        bodies = [
            bytes(b)
            for (b,) in conn.execute(select(audit_events.c.body).order_by(audit_events.c.seq))
        ]
    bodies[13] = bodies[13].replace(b"document:13", b"document:99")
    tree = MemoryTree()
    for body in bodies:
        tree.append(leaf_hash(body))
    tamper(
        engine,
        "UPDATE audit_events SET body = :b, leaf_hash = :h, object_ref = 'document:99' "
        "WHERE seq = 13",
        {"b": bodies[13], "h": leaf_hash(bodies[13])},
    )
    tamper(engine, "DELETE FROM audit_subtrees")
    for level in range(2, N.bit_length(), 2):  # the levels the log stores
        for idx in range(N >> level):
            tamper(
                engine,
                "INSERT INTO audit_subtrees (level, idx, hash) VALUES (:l, :i, :h)",
                {"l": level, "i": idx, "h": tree.get_nodes([(level, idx)])[(level, idx)]},
            )


CASES: list[tuple[Callable[[Engine], None], int, set[str]]] = [
    (change_one_byte, 13, {"event_hash"}),
    (change_indexed_column, 21, {"event_columns"}),
    (delete_event, 20, {"missing_event"}),
    (insert_forged_at_end, N, {"extra_event"}),
    (insert_forged_in_middle, 28, {"subtree", "checkpoint_root"}),
    (swap_bodies, 10, {"event_hash"}),
    # leaf hashes moved with the rows: located to the stored 4-event node over 8..11
    (swap_whole_rows, 8, {"subtree", "checkpoint_root"}),
    (truncate_tail, 40, {"missing_event"}),
]


@pytest.mark.parametrize(
    ("attack", "first_bad", "kinds"), CASES, ids=[c[0].__name__ for c in CASES]
)
def test_verify_detects_and_names_the_first_bad_event(
    built: tuple[Engine, AuditLog],
    attack: Callable[[Engine], None],
    first_bad: int,
    kinds: set[str],
) -> None:
    engine, log = built
    assert _verify(engine, log).ok
    attack(engine)
    report = _verify(engine, log)
    assert not report.ok
    assert report.first_bad_event == first_bad
    assert report.problems[0].kind in kinds
    assert str(first_bad) in report.problems[0].message


def test_consistent_rewrite_is_caught_by_the_signed_checkpoint(
    built: tuple[Engine, AuditLog],
) -> None:
    engine, log = built
    with engine.connect() as conn:
        sizes = [s for (s,) in conn.execute(select(audit_checkpoints.c.tree_size))]
    rewrite_consistently(engine)
    report = _verify(engine, log)
    assert not report.ok
    assert {p.kind for p in report.problems} == {"checkpoint_root", "head"}
    # located to the span after the last checkpoint that still matches
    last_good = max(s for s in sizes if s <= 13)
    assert report.first_bad_event == last_good
    assert (
        f"events {last_good}..{min(s for s in sizes if s > 13) - 1}" in report.problems[0].message
    )


def test_replaced_checkpoint_signature_is_named(built: tuple[Engine, AuditLog]) -> None:
    engine, log = built
    with engine.connect() as conn:
        cp_id, note = conn.execute(
            select(audit_checkpoints.c.id, audit_checkpoints.c.note)
            .order_by(audit_checkpoints.c.id)
            .offset(1)
            .limit(1)
        ).one()
    parsed = SignedNote.parse(note)
    impostor = Ed25519PrivateKey.generate()
    forged = NoteSignature(ORIGIN, parsed.signatures[0].key_id, impostor.sign(parsed.text.encode()))
    tamper(
        engine,
        "UPDATE audit_checkpoints SET note = :n WHERE id = :i",
        {"n": SignedNote(parsed.text, (forged,)).render(), "i": cp_id},
    )
    report = _verify(engine, log)
    assert not report.ok
    bad = [p for p in report.problems if p.kind == "checkpoint_signature"]
    assert [p.checkpoint for p in bad] == [cp_id]
    assert f"checkpoint #{cp_id}" in bad[0].message


def test_signature_by_another_key_under_our_name_is_not_trusted(
    built: tuple[Engine, AuditLog],
) -> None:
    engine, log = built
    impostor = Ed25519PrivateKey.generate()
    with engine.connect() as conn:
        cp_id, note = conn.execute(
            select(audit_checkpoints.c.id, audit_checkpoints.c.note).limit(1)
        ).one()
    parsed = SignedNote.parse(note)
    sig = NoteSignature(
        ORIGIN, key_id(ORIGIN, impostor.public_key()), impostor.sign(parsed.text.encode())
    )
    tamper(
        engine,
        "UPDATE audit_checkpoints SET note = :n WHERE id = :i",
        {"n": SignedNote(parsed.text, (sig,)).render(), "i": cp_id},
    )
    report = _verify(engine, log)
    assert [p.kind for p in report.problems] == ["checkpoint_signature"]
    assert "no signature by a known node key" in report.problems[0].message


def test_verify_report_json_names_the_event(built: tuple[Engine, AuditLog]) -> None:
    engine, log = built
    delete_event(engine)
    data = _verify(engine, log).to_dict()
    assert data["ok"] is False and data["first_bad_event"] == 20
    assert data["problems"][0]["event"] == 20
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # the database is still usable
