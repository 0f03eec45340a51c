"""The gamma/x-ray line library shipped with nucsec (``nucsec/data/nucdata``).

A *source* is what an analyst names (``U-238``, ``Th-232``, ``Cs-137``): a parent nuclide
with the short-lived progeny that are in equilibrium with it, and the lines of all of them
per decay of the parent. See ``nucsec/data/nucdata/PROVENANCE.md`` for the derivation
(ENSDF via paceENSDF, chains and half-lives from radioactivedecay/ICRP-107).

>>> lib = load_library()
>>> cs = lib["Cs-137"]
>>> cs.category, round(max(l.intensity for l in cs.lines), 3)
('industrial', 0.851)
>>> sorted({l.emitter for l in lib["U-238"].lines})
['Pa-234m', 'Th-234', 'U-238']
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from nucsec.nuclides import canonical

__all__ = ["CATEGORIES", "Line", "Source", "load_library"]

CATEGORIES = ("SNM", "industrial", "medical", "NORM", "activation", "fission")


@dataclass(frozen=True)
class Line:
    """One photon line: energy, emission probability per decay of the source parent."""

    energy_kev: float
    intensity: float  # photons per decay of the source parent (fraction, not %)
    emitter: str
    kind: str  # gamma, xray or annihilation


@dataclass(frozen=True)
class Source:
    """A nameable source: parent nuclide plus progeny in equilibrium."""

    name: str
    category: str
    half_life_s: float
    prior: float  # how common (1 common ... 0.25 rare); raises the bar for rare sources
    members: tuple[str, ...]
    lines: tuple[Line, ...]


def _read(name: str) -> list[dict[str, str]]:
    text = (resources.files("nucsec") / "data" / "nucdata" / name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def load_library() -> dict[str, Source]:
    """All sources of the shipped library, by canonical name (cached)."""
    lines: dict[str, list[Line]] = {}
    for row in _read("lines.csv"):
        lines.setdefault(canonical(row["source"]), []).append(
            Line(
                energy_kev=float(row["energy_kev"]),
                intensity=float(row["intensity_pct"]) / 100.0,
                emitter=canonical(row["emitter"]),
                kind=row["kind"],
            )
        )
    out: dict[str, Source] = {}
    for row in _read("sources.csv"):
        name = canonical(row["source"])
        out[name] = Source(
            name=name,
            category=row["category"],
            half_life_s=float(row["half_life_s"]),
            prior=float(row["prior"]),
            members=tuple(canonical(m) for m in row["members"].split()),
            lines=tuple(sorted(lines.get(name, []), key=lambda ln: ln.energy_kev)),
        )
    return out
