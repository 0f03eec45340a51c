"""Chondrite-normalised rare-earth patterns (the REE "fingerprint" of a uranium ore).

Normalising values are CI chondrite mass fractions in ppm from three published sets, copied
with their provenance into ``nucsec/data/library/chondrite_ree.csv``: ``CI_MS95`` (McDonough &
Sun 1995, the default), ``C1_SM89`` (Sun & McDonough 1989) and ``CI_PO14`` (Palme & O'Neill
2014). A pattern records which set it used. Normalising divides by a constant, so it moves
every REE by a fixed amount in log space: comparisons use the measured mass fractions, the
pattern is for people and plots.

The library's REE signatures are mass fractions relative to uranium (``w(La)`` in µg/g U), as
uranium ore concentrates are reported; the pattern is therefore a shape (relative
abundances), not a rock's absolute enrichment over chondrite.

>>> p = ree_pattern({"w(La)": 2.37, "w(Lu)": 0.0246})
>>> p.reference_set, [(el, round(v, 3)) for el, v in p.normalised]
('CI_MS95', [('La', 10.0), ('Lu', 1.0)])
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from nucsec.forensics.library.errors import LibraryError

__all__ = [
    "DEFAULT_CHONDRITE_SET",
    "REE_ELEMENTS",
    "ReePattern",
    "chondrite_ppm",
    "ree_pattern",
]

#: the fourteen lanthanides with a stable or long-lived isotope (no Pm), in atomic order
REE_ELEMENTS: tuple[str, ...] = (
    "La",
    "Ce",
    "Pr",
    "Nd",
    "Sm",
    "Eu",
    "Gd",
    "Tb",
    "Dy",
    "Ho",
    "Er",
    "Tm",
    "Yb",
    "Lu",
)
DEFAULT_CHONDRITE_SET = "CI_MS95"


@functools.cache
def _table() -> dict[str, dict[str, float]]:
    text = resources.files("nucsec.data.library").joinpath("chondrite_ree.csv")
    sets: dict[str, dict[str, float]] = {}
    for row in csv.DictReader(io.StringIO(text.read_text(encoding="utf-8"))):
        if row["unit"] != "ppm":
            raise LibraryError("chondrite_ree.csv: unit must be ppm", field="unit")
        sets.setdefault(row["reference_set"], {})[row["element"]] = float(row["value"])
    return sets


def chondrite_ppm(reference_set: str = DEFAULT_CHONDRITE_SET) -> dict[str, float]:
    """Normalising values (ppm) of one reference set: element -> value."""
    table = _table()
    if reference_set not in table:
        raise LibraryError(
            f"unknown chondrite set {reference_set!r}; one of {sorted(table)}",
            field="reference_set",
            value=reference_set,
        )
    return dict(table[reference_set])


@dataclass(frozen=True)
class ReePattern:
    """A chondrite-normalised pattern: ``(element, value / chondrite)`` in atomic order."""

    reference_set: str
    normalised: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: ``{"reference_set": ..., "pattern": {"La": 10.0, ...}}``."""
        return {"reference_set": self.reference_set, "pattern": dict(self.normalised)}


def ree_pattern(
    values: Mapping[str, float], reference_set: str = DEFAULT_CHONDRITE_SET
) -> ReePattern:
    """The chondrite-normalised pattern of the REE among ``values`` (``w(La)`` or ``La`` keys).

    Elements without a value are left out (a pattern with gaps is normal).
    """
    chondrite = chondrite_ppm(reference_set)
    by_element = {k[2:-1] if k.startswith("w(") else k: v for k, v in values.items()}
    pattern = tuple(
        (el, float(by_element[el]) / chondrite[el]) for el in REE_ELEMENTS if el in by_element
    )
    return ReePattern(reference_set, pattern)
