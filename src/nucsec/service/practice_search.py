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

from sqlalchemy import (
    Float,
    Integer,
    String,
    Text,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    union_all,
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
from nucsec.store.record_filter import RecordFilter, filter_clauses
from nucsec.store.records import RECORD_COLUMNS, record_row
from nucsec.store.schema import record_versions, records

__all__ = ["PracticeFilter", "PracticeHit", "PracticeResults", "search_practices"]

_FTS = table(FTS_TABLE, column("rowid"))
_PI = practice_index.c
#: bm25 column weights: title, summary, keywords, body
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0)


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


def _conditions(node: Node, principal: Principal, f: PracticeFilter) -> list[Any]:
    """The SQL twin of the monitor and the filters (no text match), over
    ``practice_index``: its ``label_id`` is the record's banner label, written with each
    version in the same transaction, and a recalled practice has no row."""
    where: list[Any] = [_PI.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES))]
    if f.topic:
        where.append(_PI.topic == f.topic)
    if f.status:
        where.append(_PI.status == f.status)
    for tag in f.applicability:
        tags = practice_tags.alias().c  # its own name: the tag facet joins practice_tags
        where.append(exists().where(tags.record_pk == _PI.record_pk, tags.tag == tag))
    if f.records is not None and f.records.active():
        narrowed = select(records.c.pk).where(*filter_clauses(f.records.checked(node.ctx)))
        where.append(_PI.record_pk.in_(narrowed))
    return where


def _match(query: str) -> Any:
    return literal_column(FTS_TABLE).op("MATCH")(literal(fts5_query(query)))


def _tsquery(query: str) -> Any:
    return func.to_tsquery(SIMPLE, cast(literal(tsquery(query)), Text))


def _matched(node: Node, principal: Principal, f: PracticeFilter, dialect: str) -> Any:
    """The visible matches, found once: a materialised CTE of ``(pk, topic, status,
    score)``, a lower score ranking first (SQLite: ``bm25``; PostgreSQL: minus
    ``ts_rank``; no query: 0, the page is then newest first)."""
    where = _conditions(node, principal, f)
    sources: list[Any] = [practice_index]
    score: Any = cast(literal(0.0), Float)
    if f.query and dialect == "sqlite":  # FTS5's matches, once, drive the join
        bm25 = func.bm25(literal_column(FTS_TABLE), *BM25_WEIGHTS)
        hits = (
            select(_FTS.c.rowid.label("pk"), bm25.label("score"))
            .where(_match(f.query))
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        sources = [hits, practice_index]
        where.append(_PI.record_pk == hits.c.pk)
        score = hits.c.score
    elif f.query:
        ts = _tsquery(f.query)
        where.append(_PI.tsv.op("@@")(ts))
        score = -func.ts_rank(_PI.tsv, ts)
    columns = (
        _PI.record_pk.label("pk"),
        _PI.topic.label("topic"),
        _PI.status.label("status"),
        cast(score, Float).label("score"),
    )
    cte = select(*columns).select_from(*sources).where(*where).cte("matched")
    return cte.prefix_with("MATERIALIZED")


def _one_pass(m: Any, facets: bool, limit: int, offset: int) -> Any:
    """One statement over the matches: the page (kind 0: pk, score), the count per
    (topic, status) (kind 1) and, with facets, per applicability tag (kind 2)."""
    none_i, none_s, none_f = cast(null(), Integer), cast(null(), String), cast(null(), Float)
    page = (
        select(m.c.pk, m.c.score).order_by(m.c.score, m.c.pk.desc()).limit(limit).offset(offset)
    ).subquery("page")
    parts = [
        select(literal(0), page.c.pk, page.c.score, none_s, none_s, none_i),
        select(literal(1), none_i, none_f, m.c.topic, m.c.status, func.count()).group_by(
            m.c.topic, m.c.status
        ),
    ]
    if facets:
        tag = practice_tags.c.tag
        parts.append(
            select(literal(2), none_i, none_f, tag, none_s, func.count())
            # "+ 0": SQLite looks each match's tags up (not every tag row up in the matches)
            .select_from(m.join(practice_tags, practice_tags.c.record_pk == m.c.pk + 0))
            .group_by(tag)
        )
    return union_all(*parts)


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

    The visible matches are found once (text match, monitor's SQL twin, filters); the
    page, the total and the facets are read from that one set in one statement, then the
    page's records are fetched by key (the same conditions again).
    """
    if not 1 <= limit <= 500:
        raise InputError("limit must be between 1 and 500", field="limit", value=limit)
    if not 0 <= offset <= 100_000:
        raise InputError("offset must be between 0 and 100000", field="offset", value=offset)
    f = (flt or PracticeFilter()).checked()
    with reading(node) as (conn, recorder):
        m = _matched(node, principal, f, conn.dialect.name)
        ranked: list[tuple[float, int]] = []
        pairs: list[tuple[str, str, int]] = []
        tags: dict[str, int] = {}
        for part, pk, score, a, b, n in conn.execute(_one_pass(m, facets, limit, offset)):
            if part == 0:
                ranked.append((float(score), -int(pk)))
            elif part == 1:
                pairs.append((str(a), str(b), int(n)))
            else:
                tags[str(a)] = int(n)
        pks = [-pk for _, pk in sorted(ranked)]
        total, counts = _counts(pairs, tags, facets)
        items = _hits(node, principal, conn, pks)
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


def _counts(
    pairs: Sequence[tuple[str, str, int]], tags: dict[str, int], facets: bool
) -> tuple[int, dict[str, dict[str, int]]]:
    """The total and the facets, from the count per (topic, status) (each practice has
    one of each, so their sums are the total) and the count per applicability tag."""
    total = sum(n for _, _, n in pairs)
    if not facets:
        return total, {}
    out: dict[str, dict[str, int]] = {"topic": {}, "status": {}, "applicability": tags}
    for topic, status, n in pairs:
        out["topic"][topic] = out["topic"].get(topic, 0) + n
        out["status"][status] = out["status"].get(status, 0) + n
    return total, {k: dict(sorted(v.items())) for k, v in out.items()}
