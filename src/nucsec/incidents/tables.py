"""Store side of the incident register: the facts each statistic counts.

One row per incident record (its current version), kept in step by the register's
after-write hook. Statistics join it to ``records`` and filter with the policy's SQL twin,
so every count includes only incidents the caller may read.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table

from nucsec.store.db import Base

__all__ = ["incident_facts"]

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
    Index("ix_incident_facts_reference", "reference"),
    Index("ix_incident_facts_year", "year"),
)
