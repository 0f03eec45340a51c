"""IAEA reference tables shipped with nucsec: D-values, source categories, INFCIRC/225 Table 1.

The CSV files under ``nucsec/data/iaea/`` are copies of the working group's shared data
(see ``PROVENANCE.md`` there). Rows keep their ``status`` (``confirmed``, ``derived``,
``unverified``); callers carry it into their ``reasons``. A nuclide whose row has no value
has ``d_value_tbq is None``: its category is unknown, never guessed.

>>> ref = load_reference()
>>> ref.d_value("co60").d_value_tbq, ref.d_value("Am-241/Be").nuclide
(0.03, 'Am-241')
>>> [b.category for b in ref.source_bands]
[1, 2, 3, 4, 5]
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import math
import re
from dataclasses import dataclass
from importlib import resources

from nucsec.errors import FileFormatError
from nucsec.nuclides import ELEMENTS, NuclideError, atomic_number, canonical

__all__ = [
    "NATURAL_U235_WT_PCT",
    "DValue",
    "MaterialBand",
    "ReferenceData",
    "SourceBand",
    "load_reference",
    "source_key",
]

#: U-235 mass fraction of natural uranium, % (0.7204 atom %); "above natural" means more.
NATURAL_U235_WT_PCT = 0.711

_DATA = "nucsec.data.iaea"


@dataclass(frozen=True)
class DValue:
    """One row of the D-value table."""

    key: str  # what items name: "Co-60", "Am-241/Be", "Sr-90", "U"
    table_name: str  # spelling in the source table: "Sr-90 (Y-90)"
    nuclide: str | None  # nuclide whose half-life governs decay; None for an element
    d_value_tbq: float | None
    status: str  # confirmed | derived | unverified
    source_ids: str
    notes: str


@dataclass(frozen=True)
class SourceBand:
    """A source category: ``lo <= A/D < hi`` (``None`` = unbounded)."""

    category: int
    lo: float | None
    hi: float | None
    risk: str
    example: str
    bounds_status: str
    source_ids: str


@dataclass(frozen=True)
class MaterialBand:
    """One row of INFCIRC/225/Rev.5 Table 1 with numeric enrichment bounds."""

    material: str  # Plutonium | Uranium-235 | Uranium-233 | Irradiated fuel
    form: str
    enrichment_band: str
    category: str  # I | II | III
    min_mass_g: float | None
    min_inclusive: bool
    max_mass_g: float | None
    max_inclusive: bool
    table_text: str
    footnotes: str
    source_ids: str
    enrichment_lo_pct: float | None  # U-235 wt % bounds of the band (U rows only)
    enrichment_lo_inclusive: bool
    enrichment_hi_pct: float | None
    enrichment_hi_inclusive: bool


@dataclass(frozen=True)
class ReferenceData:
    """All IAEA tables the categorisation needs, plus the source list."""

    d_values: dict[str, DValue]
    source_bands: tuple[SourceBand, ...]
    material_bands: tuple[MaterialBand, ...]
    sources: dict[str, str]  # source_id -> description

    def d_value(self, name: str) -> DValue | None:
        """The D-value row for an item name in any spelling, or ``None`` if not tabulated."""
        return self.d_values.get(source_key(name))


# Enrichment band text of the table -> (lo, lo_inclusive, hi, hi_inclusive), U-235 wt %.
_BANDS: dict[str, tuple[float | None, bool, float | None, bool]] = {
    "enriched to 20% U-235 or more": (20.0, True, 100.0, True),
    "enriched to 10% U-235 but less than 20%": (10.0, True, 20.0, False),
    "enriched above natural but less than 10% U-235": (NATURAL_U235_WT_PCT, False, 10.0, False),
    "all Pu except >80% Pu-238": (None, False, None, False),
    "any": (None, False, None, False),
    "depleted or natural uranium, thorium or low enriched fuel (less than 10% fissile content)": (
        None,
        False,
        10.0,
        False,
    ),
}

_PAREN = re.compile(r"\s*\(.*\)\s*$")


def source_key(name: str) -> str:
    """Canonical key of a source name: ``"am241/be" -> "Am-241/Be"``, ``"Sr-90 (Y-90)" -> "Sr-90"``.

    Raises
    ------
    NuclideError
        If the nuclide part is not a nuclide name (an element alone, ``"U"``, is kept).
    """
    base = _PAREN.sub("", name.strip()) if isinstance(name, str) else ""
    head, _, suffix = base.partition("/")
    if suffix:
        try:
            suffix = canonical_element(suffix)
        except NuclideError:
            raise NuclideError(
                f"not a source name: {name!r}", field="nuclide", value=name
            ) from None
        return f"{canonical(head)}/{suffix}"
    if head.strip().isalpha():
        return canonical_element(head)
    return canonical(head)


def canonical_element(symbol: str) -> str:
    """``"be" -> "Be"``; :class:`NuclideError` if not an element."""
    return ELEMENTS[atomic_number(symbol)]


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _float(text: str, where: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise FileFormatError(f"{where}: not a number {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise FileFormatError(f"{where}: bad value {text!r}")
    return value


def _bool(text: str, where: str) -> bool:
    if text in {"True", ""}:
        return text == "True"
    if text == "False":
        return False
    raise FileFormatError(f"{where}: not True/False: {text!r}")


def _d_values() -> dict[str, DValue]:
    out: dict[str, DValue] = {}
    for row in _read("d_values.csv"):
        name = row["radionuclide"]
        key = source_key(name)
        nuclide = None if key.isalpha() else key.partition("/")[0]
        d = _float(row["d_value_tbq"], f"d_values.csv {name}")
        if key in out:
            raise FileFormatError(f"d_values.csv: {name!r} duplicates {out[key].table_name!r}")
        if (d is None) != (row["status"] == "unverified"):
            raise FileFormatError(f"d_values.csv {name}: status {row['status']!r} vs value {d}")
        out[key] = DValue(key, name, nuclide, d, row["status"], row["source_ids"], row["notes"])
    return out


def _source_bands() -> tuple[SourceBand, ...]:
    bands = []
    for row in _read("source_categories.csv"):
        where = f"source_categories.csv category {row['category']}"
        bands.append(
            SourceBand(
                int(row["category"]),
                _float(row["a_over_d_min_inclusive"], where),
                _float(row["a_over_d_max_exclusive"], where),
                row["security_risk_level"],
                row["example_from_source"],
                row["bounds_status"],
                row["source_ids"],
            )
        )
    bands.sort(key=lambda b: b.category)
    # contiguous, covering [0, inf): each band starts where the next (lower) one ends
    for upper, lower in itertools.pairwise(bands):
        if upper.lo is None or upper.lo != lower.hi:
            raise FileFormatError("source_categories.csv: bands are not contiguous")
    if bands[0].hi is not None or bands[-1].lo is not None:
        raise FileFormatError("source_categories.csv: bands do not cover all A/D")
    return tuple(bands)


def _material_bands() -> tuple[MaterialBand, ...]:
    out = []
    for row in _read("infcirc225_categories.csv"):
        where = f"infcirc225_categories.csv {row['material']} {row['category']}"
        band = row["enrichment_band"]
        if band not in _BANDS:
            raise FileFormatError(f"{where}: unknown enrichment band {band!r}")
        lo, lo_inc, hi, hi_inc = _BANDS[band]
        out.append(
            MaterialBand(
                row["material"],
                row["form"],
                band,
                row["category"],
                _float(row["min_mass_g"], where),
                _bool(row["min_inclusive"], where),
                _float(row["max_mass_g"], where),
                _bool(row["max_inclusive"], where),
                row["table_text"],
                row["footnotes"],
                row["source_ids"],
                lo,
                lo_inc,
                hi,
                hi_inc,
            )
        )
    return tuple(out)


@functools.lru_cache(maxsize=1)
def load_reference() -> ReferenceData:
    """Load (once) the packaged IAEA tables; :class:`FileFormatError` if one is corrupt."""
    sources = {r["source_id"]: r["description"] for r in _read("sources.csv")}
    return ReferenceData(_d_values(), _source_bands(), _material_bands(), sources)
