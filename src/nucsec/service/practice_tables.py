"""Store side of the best-practice catalogue: what search and its facets read.

``practice_index`` has one row per practice record (its current version): code, topic,
status and banner label, and on PostgreSQL the weighted ``tsvector`` of its search tokens
(title A, summary B, keywords C, body D; :mod:`nucsec.practices.tokens`), under a GIN index. On
SQLite the tokens live in the FTS5 table ``practice_fts`` (``rowid`` = ``records.pk``;
columns title, summary, keywords, body), which the migration creates (a virtual table is not a
SQLAlchemy table); ``tsv`` is left empty there. ``practice_tags`` lists each practice's
applicability tags (filter and facet). ``practice_changes`` gives each practice the
sequence number of the last write of its index rows (the search mirror's high-water mark,
:mod:`nucsec.service.practice_mirror`). All are kept in step by the practice kind's
after-write hook, in the writing transaction.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.dialects.postgresql import TSVECTOR

from nucsec.store.db import Base

__all__ = ["FTS_TABLE", "TSV_TYPE", "practice_changes", "practice_index", "practice_tags"]

#: the SQLite FTS5 table of practice search tokens (created by the migration)
FTS_TABLE = "practice_fts"
#: ``tsvector`` on PostgreSQL, text (left empty) elsewhere
TSV_TYPE = Text().with_variant(TSVECTOR(), "postgresql")

practice_index = Table(
    "practice_index",
    Base.metadata,
    Column("record_pk", Integer, ForeignKey("records.pk"), primary_key=True),
    Column("code", String(64), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("label_id", Integer, ForeignKey("labels.id"), nullable=False),
    Column("tsv", TSV_TYPE, nullable=False),
    Index("ix_practice_index_topic", "topic"),
    Index("ix_practice_index_status", "status"),
    Index("ix_practice_index_code", "code"),
    Index("ix_practice_index_tsv", "tsv", postgresql_using="gin"),
)

practice_tags = Table(
    "practice_tags",
    Base.metadata,
    Column("record_pk", Integer, ForeignKey("records.pk"), primary_key=True),
    Column("tag", String(32), primary_key=True),
    Index("ix_practice_tags_tag", "tag", "record_pk"),
)

practice_changes = Table(
    "practice_changes",
    Base.metadata,
    Column("record_pk", Integer, ForeignKey("records.pk"), primary_key=True),
    Column("seq", Integer, nullable=False),
    Index("ix_practice_changes_seq", "seq", unique=True),
)
