"""Store side of the incident register: the facts each statistic counts.

``incident_facts`` has one row per incident record (its current version);
``incident_counts`` keeps, per label, year, dimension and value, how many readable
(not recalled) incidents there are. Both are kept in step by the register's after-write
hook in the writing transaction. Statistics sum ``incident_counts`` over the labels the
policy's SQL twin lets the caller read: every count includes only incidents the caller
may read, and costs a scan of a table whose size does not grow with the incidents.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table

from nucsec.store.db import Base

__all__ = ["COUNTED_DIMENSIONS", "incident_counts", "incident_facts"]

#: the dimensions ``incident_counts`` keeps per year (year totals come from itdb_group)
COUNTED_DIMENSIONS = ("itdb_group", "material_class", "incident_type", "country", "detection_mode")

incident_facts = Table(
    "incident_facts",
    Base.metadata,
    Column("record_pk", Integer, ForeignKey("records.pk"), primary_key=True),
    Column("reference", String(64), nullable=False),
    Column("event_date", Date, nullable=False),
    Column("year", Integer, nullable=False),
    Column("itdb_group", String(8), nullable=False),
    Column("material_class", String(32), nullable=False),
    Column("incident_type", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("detection_mode", String(64), nullable=False),
    Column("label_id", Integer, ForeignKey("labels.id"), nullable=False),
    Column("counted", Boolean, nullable=False),  # contributes to incident_counts
    Index("ix_incident_facts_reference", "reference"),
    Index("ix_incident_facts_year", "year"),
)

incident_counts = Table(
    "incident_counts",
    Base.metadata,
    Column("label_id", Integer, ForeignKey("labels.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("dimension", String(32), primary_key=True),
    Column("value", String(64), primary_key=True),
    Column("n", Integer, nullable=False),
    # statistics read the counts in grouping order, filtered by label, from the index alone
    Index("ix_incident_counts_grouping", "year", "dimension", "value", "label_id", "n"),
)
