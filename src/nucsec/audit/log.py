"""The audit log store adapter, writing side: append events, write checkpoints.

(Reading - events, checkpoints, proofs, the auditors' query - is in :mod:`.queries`;
recomputing everything is :mod:`.verify`.)

:class:`AuditLog` is the one path through which every component records events. It writes
inside the caller's transaction, so an event and the data change it describes commit or
roll back together. The head row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite transactions start with ``BEGIN IMMEDIATE``), which gives concurrent writers a
gap-free, strictly increasing sequence.

Example
-------
>>> from nucsec.store.db import make_engine
>>> from nucsec.audit.tables import create_audit_schema
>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> from datetime import UTC, datetime
>>> engine = make_engine("sqlite://")
>>> with engine.begin() as conn:
...     create_audit_schema(conn)
>>> now = datetime(2024, 5, 1, tzinfo=UTC)
>>> log = AuditLog("nucsec.test/audit", Ed25519PrivateKey.generate(), clock=lambda: now)
>>> with engine.begin() as conn:
...     log.append(conn, [AuditEvent(now, "u-1", "auth.login")])
[0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Table, bindparam, insert, select, update

from nucsec.audit.checkpoint import Checkpoint, sign_checkpoint
from nucsec.audit.events import AuditEvent, canonical_bytes
from nucsec.audit.merkle import EMPTY_ROOT, Frontier, leaf_hash
from nucsec.audit.queries import HEAD_ID, StoredCheckpoint, latest_checkpoint, placeholder
from nucsec.audit.tables import audit_checkpoints, audit_events, audit_head, audit_subtrees
from nucsec.errors import IntegrityError, NotFoundError

__all__ = ["AuditLog", "utc_now"]


def utc_now() -> datetime:
    """The production clock (tests pass their own)."""
    return datetime.now(UTC)


#: the head row, locked for the append (statements built once: every request appends)
_HEAD_FOR_UPDATE = (
    select(
        audit_head.c.tree_size,
        audit_head.c.peaks,
        audit_head.c.checkpoint_size,
        audit_head.c.checkpoint_time_utc,
    )
    .where(audit_head.c.id == HEAD_ID)
    .with_for_update()
)
_SAVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == HEAD_ID)
    .values(
        tree_size=bindparam("size"),
        peaks=bindparam("peaks"),
        checkpoint_size=bindparam("cp_size"),
        checkpoint_time_utc=bindparam("cp_time"),
    )
)


@dataclass
class _Head:
    size: int
    peaks: list[bytes]
    checkpoint_size: int | None
    checkpoint_time: datetime | None


class AuditLog:
    """Append-only, Merkle-hashed, checkpointed audit log of one node.

    Parameters
    ----------
    origin : str
        Checkpoint origin line and signing key name, e.g. ``nucsec.usa.example/audit``.
    key : Ed25519PrivateKey
        The node signing key (checkpoints).
    checkpoint_every : int
        Write a checkpoint once this many events are not yet covered by one...
    checkpoint_seconds : float
        ... or when the last checkpoint is this old and new events arrived.
    clock : callable
        Returns the current time (timezone-aware); injected so tests can pin it.
    """

    def __init__(
        self,
        origin: str,
        key: Ed25519PrivateKey,
        *,
        checkpoint_every: int = 1000,
        checkpoint_seconds: float = 60.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        Checkpoint(origin, 0, EMPTY_ROOT, datetime(2000, 1, 1, tzinfo=UTC))  # validates origin
        if checkpoint_every < 1 or checkpoint_seconds <= 0:
            raise ValueError("checkpoint_every must be >= 1 and checkpoint_seconds > 0")
        self.origin = origin
        self.key = key
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = timedelta(seconds=checkpoint_seconds)
        self.clock = clock

    @classmethod
    def from_settings(
        cls,
        origin: str,
        key: Ed25519PrivateKey,
        settings: Any,
        clock: Callable[[], datetime] = utc_now,
    ) -> AuditLog:
        """Build from :class:`nucsec.settings.Settings` (checkpoint_every/_seconds)."""
        return cls(
            origin,
            key,
            checkpoint_every=settings.checkpoint_every,
            checkpoint_seconds=settings.checkpoint_seconds,
            clock=clock,
        )

    # -- writing ---------------------------------------------------------------------------

    def _lock_head(self, conn: Connection) -> _Head:
        row = conn.execute(_HEAD_FOR_UPDATE).first()
        if row is None:  # first append ever: create the head (a concurrent creator wins)
            conn.execute(_insert_ignore(conn, {"id": HEAD_ID, "tree_size": 0, "peaks": b""}))
            row = conn.execute(_HEAD_FOR_UPDATE).one()
            # only now, holding the lock, is "no head but events" a real inconsistency
            first_event = conn.execute(select(audit_events.c.seq).limit(1)).first()
            if row[0] == 0 and first_event is not None:
                raise IntegrityError("audit_head is missing but audit events exist")
        size, peaks, cp_size, cp_time = row
        if len(peaks) != 32 * size.bit_count():
            raise IntegrityError("audit_head peaks do not match its size; run `audit verify`")
        return _Head(
            size,
            [peaks[i : i + 32] for i in range(0, len(peaks), 32)],
            cp_size,
            None if cp_time is None else datetime.fromisoformat(cp_time),
        )

    def append(self, conn: Connection, events: Sequence[AuditEvent]) -> list[int]:
        """Record ``events`` in the caller's transaction; return their sequence numbers.

        A checkpoint is written in the same transaction when one is due.
        """
        if not events:
            return []
        head = self._lock_head(conn)
        frontier = Frontier(head.size, head.peaks)
        first = head.size
        event_rows: list[tuple[Any, ...]] = []
        node_rows: list[tuple[int, int, bytes]] = []
        grow = frontier.append
        for seq, event in enumerate(events, start=first):
            body = canonical_bytes(event)
            leaf = leaf_hash(body)
            event_rows.append(
                (
                    seq,
                    event.time_utc,
                    event.actor,
                    event.action,
                    event.object_ref,
                    event.outcome,
                    body,
                    leaf,
                )
            )
            for (level, idx), h in grow(leaf):
                if not level & 1:  # even levels only: see queries.is_stored_level
                    node_rows.append((level, idx, h))
        _insert_rows(conn, audit_events, event_rows)
        if node_rows:
            _insert_rows(conn, audit_subtrees, node_rows)
        head.size, head.peaks = frontier.size, frontier.peaks
        self._maybe_checkpoint(conn, head, self.clock())
        self._save_head(conn, head)
        return list(range(first, frontier.size))

    def _save_head(self, conn: Connection, head: _Head) -> None:
        conn.execute(
            _SAVE_HEAD,
            {
                "size": head.size,
                "peaks": b"".join(head.peaks),
                "cp_size": head.checkpoint_size,
                "cp_time": None
                if head.checkpoint_time is None
                else head.checkpoint_time.isoformat(),
            },
        )

    def _due(self, head: _Head, now: datetime) -> bool:
        if head.size == 0 or head.size == head.checkpoint_size:
            return False
        if head.checkpoint_size is None or head.checkpoint_time is None:
            return True
        return (
            head.size - head.checkpoint_size >= self.checkpoint_every
            or now - head.checkpoint_time >= self.checkpoint_interval
        )

    def _maybe_checkpoint(
        self, conn: Connection, head: _Head, now: datetime, force: bool = False
    ) -> StoredCheckpoint | None:
        forced = force and head.size > 0 and head.size != head.checkpoint_size
        if not forced and not self._due(head, now):
            return None
        root = Frontier(head.size, head.peaks).root()
        cp = Checkpoint(self.origin, head.size, root, now.replace(microsecond=0))
        note = sign_checkpoint(cp, self.key)
        result = conn.execute(
            insert(audit_checkpoints).values(
                tree_size=cp.tree_size, root_hash=root, time_utc=cp.time_text, note=note
            )
        )
        head.checkpoint_size, head.checkpoint_time = cp.tree_size, cp.time
        (cp_id,) = result.inserted_primary_key or (0,)
        return StoredCheckpoint(int(cp_id), cp, note)

    def maybe_checkpoint(
        self, conn: Connection, now: datetime | None = None
    ) -> StoredCheckpoint | None:
        """Write a checkpoint if N events or T seconds have passed since the last one."""
        head = self._lock_head(conn)
        stored = self._maybe_checkpoint(conn, head, now or self.clock())
        if stored is not None:
            self._save_head(conn, head)
        return stored

    def checkpoint(self, conn: Connection, now: datetime | None = None) -> StoredCheckpoint:
        """Write a checkpoint now unless the latest one already covers every event."""
        head = self._lock_head(conn)
        stored = self._maybe_checkpoint(conn, head, now or self.clock(), force=True)
        if stored is None:
            latest = latest_checkpoint(conn)
            if latest is None:
                raise NotFoundError("the audit log is empty: nothing to checkpoint")
            return latest
        self._save_head(conn, head)
        return stored


def _insert_sql(conn: Connection, table: Table) -> str:
    """Plain INSERT in the driver's parameter style: bulk appends skip SQLAlchemy's
    per-row parameter processing (a third of the append time)."""
    mark = placeholder(conn)
    names = ", ".join(c.name for c in table.columns)
    marks = ", ".join([mark] * len(table.columns))
    return f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - our own table


_COPY_FROM = 64  # PostgreSQL: COPY beats a pipelined executemany from about this many rows


def _insert_rows(conn: Connection, table: Table, rows: list[Any]) -> None:
    """Bulk insert in the caller's transaction: COPY on PostgreSQL for big batches,
    otherwise a plain ``executemany``."""
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_FROM:
        names = ", ".join(c.name for c in table.columns)
        raw: Any = conn.connection.dbapi_connection  # psycopg, in the caller's transaction
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return
    conn.exec_driver_sql(_insert_sql(conn, table), rows)


def _insert_ignore(conn: Connection, values: Mapping[str, Any]) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(audit_head).values(**values).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(audit_head).values(**values).on_conflict_do_nothing()
    return insert(audit_head).values(**values)  # pragma: no cover
