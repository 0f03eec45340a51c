"""Banners are computed, never typed: the roll-up of a record's portion labels.

Highest level (by common rank under the agreement), intersection of REL TO, union of
ORCON and compartments, NOFORN if any portion is NOFORN (written as REL TO the authority's
agencies when portions restrict those agencies: same readers, and the restriction kept).
All portions of one record share one classifying authority.
"""

from __future__ import annotations

from collections.abc import Iterable

from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.label import Label

__all__ = ["rollup"]


def _intersect(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    """Intersection of REL TO lists where ``USA`` covers ``USA.DOE``."""
    out: set[str] = set()
    for x in a:
        for y in b:
            if x == y or y.startswith(x + "."):
                out.add(y)
            elif x.startswith(y + "."):
                out.add(x)
    return frozenset(out)


def rollup(portions: Iterable[Label], ctx: MarkingContext) -> Label:
    """The banner label of a record made of ``portions``.

    >>> from nucsec.markings import default_context, parse_banner
    >>> ctx = default_context()
    >>> a = parse_banner("SECRET//REL TO USA, JPN", ctx)
    >>> b = parse_banner("CONFIDENTIAL//NOFORN", ctx)
    >>> from nucsec.markings import render_banner
    >>> render_banner(rollup([a, b], ctx), ctx)
    'SECRET//NOFORN'
    """
    labels = list(portions)
    if not labels:
        raise LabelError("a record needs at least one portion label", field="portions")
    authorities = {lb.authority for lb in labels}
    if len(authorities) > 1:
        raise LabelError(
            "portions of one record must share one classifying authority, got "
            + ", ".join(sorted(authorities)),
            field="authority",
        )
    bases = {lb.legal_basis for lb in labels if lb.legal_basis}
    if len(bases) > 1:
        raise LabelError("portions cite different legal bases", field="legal_basis")
    originators = {lb.originator for lb in labels if lb.originator}
    if len(originators) > 1:
        raise LabelError("portions name different originators", field="originator")
    top_rank = max(lb.rank(ctx) for lb in labels)
    top = next(lb for lb in labels if lb.rank(ctx) == top_rank)
    names = {lb.level for lb in labels if lb.rank(ctx) == top_rank}
    level_name = top.level
    if len(names) > 1:  # equal ranks named in different schemes: the authority's name
        level_name = ctx.equivalent(top.level_of(ctx), top.authority, top.legal_basis).name
    noforn = any(lb.noforn for lb in labels)
    rel_to: frozenset[str] = frozenset()
    if noforn or any(lb.rel_to for lb in labels):
        # Readers of the whole = readers of every restricted portion. A portion without
        # REL TO (NOFORN, or classified without controls) is read in the authority nation.
        home = frozenset({top.authority})
        restricted = [lb for lb in labels if not (lb.is_public_unclassified and lb.rank(ctx) == 0)]
        rel_to = restricted[0].rel_to or home
        for other in restricted[1:]:
            rel_to = _intersect(rel_to, other.rel_to or home)
        if not any(e.split(".")[0] == top.authority for e in rel_to):
            raise LabelError(
                "the portions' REL TO lists leave no common reader in " + top.authority,
                field="rel_to",
            )
        if noforn:
            # NOFORN, unless agencies of the authority are named: then REL TO those
            # agencies says the same (nationals only) and keeps the agency restriction.
            rel_to = frozenset(e for e in rel_to if e.split(".")[0] == top.authority)
            noforn = rel_to == home
            if noforn:
                rel_to = frozenset()
        elif not any(lb.rel_to for lb in restricted):
            rel_to = frozenset()
    return Label.create(
        authority=top.authority,
        level=level_name,
        rel_to=rel_to,
        noforn=noforn,
        orcon=any(lb.orcon for lb in labels),
        compartments=frozenset().union(*(lb.compartments for lb in labels)),
        originator=next(iter(originators)) if originators else None,
        legal_basis=next(iter(bases)) if bases else None,
        review_date=max((lb.review_date for lb in labels if lb.review_date), default=None),
    )
