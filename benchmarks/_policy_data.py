"""Deterministic principals and labels for the policy benchmarks.

Everything is drawn from a seeded :class:`random.Random` over the shipped marking context,
so two runs (and two machines) compare the same workload. Two mixes:

- the *decision mix*: ~1,000 varied principals and ~1,000 varied labels (both nations'
  schemes, REL TO nations and agencies, NOFORN, ORCON, compartments) for the reference
  monitor's decisions per second;
- the *listing mix*: a few hundred distinct labels, each with a weight, distributed like a
  working node's documents (mostly REL TO USA, JPN or national-only; some NOFORN, ORCON,
  agency-restricted and compartmented; few unclassified), and four named principals of
  high, medium, low and rare visibility.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from nucsec.markings import Label, LabelError, MarkingContext
from nucsec.policy import ROLES, Principal

__all__ = [
    "WeightedLabel",
    "decision_labels",
    "decision_principals",
    "listing_labels",
    "listing_principals",
]

DECISION_SEED = 2010_11_01  # the working group was agreed in November 2010
LISTING_SEED = 2012_03_26  # Seoul Nuclear Security Summit


@dataclass(frozen=True)
class WeightedLabel:
    """A label of the listing mix and its share of the stored documents."""

    label: Label
    category: str
    weight: float


def _nations(ctx: MarkingContext) -> list[str]:
    return sorted(ctx.nations)


def _agencies(ctx: MarkingContext, nation: str) -> list[str]:
    return [a.code for a in ctx.nations[nation].agencies]


def _levels(ctx: MarkingContext, nation: str) -> list[str]:
    return [lv.name for lv in ctx.schemes[nation].levels]


def _valid(label: Label, ctx: MarkingContext) -> bool:
    try:
        label.validate(ctx, stored=True)
    except LabelError:
        return False
    return True


# -- the decision mix ----------------------------------------------------------------------
def _rel_to(rng: random.Random, ctx: MarkingContext, authority: str) -> set[str]:
    others = [n for n in _nations(ctx) if n != authority]
    named = {authority} | {n for n in others if rng.random() < 0.85}
    entries: set[str] = set()
    for nation in sorted(named):
        if rng.random() < 0.3:
            picked = rng.sample(_agencies(ctx, nation), rng.randint(1, 2))
            entries |= {f"{nation}.{a}" for a in picked}
        else:
            entries.add(nation)
    return entries


def _random_label(rng: random.Random, ctx: MarkingContext) -> Label:
    nations = _nations(ctx)
    authority = rng.choice(nations)
    scheme = authority if rng.random() < 0.85 else rng.choice(nations)
    control = rng.random()
    compartments = sorted(ctx.compartments)
    return Label.create(
        authority=authority,
        level=rng.choice(_levels(ctx, scheme)),
        rel_to=_rel_to(rng, ctx, authority) if control >= 0.4 else (),
        noforn=control < 0.15,
        orcon=rng.random() < 0.15,
        compartments=rng.sample(compartments, rng.choices([0, 1, 2], [6, 3, 1])[0]),
        originator=f"{authority}.{rng.choice(_agencies(ctx, authority))}",
        legal_basis=ctx.default_basis if rng.random() < 0.5 else None,
    )


def decision_labels(ctx: MarkingContext, n: int = 1000, seed: int = DECISION_SEED) -> list[Label]:
    """``n`` distinct valid labels of every shape the reference monitor distinguishes."""
    rng = random.Random(seed)
    found: dict[str, Label] = {}
    while len(found) < n:
        label = _random_label(rng, ctx)
        if _valid(label, ctx):
            found.setdefault(label.to_json(), label)
    return list(found.values())


def decision_principals(
    ctx: MarkingContext, n: int = 1000, seed: int = DECISION_SEED
) -> list[Principal]:
    """``n`` principals: both nations, every agency (a few with none), clearances named in
    their own scheme or the partner's, random need-to-know and roles."""
    rng = random.Random(seed + 1)
    nations = _nations(ctx)
    compartments = sorted(ctx.compartments)
    people = []
    for i in range(n):
        nation = rng.choice(nations)
        scheme = nation if rng.random() < 0.85 else rng.choice(nations)
        people.append(
            Principal.create(
                id=f"p{i:04d}",
                nation=nation,
                agency=None if rng.random() < 0.05 else rng.choice(_agencies(ctx, nation)),
                clearance=rng.choice(_levels(ctx, scheme)),
                compartments=rng.sample(compartments, rng.randint(0, len(compartments))),
                roles=rng.sample(ROLES, rng.randint(1, 2)),
            ).validate(ctx)
        )
    return people


# -- the listing mix -----------------------------------------------------------------------
#: (category, share of documents, lowest and highest common rank)
_CATEGORIES = (
    ("rel-to-partners", 0.44, 1, 3),
    ("national-only", 0.24, 1, 3),
    ("agency-restricted", 0.08, 1, 3),
    ("noforn", 0.07, 2, 3),
    ("orcon", 0.06, 1, 3),
    ("compartmented", 0.06, 1, 3),
    ("top-secret", 0.02, 4, 4),
    ("unclassified", 0.03, 0, 0),
)


def _review_date(rng: random.Random) -> dt.date | None:
    """Most classified documents carry a review (declassify-on) date, 10 to 30 years out."""
    if rng.random() < 0.3:
        return None
    return dt.date(2020 + rng.randint(10, 30), 12, 31)


def _listing_label(
    rng: random.Random, ctx: MarkingContext, category: str, rank: int, authority: str
) -> Label:
    table = ctx.agreement()
    level = table.name_at(authority, rank) or _levels(ctx, authority)[rank]
    everyone = sorted(table.nations)
    rel_to: list[str] = []
    noforn = orcon = False
    compartments: list[str] = []
    if category in {"rel-to-partners", "orcon"}:
        rel_to, orcon = everyone, category == "orcon"
    elif category == "agency-restricted":
        partner = rng.choice([n for n in everyone if n != authority])
        agencies = rng.sample(_agencies(ctx, partner), rng.randint(1, 2))
        rel_to = [authority, *(f"{partner}.{a}" for a in agencies)]
    elif category in {"noforn", "top-secret"}:
        noforn = category == "noforn" or rng.random() < 0.5
    elif category == "compartmented":
        compartments = rng.sample(sorted(ctx.compartments), rng.choice([1, 1, 1, 2]))
        rel_to = everyone if rng.random() < 0.6 else []
    return Label.create(
        authority=authority,
        level=level,
        rel_to=rel_to,
        noforn=noforn,
        orcon=orcon,
        compartments=compartments,
        originator=f"{authority}.{rng.choice(_agencies(ctx, authority))}",
        legal_basis=ctx.default_basis,
        review_date=_review_date(rng),
    )


def listing_labels(
    ctx: MarkingContext, per_category: int = 50, seed: int = LISTING_SEED
) -> list[WeightedLabel]:
    """A few hundred distinct labels with weights summing to 1 (see ``_CATEGORIES``)."""
    rng = random.Random(seed)
    nations = _nations(ctx)
    out: list[WeightedLabel] = []
    seen: set[str] = set()
    for category, share, low, high in _CATEGORIES:
        chosen: list[Label] = []
        for _ in range(per_category * 20):
            if len(chosen) == per_category:
                break
            label = _listing_label(rng, ctx, category, rng.randint(low, high), rng.choice(nations))
            if _valid(label, ctx) and label.to_json() not in seen:
                seen.add(label.to_json())
                chosen.append(label)
        # a long tail inside each category: label i weighs 1 / (i + 1)
        raw = [1.0 / (i + 1) for i in range(len(chosen))]
        out += [
            WeightedLabel(lb, category, share * w / sum(raw))
            for lb, w in zip(chosen, raw, strict=True)
        ]
    return out


def listing_principals(ctx: MarkingContext) -> dict[str, Principal]:
    """Four users whose share of visible documents goes from most to very few."""
    specs = {
        "high": ("USA", "DOE", "TOP SECRET", sorted(ctx.compartments)),
        "medium": ("JPN", "MOFA", "HI", []),
        "low": ("JPN", "MEXT", "TORIATSUKAI CHUI", []),
        "rare": ("USA", "DHS", "UNCLASSIFIED", []),
    }
    return {
        name: Principal.create(
            id=f"bench-{name}",
            nation=nation,
            agency=agency,
            clearance=clearance,
            compartments=comps,
            roles=["viewer"],
        ).validate(ctx)
        for name, (nation, agency, clearance, comps) in specs.items()
    }
