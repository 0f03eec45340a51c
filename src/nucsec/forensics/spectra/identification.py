"""What identification reports: observed peaks in, identified sources with their matched and
missing lines out (value objects shared by :mod:`identify` and its rule modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fn", "Identification", "LineMatch", "ObservedPeak"]

Fn = Callable[[Any], Any]


@dataclass(frozen=True)
class ObservedPeak:
    energy_kev: float
    energy_unc_kev: float
    area: float
    area_unc: float
    fwhm_kev: float
    excluded: bool = False  # explained by an effect (backscatter...): never a line match


@dataclass(frozen=True)
class LineMatch:
    """One (merged) line of a source and what the spectrum says about it."""

    energy_kev: float
    intensity: float
    emitter: str
    kind: str
    expected_counts: float
    ld_counts: float
    peak: int | None = None  # index into the observed peaks
    note: str = ""

    def to_dict(self, peaks: list[ObservedPeak]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "energy_kev": round(self.energy_kev, 3),
            "emitter": self.emitter,
            "intensity_pct": round(100 * self.intensity, 4),
            "kind": self.kind,
            "expected_counts": round(self.expected_counts, 1),
            "ld_counts": round(self.ld_counts, 1),
        }
        if self.peak is not None:
            out["peak_energy_kev"] = round(peaks[self.peak].energy_kev, 3)
            out["net_counts"] = round(peaks[self.peak].area, 1)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Identification:
    name: str
    category: str
    confidence: float
    score: float
    matched: tuple[LineMatch, ...]
    missing: tuple[LineMatch, ...]
    scale: float  # counts per (photon per decay x relative efficiency)
    explanation: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
