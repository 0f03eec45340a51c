"""INFCIRC/225/Rev.5 Table 1: nuclear material Category I, II, III or below Category III.

Mass bounds and their inclusive/exclusive flags come from ``infcirc225_categories.csv``;
uranium is categorised by the mass of contained U-235 in its enrichment band, plutonium
by its mass (all Pu except > 80 % Pu-238), U-233 by its mass. Irradiated material
(> 1 Gy/h at 1 m) follows the "Irradiated fuel" row: depleted, natural, low-enriched
(< 10 %) uranium and thorium are Category II in any quantity; other fuel is reduced one
level from its unirradiated category (footnote e; the State may keep it higher).

>>> r = categorize_material(MaterialItem("U", mass_g=1500, enrichment_pct=93))
>>> r.category, r.fissile_mass_g, r.weapons_usable
('II', 1395.0, True)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from nucsec.incidents.items import MaterialItem
from nucsec.incidents.reference import (
    NATURAL_U235_WT_PCT,
    MaterialBand,
    ReferenceData,
    load_reference,
)

__all__ = ["MaterialCategorization", "categorize_material", "is_weapons_usable"]

_TABLE = "INFCIRC/225/Rev.5 Table 1"
_ROW = {"U": "Uranium-235", "Pu": "Plutonium", "U-233": "Uranium-233"}
_DOWN = {"I": "II", "II": "III", "III": "III"}
_REL_TOL = 1e-12


@dataclass(frozen=True)
class MaterialCategorization:
    """Category (``None``: below Category III, or unknown when ``known`` is false) and why."""

    item: MaterialItem
    fissile_mass_g: float | None
    fissile_mass_unc_g: float | None  # k=1
    category: str | None
    known: bool
    weapons_usable: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``nucsec categorize material --json`` shape."""
        i = self.item
        return {
            "material": i.material,
            "mass_g": i.mass_g,
            "enrichment_pct": i.enrichment_pct,
            "irradiated": i.irradiated,
            "fissile_mass_g": self.fissile_mass_g,
            "fissile_mass_uncertainty_g_k1": self.fissile_mass_unc_g,
            "category": self.category,
            "below_category_iii": (self.category is None) if self.known else None,
            "weapons_usable": self.weapons_usable,
            "reasons": list(self.reasons),
        }


def _cmp(x: float, bound: float) -> int:
    """-1, 0, 1 for x <, ==, > bound, equal within the relative tolerance."""
    if abs(x - bound) <= _REL_TOL * max(abs(bound), 1.0):
        return 0
    return -1 if x < bound else 1


def _within(x: float, lo: float | None, lo_inc: bool, hi: float | None, hi_inc: bool) -> bool:
    if lo is not None and _cmp(x, lo) < (0 if lo_inc else 1):
        return False
    return hi is None or _cmp(x, hi) <= (0 if hi_inc else -1)


def is_weapons_usable(item: MaterialItem) -> bool:
    """HEU (>= 20 % U-235), plutonium (except > 80 % Pu-238) or U-233."""
    if item.material == "U":
        return item.enrichment_pct is not None and _cmp(item.enrichment_pct, 20.0) >= 0
    if item.material == "Pu":
        return not (item.pu238_pct is not None and item.pu238_pct > 80.0)
    return item.material == "U-233"


def _fissile_mass(item: MaterialItem, mass_g: float, enr: float | None) -> float | None:
    if item.material == "U":
        return None if enr is None else mass_g * enr / 100.0
    return 0.0 if item.material == "Th" else mass_g


def _unirradiated(
    item: MaterialItem, fissile_g: float, enr: float | None, ref: ReferenceData
) -> tuple[str | None, MaterialBand | None]:
    """Category and matching row, before any irradiation rule."""
    if item.material == "Th" or (
        item.material == "U" and enr is not None and enr <= NATURAL_U235_WT_PCT
    ):
        return None, None
    if item.material == "Pu" and item.pu238_pct is not None and item.pu238_pct > 80.0:
        return None, None
    for band in ref.material_bands:
        if band.material != _ROW[item.material] or band.form != "unirradiated":
            continue
        if item.material == "U" and not _within(
            enr or 0.0, band.enrichment_lo_pct, band.enrichment_lo_inclusive,
            band.enrichment_hi_pct, band.enrichment_hi_inclusive,
        ):  # fmt: skip
            continue
        if _within(
            fissile_g, band.min_mass_g, band.min_inclusive, band.max_mass_g, band.max_inclusive
        ):
            return band.category, band
    return None, None


def _category(
    item: MaterialItem, mass_g: float, enr: float | None, ref: ReferenceData
) -> tuple[str | None, list[str]]:
    """Category of the item with this mass and enrichment, and the reasons."""
    fissile = _fissile_mass(item, mass_g, enr)
    if fissile is None:
        return None, []
    cat, band = _unirradiated(item, fissile, enr, ref)
    if band is not None:
        what = {"U": "U-235", "Pu": "plutonium", "U-233": "U-233"}[item.material]
        reasons = [
            f"{fissile:.6g} g of {what}, {band.enrichment_band}: '{band.table_text}' "
            f"-> Category {cat} ({_TABLE}; {band.source_ids})"
        ]
    else:
        reasons = [_below_reason(item, fissile, enr)]
    if not item.irradiated:
        return cat, reasons
    low_fissile = item.material == "Th" or (item.material == "U" and enr is not None and enr < 10.0)
    if low_fissile:
        row = next(b for b in ref.material_bands if b.material == "Irradiated fuel")
        return row.category, [
            *reasons,
            f"irradiated ({row.enrichment_band}): '{row.table_text}' -> Category {row.category} "
            f"(footnote d: the State may assign another category; {row.source_ids})",
        ]
    if cat is None:
        return None, reasons
    return _DOWN[cat], [
        *reasons,
        f"irradiated above 1 Gy/h at 1 m: reduced one level from {cat} to {_DOWN[cat]} while "
        "the radiation level lasts (footnote e; the State may keep it higher)",
    ]


def _below_reason(item: MaterialItem, fissile: float, enr: float | None) -> str:
    if item.material == "Th":
        return "thorium: below Category III, prudent management practice (footnote c)"
    if item.material == "U" and enr is not None and enr <= NATURAL_U235_WT_PCT:
        return (
            f"uranium at {enr:g} % U-235 (natural {NATURAL_U235_WT_PCT} % or less): below "
            "Category III, prudent management practice (footnote c)"
        )
    if item.material == "Pu" and item.pu238_pct is not None and item.pu238_pct > 80.0:
        return (
            f"plutonium with {item.pu238_pct:g} % Pu-238 (> 80 %) is outside the table (footnote a)"
        )
    what = {"Pu": "plutonium", "U-233": "U-233"}.get(item.material, f"U-235 (at {enr or 0:g} %)")
    return f"{fissile:.6g} g of {what}: below Category III ({_TABLE}, footnote c)"


def categorize_material(
    item: MaterialItem, ref: ReferenceData | None = None
) -> MaterialCategorization:
    """Categorise one nuclear material item per INFCIRC/225/Rev.5 Table 1.

    Uranium without enrichment has an unknown category (``known`` false). When the mass
    or enrichment uncertainty (k=2) reaches another category, a reason says so.
    """
    ref = ref or load_reference()
    usable = is_weapons_usable(item)
    if item.material == "U" and item.enrichment_pct is None:
        reason = "category unknown: uranium enrichment not given"
        return MaterialCategorization(item, None, None, None, False, usable, (reason,))
    cat, reasons = _category(item, item.mass_g, item.enrichment_pct, ref)
    fissile = _fissile_mass(item, item.mass_g, item.enrichment_pct)
    unc = _fissile_unc(item)
    if usable:
        reasons.append(f"weapons-usable material ({_usable_why(item)})")
    reasons += _uncertainty_reasons(item, cat, ref)
    return MaterialCategorization(item, fissile, unc, cat, True, usable, tuple(reasons))


def _usable_why(item: MaterialItem) -> str:
    if item.material == "U":
        return "HEU: 20 % U-235 or more"
    return "plutonium" if item.material == "Pu" else "U-233"


def _fissile_unc(item: MaterialItem) -> float | None:
    if item.material != "U" or item.enrichment_pct is None:
        return item.mass_unc_g if item.material != "Th" else None
    um, ue = item.mass_unc_g or 0.0, item.enrichment_unc_pct or 0.0
    if item.mass_unc_g is None and item.enrichment_unc_pct is None:
        return None
    return math.hypot(item.enrichment_pct / 100 * um, item.mass_g / 100 * ue)


def _uncertainty_reasons(item: MaterialItem, cat: str | None, ref: ReferenceData) -> list[str]:
    """Categories reached at the corners of mass ± 2u, enrichment ± 2u (k=2)."""
    um, ue = 2 * (item.mass_unc_g or 0.0), 2 * (item.enrichment_unc_pct or 0.0)
    if not um and not ue:
        return []
    enr = item.enrichment_pct
    masses = (max(item.mass_g - um, 0.0), item.mass_g + um)
    enrs = (None,) if enr is None else (max(enr - ue, 0.0), min(enr + ue, 100.0))
    reached = {_category(item, m, e, ref)[0] for m, e in itertools.product(masses, enrs)}
    others = sorted((c or "below III") for c in reached if c != cat)
    if not others:
        return []
    return [f"within the k=2 uncertainty the category could be {' or '.join(others)}"]
