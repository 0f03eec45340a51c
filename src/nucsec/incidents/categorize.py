"""IAEA source category (1-5) from the activity over the D-value, aggregated over items.

The category of sources held together comes from ``sum(A_i / D_i)`` against the bands of
``source_categories.csv`` (lower bound inclusive, upper bound exclusive). A nuclide with no
D-value makes the category unknown (``None``) with the reason
``"category unknown: no D-value ..."``: never a guess. Activities are first
decay-corrected to the date asked for, when an item has a reference date.

A ratio within one part in 10^12 below a bound counts as on the bound, so that decimal
inputs exactly at a threshold (0.6 TBq of Am-241 is 10 D) land where the table says
despite binary floating point.

>>> result = categorize_sources([SourceItem("Co-60", activity_bq=555e12)])
>>> result.category, round(result.sum_a_over_d)
(1, 18500)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from nucsec.incidents.decay import HalfLives, decay_factor, elapsed_s, half_life_s, load_half_lives
from nucsec.incidents.errors import IncidentError
from nucsec.incidents.items import SourceItem
from nucsec.incidents.reference import ReferenceData, SourceBand, load_reference

__all__ = [
    "REL_TOL",
    "ItemAssessment",
    "SourceCategorization",
    "band_for",
    "categorize_sources",
]

#: relative tolerance for "on the bound" comparisons (floating-point representation only)
REL_TOL = 1e-12
TBQ = 1e12


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass(frozen=True)
class ItemAssessment:
    """One item: its activity on the date, D-value and A/D (``None`` if no D-value)."""

    item: SourceItem
    activity_at_date_bq: float
    d_value_tbq: float | None
    d_value_status: str
    a_over_d: float | None
    a_over_d_unc: float | None  # k=1
    category: int | None  # of the item alone

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (activities in TBq, uncertainties k=1)."""
        unc = self.item.activity_unc_bq
        factor = self.activity_at_date_bq / self.item.activity_bq if self.item.activity_bq else 1.0
        return {
            "nuclide": self.item.nuclide,
            "activity_tbq": self.item.activity_bq / TBQ,
            "activity_reference_date": _iso(self.item.reference_date),
            "activity_at_date_tbq": self.activity_at_date_bq / TBQ,
            "activity_uncertainty_tbq_k1": None if unc is None else unc * factor / TBQ,
            "d_value_tbq": self.d_value_tbq,
            "d_value_status": self.d_value_status,
            "a_over_d": self.a_over_d,
            "a_over_d_uncertainty_k1": self.a_over_d_unc,
            "category": self.category,
        }


@dataclass(frozen=True)
class SourceCategorization:
    """The aggregate: items, sum of A/D, category 1-5 or ``None``, and why."""

    date: date | None
    items: tuple[ItemAssessment, ...]
    sum_a_over_d: float | None
    sum_a_over_d_unc: float | None  # k=1
    category: int | None
    security_risk: str | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``nucsec categorize source --json`` shape."""
        return {
            "date": _iso(self.date),
            "items": [i.to_dict() for i in self.items],
            "sum_a_over_d": self.sum_a_over_d,
            "sum_a_over_d_uncertainty_k1": self.sum_a_over_d_unc,
            "category": self.category,
            "security_risk": self.security_risk,
            "reasons": list(self.reasons),
        }


def band_for(a_over_d: float, ref: ReferenceData | None = None) -> SourceBand:
    """The source-category band holding ``a_over_d`` (bounds per the table's flags)."""
    if not math.isfinite(a_over_d) or a_over_d < 0:
        raise IncidentError(f"A/D must be finite and >= 0, got {a_over_d}", field="a_over_d")
    x = a_over_d * (1.0 + REL_TOL)
    for band in (ref or load_reference()).source_bands:  # category 1 first
        if band.lo is None or x >= band.lo:
            return band
    raise AssertionError("unreachable: bands cover [0, inf)")  # pragma: no cover


def _assess(
    item: SourceItem, on: date | None, ref: ReferenceData, hl: HalfLives | None, reasons: list[str]
) -> ItemAssessment:
    activity = item.activity_bq
    row = ref.d_values.get(item.nuclide)
    nuclide = row.nuclide if row else item.nuclide.partition("/")[0]  # None: an element
    if item.reference_date is not None and on is not None and item.reference_date != on and nuclide:
        t_half = half_life_s(nuclide, hl or load_half_lives())
        factor = decay_factor(elapsed_s(item.reference_date, on), half_life_s=t_half)
        activity *= factor
        reasons.append(
            f"{item.nuclide}: {item.activity_bq / TBQ:.4g} TBq on {item.reference_date} decay-"
            f"corrected to {activity / TBQ:.4g} TBq on {on} (factor {factor:.4g}, half-life "
            f"{t_half / 86400 / 365.25:.4g} y, {(hl or load_half_lives()).dataset})"
        )
    elif item.reference_date is not None and on is None:
        raise IncidentError(
            f"{item.nuclide} has a reference date ({item.reference_date}): give the date to "
            "decay-correct to",
            field="date",
        )
    if row is None or row.d_value_tbq is None:
        status = row.status if row else "absent"
        return ItemAssessment(item, activity, None, status, None, None, None)
    a_over_d = activity / TBQ / row.d_value_tbq
    unc = item.activity_unc_bq
    factor = activity / item.activity_bq if item.activity_bq else 1.0
    a_unc = None if unc is None else unc * factor / TBQ / row.d_value_tbq
    if row.status != "confirmed":
        reasons.append(
            f"D-value of {item.nuclide} ({row.d_value_tbq:g} TBq) is {row.status}: {row.notes}"
        )
    return ItemAssessment(
        item,
        activity,
        row.d_value_tbq,
        row.status,
        a_over_d,
        a_unc,
        band_for(a_over_d, ref).category,
    )


def _unknown_reasons(unknown: Sequence[ItemAssessment], ref: ReferenceData) -> list[str]:
    out = []
    for a in unknown:
        row = ref.d_values.get(a.item.nuclide)
        why = (
            f"row {row.status} in the D-value table: {row.notes}"
            if row
            else "not in the D-value table"
        )
        out.append(f"category unknown: no D-value for {a.item.nuclide} ({why})")
    return out


def _uncertainty_reasons(total: float, unc: float, category: int, ref: ReferenceData) -> list[str]:
    lo, hi = max(total - 2 * unc, 0.0), total + 2 * unc
    others = sorted({band_for(lo, ref).category, band_for(hi, ref).category} - {category})
    if not others:
        return []
    names = " or ".join(str(c) for c in others)
    return [
        f"sum A/D {total:.4g} ± {2 * unc:.3g} (k=2) reaches Category {names}: "
        "the category depends on the measurement"
    ]


def categorize_sources(
    items: Sequence[SourceItem],
    *,
    on_date: date | None = None,
    ref: ReferenceData | None = None,
    half_lives: HalfLives | None = None,
) -> SourceCategorization:
    """Categorise sources held together, decay-corrected to ``on_date``.

    Parameters
    ----------
    items
        Sources held together (aggregated); at least one.
    on_date
        Date the category is asked for (the incident date); needed when an item has a
        reference date. Items without one are taken as measured on that date.
    ref, half_lives
        Reference tables and half-lives (default: the packaged ones).
    """
    if not items:
        raise IncidentError("no source items to categorise", field="items")
    ref = ref or load_reference()
    reasons: list[str] = []
    assessed = tuple(_assess(i, on_date, ref, half_lives, reasons) for i in items)
    unknown = [a for a in assessed if a.a_over_d is None]
    if unknown:
        reasons[:0] = _unknown_reasons(unknown, ref)
        return SourceCategorization(on_date, assessed, None, None, None, None, tuple(reasons))
    total = math.fsum(a.a_over_d for a in assessed if a.a_over_d is not None)
    uncs = [a.a_over_d_unc for a in assessed if a.a_over_d_unc is not None]
    unc = math.sqrt(math.fsum(u * u for u in uncs)) if uncs else None
    band = band_for(total, ref)
    bounds = " <= ".join(p for p in (f"{band.lo:g}" if band.lo is not None else "", "A/D") if p) + (
        f" < {band.hi:g}" if band.hi is not None else ""
    )
    reasons.insert(
        0,
        f"sum of A/D = {total:.6g} over {len(assessed)} item(s) held together: "
        f"Category {band.category} ({bounds}; {band.source_ids})",
    )
    if band.bounds_status != "confirmed":
        reasons.append(f"Category {band.category} bounds are {band.bounds_status}")
    if unc is not None:
        reasons += _uncertainty_reasons(total, unc, band.category, ref)
    return SourceCategorization(
        on_date, assessed, total, unc, band.category, band.risk, tuple(reasons)
    )
