"""Filters and sort orders every record listing shares: marking (classification level),
originating nation, originator agency, and a range of dates changed.

A :class:`RecordFilter` becomes SQL conditions on ``records`` (:func:`filter_clauses`), added
to the listing's own conditions beside the monitor's SQL twin: a filter only narrows what
the caller may already read, and the page, its total and any count are read with the same
conditions, so a count never includes a record a list would not show. Nothing is filtered
in Python after fetching.

The filter is what the list pages carry in their URL (:meth:`RecordFilter.params`), so a
filtered list can be shared and the dashboard's counts and charts link to it.

>>> RecordFilter(nation="JPN", date_from="2026-01-01").params()
{'nation': 'JPN', 'date_from': '2026-01-01'}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import and_, or_, select

from nucsec.errors import InputError
from nucsec.markings.context import MarkingContext
from nucsec.store.schema import labels, records

__all__ = ["SORTS", "RecordFilter", "after_cursor", "checked_sort", "filter_clauses", "order_by"]

#: sort orders of a listing: newest first (the default), oldest first, by title
SORTS = ("new", "old", "title")


@dataclass(frozen=True)
class RecordFilter:
    """What a listing is narrowed to (every field optional; empty means "any").

    ``level`` is a level's banner name (``SECRET``, ``GOKUHI``); ``nation`` the label's
    authority (``USA``, ``JPN``); ``agency`` the originator agency (``USA.DOE``);
    ``date_from`` and ``date_to`` ISO dates (inclusive, UTC) of the record's last change;
    ``changed_after`` an ISO date and time (UTC if it names no zone): changed after it
    (what is new since a user's last visit).
    """

    level: str | None = None
    nation: str | None = None
    agency: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    changed_after: str | None = None

    def checked(self, ctx: MarkingContext) -> RecordFilter:
        """The filter with empty fields as None; InputError naming a field the node does
        not know (an unknown marking is refused, not ignored)."""
        f = RecordFilter(**{k.name: (getattr(self, k.name) or None) for k in fields(self)})
        if f.level is not None and not any(
            lv.name == f.level for s in ctx.schemes.values() for lv in s.levels
        ):
            raise InputError("unknown classification level", field="level", value=f.level)
        if f.nation is not None and f.nation not in ctx.nations:
            raise InputError("unknown nation", field="nation", value=f.nation)
        if f.agency is not None and not ctx.is_agency(f.agency):
            raise InputError("unknown agency", field="agency", value=f.agency)
        start, end = _date(f.date_from, "date_from"), _date(f.date_to, "date_to")
        if start is not None and end is not None and start > end:
            raise InputError("the first date is after the last", field="date_from", value=start)
        _moment(f.changed_after)
        return f

    def active(self) -> bool:
        return any(getattr(self, k.name) for k in fields(self))

    def params(self) -> dict[str, str]:
        """The filter as URL query parameters (only the fields set)."""
        return {k.name: str(v) for k in fields(self) if (v := getattr(self, k.name))}

    def with_(self, **changes: str | None) -> RecordFilter:
        return replace(self, **changes)


def _date(text: str | None, name: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError("dates are written YYYY-MM-DD", field=name, value=text) from None


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            "write a date and time as YYYY-MM-DDTHH:MM:SS", field="changed_after", value=text
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def filter_clauses(f: RecordFilter | None) -> list[Any]:
    """SQL conditions on ``records`` for a :meth:`~RecordFilter.checked` filter."""
    if f is None:
        return []
    out: list[Any] = []
    label_where = []
    if f.level:
        label_where.append(labels.c.level == f.level)
    if f.nation:
        label_where.append(labels.c.authority == f.nation)
    if f.agency:
        label_where.append(labels.c.originator == f.agency)
    if label_where:
        out.append(records.c.label_id.in_(select(labels.c.id).where(*label_where)))
    start, end = _date(f.date_from, "date_from"), _date(f.date_to, "date_to")
    if start is not None:
        out.append(records.c.updated_at >= _utc(start))
    if end is not None:
        out.append(records.c.updated_at < _utc(end + dt.timedelta(days=1)))
    if (moment := _moment(f.changed_after)) is not None:
        out.append(records.c.updated_at > moment)
    return out


def checked_sort(sort: str | None) -> str:
    """``sort`` if it is one of :data:`SORTS` (empty: ``new``); InputError otherwise."""
    if not sort:
        return "new"
    if sort not in SORTS:
        raise InputError("sort must be new, old or title", field="sort", value=sort)
    return sort


def order_by(sort: str) -> list[Any]:
    """The ORDER BY of a sort (ties broken by the record's key, so paging is stable)."""
    c = records.c
    if sort == "old":
        return [c.pk.asc()]
    if sort == "title":
        return [c.title.asc(), c.pk.asc()]
    return [c.pk.desc()]


def after_cursor(sort: str, pk: Any, title: Any) -> Any:
    """The condition "after the record (``pk``, ``title``)" in the order of ``sort``
    (keyset paging: the values may be bind parameters)."""
    c = records.c
    if sort == "old":
        return c.pk > pk
    if sort == "title":
        return or_(c.title > title, and_(c.title == title, c.pk > pk))
    return c.pk < pk
