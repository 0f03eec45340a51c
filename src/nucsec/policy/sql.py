"""The SQL twin of the reference monitor's read rules.

``read_predicate(principal, ctx, tables)`` returns a SQLAlchemy boolean expression over
the ``labels`` table that is true exactly for the labels :func:`nucsec.policy.decide`
lets the principal read. Listings, searches and counts filter with it in the database;
they never fetch and filter in Python. ``tests/policy`` holds the two equal on generated
principals and labels, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    exists,
    false,
    literal_column,
    not_,
    or_,
    select,
    true,
    tuple_,
)

from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
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
    # level: per agreement, the clearance's rank under it. Ranks come from the marking data
    # now, not from the rank stored when the label was interned: a level the tables no
    # longer know matches nothing (fail closed, as decide() does).
    triple = tuple_(lab.c.legal_basis, lab.c.authority, lab.c.level)
    cleared = _levels_up_to(ctx, cp.ranks)
    level = triple.in_(_constants(cleared)) if cleared else false()
    # nationality
    named = exists().where(rel.c.label_id == lab.c.id, rel.c.nation == cp.nation)
    public_bases = [b for b, table in ctx.agreements.items() if cp.nation in table.nations]
    unclassified = _levels_up_to(ctx, dict.fromkeys(public_bases, 0))
    nationality = or_(
        lab.c.authority == cp.nation,
        and_(not_(lab.c.noforn), named),
        and_(lab.c.public, triple.in_(_constants(unclassified))) if unclassified else false(),
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
    outside = (
        comp.c.compartment.not_in([_sql_string(c) for c in sorted(cp.compartments)])
        if cp.compartments
        else true()
    )
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


def _sql_string(value: str) -> ColumnElement[str]:
    """A string constant written into the statement's SQL text (standard quoting).

    The values are names from the marking data and the principal (never request input),
    and the statements are cached per caller: as constants, SQLAlchemy compiles a
    statement once and reuses its SQL, where bound lists (``IN`` with "expanding"
    parameters) are re-rendered on every execution, which measured 8-10 % of a list
    request's CPU time (py-spy and cProfile)."""
    if "\x00" in value:
        raise LabelError(f"a marking name holds a NUL character: {value!r}")
    return literal_column("'" + value.replace("'", "''") + "'", String)


def _constants(rows: list[tuple[str, str, str]]) -> list[ColumnElement[Any]]:
    return [tuple_(*(_sql_string(v) for v in row)) for row in rows]


@lru_cache(maxsize=32)
def _rank_table(ctx: MarkingContext) -> dict[tuple[str, str, str], int]:
    """The common rank of every (legal basis, authority, level name) a stored label can hold
    and the marking data knows now: every name, abbreviation and native name of every level,
    resolved as :meth:`Label.level_of` resolves it (the authority's scheme first)."""
    names = {
        key
        for scheme in ctx.schemes.values()
        for lv in scheme.levels
        for key in (lv.name, lv.abbrev.upper(), lv.native)
        if key
    }
    out: dict[tuple[str, str, str], int] = {}
    for authority in sorted(ctx.schemes):
        for name in sorted(names):
            try:
                level = ctx.resolve_level(name, authority)
            except LabelError:
                continue
            for basis, table in ctx.agreements.items():
                rank = table.rank_of(level.nation, level.name)
                if rank is not None:
                    out[(basis, authority, name)] = rank
    return out


def _levels_up_to(ctx: MarkingContext, ranks: dict[str, int]) -> list[tuple[str, str, str]]:
    """(legal basis, authority, level name) of every level at or below ``ranks[basis]``."""
    return sorted(k for k, rank in _rank_table(ctx).items() if rank <= ranks.get(k[0], -1))


@lru_cache(maxsize=4096)
def visible_label_ids(
    principal: Principal, ctx: MarkingContext, t: LabelTables, action: str = "read"
) -> Select[tuple[int]]:
    """``SELECT labels.id WHERE read_predicate`` — for ``records.label_id IN (...)``.

    Cached per (principal, context, tables, action): principals and contexts are immutable
    values, and a statement built once is reused by every request of the same caller."""
    return select(t.labels.c.id).where(read_predicate(principal, ctx, t, action))
