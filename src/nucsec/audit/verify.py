"""``audit verify``: recompute the whole log and name the first place it does not match.

What is checked, in one pass over the tables:

1. every checkpoint: the node signature (C2SP signed note, a known node public key), its
   columns against its signed body, sizes that never shrink;
2. every event, in ``seq`` order: no gaps, the body hashes to its stored leaf hash, the
   query columns agree with the body;
3. the tree recomputed from the bodies: every stored subtree hash, the root at every
   checkpoint size, a consistency proof (from the stored subtrees) between consecutive
   checkpoints, the head row and the number of subtree rows.

Limits (see docs/audit.md): the signed checkpoints are the anchor. A rewrite that also
rewrites leaf hashes and subtrees is located only to the span between the last matching
checkpoint and the first failing one; events appended after the last checkpoint are
protected only by the append-only triggers until the next checkpoint; removing the tail
*together with* the checkpoints that cover it is visible only against a copy of a
checkpoint held elsewhere (the partner node's cosigned copy).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _enc
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, func, select

from nucsec.audit.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from nucsec.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    NodeKey,
    consistency_proof,
    leaf_hash,
    verify_consistency,
)
from nucsec.audit.queries import HEAD_ID, SqlHashStore, is_stored_level, placeholder
from nucsec.audit.tables import audit_checkpoints, audit_head, audit_subtrees
from nucsec.errors import IntegrityError

__all__ = ["Problem", "VerifyReport", "verify_log"]


@dataclass(frozen=True)
class Problem:
    """One thing that does not match: its kind, a sentence, and where."""

    kind: str
    message: str
    event: int | None = None
    checkpoint: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass
class VerifyReport:
    """Result of :func:`verify_log`; ``ok`` when nothing was found."""

    events: int = 0
    root_hash: bytes = EMPTY_ROOT
    checkpoints: int = 0
    latest_checkpoint_size: int | None = None
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_event(self) -> int | None:
        """Lowest event named by any problem (None if none names an event)."""
        events = [p.event for p in self.problems if p.event is not None]
        return min(events) if events else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "root_hash": self.root_hash.hex(),
            "checkpoints": self.checkpoints,
            "latest_checkpoint_size": self.latest_checkpoint_size,
            "first_bad_event": self.first_bad_event,
            "problems": [p.to_dict() for p in self.problems],
            "more_problems": self.more_problems,
        }


class _Collector:
    def __init__(self, report: VerifyReport, limit: int) -> None:
        self.report, self.limit = report, limit
        self.bad_events: list[int] = []  # sorted

    def add(self, kind: str, message: str, event: int | None = None, cp: int | None = None) -> None:
        if event is not None:
            bisect.insort(self.bad_events, event)
        if len(self.report.problems) < self.limit:
            self.report.problems.append(Problem(kind, message, event, cp))
        else:
            self.report.more_problems += 1

    def covers_bad_event(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.bad_events, start)
        return i < len(self.bad_events) and self.bad_events[i] < end


def _checkpoints(
    conn: Connection, origin: str, keys: Sequence[Ed25519PublicKey], out: _Collector
) -> list[tuple[int, Checkpoint]]:
    c = audit_checkpoints.c
    rows = conn.execute(
        select(c.id, c.tree_size, c.root_hash, c.time_utc, c.note).order_by(c.id)
    ).all()
    out.report.checkpoints = len(rows)
    valid: list[tuple[int, Checkpoint]] = []
    for cp_id, size, root, time_utc, note in rows:
        where = f"checkpoint #{cp_id} (size {size})"
        try:
            cp = open_checkpoint(note, keys, origin)
        except CheckpointError as exc:
            out.add("checkpoint_signature", f"{where}: {exc.message}", cp=cp_id)
            continue
        if (cp.tree_size, cp.root_hash, cp.time_text) != (size, bytes(root), time_utc):
            out.add("checkpoint_columns", f"{where}: columns differ from the signed note", cp=cp_id)
        if valid and cp.tree_size < valid[-1][1].tree_size:
            out.add("checkpoint_order", f"{where} is smaller than the one before it", cp=cp_id)
        valid.append((cp_id, cp))
    if valid:
        out.report.latest_checkpoint_size = valid[-1][1].tree_size
    return valid


def _event_chunks(conn: Connection, chunk: int) -> Iterator[Sequence[Any]]:
    mark = placeholder(conn)
    cursor = conn.connection.cursor()
    sql = (
        "SELECT seq, time_utc, actor, action, object_ref, outcome, body, leaf_hash "  # noqa: S608
        f"FROM audit_events WHERE seq >= {mark} ORDER BY seq LIMIT {int(chunk)}"
    )
    start = 0
    try:
        while True:
            cursor.execute(sql, (start,))
            rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            start = int(rows[-1][0]) + 1
    finally:
        cursor.close()


def _columns_match(row: tuple[Any, ...], body: bytes) -> bool:
    # Authentic bodies are canonical JSON with fixed key order, so the columns can be
    # checked against the start and end of the body without parsing it.
    _seq, time_utc, actor, action, obj, outcome = row[:6]
    head = f'{{"action":{_enc(action)},"actor":{_enc(actor)},"details":'
    obj_json = "null" if obj is None else _enc(obj)
    tail = f',"object":{obj_json},"outcome":{_enc(outcome)},"time":"{time_utc}","v":1}}'
    return body.startswith(head.encode()) and body.endswith(tail.encode())


def _stored_nodes(conn: Connection, start: int, end: int) -> dict[NodeKey, bytes]:
    """Stored subtrees completed by leaves ``[start, end)``."""
    mark = placeholder(conn)
    sql = (
        "SELECT idx, hash FROM audit_subtrees "  # noqa: S608 - placeholders only
        f"WHERE level = {mark} AND idx BETWEEN {mark} AND {mark}"
    )
    out: dict[NodeKey, bytes] = {}
    level = 2
    while end >> level:
        lo, hi = ((start + (1 << level)) >> level) - 1, (end >> level) - 1
        if lo <= hi:
            for idx, h in conn.exec_driver_sql(sql, (level, lo, hi)):
                out[(level, int(idx))] = bytes(h)
        level += 2  # only even levels are stored (queries.is_stored_level)
    return out


def _check_nodes(
    created: dict[NodeKey, bytes], stored: dict[NodeKey, bytes], out: _Collector
) -> None:
    for (level, idx), h in sorted(created.items()):
        first, end = idx << level, (idx + 1) << level
        if stored.get((level, idx)) == h or out.covers_bad_event(first, end):
            continue
        state = "missing" if (level, idx) not in stored else "does not match the events"
        out.add(
            "subtree",
            f"stored tree node (level {level}, index {idx}) over events {first}..{end - 1} "
            f"is {state}: events reordered, replaced or removed",
            event=first,
        )


def _scan_events(
    conn: Connection, out: _Collector, sizes: set[int], chunk: int
) -> tuple[Frontier, int, dict[int, bytes], bool]:
    """Stream the events; return (tree, events seen, roots at ``sizes``, tree intact)."""
    frontier, expected, roots, tree_ok = Frontier(), 0, {}, True
    for rows in _event_chunks(conn, chunk):
        start, created = frontier.size, {}
        for row in rows:
            seq, body, stored_leaf = row[0], bytes(row[6]), bytes(row[7])
            if seq != expected:
                out.add("missing_event", f"events {expected}..{seq - 1} are missing", expected)
                tree_ok, expected = False, seq
            leaf = leaf_hash(body)
            if leaf != stored_leaf:
                out.add("event_hash", f"event {seq} does not match its leaf hash: altered", seq)
            elif not _columns_match(row, body):
                out.add("event_columns", f"event {seq}: its query columns differ from it", seq)
            expected = seq + 1
            if tree_ok:
                for key, h in frontier.append(leaf):
                    if is_stored_level(key[0]):
                        created[key] = h
                if frontier.size in sizes:
                    roots[frontier.size] = frontier.root()
        if tree_ok or created:
            _check_nodes(created, _stored_nodes(conn, start, frontier.size), out)
    return frontier, expected, roots, tree_ok


def _check_head(conn: Connection, frontier: Frontier, events: int, out: _Collector) -> None:
    h = audit_head.c
    row = conn.execute(select(h.tree_size, h.peaks).where(h.id == HEAD_ID)).first()
    size, peaks = (0, b"") if row is None else (int(row[0]), bytes(row[1]))
    if size < events:
        out.add(
            "extra_event",
            f"event {size} and later are not in the tree (head size {size}, {events} rows): "
            "inserted outside the log",
            size,
        )
    elif size > events:
        out.add("missing_event", f"events {events}..{size - 1} are missing (tail removed)", events)
    elif peaks != b"".join(frontier.peaks):
        out.add("head", "the head row's tree hashes do not match the events")
    n_nodes = conn.execute(select(func.count()).select_from(audit_subtrees)).scalar() or 0
    expected = sum(events >> level for level in range(2, events.bit_length() + 1, 2))
    if n_nodes != expected and size == events:
        out.add(
            "subtree",
            f"{n_nodes} stored tree nodes where the events make {expected}: rows added or removed",
        )


def _check_checkpoints(
    conn: Connection,
    valid: list[tuple[int, Checkpoint]],
    roots: dict[int, bytes],
    events: int,
    out: _Collector,
) -> None:
    good = 0  # size of the last checkpoint that matched
    previous: Checkpoint | None = None
    for cp_id, cp in valid:
        where = f"checkpoint #{cp_id} (size {cp.tree_size})"
        if cp.tree_size > events:
            out.add(
                "missing_event",
                f"{where} covers events the log no longer has: "
                f"events {events}..{cp.tree_size - 1} removed",
                events,
                cp_id,
            )
            continue
        if cp.tree_size not in roots and cp.tree_size > 0:
            continue  # beyond a gap: already reported
        if roots.get(cp.tree_size, EMPTY_ROOT) != cp.root_hash:
            span = f"events {good}..{cp.tree_size - 1}"
            if out.covers_bad_event(good, cp.tree_size):  # explained by a named event
                out.add(
                    "checkpoint_root",
                    f"{where}: the events do not hash to its signed "
                    f"root (see the problems in {span})",
                    cp=cp_id,
                )
            else:  # everything was rewritten consistently: the signature is the anchor
                out.add(
                    "checkpoint_root",
                    f"{where}: the events do not hash to its signed "
                    f"root; the change lies in {span}",
                    good,
                    cp_id,
                )
            continue
        if previous is not None and not _consistent(conn, previous, cp):
            out.add(
                "checkpoint_consistency",
                f"{where} is not provably consistent with the "
                f"checkpoint of size {previous.tree_size}",
                previous.tree_size,
                cp_id,
            )
        good, previous = cp.tree_size, cp


def _consistent(conn: Connection, first: Checkpoint, second: Checkpoint) -> bool:
    try:
        proof = consistency_proof(SqlHashStore(conn), first.tree_size, second.tree_size)
    except IntegrityError:
        return False
    return verify_consistency(
        first.tree_size, second.tree_size, first.root_hash, second.root_hash, proof
    )


def verify_log(
    conn: Connection,
    *,
    origin: str,
    public_keys: Sequence[Ed25519PublicKey],
    chunk: int = 65536,
    max_problems: int = 100,
) -> VerifyReport:
    """Recompute the log from its tables and check it against the signed checkpoints.

    Parameters
    ----------
    conn : Connection
        A connection to the node database (read only; run inside one transaction for a
        consistent snapshot).
    origin : str
        The node's checkpoint origin.
    public_keys : sequence of Ed25519PublicKey
        Node keys whose checkpoints are trusted (current and retired after a rotation).
    chunk : int
        Events read per query.
    max_problems : int
        Problems kept in the report (the rest are counted).
    """
    report = VerifyReport()
    out = _Collector(report, max_problems)
    valid = _checkpoints(conn, origin, public_keys, out)
    sizes = {cp.tree_size for _, cp in valid}
    frontier, events, roots, tree_ok = _scan_events(conn, out, sizes, chunk)
    report.events = events
    report.root_hash = frontier.root()
    if tree_ok:
        _check_head(conn, frontier, events, out)
    _check_checkpoints(conn, valid, roots, events, out)
    report.problems.sort(key=lambda p: (p.event is None, p.event or 0))
    return report
