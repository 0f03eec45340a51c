"""Counts for the home dashboard: per record kind, how many records the viewer may read,
how many changed since a moment (their last visit), and how many were last changed in
each of the last weeks; and the labels of everything counted, for the page banner.

Every count is read through the monitor's SQL twin (``records.label_id IN visible
labels``, the same condition the lists use, see :mod:`nucsec.store.records`), in one read
transaction, and audited as one ``record.search`` event per kind with its counts. A week's
count is of records whose *last* change falls in that week, which is exactly what the list
filtered on that week's dates shows (:class:`~nucsec.store.record_filter.RecordFilter`),
so a bar of the trend drills down to the records it counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.service.kinds import RecordKind
from nucsec.service.trail import emit, reading
from nucsec.store.labels import load_label
from nucsec.store.records import RecordStore
from nucsec.store.schema import records

__all__ = ["WEEKS", "KindCounts", "kind_counts", "week_starts"]

#: weeks of trend shown on the dashboard
WEEKS = 12


@dataclass(frozen=True)
class KindCounts:
    """The dashboard's numbers for one kind of record (all of them readable by the viewer)."""

    collection: str
    total: int
    new: int | None  # changed after the last visit; None on a first visit
    weekly: tuple[int, ...]  # last changed in each week, oldest week first


def week_starts(today: dt.date, weeks: int = WEEKS) -> list[dt.date]:
    """The Mondays starting the last ``weeks`` weeks (UTC), oldest first; the last is the
    current week.

    >>> week_starts(dt.date(2026, 12, 9), 2)
    [datetime.date(2026, 11, 30), datetime.date(2026, 12, 7)]
    """
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def kind_counts(
    node: Node,
    principal: Principal,
    kinds: Sequence[RecordKind],
    *,
    since: dt.datetime | None,
    now: dt.datetime | None = None,
) -> tuple[list[KindCounts], list[Label]]:
    """Each kind's :class:`KindCounts` and the distinct labels of the records counted
    (the page showing these numbers takes its banner from those labels)."""
    now = now or dt.datetime.now(dt.UTC)
    starts = week_starts(now.date())
    bounds = [_midnight(d) for d in starts] + [_midnight(starts[-1] + dt.timedelta(weeks=1))]
    out: list[KindCounts] = []
    label_ids: set[int] = set()
    with reading(node) as (conn, recorder):
        store = RecordStore(conn, node.ctx)
        for kind in kinds:
            visible = store.visible_where(kind.name, principal)
            total = int(conn.execute(select(func.count()).where(visible)).scalar() or 0)
            new = None
            if since is not None:
                new_where = (visible, records.c.updated_at > since)
                new = int(conn.execute(select(func.count()).where(*new_where)).scalar() or 0)
            weekly = [0] * len(starts)
            changed = conn.execute(
                select(records.c.updated_at).where(
                    visible,
                    records.c.updated_at >= bounds[0],
                    records.c.updated_at < bounds[-1],
                )
            )
            for (moment,) in changed:
                at = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
                weekly[min((at.date() - starts[0]).days // 7, len(starts) - 1)] += 1
            if total:
                query = select(records.c.label_id).where(visible).distinct()
                label_ids.update(int(i) for (i,) in conn.execute(query))
            out.append(KindCounts(kind.collection, total, new, tuple(weekly)))
            emit(
                node,
                recorder,
                actor=principal.id,
                action="record.search",
                details={
                    "kind": kind.name,
                    "count": total,
                    "new": new,
                    "weekly": weekly,
                    "since": since.isoformat() if since else None,
                },
            )
        labels = [load_label(conn, i) for i in sorted(label_ids)]
    return out, labels
