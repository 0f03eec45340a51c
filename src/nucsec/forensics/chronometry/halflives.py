"""Versioned half-life data sets: NUBASE2020 (default), ICRP-107 and others.

Each set is one TOML file under ``nucsec/data/halflives/`` (see its ``PROVENANCE.md``).
Half-lives are held in years with a standard uncertainty (k=1); a source quoting 2-sigma
values is divided by 2 on load. Sets can be layered: ``"cheng2013+nubase2020"`` takes each
nuclide from the first set that has it.

>>> hl = load_half_life_set()
>>> hl.name, hl["Th-230"].half_life_y, hl["Th-230"].u_half_life_y
('nubase2020', 75400.0, 300.0)
>>> load_half_life_set("cheng2000+nubase2020")["Th-230"].source
'cheng2000'
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nucsec.forensics.chronometry.errors import HalfLifeDataError
from nucsec.nuclides import NuclideError, canonical

__all__ = [
    "DAYS_PER_YEAR",
    "DEFAULT_HALF_LIFE_SET",
    "HalfLife",
    "HalfLifeSet",
    "half_life_set_names",
    "load_half_life_set",
]

#: Days per year: the mean tropical year used by radioactivedecay (NUBASE uses the same, to
#: our knowledge; the choice moves a 50 y model date by under a day).
DAYS_PER_YEAR = 365.2422
DEFAULT_HALF_LIFE_SET = "nubase2020"
_UNIT_TO_YEARS = {"y": 1.0, "d": 1.0 / DAYS_PER_YEAR, "h": 1.0 / (24.0 * DAYS_PER_YEAR)}
#: Directory of the shipped sets (one TOML file per set).
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "halflives"


@dataclass(frozen=True)
class HalfLife:
    """One half-life: value and standard uncertainty (k=1) in years, and where it came from.

    ``u_half_life_y`` is ``None`` when the source gives no uncertainty.
    """

    nuclide: str
    half_life_y: float
    u_half_life_y: float | None
    source: str
    status: str = "verified"
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (uncertainty k=1)."""
        out: dict[str, Any] = {
            "half_life_y": self.half_life_y,
            "u_half_life_y": self.u_half_life_y,
            "coverage": "k=1",
            "source": self.source,
            "status": self.status,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class HalfLifeSet:
    """A named, versioned set of half-lives and branching fractions."""

    name: str
    version: str
    half_lives: Mapping[str, HalfLife]
    branching: Mapping[tuple[str, str], float] = field(default_factory=dict)
    citation: str = ""
    status: str = "verified"

    def __getitem__(self, nuclide: str) -> HalfLife:
        key = canonical(nuclide)
        try:
            return self.half_lives[key]
        except KeyError:
            raise HalfLifeDataError(
                f"half-life set {self.name!r} has no half-life for {key}; "
                f"it covers {', '.join(sorted(self.half_lives))}",
                field="half_lives",
                value=key,
            ) from None

    def __contains__(self, nuclide: object) -> bool:
        return isinstance(nuclide, str) and canonical(nuclide) in self.half_lives

    def branching_fraction(self, parent: str, daughter: str) -> float:
        """Fraction of ``parent`` decays feeding ``daughter`` (1 unless the set says less)."""
        return self.branching.get((canonical(parent), canonical(daughter)), 1.0)

    def over(self, fallback: HalfLifeSet) -> HalfLifeSet:
        """This set layered over ``fallback``: our values first, then the fallback's."""
        merged = {**fallback.half_lives, **self.half_lives}
        branching = {**fallback.branching, **self.branching}
        status = "unverified" if "unverified" in (self.status, fallback.status) else "verified"
        return HalfLifeSet(
            name=f"{self.name}+{fallback.name}",
            version=f"{self.version} + {fallback.version}",
            half_lives=merged,
            branching=branching,
            citation=f"{self.citation}; {fallback.citation}",
            status=status,
        )


def half_life_set_names() -> list[str]:
    """Names of the shipped half-life sets."""
    return sorted(p.stem for p in DATA_DIR.glob("*.toml"))


def load_half_life_set(name: str = DEFAULT_HALF_LIFE_SET) -> HalfLifeSet:
    """Load a shipped half-life set by name (``"nubase2020"``, ``"icrp107"``, ...).

    ``"a+b"`` layers set ``a`` over set ``b``. Raises :class:`HalfLifeDataError` for an
    unknown name.
    """
    if not isinstance(name, str) or not name.strip():
        raise HalfLifeDataError("a half-life set name is required", field="half_lives", value=name)
    parts = [p.strip().lower() for p in name.split("+")]
    result = _load_one(parts[-1])
    for part in reversed(parts[:-1]):
        result = _load_one(part).over(result)
    return result


@functools.lru_cache(maxsize=32)
def _load_one(name: str) -> HalfLifeSet:
    known = half_life_set_names()
    if name not in known:
        raise HalfLifeDataError(
            f"unknown half-life set {name!r}; known sets: {', '.join(known)}",
            field="half_lives",
            value=name,
        )
    text = (DATA_DIR / f"{name}.toml").read_text(encoding="utf-8")
    return _parse_set(tomllib.loads(text))


def _parse_set(raw: Mapping[str, Any]) -> HalfLifeSet:
    name = str(raw["name"])
    entries: dict[str, HalfLife] = {}
    for row in raw.get("half_life", []):
        entry = _parse_row(row, name)
        entries[entry.nuclide] = entry
    branching = {
        (canonical(b["parent"]), canonical(b["daughter"])): float(b["fraction"])
        for b in raw.get("branching", [])
    }
    return HalfLifeSet(
        name=name,
        version=str(raw["version"]),
        half_lives=entries,
        branching=branching,
        citation=str(raw.get("citation", "")),
        status=str(raw.get("status", "verified")),
    )


def _parse_row(row: Mapping[str, Any], set_name: str) -> HalfLife:
    try:
        nuclide = canonical(str(row["nuclide"]))
        scale = _UNIT_TO_YEARS[str(row["unit"])]
    except (KeyError, NuclideError) as exc:
        raise HalfLifeDataError(
            f"bad row in half-life set {set_name!r}: {row!r}", field="half_lives", value=set_name
        ) from exc
    value_y = float(row["value"]) * scale
    u_y: float | None = None
    if "uncertainty" in row:
        u_y = float(row["uncertainty"]) * scale / float(row.get("coverage_k", 1))
    return HalfLife(
        nuclide=nuclide,
        half_life_y=value_y,
        u_half_life_y=u_y,
        source=set_name,
        status=str(row.get("status", "verified")),
        note=str(row.get("note", "")),
    )
