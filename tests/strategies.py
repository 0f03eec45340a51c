"""Hypothesis strategies for labels and principals over the shipped marking context."""

from __future__ import annotations

from hypothesis import strategies as st

from nucsec.markings import Label, MarkingContext, default_context
from nucsec.policy import ROLES, Principal

CTX: MarkingContext = default_context()
NATIONS = sorted(CTX.nations)
COMPARTMENTS = sorted(CTX.compartments)


def _levels(nation: str) -> list[str]:
    return [lv.name for lv in CTX.schemes[nation].levels]


@st.composite
def labels(draw: st.DrawFn, with_meta: bool = False) -> Label:
    """Valid labels: any authority, level named in any scheme, consistent controls."""
    authority = draw(st.sampled_from(NATIONS))
    level_nation = draw(st.sampled_from([authority, *NATIONS]))
    level = draw(st.sampled_from(_levels(level_nation)))
    noforn = draw(st.booleans())
    rel_to: set[str] = set()
    if not noforn and draw(st.booleans()):
        nations = {authority} | set(draw(st.sets(st.sampled_from(NATIONS))))
        for nation in nations:
            agencies = [a.code for a in CTX.nations[nation].agencies]
            picked = draw(st.sets(st.sampled_from(agencies), max_size=2))
            if picked and draw(st.booleans()):
                rel_to |= {f"{nation}.{a}" for a in picked}
            else:
                rel_to.add(nation)
    originator = None
    if with_meta or draw(st.booleans()):
        originator = f"{authority}." + draw(
            st.sampled_from([a.code for a in CTX.nations[authority].agencies])
        )
    return Label.create(
        authority=authority,
        level=level,
        rel_to=rel_to,
        noforn=noforn,
        orcon=draw(st.booleans()),
        compartments=draw(st.sets(st.sampled_from(COMPARTMENTS), max_size=2)),
        originator=originator,
        legal_basis=CTX.default_basis if with_meta else None,
    )


@st.composite
def principals(draw: st.DrawFn) -> Principal:
    nation = draw(st.sampled_from(NATIONS))
    clearance_nation = draw(st.sampled_from([nation, nation, *NATIONS]))
    return Principal.create(
        id="p",
        nation=nation,
        agency=draw(st.sampled_from([a.code for a in CTX.nations[nation].agencies])),
        clearance=draw(st.sampled_from(_levels(clearance_nation))),
        compartments=draw(st.sets(st.sampled_from(COMPARTMENTS))),
        roles=draw(st.sets(st.sampled_from(ROLES), min_size=1, max_size=2)),
    )
