"""An in-memory, columnar mirror of the practice index, per database, for exact counts.

Practice search needs, for every visible match, its banner label (the monitor's
decision), topic, status and applicability tags: the total and the facets are exact. Read
from ``practice_index`` and ``practice_tags`` row by row, that was most of a search's time
for a frequent term. The mirror keeps those columns as NumPy arrays keyed by the
practice's ``records.pk`` (sorted), so that the text engine only has to give the matching
keys (with their rank) and the counts are array operations:

- ``pk`` (int64, sorted), ``label`` (the banner label id), ``topic`` and ``status`` (codes
  into :attr:`Snapshot.topics` and :attr:`Snapshot.statuses`), ``tags`` (a boolean matrix,
  one column per tag of :attr:`Snapshot.tag_names`).

Freshness: every write of a practice's index rows gives it the next number of
``practice_changes.seq`` (:func:`nucsec.service.practice_index.mark_changed`; numbers
commit in order). Each search reads ``max(seq)`` (one indexed lookup) in its own
transaction; if it is above the mirror's, the practices changed since are re-read (a row
gone: the practice left the index) and a new snapshot replaces the old one. Several
server processes therefore each see every write committed before their search began.
The mirror decides nothing: which labels are readable is the reference monitor's SQL twin
over the label table (:func:`nucsec.policy.sql.visible_label_ids`), asked once per search;
the mirror only applies that set of label ids to its rows.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, func, select
from sqlalchemy.engine import Engine

from nucsec.service.practice_tables import practice_changes, practice_index, practice_tags

__all__ = ["IntArray", "Selection", "Snapshot", "raw_rows", "snapshot"]

IntArray = npt.NDArray[np.int64]
#: more changed practices than this since the last refresh: reload the whole index
RELOAD_AFTER = 2_000


@dataclass(frozen=True)
class Selection:
    """The visible, filtered practices among some keys: their keys and positions in the
    keys given (``at``) and in the snapshot (``rows``)."""

    at: IntArray
    rows: IntArray


@dataclass(frozen=True)
class Snapshot:
    """The index's columns at change number ``seq`` (see the module)."""

    seq: int
    pk: IntArray
    label: IntArray
    topic: IntArray
    status: IntArray
    tags: npt.NDArray[np.bool_]
    topics: tuple[str, ...]
    statuses: tuple[str, ...]
    tag_names: tuple[str, ...]

    def select(
        self,
        pks: IntArray,
        readable: Iterable[int],
        *,
        topic: str | None = None,
        status: str | None = None,
        tags: Sequence[str] = (),
    ) -> Selection:
        """Which of ``pks`` are in the index, have a ``readable`` label and pass the
        filters (a topic, status or tag the mirror has never seen matches nothing)."""
        if not len(self.pk):  # an empty index (a key the mirror lacks is left out)
            return Selection(at=np.zeros(0, np.int64), rows=np.zeros(0, np.int64))
        at = np.minimum(np.searchsorted(self.pk, pks), len(self.pk) - 1)
        keep = self.pk[at] == pks
        labels = np.fromiter(readable, dtype=np.int64)
        keep &= np.isin(self.label[at], labels)
        for value, codes, column in (
            (topic, self.topics, self.topic),
            (status, self.statuses, self.status),
        ):
            if value is not None:
                keep &= column[at] == (codes.index(value) if value in codes else -1)
        for tag in tags:
            if tag not in self.tag_names:
                keep[:] = False
            else:
                keep &= self.tags[at, self.tag_names.index(tag)]
        where = np.flatnonzero(keep)
        return Selection(at=where, rows=at[where])

    def facets(self, rows: IntArray) -> dict[str, dict[str, int]]:
        """The count per topic, status and applicability tag of the snapshot's ``rows``
        (values with no practice left out)."""

        def counts(names: Sequence[str], n: npt.NDArray[Any]) -> dict[str, int]:
            return {name: int(k) for name, k in sorted(zip(names, n, strict=True)) if k}

        return {
            "topic": counts(self.topics, np.bincount(self.topic[rows], minlength=len(self.topics))),
            "status": counts(
                self.statuses, np.bincount(self.status[rows], minlength=len(self.statuses))
            ),
            "applicability": counts(self.tag_names, self.tags[rows].sum(axis=0)),
        }


_EMPTY = Snapshot(
    seq=-1,
    pk=np.zeros(0, np.int64),
    label=np.zeros(0, np.int64),
    topic=np.zeros(0, np.int64),
    status=np.zeros(0, np.int64),
    tags=np.zeros((0, 0), bool),
    topics=(),
    statuses=(),
    tag_names=(),
)


class _Mirror:
    """One database's snapshot and the lock that serialises its refreshes."""

    def __init__(self) -> None:
        self.current = _EMPTY
        self.lock = threading.Lock()


_MIRRORS: weakref.WeakKeyDictionary[Engine, _Mirror] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def snapshot(engine: Engine, conn: Connection) -> Snapshot:
    """The mirror of the database behind ``engine``, brought up to the change number that
    ``conn`` (the search's transaction) sees."""
    with _REGISTRY_LOCK:
        mirror = _MIRRORS.setdefault(engine, _Mirror())
    c = practice_changes.c
    seq = int(conn.execute(select(func.coalesce(func.max(c.seq), 0))).scalar_one())
    snap = mirror.current
    if seq <= snap.seq:  # a snapshot newer than this transaction still holds its rows
        return snap
    with mirror.lock:
        snap = mirror.current
        if seq > snap.seq:
            changed = conn.execute(select(c.record_pk).where(c.seq > snap.seq)).scalars().all()
            if snap.seq < 0 or len(changed) > RELOAD_AFTER:
                snap = _load(conn, seq, None, _EMPTY)
            else:
                snap = _load(conn, seq, [int(pk) for pk in changed], snap)
            mirror.current = snap
    return snap


def _codes(values: Sequence[str], known: tuple[str, ...]) -> tuple[IntArray, tuple[str, ...]]:
    """Codes of ``values`` into ``known``, extended (in order) with values not in it."""
    names = list(known)
    index = {name: i for i, name in enumerate(names)}
    for value in sorted(set(values) - index.keys()):
        index[value] = len(names)
        names.append(value)
    codes = np.fromiter(map(index.__getitem__, values), np.int64, len(values))
    return codes, tuple(names)


_ALL_ROWS = "SELECT record_pk, label_id, topic, status FROM practice_index"
_ALL_TAGS = "SELECT record_pk, tag FROM practice_tags"


def raw_rows(conn: Connection, sql: str, params: Any = ()) -> list[Any]:
    """Rows of a constant statement through the driver's cursor, in ``conn``'s transaction
    (tens of thousands of rows: no per-row objects of SQLAlchemy)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _load(conn: Connection, seq: int, pks: Sequence[int] | None, base: Snapshot) -> Snapshot:
    """``base`` with the rows of ``pks`` re-read (None: every row, ``base`` empty)."""
    pi, pt = practice_index.c, practice_tags.c
    rows_q = select(pi.record_pk, pi.label_id, pi.topic, pi.status)
    tags_q = select(pt.record_pk, pt.tag)
    if pks is not None:
        rows_q = rows_q.where(pi.record_pk.in_(pks))
        tags_q = tags_q.where(pt.record_pk.in_(pks))
    if pks is None:  # the whole index: through the driver's cursor (no per-row objects)
        rows, tag_rows = raw_rows(conn, _ALL_ROWS), raw_rows(conn, _ALL_TAGS)
    else:
        rows, tag_rows = list(conn.execute(rows_q).all()), list(conn.execute(tags_q).all())
    pk = np.array([r[0] for r in rows], np.int64)
    topic, topics = _codes([r[2] for r in rows], base.topics)
    status, statuses = _codes([r[3] for r in rows], base.statuses)
    tag_code, tag_names = _codes([r[1] for r in tag_rows], base.tag_names)
    order = np.argsort(pk)
    pk = pk[order]
    tags = np.zeros((len(pk), len(tag_names)), bool)
    if tag_rows:
        owner = np.searchsorted(pk, np.array([r[0] for r in tag_rows], np.int64))
        ok = owner < len(pk)
        ok[ok] &= pk[owner[ok]] == np.array([r[0] for r in tag_rows], np.int64)[ok]
        tags[owner[ok], tag_code[ok]] = True
    fresh = Snapshot(
        seq=seq,
        pk=pk,
        label=np.array([r[1] for r in rows], np.int64)[order],
        topic=topic[order],
        status=status[order],
        tags=tags,
        topics=topics,
        statuses=statuses,
        tag_names=tag_names,
    )
    if pks is None:
        return fresh
    keep = ~np.isin(base.pk, np.array(pks, np.int64))
    old_tags = np.zeros((len(base.pk), len(tag_names)), bool)
    old_tags[:, : base.tags.shape[1]] = base.tags
    merged = np.concatenate([base.pk[keep], fresh.pk])
    order = np.argsort(merged, kind="stable")
    return Snapshot(
        seq=seq,
        pk=merged[order],
        label=np.concatenate([base.label[keep], fresh.label])[order],
        topic=np.concatenate([base.topic[keep], fresh.topic])[order],
        status=np.concatenate([base.status[keep], fresh.status])[order],
        tags=np.concatenate([old_tags[keep], fresh.tags])[order],
        topics=topics,
        statuses=statuses,
        tag_names=tag_names,
    )
