"""The SQL twin of the reference monitor's read rules.

``read_predicate(principal, ctx, tables)`` returns a SQLAlchemy boolean expression over
the ``labels`` table that is true exactly for the labels :func:`nucsec.policy.decide`
lets the principal read. Listings, searches and counts filter with it in the database;
they never fetch and filter in Python. ``tests/policy`` holds the two equal on generated
principals and labels, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, Table, and_, exists, false, not_, or_, select, true

from nucsec.markings.context import MarkingContext
from nucsec.policy.compiled import compile_principal
from nucsec.policy.principal import Principal

__all__ = ["LabelTables", "read_predicate", "visible_label_ids"]


@dataclass(frozen=True)
class LabelTables:
    labels: Table
    rel_to: Table
    compartments: Table


def read_predicate(
    principal: Principal, ctx: MarkingContext, t: LabelTables, action: str = "read"
) -> ColumnElement[bool]:
    """Boolean expression over ``t.labels``: may ``principal`` read (or, with
    ``action="export"``, export) a record with this label?"""
    if action not in ("read", "export"):
        raise ValueError(f"no SQL twin for action {action!r}")
    cp = compile_principal(principal, ctx)
    lab, rel, comp = t.labels, t.rel_to, t.compartments
    # level: per agreement, the clearance's rank under it
    level = or_(
        false(),
        *(and_(lab.c.legal_basis == basis, lab.c.rank <= rank) for basis, rank in cp.ranks.items()),
    )
    # nationality
    named = exists().where(rel.c.label_id == lab.c.id, rel.c.nation == cp.nation)
    public_bases = [b for b, table in ctx.agreements.items() if cp.nation in table.nations]
    nationality = or_(
        lab.c.authority == cp.nation,
        and_(not_(lab.c.noforn), named),
        and_(lab.c.public, lab.c.legal_basis.in_(public_bases)) if public_bases else false(),
    )
    # agency: if agencies of my nation are named, mine is one of them
    restricted = exists().where(
        rel.c.label_id == lab.c.id, rel.c.nation == cp.nation, rel.c.agency.is_not(None)
    )
    mine = (
        exists().where(
            rel.c.label_id == lab.c.id, rel.c.nation == cp.nation, rel.c.agency == cp.agency
        )
        if cp.agency
        else false()
    )
    agency = or_(not_(restricted), mine)
    # compartments: none outside my need-to-know
    outside = comp.c.compartment.not_in(sorted(cp.compartments)) if cp.compartments else true()
    compartments = not_(exists().where(comp.c.label_id == lab.c.id, outside))
    rules = [level, nationality, agency, compartments]
    if action == "export":  # ORCON: only the originator agency exports
        originator = f"{cp.nation}.{cp.agency}" if cp.agency else None
        rules.append(
            or_(not_(lab.c.orcon), lab.c.originator == originator)
            if originator
            else not_(lab.c.orcon)
        )
    return and_(*rules)


def visible_label_ids(
    principal: Principal, ctx: MarkingContext, t: LabelTables, action: str = "read"
) -> Select[tuple[int]]:
    """``SELECT labels.id WHERE read_predicate`` — for ``records.label_id IN (...)``."""
    return select(t.labels.c.id).where(read_predicate(principal, ctx, t, action))
