"""Compiled forms of principals and labels: what the reference monitor compares.

Compiling resolves names through the marking context once (levels to common ranks under
each agreement) and caches the result on the immutable principal or label, so a decision
is a handful of set and integer operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.label import Label
from nucsec.policy.principal import Principal

__all__ = ["CompiledLabel", "CompiledPrincipal", "compile_label", "compile_principal"]


@dataclass(frozen=True, slots=True)
class CompiledPrincipal:
    nation: str
    agency: str | None
    ranks: dict[str, int]  # legal basis -> clearance rank under that agreement
    compartments: frozenset[str]
    roles: frozenset[str]
    clearance_name: str
    clearance_nation: str


@dataclass(frozen=True, slots=True)
class CompiledLabel:
    basis: str
    rank: int
    authority: str
    nations: frozenset[str]  # nations named in REL TO
    agencies: dict[str, frozenset[str]]  # nation -> agencies named for it
    noforn: bool
    orcon: bool
    public: bool  # unclassified, no controls: every agreement nation may read
    agreement_nations: frozenset[str]
    compartments: frozenset[str]
    originator: str | None


def compile_principal(p: Principal, ctx: MarkingContext) -> CompiledPrincipal:
    key = ctx
    found = p._cache.get(key)
    if found is not None:
        return found
    try:
        level = ctx.resolve_level(p.clearance, p.nation)
    except LabelError:
        level = None
    ranks: dict[str, int] = {}
    if level is not None:
        for basis, table in ctx.agreements.items():
            rank = table.rank_of(level.nation, level.name)
            if rank is not None and p.nation in table.nations:
                ranks[basis] = rank
    compiled = CompiledPrincipal(
        nation=p.nation,
        agency=p.agency,
        ranks=ranks,
        compartments=p.compartments,
        roles=p.roles,
        clearance_name=level.name if level else p.clearance,
        clearance_nation=level.nation if level else p.nation,
    )
    p._cache[key] = compiled
    return compiled


def compile_label(label: Label, ctx: MarkingContext) -> CompiledLabel:
    """Compile a validated label (raises LabelError for markings the context lacks)."""
    key = ctx
    found = label._cache.get(key)
    if found is not None:
        return found
    table = ctx.agreement(label.legal_basis)
    rank = label.rank(ctx)
    agencies: dict[str, set[str]] = {}
    for entry in label.rel_to:
        nation, _, agency = entry.partition(".")
        if agency:
            agencies.setdefault(nation, set()).add(agency)
    compiled = CompiledLabel(
        basis=table.legal_basis,
        rank=rank,
        authority=label.authority,
        nations=label.rel_to_nations,
        agencies={n: frozenset(a) for n, a in agencies.items()},
        noforn=label.noforn,
        orcon=label.orcon,
        public=rank == 0 and label.is_public_unclassified,
        agreement_nations=frozenset(table.nations),
        compartments=label.compartments,
        originator=label.originator,
    )
    label._cache[key] = compiled
    return compiled
