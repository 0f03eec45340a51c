"""Keeps the practice search index in step with each version written (an after-write
hook of the ``practice`` kind, run in the writing transaction, here or on receipt).

The index holds the current version only: code, topic, status, banner label, the
applicability tags, and the search tokens of title, summary, keywords (code, topic labels
in English and Japanese) and body (:func:`nucsec.practices.tokens.search_tokens`): in the
FTS5 table on SQLite, as a weighted ``tsvector`` on PostgreSQL (A, B, C, D). A recalled
practice leaves the index. The values are those the kind already checked.

Every write gives the practices written the next numbers of ``practice_changes.seq``,
taken under a lock held until commit, so a committed number implies that every lower one
is committed: the search mirror of each process (:mod:`nucsec.service.practice_mirror`)
re-reads the practices above the highest it has seen. The lock is the audit log's head
row (``SELECT ... FOR UPDATE`` on PostgreSQL; a SQLite write transaction holds the
database's write lock): every audited write takes it already, so practice writers wait on
no new lock and no two locks can be taken in opposite orders (a received version runs the
hook before its page's audit event).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal_column, select, text

from nucsec.audit.queries import HEAD_ID
from nucsec.audit.tables import audit_head
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.practices.tokens import search_tokens
from nucsec.practices.vocabulary import topics
from nucsec.service.practice_tables import practice_changes, practice_index, practice_tags
from nucsec.store.records import RecordRow, VersionRow

__all__ = ["SIMPLE", "index_practice", "index_rows", "mark_changed", "values_of"]

#: tsvector weights of the indexed texts on PostgreSQL (``ts_rank``: A 1.0, B 0.4, C 0.2,
#: D 0.1); ``keywords`` are the code and the topic's English and Japanese labels
WEIGHTS = (("title", "A"), ("summary", "B"), ("keywords", "C"), ("body", "D"))
# the tables written out (constants: no caller's text reaches these statements)
_FTS_DELETE = text("DELETE FROM practice_fts WHERE rowid = :pk")
_FTS_INSERT = text(
    "INSERT INTO practice_fts (rowid, title, summary, keywords, body) "
    "VALUES (:pk, :title, :summary, :keywords, :body)"
)
FTS_COLUMNS = ("title", "summary", "keywords", "body")
_INDEX = (
    "INSERT INTO practice_index (record_pk, code, topic, status, label_id, tsv) "
    "VALUES (:pk, :code, :topic, :status, :label_id, {tsv})"
)
_INDEX_SQLITE = text(_INDEX.format(tsv="''"))
_INDEX_PG = text(
    _INDEX.format(
        tsv=" || ".join(
            f"setweight(to_tsvector('simple', CAST(:{name} AS text)), '{weight}')"
            for name, weight in WEIGHTS
        )
    )
)
#: the lock that orders the writers of ``practice_changes`` (see the module)
_LOCK = select(audit_head.c.id).where(audit_head.c.id == HEAD_ID).with_for_update()
#: the text-search configuration: no stemming, no stop words (our tokens are made already)
SIMPLE: Any = literal_column("'simple'::regconfig")


def index_practice(
    node: Node, conn: Connection, row: RecordRow, version: VersionRow, banner: Label
) -> None:
    """Replace the index rows of ``row`` with those of ``version`` (none if recalled)."""
    sqlite = conn.dialect.name == "sqlite"
    conn.execute(delete(practice_index).where(practice_index.c.record_pk == row.pk))
    conn.execute(delete(practice_tags).where(practice_tags.c.record_pk == row.pk))
    if sqlite:
        conn.execute(_FTS_DELETE, {"pk": row.pk})
    mark_changed(conn, [row.pk])
    if not row.recalled:
        _insert(conn, [(row.pk, row.label_id, values_of(version))])


def mark_changed(conn: Connection, pks: Sequence[int]) -> None:
    """Give the practices ``pks`` the next change numbers (see the module), in the
    writing transaction."""
    if not pks:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK)
    c = practice_changes.c
    top = conn.execute(select(func.coalesce(func.max(c.seq), 0))).scalar_one()
    conn.execute(delete(practice_changes).where(c.record_pk.in_(pks)))
    rows = [{"record_pk": pk, "seq": int(top) + 1 + i} for i, pk in enumerate(pks)]
    conn.execute(insert(practice_changes), rows)


def values_of(version: VersionRow) -> dict[str, Any]:
    """The portion values of a version."""
    return {name: p.value for name, p in version.portions.items()}


def _params(pk: int, label_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    meta = values["meta"]
    texts = {name: str(values.get(name, "")) for name in ("title", "summary", "body")}
    topic = topics().get(str(meta["topic"]))
    labels = (topic.label_en, topic.label_ja) if topic else ()
    texts["keywords"] = " ".join((str(meta["code"]), *labels))
    return {
        "pk": pk,
        "code": str(meta["code"]),
        "topic": str(meta["topic"]),
        "status": str(meta.get("status") or "draft"),
        "label_id": label_id,
        **{name: search_tokens(text) for name, text in texts.items()},
    }


def index_rows(conn: Connection, rows: Sequence[tuple[int, int, Mapping[str, Any]]]) -> None:
    """Index practices not yet indexed: ``(records.pk, banner label id, portion values)``
    each (one statement per table for the lot: a bulk load), with their change numbers."""
    mark_changed(conn, [pk for pk, _, _ in rows])
    _insert(conn, rows)


def _insert(conn: Connection, rows: Sequence[tuple[int, int, Mapping[str, Any]]]) -> None:
    if not rows:
        return
    params = [_params(pk, label_id, values) for pk, label_id, values in rows]
    sqlite = conn.dialect.name == "sqlite"
    conn.execute(_INDEX_SQLITE if sqlite else _INDEX_PG, params)
    tags = [
        {"record_pk": pk, "tag": tag}
        for pk, _, values in rows
        for tag in sorted(set(values["meta"].get("applicability") or ()))
    ]
    if tags:
        conn.execute(insert(practice_tags), tags)
    if sqlite:
        fts = [{k: p[k] for k in ("pk", *FTS_COLUMNS)} for p in params]
        conn.execute(_FTS_INSERT, fts)
