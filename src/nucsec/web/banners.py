"""Banners as the UI shows them: one label rendered in every agreement nation's scheme.

Classified systems mark each page at top and bottom with the highest classification and
the most restrictive controls of what the page shows. :func:`page_label` computes that
label from the labels of the shown items, in the viewer's scheme, and
:func:`banner_view` renders it in the viewer's own scheme first, then in every other
agreement nation's, each in its own language (the marking data's ``lang``: Japanese
levels in Japanese, US levels in English), with a colour class per common rank.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nucsec.markings import Label, MarkingContext, render_in, render_portion

__all__ = ["BannerView", "Rendering", "banner_view", "lowest_label", "page_label", "portion_view"]


@dataclass(frozen=True)
class Rendering:
    nation: str
    lang: str
    text: str


@dataclass(frozen=True)
class BannerView:
    """A banner rendered in each scheme, the viewer's first; ``rank`` picks the colour."""

    renderings: tuple[Rendering, ...]
    rank: int

    @property
    def primary(self) -> Rendering:
        return self.renderings[0]

    @property
    def css(self) -> str:
        return f"rank-{min(self.rank, 4)}"


def _nations(ctx: MarkingContext, viewer_nation: str, basis: str | None) -> list[str]:
    nations = list(ctx.agreement(basis).nations)
    return sorted(nations, key=lambda n: (n != viewer_nation, nations.index(n)))


def banner_view(label: Label, ctx: MarkingContext, viewer_nation: str) -> BannerView:
    """Render ``label`` in every scheme of its agreement, the viewer's scheme first."""
    out = []
    for nation in _nations(ctx, viewer_nation, label.legal_basis):
        lang = ctx.lang_of(nation)
        out.append(Rendering(nation, lang, render_in(label, ctx, nation, lang)))
    return BannerView(tuple(out), label.rank(ctx))


def portion_view(label: Label, ctx: MarkingContext, viewer_nation: str) -> BannerView:
    """A portion mark: the abbreviated mark first, then the full renderings."""
    full = banner_view(label, ctx, viewer_nation)
    mark = Rendering(label.authority, "en", render_portion(label, ctx))
    return BannerView((mark, *full.renderings), full.rank)


def lowest_label(ctx: MarkingContext, nation: str) -> Label:
    """The label of a page that shows no labelled information (lowest common rank)."""
    table = ctx.agreement()
    name = table.name_at(nation, 0) or table.name_at(table.nations[0], 0) or ""
    authority = nation if table.name_at(nation, 0) else table.nations[0]
    return Label.create(authority=authority, level=name, legal_basis=table.legal_basis)


def _readers(label: Label, ctx: MarkingContext) -> frozenset[str] | None:
    """Who may read ``label`` by nationality (REL TO entries); None: every agreement
    nation (public unclassified)."""
    if label.is_public_unclassified and label.rank(ctx) == 0:
        return None
    if label.noforn or not label.rel_to:
        return frozenset({label.authority})
    return label.rel_to


def _intersect(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    """Readers in both lists; a nation covers its agencies (``USA`` ⊇ ``USA.DOE``)."""
    out = set()
    for x in a:
        for y in b:
            if x == y or y.startswith(x + "."):
                out.add(y)
            elif x.startswith(y + "."):
                out.add(x)
    return frozenset(out)


def page_label(labels: Iterable[Label], ctx: MarkingContext, viewer_nation: str) -> Label:
    """The banner label of a page showing ``labels``.

    The highest level shown, every compartment, ORCON and NOFORN if any item has them,
    and REL TO the readers common to every item (a nation covers its agencies). Whoever
    may read this label may read every item; the viewer, who reads every item, may read
    it. The classifying authority is the items' own when they share one, else the
    viewer's nation. A page showing nothing carries the lowest level.
    """
    items = list(labels)
    if not items:
        return lowest_label(ctx, viewer_nation)
    authorities = {lb.authority for lb in items}
    authority = authorities.pop() if len(authorities) == 1 else viewer_nation
    top = max(items, key=lambda lb: lb.rank(ctx))
    level = ctx.equivalent(top.level_of(ctx), authority, top.legal_basis)
    noforn = any(lb.noforn for lb in items)
    readers: frozenset[str] | None = None
    for lb in items:
        mine = _readers(lb, ctx)
        if mine is not None:
            readers = mine if readers is None else _intersect(readers, mine)
    rel_to: frozenset[str] = frozenset()
    if noforn and readers is not None:
        # nationals only; if items restrict the authority's agencies, REL TO those
        # agencies says the same and keeps the restriction (as markings.rollup does)
        home = frozenset(e for e in readers if e.split(".")[0] == authority)
        if home and home != {authority}:
            rel_to, noforn = home, False
    elif readers is not None and readers != {authority}:
        rel_to = readers
        if not any(e.split(".")[0] == authority for e in rel_to):
            rel_to = rel_to | {authority}  # unreachable for items the viewer reads
    label = Label.create(
        authority=authority,
        level=level.name,
        rel_to=rel_to,
        noforn=noforn,
        orcon=any(lb.orcon for lb in items),
        compartments=frozenset().union(*(lb.compartments for lb in items)),
        legal_basis=top.legal_basis,
    )
    if readers is not None and label.is_public_unclassified and label.rank(ctx) == 0:
        # unclassified but not public: say who may read it rather than imply everyone
        label = label.with_(rel_to=readers | {authority})
    return label
