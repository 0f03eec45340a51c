"""Reading the audit log: events, checkpoints, proofs and the auditors' query.

Every function takes the caller's connection; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from nucsec.audit.checkpoint import Checkpoint, SignedNote
from nucsec.audit.events import AuditEvent, decode_event, format_time
from nucsec.audit.merkle import NodeKey, consistency_proof, inclusion_proof, node_hash, root_at
from nucsec.audit.tables import audit_checkpoints, audit_events, audit_head
from nucsec.errors import IntegrityError, NotFoundError

__all__ = [
    "EventFilter",
    "LoggedEvent",
    "SqlHashStore",
    "StoredCheckpoint",
    "checkpoint_at",
    "get_event",
    "is_stored_level",
    "latest_checkpoint",
    "placeholder",
    "prove_consistency",
    "prove_inclusion",
    "query_events",
    "root",
    "search_events",
    "tree_size",
]

HEAD_ID = 1


def placeholder(conn: Connection) -> str:
    """The driver's positional placeholder (``?`` for sqlite3, ``%s`` for psycopg)."""
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:  # pragma: no cover - SQLite and psycopg use the styles above
        raise NotImplementedError(f"parameter style {style}")
    return mark


def is_stored_level(level: int) -> bool:
    """Interior levels kept in ``audit_subtrees``: the even ones (2, 4, 6, ...).

    An odd-level node is one hash of two stored children away (level 1 from two leaf
    hashes), so a proof costs a few more hashes while the log writes a third of the rows
    it would write with every level (1/4 + 1/16 + ... per event instead of 1/2 + 1/4 + ...).
    """
    return level > 0 and level % 2 == 0


class SqlHashStore:
    """:class:`~nucsec.audit.merkle.HashStore` over the audit tables of one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        wanted = set(keys)
        odd = [(lv, i) for lv, i in wanted if lv % 2 == 1]
        fetch = {k for k in wanted if k[0] % 2 == 0}
        fetch.update(k for lv, i in odd for k in ((lv - 1, 2 * i), (lv - 1, 2 * i + 1)))
        found = self._fetch(fetch)
        for lv, i in odd:
            left, right = found.get((lv - 1, 2 * i)), found.get((lv - 1, 2 * i + 1))
            if left is not None and right is not None:
                found[(lv, i)] = node_hash(left, right)
        return found

    def _fetch(self, keys: set[NodeKey]) -> dict[NodeKey, bytes]:
        # One round trip of plain SQL: building the equivalent SQLAlchemy expression costs
        # more than the query itself (a proof must take well under a millisecond).
        mark = placeholder(self.conn)
        leaves = [i for level, i in keys if level == 0]
        by_level: dict[int, list[int]] = {}
        for level, i in keys:
            if level:
                by_level.setdefault(level, []).append(i)
        parts, params = [], []
        if leaves:
            marks = ", ".join([mark] * len(leaves))
            # only placeholders are interpolated; values travel as parameters
            parts.append(f"SELECT 0, seq, leaf_hash FROM audit_events WHERE seq IN ({marks})")  # noqa: S608
            params += leaves
        if by_level:
            terms = []
            for level, idxs in by_level.items():
                terms.append(f"(level = {mark} AND idx IN ({', '.join([mark] * len(idxs))}))")
                params += [level, *idxs]
            where = " OR ".join(terms)
            parts.append(f"SELECT level, idx, hash FROM audit_subtrees WHERE {where}")  # noqa: S608
        if not parts:
            return {}
        rows = self.conn.exec_driver_sql(" UNION ALL ".join(parts), tuple(params))
        return {(int(level), int(i)): bytes(h) for level, i, h in rows}


@dataclass(frozen=True)
class LoggedEvent:
    """An event as stored: its sequence number (leaf index) and the event."""

    seq: int
    event: AuditEvent

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, **self.event.to_dict()}


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row: its id, the parsed fields and the signed note text."""

    id: int
    checkpoint: Checkpoint
    note: str


def tree_size(conn: Connection) -> int:
    """Number of events in the log (from the head row)."""
    size = conn.execute(select(audit_head.c.tree_size).where(audit_head.c.id == HEAD_ID)).scalar()
    return int(size or 0)


def _stored(row: Any) -> StoredCheckpoint:
    cp_id, note = row
    return StoredCheckpoint(int(cp_id), Checkpoint.parse_body(SignedNote.parse(note).text), note)


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    """The most recent checkpoint (not verified: see :func:`checkpoint.open_checkpoint`)."""
    c = audit_checkpoints.c
    row = conn.execute(select(c.id, c.note).order_by(c.id.desc()).limit(1)).first()
    return None if row is None else _stored(row)


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint | None:
    """The latest checkpoint of exactly ``size`` events, if any."""
    c = audit_checkpoints.c
    row = conn.execute(
        select(c.id, c.note).where(c.tree_size == size).order_by(c.id.desc()).limit(1)
    ).first()
    return None if row is None else _stored(row)


def get_event(conn: Connection, seq: int) -> tuple[bytes, bytes]:
    """(body, stored leaf hash) of event ``seq``."""
    row = conn.execute(
        select(audit_events.c.body, audit_events.c.leaf_hash).where(audit_events.c.seq == seq)
    ).first()
    if row is None:
        raise NotFoundError(f"no audit event {seq}", field="event", value=seq)
    return bytes(row[0]), bytes(row[1])


def prove_inclusion(conn: Connection, seq: int, size: int) -> list[bytes]:
    """Inclusion proof of event ``seq`` in the tree of ``size`` events."""
    return inclusion_proof(SqlHashStore(conn), seq, size)


def prove_consistency(conn: Connection, first: int, second: int) -> list[bytes]:
    """Consistency proof between the trees of ``first`` and ``second`` events."""
    return consistency_proof(SqlHashStore(conn), first, second)


def root(conn: Connection, size: int) -> bytes:
    """Root hash of the first ``size`` events, from the stored subtrees."""
    return root_at(SqlHashStore(conn), size)


def query_events(
    conn: Connection,
    *,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> tuple[list[LoggedEvent], bool]:
    """Events by ``actor`` at or after ``since``, oldest first; and whether more matched."""
    e = audit_events.c
    query = select(e.seq, e.body, e.actor, e.time_utc).order_by(e.seq).limit(limit + 1)
    if actor is not None:
        query = query.where(e.actor == actor)
    if since is not None:
        since_utc = format_time(since)
        # The time index finds where the period starts, then the scan runs by seq from
        # there. ("seq + 0": a bare min(seq) would walk the table from its first row.)
        first = conn.execute(select(func.min(e.seq + 0)).where(e.time_utc >= since_utc)).scalar()
        if first is None:
            return [], False
        query = query.where(e.seq >= first, e.time_utc >= since_utc)
    rows = conn.execute(query).all()
    out = []
    for seq, body, row_actor, row_time in rows[:limit]:
        event = decode_event(bytes(body))
        if event.actor != row_actor or format_time(event.time) != row_time:
            raise IntegrityError(
                f"audit event {seq}: its columns differ from the event; run `audit verify`",
                field="event",
                value=seq,
            )
        out.append(LoggedEvent(int(seq), event))
    return out, len(rows) > limit


@dataclass(frozen=True)
class EventFilter:
    """Which events an auditor looks for: every field optional (None: any)."""

    actor: str | None = None  # a user id
    action: str | None = None  # a prefix: "record." finds record.read, record.create, ...
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def search_events(
    conn: Connection, flt: EventFilter, *, before: int | None = None, limit: int = 50
) -> tuple[list[LoggedEvent], int | None]:
    """Events matching ``flt``, newest first, with a sequence number below ``before``;
    and the cursor for the next (older) page, or None when there is none.

    The filter runs on the indexed columns; each event returned is checked against its
    columns, as :func:`query_events` does (a row edited behind the log's back is an
    IntegrityError, never a silent wrong answer).
    """
    e = audit_events.c
    query = select(e.seq, e.body, e.actor, e.action, e.outcome, e.time_utc)
    if before is not None:
        query = query.where(e.seq < before)
    if flt.actor is not None:
        query = query.where(e.actor == flt.actor)
    if flt.action:
        query = query.where(e.action.startswith(flt.action, autoescape=True))
    if flt.outcome:
        query = query.where(e.outcome == flt.outcome)
    if flt.since is not None:
        query = query.where(e.time_utc >= format_time(flt.since))
    if flt.until is not None:
        query = query.where(e.time_utc < format_time(flt.until))
    rows = conn.execute(query.order_by(e.seq.desc()).limit(limit + 1)).all()
    out = []
    for seq, body, actor, action, outcome, time_utc in rows[:limit]:
        event = decode_event(bytes(body))
        stored = (event.actor, event.action, event.outcome, format_time(event.time))
        if stored != (actor, action, outcome, time_utc):
            raise IntegrityError(
                f"audit event {seq}: its columns differ from the event; run `audit verify`",
                field="event",
                value=seq,
            )
        out.append(LoggedEvent(int(seq), event))
    return out, (out[-1].seq if len(rows) > limit else None)
