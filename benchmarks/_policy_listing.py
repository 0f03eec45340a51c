"""Listing the documents a user may see: the real path against a naive baseline.

*Ours* is :meth:`nucsec.store.records.RecordStore.list_visible` - the policy's SQL twin
filters in the database. The *naive* baseline is what one writes without it: fetch records
newest first in chunks, load each record's label (once per label per call), ask the
reference monitor in Python, stop at a full page. Both return the same page (checked),
so the comparison is of speed only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from benchmarks._policy_store import KIND
from benchmarks._table import percentiles
from nucsec.errors import InputError
from nucsec.markings import Label, MarkingContext
from nucsec.policy import Principal, Resource, decide
from nucsec.store.labels import load_label
from nucsec.store.records import RecordRow, RecordStore
from nucsec.store.schema import records

__all__ = ["Comparison", "compare", "cursor_after", "naive_list"]

PAGE = 50
NAIVE_CHUNK = 500
_COLUMNS = (
    records.c.pk,
    records.c.id,
    records.c.kind,
    records.c.label_id,
    records.c.head_version,
    records.c.title,
    records.c.created_at,
    records.c.updated_at,
    records.c.created_by,
    records.c.origin,
    records.c.recalled,
)

Lister = Callable[[Connection, Principal, str | None], list[str]]


def naive_list(
    conn: Connection,
    ctx: MarkingContext,
    principal: Principal,
    after: str | None = None,
    limit: int = PAGE,
) -> list[RecordRow]:
    """Fetch-then-filter: newest first, ``NAIVE_CHUNK`` rows a query, decide in Python."""
    labels: dict[int, Label] = {}

    def readable(row: RecordRow) -> bool:
        label = labels.get(row.label_id)
        if label is None:
            label = labels[row.label_id] = load_label(conn, row.label_id)
        resource = Resource(label, kind=row.kind, ref=row.id, recalled=row.recalled)
        return decide(principal, "read", resource, ctx).allowed

    upper: int | None = None
    if after is not None:
        found = conn.execute(select(*_COLUMNS).where(records.c.id == after)).first()
        if found is None or not readable(RecordRow(*found)):
            raise InputError("invalid page cursor", field="next", value=after)
        upper = int(found[0])
    page: list[RecordRow] = []
    while len(page) < limit:
        query = select(*_COLUMNS).where(records.c.kind == KIND)
        if upper is not None:
            query = query.where(records.c.pk < upper)
        rows = conn.execute(query.order_by(records.c.pk.desc()).limit(NAIVE_CHUNK)).all()
        if not rows:
            break
        for r in rows:
            row = RecordRow(*r)
            if readable(row):
                page.append(row)
                if len(page) == limit:
                    break
        upper = int(rows[-1][0])
    return page


def cursor_after(engine: Engine, ctx: MarkingContext, principal: Principal, pages: int) -> str:
    """The cursor that starts page ``pages + 1`` (walked with the real listing)."""
    cursor: str | None = None
    with engine.connect() as conn:
        store = RecordStore(conn, ctx)
        for _ in range(pages):
            _, cursor = store.list_visible(KIND, principal, limit=PAGE, after=cursor)
            if cursor is None:
                break
    if cursor is None:
        raise RuntimeError(f"{principal.id} sees fewer than {pages + 1} pages")
    return cursor


@dataclass(frozen=True)
class Comparison:
    ours_p50_s: float
    ours_p99_s: float
    naive_p50_s: float
    repeats: int
    naive_repeats: int
    same_page: bool


def _time(engine: Engine, fn: Callable[[Connection], list[str]], repeats: int) -> list[float]:
    samples = []
    with engine.connect() as conn:
        fn(conn)  # warm: statement caches, label parse cache, compiled principal
        conn.rollback()
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(conn)
            samples.append(time.perf_counter() - t0)
            conn.rollback()
    return samples


def compare(
    engine: Engine,
    ctx: MarkingContext,
    principal: Principal,
    after: str | None,
    repeats: int,
    naive_repeats: int,
) -> Comparison:
    """p50 of ours and of the naive baseline on one page; checks both give the same ids."""

    def ours(conn: Connection) -> list[str]:
        page, _ = RecordStore(conn, ctx).list_visible(KIND, principal, limit=PAGE, after=after)
        return [r.id for r in page]

    def naive(conn: Connection) -> list[str]:
        return [r.id for r in naive_list(conn, ctx, principal, after)]

    with engine.connect() as conn:
        same = ours(conn) == naive(conn)
    ours_p50, ours_p99 = percentiles(_time(engine, ours, repeats))
    naive_p50, _ = percentiles(_time(engine, naive, naive_repeats))
    return Comparison(ours_p50, ours_p99, naive_p50, repeats, naive_repeats, same)
