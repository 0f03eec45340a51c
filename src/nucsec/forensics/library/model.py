"""Value objects of the library: entries, samples, measured signatures, production history.

A :class:`Sample` is what an analyst measured on seized material; an :class:`Entry` is what a
library holds about a known material (a production line, a batch, a reference material):
signatures with their *within-source spread* (one mine or line varies from batch to batch),
the production history with dates, and optionally the individual *members* (batches) the
summary came from. All objects are frozen; ``to_dict`` gives the JSON shapes documented in
``docs/library.md`` (a sample: ``{"id", "material_type", "signatures": [...]}``; an entry:
the same signature items plus ``spread``). Parsing and validation live in
:mod:`nucsec.forensics.library.parse`.

>>> m = Measurement("n(235U)/n(238U)", 0.00725, u=1e-5, unit="mol/mol")
>>> m.to_dict(spread=False)
{'name': 'n(235U)/n(238U)', 'value': 0.00725, 'u': 1e-05, 'unit': 'mol/mol'}
>>> Measurement("w(Th)", None, below=0.5, unit="µg/g U").to_dict(spread=False)
{'name': 'w(Th)', 'below': 0.5, 'unit': 'µg/g U'}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

__all__ = [
    "Correlation",
    "Entry",
    "Measurement",
    "Member",
    "ProductionStep",
    "Sample",
    "decimal_year",
    "from_decimal_year",
]

Value = float | tuple[str, ...] | None
_DAYS_PER_YEAR = 365.2422  # as nucsec.forensics.chronometry: radioactivedecay's year


def decimal_year(day: date) -> float:
    """A date as a decimal year CE (``2000-07-02`` -> about 2000.5)."""
    start = date(day.year, 1, 1)
    length = (date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


def from_decimal_year(year: float) -> date:
    """The date of a decimal year CE (inverse of :func:`decimal_year`, to the day)."""
    whole = int(year // 1)
    start = date(whole, 1, 1)
    length = (date(whole + 1, 1, 1) - start).days
    return date.fromordinal(start.toordinal() + round((year - whole) * length))


@dataclass(frozen=True)
class Measurement:
    """One signature of a sample or an entry.

    ``value`` is a float (numeric signatures; dates as decimal years CE), a tuple of chemical
    form codes (categorical; an entry may allow several, a sample names one), or ``None``
    when the value is below a detection limit ``below``. ``u`` is the standard uncertainty
    (k=1) of the value; ``spread`` the within-source standard deviation (entries only).
    ``purification`` applies to a sample's ``model date``: ``incomplete`` makes it a bound.
    """

    name: str
    value: Value
    u: float = 0.0
    unit: str = ""
    below: float | None = None
    spread: float = 0.0
    method: str = ""
    laboratory: str = ""
    measured_on: date | None = None
    status: str = ""
    purification: Literal["complete", "incomplete"] = "complete"

    @property
    def is_below(self) -> bool:
        """True when only a detection limit is known."""
        return self.below is not None

    def to_dict(self, *, spread: bool = True) -> dict[str, Any]:
        """The JSON item: ``{"name", "value", "u", "unit"}`` or ``{"name", "below", "unit"}``.

        ``spread=True`` (an entry's shape) adds ``spread``; method, laboratory, date, status
        and purification appear only when set.
        """
        out: dict[str, Any] = {"name": self.name}
        if self.below is not None:
            out["below"] = self.below
        elif isinstance(self.value, tuple):
            out["value"] = self.value[0] if len(self.value) == 1 else list(self.value)
        else:
            out["value"] = self.value
            out["u"] = self.u
        if spread and not isinstance(self.value, tuple) and (self.below is None or self.spread):
            out["spread"] = self.spread
        out["unit"] = self.unit
        extras = {
            "method": self.method,
            "laboratory": self.laboratory,
            "date": self.measured_on.isoformat() if self.measured_on else "",
            "status": self.status,
        }
        out.update({k: v for k, v in extras.items() if v})
        if self.purification != "complete":
            out["purification"] = self.purification
        return out


@dataclass(frozen=True)
class ProductionStep:
    """A step of an entry's production history; ``None`` dates are open (unknown, ongoing)."""

    step: str
    site: str = ""
    start: date | None = None
    end: date | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"step", "site", "start", "end"}`` with ISO dates or ``None``."""
        return {
            "step": self.step,
            "site": self.site,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


@dataclass(frozen=True)
class Member:
    """One measured batch of an entry (values only, by signature name)."""

    id: str
    values: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "values": {name: value}}``."""
        return {"id": self.id, "values": dict(self.values)}


@dataclass(frozen=True)
class Correlation:
    """A within-source correlation coefficient between two signatures of an entry."""

    a: str
    b: str
    r: float

    def to_dict(self) -> dict[str, Any]:
        """``{"a", "b", "r"}``."""
        return {"a": self.a, "b": self.b, "r": self.r}


@dataclass(frozen=True)
class Sample:
    """A measured sample: ``material_type`` may be ``None`` (not known)."""

    id: str
    material_type: str | None
    signatures: tuple[Measurement, ...]

    def get(self, name: str) -> Measurement | None:
        """The measurement of a signature, or ``None``."""
        return next((m for m in self.signatures if m.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The sample JSON shape of issue 13."""
        return {
            "id": self.id,
            "material_type": self.material_type,
            "signatures": [m.to_dict(spread=False) for m in self.signatures],
        }


@dataclass(frozen=True)
class Entry:
    """A library entry: a known material and its signatures with within-source spread."""

    id: str
    material_type: str
    signatures: tuple[Measurement, ...]
    description: str = ""
    holder_agency: str = ""
    production_site: str = ""
    history: tuple[ProductionStep, ...] = ()
    members: tuple[Member, ...] = ()
    correlations: tuple[Correlation, ...] = ()
    provenance: str = ""

    def get(self, name: str) -> Measurement | None:
        """The entry's value of a signature, or ``None``."""
        return next((m for m in self.signatures if m.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The entry's "show" JSON: the sample shape plus ``spread`` and the entry's fields."""
        out: dict[str, Any] = {
            "id": self.id,
            "material_type": self.material_type,
            "description": self.description,
            "holder_agency": self.holder_agency,
            "production_site": self.production_site,
            "history": [s.to_dict() for s in self.history],
            "signatures": [m.to_dict(spread=True) for m in self.signatures],
        }
        if self.members:
            out["members"] = [m.to_dict() for m in self.members]
        if self.correlations:
            out["correlations"] = [c.to_dict() for c in self.correlations]
        if self.provenance:
            out["provenance"] = self.provenance
        return out
