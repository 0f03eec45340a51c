"""Triage: class each analysed spectrum from the nuclides found, with the reasons (pure).

Classes, from the most to the least urgent (:data:`CLASSES`): ``SNM`` (special nuclear
material), ``anomaly`` (something the table does not expect: activation or fission
products, a nuclide it does not list, or strong peaks no nuclide explains), ``industrial``,
``medical``, ``NORM`` (naturally occurring radioactive material above the background) and
``background`` (nothing but the natural background). A failed item is ``error``.

The decision is a table, not code: :data:`NUCLIDE_CLASS` names nuclides whose class is
not their library category (uranium at natural abundance is NORM, not SNM; the intrinsic
activity of a scintillator is background), :data:`CATEGORY_CLASS` maps the line library's
categories. Every nuclide at or above ``min_confidence`` votes for a class; the spectrum
takes the most urgent class voted for, and the reasons list every vote.

Natural nuclides (class NORM in the table) are NORM only when a background was subtracted
and they are in excess of it; otherwise (no background reference, or not in excess) they
vote ``background``: without a background a spectrum cannot tell NORM cargo from the
ground it stands on, and the reason says so.

>>> triage([{"name": "Tc-99m", "category": "medical", "confidence": 0.9}], [])
('medical', ['Tc-99m: medical radionuclide (confidence 0.90)'])
>>> triage([], [])[0]
'background'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CATEGORY_CLASS",
    "CLASSES",
    "NUCLIDE_CLASS",
    "TriageRules",
    "triage",
]

#: classes, most urgent first (the order of reports)
CLASSES = ("SNM", "anomaly", "industrial", "medical", "NORM", "background")

#: nuclide -> (class, why): where the class is not the library category's
NUCLIDE_CLASS: dict[str, tuple[str, str]] = {
    "U-235": ("SNM", "uranium enriched in U-235 (above natural abundance)"),
    "U-233": ("SNM", "U-233, fissile"),
    "Pu-239": ("SNM", "plutonium"),
    "Pu-241": ("SNM", "plutonium (Pu-241)"),
    "Np-237": ("SNM", "Np-237, fissile"),
    "U-232": ("SNM", "U-232: reprocessed uranium or U-233 production"),
    "U-238": ("NORM", "uranium at natural or depleted abundance"),
    "Th-232": ("NORM", "thorium series"),
    "Ra-226": ("NORM", "radium (uranium series)"),
    "Pb-210": ("NORM", "Pb-210 (uranium series)"),
    "K-40": ("NORM", "potassium"),
    "Be-7": ("NORM", "cosmogenic Be-7"),
    "La-138": ("background", "intrinsic activity of a LaBr3 detector"),
    "Lu-176": ("background", "intrinsic activity of a lutetium-based detector"),
}

#: line-library category -> (class, why)
CATEGORY_CLASS: dict[str, tuple[str, str]] = {
    "SNM": ("SNM", "nuclear material"),
    "industrial": ("industrial", "industrial or calibration source"),
    "medical": ("medical", "medical radionuclide"),
    "NORM": ("NORM", "natural radionuclide"),
    "activation": ("anomaly", "activation product: unexpected outside a reactor or accelerator"),
    "fission": ("anomaly", "fission product: unexpected outside a reactor"),
}


@dataclass(frozen=True)
class TriageRules:
    """Thresholds of the triage (the defaults are those documented in docs/archive.md)."""

    #: nuclides below this identification confidence do not vote
    min_confidence: float = 0.5
    #: an unlabelled peak at least this significant (sigma) is an anomaly ...
    unexplained_sigma: float = 20.0
    #: ... when it lies above this energy (x-ray and scatter structure below it)
    unexplained_min_kev: float = 120.0


DEFAULT_RULES = TriageRules()


def _vote(n: Mapping[str, Any]) -> tuple[str, str]:
    name = str(n.get("name"))
    if name in NUCLIDE_CLASS:
        cls, why = NUCLIDE_CLASS[name]
    else:
        cls, why = CATEGORY_CLASS.get(
            str(n.get("category")), ("anomaly", "not in the triage table")
        )
    if cls == "NORM" and n.get("in_excess_of_background") is not True:
        if n.get("in_excess_of_background") is False:
            return "background", f"{why}, not in excess of the background"
        return "background", f"{why}; no background to compare with (NORM cannot be told apart)"
    return cls, why


def triage(
    nuclides: Sequence[Mapping[str, Any]],
    peaks: Sequence[Mapping[str, Any]],
    rules: TriageRules = DEFAULT_RULES,
) -> tuple[str, list[str]]:
    """The class of a spectrum and the reasons, from its nuclides and peaks.

    Parameters
    ----------
    nuclides : sequence of mappings
        ``name``, ``category``, ``confidence`` and optionally ``in_excess_of_background``
        (as in the analysis JSON).
    peaks : sequence of mappings
        ``energy_kev``, ``significance`` and ``label`` (None: no source explains it).
    rules : TriageRules
        Thresholds.
    """
    votes: list[tuple[str, str]] = []
    for n in nuclides:
        confidence = float(n.get("confidence") or 0.0)
        if confidence < rules.min_confidence:
            continue
        cls, why = _vote(n)
        votes.append((cls, f"{n.get('name')}: {why} (confidence {confidence:.2f})"))
    strong = [
        float(p["energy_kev"])
        for p in peaks
        if p.get("label") is None
        and float(p.get("significance") or 0.0) >= rules.unexplained_sigma
        and float(p.get("energy_kev") or 0.0) >= rules.unexplained_min_kev
    ]
    if strong:
        listed = ", ".join(f"{e:.1f}" for e in strong[:5])
        votes.append(
            (
                "anomaly",
                f"{len(strong)} peak(s) of at least {rules.unexplained_sigma:g} sigma no "
                f"nuclide explains ({listed} keV)",
            )
        )
    if not votes:
        return "background", ["no nuclide above the identification threshold"]
    best = min(CLASSES.index(cls) for cls, _ in votes)
    order = sorted(votes, key=lambda v: CLASSES.index(v[0]))
    return CLASSES[best], [why for _, why in order]
