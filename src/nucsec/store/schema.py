"""The relational schema of a node (SQLAlchemy Core tables on the one ``Base.metadata``).

Labelled records share one machinery: ``records`` (one row per record, pointing at its
current version and banner label) and ``record_versions`` (immutable versions, each with
its banner label and its portions' labels). Labels are stored once each in ``labels``
(deduplicated by digest) with their parts in ``label_rel_to`` and ``label_compartments``,
so the reference monitor's SQL twin filters listings by joining a small table.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nucsec.store.db import Base

metadata = Base.metadata

labels = Table(
    "labels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("json", Text, nullable=False),
    Column("banner", Text, nullable=False),
    Column("authority", String(3), nullable=False),
    Column("level", String(64), nullable=False),
    Column("legal_basis", String(128), nullable=False),  # resolved: the label's or the default
    Column("rank", Integer, nullable=False),
    Column("noforn", Boolean, nullable=False),
    Column("orcon", Boolean, nullable=False),
    Column("public", Boolean, nullable=False),  # unclassified, no controls
    Column("originator", String(64)),
)

label_rel_to = Table(
    "label_rel_to",
    metadata,
    Column("label_id", Integer, ForeignKey("labels.id"), nullable=False),
    Column("nation", String(3), nullable=False),
    Column("agency", String(32)),  # NULL: the whole nation
    Index("ix_label_rel_to_label_nation", "label_id", "nation"),
)

label_compartments = Table(
    "label_compartments",
    metadata,
    Column("label_id", Integer, ForeignKey("labels.id"), nullable=False),
    Column("compartment", String(64), nullable=False),
    Index("ix_label_compartments_label", "label_id"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("nation", String(3), nullable=False),
    Column("agency", String(32), nullable=False),
    Column("clearance", String(64), nullable=False),
    Column("compartments", Text, nullable=False, default="[]"),  # JSON list
    Column("roles", Text, nullable=False, default="[]"),  # JSON list
    Column("password_hash", Text),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("language", String(8)),  # interface language chosen; NULL: the nation's default
)

records = Table(
    "records",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("label_id", Integer, ForeignKey("labels.id"), nullable=False),
    Column("head_version", Integer, nullable=False),
    Column("title", Text, nullable=False),  # head version's title (search, sorting)
    Column("search_text", Text, nullable=False),  # lower-cased head text for search
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(36)),  # users.id; NULL for records received from a peer
    Column("origin", String(64)),  # NULL: made here; else the peer it came from
    Column("recalled", Boolean, nullable=False, default=False),
    # covers the policy-filtered listing: newest first within a kind, label checked in-index
    Index("ix_records_kind_pk", "kind", "pk", "recalled", "label_id"),
    Index("ix_records_label", "label_id"),
)

record_versions = Table(
    "record_versions",
    metadata,
    Column("record_pk", Integer, ForeignKey("records.pk"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("label_id", Integer, ForeignKey("labels.id"), nullable=False),
    Column("author_id", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("content", Text, nullable=False),  # JSON: {field: {"value": ..., "label_id": n}}
    Column("note", Text, nullable=False, default=""),
)

orcon_approvals = Table(
    "orcon_approvals",
    metadata,
    Column("record_pk", Integer, ForeignKey("records.pk"), nullable=False),
    Column("nation", String(3), nullable=False),
    Column("approved_by", String(36), nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("record_pk", "nation"),
)

#: files attached HERE to a record (by ``attach_file`` or an uploaded analysis): a blob is
#: served through a record only if this row exists, whatever the record's metadata lists
record_files = Table(
    "record_files",
    metadata,
    Column("record_pk", Integer, ForeignKey("records.pk"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("attached_at", DateTime(timezone=True), nullable=False),
)
