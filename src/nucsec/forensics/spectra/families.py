"""Report identifications at the level the detector supports: chains and families.

A high-resolution (HPGe) spectrum separates the members of a decay series, so its
identifications keep their names (``Ra-226`` and ``U-238`` are different findings: radium
without uranium is a radium source or a broken equilibrium). A scintillator or CZT spectrum
sees a series through a few strong lines of its short-lived members, which cannot tell a
radium source from uranium ore, nor thorium from a Th-228 sub-chain. There, every
identification of one series is reported once, under the series' parent (``U-238`` for the
natural uranium series, ``Th-232`` for the thorium series), with ``series`` and ``family``
set and the members seen listed; uranium gets ``uranium, enrichment unknown`` when both its
U-235 and U-238 signatures are seen, ``enriched uranium`` when U-235 is seen alone.

Every identification carries a ``status`` (set by :mod:`identify`): ``possible`` for a nuclide
seen only through one ambiguous line, ``identified`` otherwise; a merged series is identified
when one of its members is.

>>> FAMILIES["Ra-226"], SERIES["Th-228"]
('natural uranium series', 'Th-232')
"""

from __future__ import annotations

from dataclasses import replace

from nucsec.forensics.spectra.identify import Identification

__all__ = ["FAMILIES", "SERIES", "chain_parent", "report_level"]

#: decay series a reported source belongs to, named by its parent
SERIES = {
    "U-238": "U-238",
    "Ra-226": "U-238",
    "Pb-210": "U-238",
    "U-235": "U-235",
    "Th-232": "Th-232",
    "Th-228": "Th-232",
    "U-232": "U-232",
}
#: the family a low-resolution spectrum reports a source as (U-238 seen only through its own
#: short-lived daughters Th-234 and Pa-234m, without radium, is processed uranium)
FAMILIES = {
    "U-238": "uranium",
    "Ra-226": "natural uranium series",
    "Pb-210": "natural uranium series",
    "Th-232": "thorium series",
    "Th-228": "thorium series",
    "U-232": "thorium series",
    "K-40": "NORM",
}
#: members merged under one parent on a low-resolution spectrum (U-232 is not natural: a
#: reprocessed-uranium signature, kept apart)
_MERGED = {"Ra-226": "U-238", "Pb-210": "U-238", "Th-228": "Th-232"}


def chain_parent(name: str) -> str:
    """The name a low-resolution spectrum reports ``name`` under (its series' parent)."""
    return _MERGED.get(name, name)


def report_level(nuclides: list[Identification], detector_type: str) -> list[Identification]:
    """Identifications as reported for this detector family (see the module docstring)."""
    out = [_with_status(n) for n in nuclides]
    if detector_type == "HPGe":
        return out
    merged: dict[str, list[Identification]] = {}
    order: list[str] = []
    for n in out:
        parent = _MERGED.get(n.name, n.name)
        if parent not in merged:
            order.append(parent)
        merged.setdefault(parent, []).append(n)
    result = [_merge(parent, merged[parent]) for parent in order]
    names = {n.name for n in result}
    return [_uranium_family(n, names) for n in result]


def _with_status(n: Identification) -> Identification:
    return replace(n, extra={"status": "identified", **n.extra})


def _merge(parent: str, members: list[Identification]) -> Identification:
    """One identification for the members of a series seen by a low-resolution detector."""
    # a member other than the parent names the family (radium daughters: natural series)
    others = [m.name for m in members if m.name != parent]
    family = FAMILIES.get(others[0] if others else parent)
    if len(members) == 1 and members[0].name == parent:
        n = members[0]
        return replace(n, extra={**n.extra, "family": family} if family else n.extra)
    best = max(members, key=lambda m: m.score)
    identified = any(m.extra.get("status") == "identified" for m in members)
    extra = {
        **best.extra,
        "status": "identified" if identified else "possible",
        "family": family,
        "series": SERIES.get(parent),
        "members_seen": [m.name for m in members],
    }
    return replace(
        best,
        name=parent,
        confidence=max(m.confidence for m in members),
        score=max(m.score for m in members),
        matched=tuple(line for m in members for line in m.matched),
        missing=best.missing,
        extra=extra,
    )


def _uranium_family(n: Identification, names: set[str]) -> Identification:
    """Uranium seen by a low-resolution detector: U-235 with U-238 is uranium of unknown
    enrichment (the relative-efficiency estimate needs resolved lines); U-235 alone is
    enriched uranium (natural uranium shows the U-238 series as strongly)."""
    if n.name not in ("U-235", "U-238") or "natural_uranium" in n.extra:
        return n
    if n.name == "U-235":
        family = "uranium, enrichment unknown" if "U-238" in names else "enriched uranium"
    elif "U-235" in names:
        family = "uranium, enrichment unknown"
    else:
        return n
    return replace(n, extra={**n.extra, "family": family})
