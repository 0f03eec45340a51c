"""Practice search: ranked full text (Japanese and English) with filters and facets,
policy-filtered in SQL.

Text is matched on the tokens of :mod:`nucsec.practices.tokens` (Latin words as
prefixes, Japanese runs as phrases of bigrams), with SQLite FTS5 (ranked by ``bm25``,
title 10, summary 4, keywords 2, body 1) or PostgreSQL full text (``simple`` configuration, GIN
index, ranked by ``ts_rank`` over weights A/B/C/D). Filters: topic, applicability tags
(every tag given), status. The items, the total and every facet count (topic, status,
applicability) come from one set of conditions that starts with the SQL twin of the
reference monitor (``records.label_id IN visible labels``, not recalled): a practice the
caller may not read is in none of them. Each search is audited (``record.search``, the
query keyed, the ids shown and the count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Text,
    and_,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
)

from nucsec.errors import InputError
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.practices.practice import PRACTICE_STATUSES
from nucsec.practices.tokens import fts5_query, tsquery
from nucsec.practices.vocabulary import TAGS, topics
from nucsec.service.labelled import summary_fields
from nucsec.service.practice_index import SIMPLE
from nucsec.service.practice_tables import FTS_TABLE, practice_index, practice_tags
from nucsec.service.trail import emit, keyed, reading
from nucsec.service.views import JsonView, RecordSummary
from nucsec.store.labels import LABEL_TABLES
from nucsec.store.records import RECORD_COLUMNS, RecordStore, record_row
from nucsec.store.schema import records

__all__ = ["PracticeFilter", "PracticeHit", "PracticeResults", "search_practices"]

_FTS = table(FTS_TABLE, column("rowid"))
_PI = practice_index.c


@dataclass(frozen=True)
class PracticeFilter:
    """What to find: text, topic, applicability tags (all of them), status."""

    query: str | None = None
    topic: str | None = None
    applicability: tuple[str, ...] = ()
    status: str | None = None

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
        return PracticeFilter(query, self.topic or None, tuple(self.applicability), self.status)

    def active(self) -> dict[str, Any]:
        out = {"topic": self.topic, "status": self.status}
        if self.applicability:
            out["applicability"] = ",".join(self.applicability)
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


def _conditions(node: Node, principal: Principal, f: PracticeFilter, dialect: str) -> list[Any]:
    where: list[Any] = [
        records.c.kind == "practice",
        records.c.recalled.is_(False),
        records.c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES)),
        _PI.record_pk == records.c.pk,
    ]
    if f.topic:
        where.append(_PI.topic == f.topic)
    if f.status:
        where.append(_PI.status == f.status)
    for tag in f.applicability:
        tags = practice_tags.alias().c  # its own name: the tag facet joins practice_tags
        where.append(exists().where(tags.record_pk == records.c.pk, tags.tag == tag))
    if f.query and dialect == "sqlite":  # the matches, found once (never per row)
        where.append(records.c.pk.in_(select(_FTS.c.rowid).where(_match(f.query))))
    elif f.query:
        where.append(_PI.tsv.op("@@")(_tsquery(f.query)))
    return where


def _match(query: str) -> Any:
    return literal_column(FTS_TABLE).op("MATCH")(literal(fts5_query(query)))


def _ranked(f: PracticeFilter, dialect: str) -> list[Any]:
    """What the ranked page adds on SQLite: the FTS5 row of each match (for bm25)."""
    if f.query and dialect == "sqlite":
        return [_FTS.c.rowid == records.c.pk, _match(f.query)]
    return []


def _tsquery(query: str) -> Any:
    return func.to_tsquery(SIMPLE, cast(literal(tsquery(query)), Text))


def _rank(f: PracticeFilter, dialect: str) -> list[Any]:
    if not f.query:
        return [records.c.pk.desc()]
    if dialect == "sqlite":  # bm25 is lower for a better match
        bm25 = func.bm25(literal_column(FTS_TABLE), 10.0, 4.0, 2.0, 1.0)
        return [bm25, records.c.pk.desc()]
    return [func.ts_rank(_PI.tsv, _tsquery(f.query)).desc(), records.c.pk.desc()]


def _from(f: PracticeFilter, dialect: str) -> list[Any]:
    return [records, practice_index, *([_FTS] if f.query and dialect == "sqlite" else [])]


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
    without a query), their total and facet counts."""
    if not 1 <= limit <= 500:
        raise InputError("limit must be between 1 and 500", field="limit", value=limit)
    if not 0 <= offset <= 100_000:
        raise InputError("offset must be between 0 and 100000", field="offset", value=offset)
    f = (flt or PracticeFilter()).checked()
    with reading(node) as (conn, recorder):
        dialect = conn.dialect.name
        where = _conditions(node, principal, f, dialect)
        sources = [records, practice_index]
        columns = (*RECORD_COLUMNS, _PI.code, _PI.topic, _PI.status)
        rows = conn.execute(
            select(*columns)
            .select_from(*_from(f, dialect))
            .where(and_(*where, *_ranked(f, dialect)))
            .order_by(*_rank(f, dialect))
            .limit(limit)
            .offset(offset)
        ).all()
        total, counts = _counts(conn, sources, where, facets)
        items = _hits(node, conn, rows)
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


def _hits(node: Node, conn: Any, rows: Sequence[Any]) -> tuple[PracticeHit, ...]:
    n = len(RECORD_COLUMNS)
    record_rows = [record_row(r[:n]) for r in rows]
    heads = RecordStore(conn, node.ctx).head_versions(record_rows)
    out = []
    for row, r in zip(record_rows, rows, strict=True):
        portions = heads[row.pk].portions
        out.append(
            PracticeHit(
                **summary_fields(node, conn, row),
                code=r[n],
                topic=r[n + 1],
                status=r[n + 2],
                applicability=tuple(sorted(portions["meta"].value.get("applicability") or ())),
                summary=str(portions["summary"].value),
            )
        )
    return tuple(out)


def _counts(
    conn: Any, sources: list[Any], where: list[Any], facets: bool
) -> tuple[int, dict[str, dict[str, int]]]:
    """The total and the facets, from one count per (topic, status) (each practice has
    one of each, so their sums are the total) and one per applicability tag."""
    grouped = select(_PI.topic, _PI.status, func.count()).select_from(*sources).where(*where)
    pairs = conn.execute(grouped.group_by(_PI.topic, _PI.status)).all()
    total = sum(int(n) for _, _, n in pairs)
    if not facets:
        return total, {}
    out: dict[str, dict[str, int]] = {"topic": {}, "status": {}}
    for topic, status, n in pairs:
        out["topic"][str(topic)] = out["topic"].get(str(topic), 0) + int(n)
        out["status"][str(status)] = out["status"].get(str(status), 0) + int(n)
    tag = practice_tags.c.tag
    tagged = (
        select(tag, func.count())
        .select_from(*sources, practice_tags)
        .where(*where, practice_tags.c.record_pk == records.c.pk)
        .group_by(tag)
    )
    out["applicability"] = {str(v): int(n) for v, n in conn.execute(tagged)}
    return total, {k: dict(sorted(v.items())) for k, v in out.items()}
