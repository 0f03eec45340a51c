"""Practice search: ranked full text (Japanese and English) with filters and facets,
policy-filtered in SQL.

Text is matched on the tokens of :mod:`nucsec.practices.tokens` (Latin words as
prefixes, Japanese runs as phrases of bigrams), with SQLite FTS5 (ranked by ``bm25``,
title 10, summary 4, keywords 2, body 1) or PostgreSQL full text (``simple`` configuration, GIN
index, ranked by ``ts_rank`` over weights A/B/C/D). Filters: topic, applicability tags
(every tag given), status.

The visible matches are found once, in a materialised CTE: the text matches (FTS5's rows
with their ``bm25``, or the GIN-indexed ``tsquery`` with ``ts_rank``) joined to
``practice_index`` and filtered by the SQL twin of the reference monitor on the index's
copy of the banner label (written with every version in the same transaction; a recalled
practice has no index row) and by the filters. One statement then reads from that set the
page (top ``limit`` by rank after ``offset``), the count per (topic, status), which sums
to the total, and the count per applicability tag; the page's records are fetched by key
under the twin applied to ``records`` itself. A practice the caller may not read is in
none of them. Each search is audited (``record.search``, the query keyed, the ids shown
and the count).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, select

from nucsec.errors import InputError
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.practices.practice import PRACTICE_STATUSES
from nucsec.practices.tokens import fts5_query, tsquery
from nucsec.practices.vocabulary import TAGS, topics
from nucsec.service.labelled import summary_fields
from nucsec.service.practice_mirror import IntArray, raw_rows, snapshot
from nucsec.service.practice_tables import practice_index
from nucsec.service.trail import emit, keyed, reading
from nucsec.service.views import JsonView, RecordSummary
from nucsec.store.labels import LABEL_TABLES
from nucsec.store.record_filter import RecordFilter, filter_clauses
from nucsec.store.records import RECORD_COLUMNS, record_row
from nucsec.store.schema import record_versions, records

__all__ = ["PracticeFilter", "PracticeHit", "PracticeResults", "search_practices"]

_PI = practice_index.c
# the match statements (constants: the query is a bound parameter)
_SQLITE_MATCH = "SELECT rowid FROM practice_fts WHERE practice_fts MATCH ?"
_SQLITE_TOP = (  # bm25 column weights: title 10, summary 4, keywords 2, body 1
    "SELECT rowid FROM practice_fts WHERE practice_fts MATCH ? "
    "ORDER BY bm25(practice_fts, 10.0, 4.0, 2.0, 1.0), rowid DESC LIMIT ?"
)
_PG_MATCH = (
    "SELECT record_pk, -ts_rank(tsv, q) FROM practice_index, "
    "to_tsquery('simple', %(q)s) AS q WHERE tsv @@ q"
)
#: the first ranked read on SQLite takes this many more rows than the visible share of the
#: matches predicts the page needs (then four times as many, until the page is full)
OVERFETCH = 1.25
#: ... plus this many
SLACK = 16


@dataclass(frozen=True)
class PracticeFilter:
    """What to find: text, topic, applicability tags (all of them), status."""

    query: str | None = None
    topic: str | None = None
    applicability: tuple[str, ...] = ()
    status: str | None = None
    #: marking, nation, agency, dates changed (checked against the node's markings)
    records: RecordFilter | None = None

    def checked(self) -> PracticeFilter:
        """The filter, each field checked (InputError naming the field)."""
        if self.topic and self.topic not in topics():
            raise InputError(
                f"unknown topic (use {', '.join(topics())})", field="topic", value=self.topic
            )
        for i, tag in enumerate(self.applicability):
            if tag not in TAGS:
                raise InputError(
                    f"unknown applicability tag (known: {', '.join(sorted(TAGS))})",
                    field=f"applicability[{i}]",
                    value=tag,
                )
        if self.status and self.status not in PRACTICE_STATUSES:
            raise InputError(
                f"unknown status (use {', '.join(PRACTICE_STATUSES)})",
                field="status",
                value=self.status,
            )
        query = (self.query or "").strip() or None
        if query is not None and not fts5_query(query):
            raise InputError("the query has no word to search for", field="query")
        return PracticeFilter(
            query, self.topic or None, tuple(self.applicability), self.status, self.records
        )

    def active(self) -> dict[str, Any]:
        out = {"topic": self.topic, "status": self.status}
        if self.applicability:
            out["applicability"] = ",".join(self.applicability)
        if self.records is not None:
            out.update(self.records.params())
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True, kw_only=True, slots=True)
class PracticeHit(RecordSummary):
    """A practice found: the listing summary, its code, topic, status, applicability and
    summary text."""

    code: str
    topic: str
    status: str
    applicability: tuple[str, ...]
    summary: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PracticeResults(JsonView):
    """A page of results (best first), how many match in all, and the facet counts of
    everything that matches (topic, status, applicability -> value -> count)."""

    items: tuple[PracticeHit, ...]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def _matches(conn: Connection, query: str) -> tuple[IntArray, npt.NDArray[np.float64] | None]:
    """Every practice matching ``query`` in the transaction's view: its key and, on
    PostgreSQL, its score (minus ``ts_rank``: lower first). SQLite gives the keys alone:
    its ``bm25`` is computed for the page only (:func:`_sqlite_page`)."""
    if conn.dialect.name == "sqlite":
        rows = raw_rows(conn, _SQLITE_MATCH, (fts5_query(query),))
        return np.fromiter((r[0] for r in rows), np.int64, len(rows)), None
    rows = raw_rows(conn, _PG_MATCH, {"q": tsquery(query)})
    pks = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    return pks, np.fromiter((r[1] for r in rows), np.float64, len(rows))


def _sqlite_page(
    conn: Connection, query: str, chosen: IntArray, matched: int, limit: int, offset: int
) -> list[int]:
    """The page among the ``chosen`` keys (sorted) of ``matched`` matches, by ``bm25``
    then newest first: FTS5 ranks its matches and gives the best ``k``; the chosen ones
    among them are the page if there are enough of them (the order is total, so the best
    chosen are the best of the chosen), else ``k`` grows."""
    need = min(offset + limit, len(chosen))
    if need <= offset:
        return []
    k = min(matched, int(need * matched / len(chosen) * OVERFETCH) + SLACK)
    while True:
        rows = raw_rows(conn, _SQLITE_TOP, (fts5_query(query), k))
        best = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        at = np.minimum(np.searchsorted(chosen, best), len(chosen) - 1)
        mine = best[chosen[at] == best]
        if len(mine) >= need or len(rows) < k:
            return [int(pk) for pk in mine[offset:need]]
        k = min(matched, max(k, 1) * 4)


def _narrowed(
    node: Node,
    conn: Connection,
    records_filter: RecordFilter,
    pks: IntArray,
    scores: npt.NDArray[np.float64] | None,
) -> tuple[IntArray, npt.NDArray[np.float64] | None]:
    """The matches whose record passes the record filter (the listing's SQL clauses)."""
    clauses = filter_clauses(records_filter.checked(node.ctx))
    query = select(records.c.pk).where(records.c.kind == "practice", *clauses)
    passing = np.fromiter((int(r[0]) for r in conn.execute(query)), np.int64)
    keep = np.isin(pks, passing)
    return pks[keep], None if scores is None else scores[keep]


def _readable(node: Node, principal: Principal, conn: Connection) -> list[int]:
    """The label ids the principal may read: the monitor's SQL twin over the labels."""
    rows: Sequence[Any] = conn.execute(visible_label_ids(principal, node.ctx, LABEL_TABLES)).all()
    return [int(r[0]) for r in rows]


def _page(pks: IntArray, scores: npt.NDArray[np.float64], limit: int, offset: int) -> list[int]:
    """Keys ``offset`` to ``offset + limit`` by score, then newest (highest key) first."""
    order = np.lexsort((-pks, scores))
    return [int(pk) for pk in pks[order[offset : offset + limit]]]


def search_practices(
    node: Node,
    principal: Principal,
    flt: PracticeFilter | None = None,
    *,
    limit: int = 25,
    offset: int = 0,
    facets: bool = True,
) -> PracticeResults:
    """The practices the principal may read that match, best first (newest first
    without a query), their total and facet counts.

    The text engine gives every match's key (and, on PostgreSQL, its score), once; the
    mirror (:mod:`nucsec.service.practice_mirror`) keeps those with a readable label (the
    monitor's SQL twin, asked once for the label ids) that pass the filters, and counts
    them; the page is the best of those (SQLite: FTS5's best by ``bm25``, read until
    enough of them are kept); its records are then fetched by key (the twin applied to
    the records).
    """
    if not 1 <= limit <= 500:
        raise InputError("limit must be between 1 and 500", field="limit", value=limit)
    if not 0 <= offset <= 100_000:
        raise InputError("offset must be between 0 and 100000", field="offset", value=offset)
    f = (flt or PracticeFilter()).checked()
    with reading(node) as (conn, recorder):
        snap = snapshot(node.engine, conn)
        if f.query:
            pks, scores = _matches(conn, f.query)
        else:  # every practice, newest first
            pks, scores = snap.pk, np.zeros(len(snap.pk))
        matched = len(pks)  # what the text engine ranks (the page reads its best k)
        if f.records is not None and f.records.active():  # marking, nation, agency, dates
            pks, scores = _narrowed(node, conn, f.records, pks, scores)
        chosen = snap.select(
            pks,
            _readable(node, principal, conn),
            topic=f.topic,
            status=f.status,
            tags=f.applicability,
        )
        total = len(chosen.at)
        counts = snap.facets(chosen.rows) if facets else {}
        if scores is None:  # SQLite, a query: FTS5 ranks
            keys = np.sort(pks[chosen.at])
            page = _sqlite_page(conn, f.query or "", keys, matched, limit, offset)
        else:
            page = _page(pks[chosen.at], scores[chosen.at], limit, offset)
        items = _hits(node, principal, conn, page)
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.search" if f.query or f.active() else "record.list",
            details={
                "kind": "practice",
                "query": keyed(node, f.query or ""),
                "filters": f.active(),
                "offset": offset,
                "ids": [i.id for i in items],
                "count": total,
            },
        )
    return PracticeResults(items=items, total=total, facets=counts)


def _hits(
    node: Node, principal: Principal, conn: Any, pks: Sequence[int]
) -> tuple[PracticeHit, ...]:
    """The page's practices, in the order of ``pks``, each read with its current version
    (by key, the monitor's SQL twin applied to the records themselves)."""
    if not pks:
        return ()
    rv = record_versions.c
    columns = (*RECORD_COLUMNS, _PI.code, _PI.topic, _PI.status, rv.content)
    rows = conn.execute(
        select(*columns)
        .select_from(records, practice_index, record_versions)
        .where(
            records.c.pk.in_(pks),
            records.c.kind == "practice",
            records.c.recalled.is_(False),
            records.c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES)),
            _PI.record_pk == records.c.pk,
            rv.record_pk == records.c.pk,
            rv.version == records.c.head_version,
        )
    ).all()
    n = len(RECORD_COLUMNS)
    by_pk = {int(r[0]): r for r in rows}
    out = []
    for pk in pks:
        r = by_pk.get(pk)
        if r is None:  # changed since the match (another transaction): left out
            continue
        row = record_row(r[:n])
        content = json.loads(r[n + 3])
        meta = content["meta"]["value"]
        out.append(
            PracticeHit(
                **summary_fields(node, conn, row),
                code=r[n],
                topic=r[n + 1],
                status=r[n + 2],
                applicability=tuple(sorted(meta.get("applicability") or ())),
                summary=str(content["summary"]["value"]),
            )
        )
    return tuple(out)
