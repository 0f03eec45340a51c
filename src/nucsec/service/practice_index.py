"""Keeps the practice search index in step with each version written (an after-write
hook of the ``practice`` kind, run in the writing transaction, here or on receipt).

The index holds the current version only: code, topic, status, banner label, the
applicability tags, and the search tokens of title, summary, keywords (code, topic labels
in English and Japanese) and body (:func:`nucsec.practices.tokens.search_tokens`): in the
FTS5 table on SQLite, as a weighted ``tsvector`` on PostgreSQL (A, B, C, D). A recalled practice
leaves the index. The values are those the kind already checked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Text, cast, delete, func, insert, literal, literal_column, text

from nucsec.markings import Label
from nucsec.node import Node
from nucsec.practices.tokens import search_tokens
from nucsec.practices.vocabulary import topics
from nucsec.service.practice_tables import practice_index, practice_tags
from nucsec.store.records import RecordRow, VersionRow

__all__ = ["SIMPLE", "index_practice", "tsv_expression"]

#: tsvector weights of the indexed texts on PostgreSQL (``ts_rank``: A 1.0, B 0.4, C 0.2,
#: D 0.1); ``keywords`` are the code and the topic's English and Japanese labels
WEIGHTS = (("title", "A"), ("summary", "B"), ("keywords", "C"), ("body", "D"))
# the FTS5 table (practice_tables.FTS_TABLE) written out (no caller's text reaches these statements)
_FTS_DELETE = text("DELETE FROM practice_fts WHERE rowid = :pk")
_FTS_INSERT = text(
    "INSERT INTO practice_fts (rowid, title, summary, keywords, body) "
    "VALUES (:pk, :title, :summary, :keywords, :body)"
)
#: the text-search configuration: no stemming, no stop words (our tokens are made already)
SIMPLE: Any = literal_column("'simple'::regconfig")


def tsv_expression(tokens: dict[str, str]) -> Any:
    """The weighted tsvector of the token strings of title, summary and body."""
    parts = [
        func.setweight(
            func.to_tsvector(SIMPLE, cast(literal(tokens[name]), Text)),
            literal_column(f"'{weight}'"),
        )
        for name, weight in WEIGHTS
    ]
    out: Any = parts[0]
    for part in parts[1:]:
        out = out.op("||")(part)
    return out


def index_practice(
    node: Node, conn: Connection, row: RecordRow, version: VersionRow, banner: Label
) -> None:
    """Replace the index rows of ``row`` with those of ``version`` (none if recalled)."""
    sqlite = conn.dialect.name == "sqlite"
    conn.execute(delete(practice_index).where(practice_index.c.record_pk == row.pk))
    conn.execute(delete(practice_tags).where(practice_tags.c.record_pk == row.pk))
    if sqlite:
        conn.execute(_FTS_DELETE, {"pk": row.pk})
    if row.recalled:
        return
    values = {name: p.value for name, p in version.portions.items()}
    meta = values["meta"]
    texts = {name: str(values.get(name, "")) for name in ("title", "summary", "body")}
    topic = topics().get(str(meta["topic"]))
    labels = (topic.label_en, topic.label_ja) if topic else ()
    texts["keywords"] = " ".join((str(meta["code"]), *labels))
    tokens = {name: search_tokens(text) for name, text in texts.items()}
    conn.execute(
        insert(practice_index).values(
            record_pk=row.pk,
            code=str(meta["code"]),
            topic=str(meta["topic"]),
            status=str(meta.get("status") or "draft"),
            label_id=row.label_id,
            tsv="" if sqlite else tsv_expression(tokens),
        )
    )
    tags = sorted(set(meta.get("applicability") or ()))
    if tags:
        conn.execute(insert(practice_tags), [{"record_pk": row.pk, "tag": t} for t in tags])
    if sqlite:
        conn.execute(
            _FTS_INSERT,
            {"pk": row.pk, **tokens},
        )
