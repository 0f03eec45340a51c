"""Facilities and what they hold; their INFCIRC/225 and source categories are computed.

A :class:`Facility` lists its holdings by area (items in one area are held together). Its
:class:`FacilityProfile` is **computed** with the incident register's categorisation
(:func:`~nucsec.incidents.material.categorize_material`,
:func:`~nucsec.incidents.categorize.categorize_sources`): categories are never typed in.

- Nuclear material: each item is categorised, and so is the sum of the items of one area
  that fall in the same row of INFCIRC/225/Rev.5 Table 1 (same material, same enrichment
  band, irradiated or not): many small items of HEU in one vault make a Category I area.
  Different materials are not added together (the table has no such rule).
- Sources: the sum of A/D over an area gives its IAEA category 1-5, and NSS 14 gives the
  default security level (1 -> A, 2 -> B, 3 -> C; 4 and 5: prudent management, no level).
- Unknown is not "none": uranium without an enrichment is taken as Category I, and sources
  without a D-value as level A, for deciding what applies (fail closed); the profile says so
  in ``assumed``.

>>> from nucsec.incidents.items import MaterialItem
>>> fac = Facility("F1", "Reactor", "Operator", "research_reactor", (
...     Holding("vault", (MaterialItem("U", mass_g=3000, enrichment_pct=93),
...                       MaterialItem("U", mass_g=3000, enrichment_pct=93))),))
>>> p = fac.profile()
>>> sorted(p.material_categories), p.highest
(['I'], 'cat:I')
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from nucsec.errors import InputError
from nucsec.incidents.categorize import categorize_sources
from nucsec.incidents.items import MaterialItem, SourceItem
from nucsec.incidents.material import categorize_material
from nucsec.incidents.reference import NATURAL_U235_WT_PCT, ReferenceData, load_reference
from nucsec.practices.errors import FacilityError
from nucsec.practices.vocabulary import ATTRACTIVENESS, FACILITY_TYPES, PURPOSES, read_data_csv

__all__ = [
    "SABOTAGE_TYPES",
    "AreaProfile",
    "Facility",
    "FacilityProfile",
    "Holding",
    "security_level_for",
]

#: facility types whose sabotage could have radiological consequences (our default)
SABOTAGE_TYPES = frozenset(
    {
        "power_reactor",
        "research_reactor",
        "reprocessing",
        "enrichment",
        "fuel_fabrication",
        "storage",
    }
)
_ORDER = {"I": 3, "II": 2, "III": 1}


@functools.lru_cache(maxsize=1)
def _levels() -> dict[int, str]:
    out: dict[int, str] = {}
    for row in read_data_csv("nss14_security_levels.csv"):
        if row["level"] in ("A", "B", "C"):
            for cat in row["default_source_categories"].split(";"):
                out[int(cat)] = row["level"]
    return out


def security_level_for(source_category: int) -> str | None:
    """NSS 14 default security level of a source category (``None``: prudent management)."""
    return _levels().get(source_category)


@dataclass(frozen=True)
class Holding:
    """Items held together in one area (a vault, a building, a source store)."""

    area: str
    items: tuple[MaterialItem | SourceItem, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.area, str) or not self.area.strip():
            raise FacilityError("an area needs a name", field="area", value=repr(self.area))
        object.__setattr__(self, "items", tuple(self.items))
        for i, item in enumerate(self.items):
            if not isinstance(item, MaterialItem | SourceItem):
                raise FacilityError(
                    "an item is nuclear material or a source", field=f"items[{i}]", value=repr(item)
                )


@dataclass(frozen=True)
class AreaProfile:
    """One area: its material category and source category, computed, with reasons."""

    area: str
    material_category: str | None
    source_category: int | None
    security_level: str | None
    weapons_usable: bool
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "material_category": self.material_category,
            "source_category": self.source_category,
            "security_level": self.security_level,
            "weapons_usable": self.weapons_usable,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class FacilityProfile:
    """What a facility holds, summarised, and the applicability tags that follow."""

    facility_id: str
    on_date: date | None
    areas: tuple[AreaProfile, ...]
    purposes: frozenset[str]
    facility_type: str
    assumed: tuple[str, ...] = ()
    tags: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        tags = {f"cat:{c}" for c in self.material_categories}
        tags |= {f"level:{lv}" for lv in self.security_levels}
        tags |= set(self.purposes) | {f"facility:{self.facility_type}"}
        object.__setattr__(self, "tags", frozenset(tags))

    @property
    def material_categories(self) -> frozenset[str]:
        return frozenset(a.material_category for a in self.areas if a.material_category)

    @property
    def source_categories(self) -> frozenset[int]:
        return frozenset(a.source_category for a in self.areas if a.source_category)

    @property
    def security_levels(self) -> frozenset[str]:
        return frozenset(a.security_level for a in self.areas if a.security_level)

    @property
    def highest(self) -> str | None:
        """The most attractive holding tag (``cat:I`` before ``level:A`` before ...)."""
        held = [t for t in self.tags if t in ATTRACTIVENESS]
        return max(held, key=ATTRACTIVENESS.__getitem__) if held else None

    @property
    def weapons_usable(self) -> bool:
        return any(a.weapons_usable for a in self.areas)

    def to_dict(self) -> dict[str, Any]:
        return {
            "facility": self.facility_id,
            "date": None if self.on_date is None else self.on_date.isoformat(),
            "material_categories": sorted(
                self.material_categories, key=_ORDER.__getitem__, reverse=True
            ),
            "source_categories": sorted(self.source_categories),
            "security_levels": sorted(self.security_levels),
            "purposes": sorted(self.purposes),
            "weapons_usable": self.weapons_usable,
            "highest": self.highest,
            "tags": sorted(self.tags),
            "areas": [a.to_dict() for a in self.areas],
            "assumed": list(self.assumed),
        }


@dataclass(frozen=True)
class Facility:
    """A facility: name, operator, type, holdings by area, declared extra purposes."""

    id: str
    name: str
    operator: str
    type: str
    holdings: tuple[Holding, ...] = ()
    activities: frozenset[str] = frozenset()
    nation: str = ""

    def __post_init__(self) -> None:
        for key in ("id", "name", "operator"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                raise FacilityError(f"{key} must be non-empty text", field=key, value=repr(value))
        if self.type not in FACILITY_TYPES:
            raise FacilityError(
                f"unknown facility type {self.type!r} (use {', '.join(FACILITY_TYPES)})",
                field="type",
                value=self.type,
            )
        object.__setattr__(self, "holdings", tuple(self.holdings))
        object.__setattr__(self, "activities", frozenset(self.activities))
        for a in sorted(self.activities):
            if a not in PURPOSES:
                raise FacilityError(
                    f"unknown activity {a!r} (use {', '.join(PURPOSES)})",
                    field="activities",
                    value=a,
                )
        areas = [h.area for h in self.holdings]
        for i, area in enumerate(areas):
            if areas.index(area) != i:
                raise FacilityError(
                    f"area {area!r} listed twice", field=f"holdings[{i}].area", value=area
                )

    def profile(
        self, on_date: date | None = None, ref: ReferenceData | None = None
    ) -> FacilityProfile:
        """Categories per area computed from the holdings (sources decay-corrected to
        ``on_date`` when an item has a reference date), purposes and tags."""
        ref = ref or load_reference()
        areas, assumed = [], []
        for i, holding in enumerate(self.holdings):
            try:
                area, why = _area(holding, on_date, ref)
            except InputError as exc:
                exc.field = f"holdings[{i}].{exc.field}" if exc.field else f"holdings[{i}]"
                raise
            areas.append(area)
            assumed += why
        purposes = set(self.activities)
        if self.holdings:
            purposes.add("theft")
        if self.type in SABOTAGE_TYPES:
            purposes.add("sabotage")
        if self.type == "transport_operator":
            purposes.add("transport")
        return FacilityProfile(
            self.id, on_date, tuple(areas), frozenset(purposes), self.type, tuple(assumed)
        )


def _u_band(enrichment_pct: float, ref: ReferenceData) -> str:
    if enrichment_pct <= NATURAL_U235_WT_PCT:
        return "natural or depleted"
    for band in ref.material_bands:
        lo, hi = band.enrichment_lo_pct, band.enrichment_hi_pct
        if band.material != "Uranium-235" or lo is None or hi is None:
            continue
        above = enrichment_pct > lo or (band.enrichment_lo_inclusive and enrichment_pct == lo)
        below = enrichment_pct < hi or (band.enrichment_hi_inclusive and enrichment_pct == hi)
        if above and below:
            return band.enrichment_band
    return "unknown"  # pragma: no cover - the bands cover (natural, 100]


def _groups(items: Iterable[MaterialItem], ref: ReferenceData) -> list[MaterialItem]:
    """Aggregates of two or more items in the same row of Table 1."""
    groups: dict[tuple[str, str, bool], list[MaterialItem]] = {}
    for m in items:
        if m.material == "U" and m.enrichment_pct is not None:
            key = ("U", _u_band(m.enrichment_pct, ref), m.irradiated)
        elif m.material in ("Pu", "U-233") and not (m.pu238_pct or 0) > 80.0:
            key = (m.material, "", m.irradiated)
        else:
            continue
        groups.setdefault(key, []).append(m)
    out = []
    for (material, _, irradiated), members in groups.items():
        if len(members) < 2:
            continue
        mass = sum(m.mass_g for m in members)
        enr = None
        if material == "U":
            fissile = sum(m.mass_g * (m.enrichment_pct or 0.0) / 100 for m in members)
            enr = min(100.0, fissile / mass * 100) if mass else 0.0
        out.append(
            MaterialItem(
                material,
                mass_g=mass,
                enrichment_pct=enr,
                irradiated=irradiated,
                description=f"{len(members)} items held together",
            )
        )
    return out


def _area(
    holding: Holding, on_date: date | None, ref: ReferenceData
) -> tuple[AreaProfile, list[str]]:
    materials = [i for i in holding.items if isinstance(i, MaterialItem)]
    sources = [i for i in holding.items if isinstance(i, SourceItem)]
    reasons: list[str] = []
    assumed: list[str] = []
    best: str | None = None
    usable = False
    for m in [*materials, *_groups(materials, ref)]:
        result = categorize_material(m, ref)
        usable |= result.weapons_usable
        reasons.append(f"{m.description or m.material}: " + "; ".join(result.reasons))
        cat = result.category
        if not result.known:
            cat = "I"
            assumed.append(f"{holding.area}: {result.reasons[0]}; Category I assumed")
        if cat and (best is None or _ORDER[cat] > _ORDER[best]):
            best = cat
    source_cat, level = None, None
    if sources:
        sc = categorize_sources(sources, on_date=on_date, ref=ref)
        reasons += sc.reasons
        source_cat = sc.category
        level = security_level_for(sc.category) if sc.category else "A"
        if sc.category is None:
            assumed.append(f"{holding.area}: {sc.reasons[0]}; security level A assumed")
    return AreaProfile(holding.area, best, source_cat, level, usable, tuple(reasons)), assumed
