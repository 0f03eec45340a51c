"""Activity from net peak areas and a full-energy-peak efficiency curve (point geometry).

``A = N / (t_live x eff(E) x I)`` per line; lines of one source are combined by an
inverse-variance weighted mean. The efficiency is interpolated linearly in log-log between
the points the user gives (and extrapolated with the end slopes). No true-coincidence
summing or self-attenuation correction: state the geometry with the result.

>>> eff = Efficiency.from_points([(100, 0.05), (1000, 0.01)], rel_unc=0.05)
>>> round(float(eff(316.2)), 4)
0.0224
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from nucsec.forensics.spectra.model import FloatArray, SpectrumError

__all__ = ["ActivityResult", "Efficiency", "activity_from_lines"]


@dataclass(frozen=True)
class Efficiency:
    """Full-energy-peak efficiency (counts per emitted photon) vs energy."""

    energy_kev: FloatArray
    efficiency: FloatArray
    rel_unc: float = 0.05  # relative standard uncertainty (k=1) of the curve

    @classmethod
    def from_points(
        cls, points: Iterable[tuple[float, float]], rel_unc: float = 0.05
    ) -> Efficiency:
        pts = sorted((float(e), float(v)) for e, v in points)
        if len(pts) < 1 or any(e <= 0 or v <= 0 or not math.isfinite(v) for e, v in pts):
            raise SpectrumError(
                "efficiency points need positive energies and efficiencies", field="efficiency"
            )
        if not 0 <= rel_unc < 1:
            raise SpectrumError(
                "relative uncertainty must be in [0, 1)", field="efficiency", value=rel_unc
            )
        e = np.array([p[0] for p in pts])
        v = np.array([p[1] for p in pts])
        return cls(e, v, rel_unc)

    def __call__(self, energy_kev: float) -> float:
        le, lv = np.log(self.energy_kev), np.log(self.efficiency)
        x = math.log(energy_kev)
        if le.size == 1:
            return float(self.efficiency[0])
        if x < le[0]:
            slope = (lv[1] - lv[0]) / (le[1] - le[0])
            return float(math.exp(lv[0] + slope * (x - le[0])))
        if x > le[-1]:
            slope = (lv[-1] - lv[-2]) / (le[-1] - le[-2])
            return float(math.exp(lv[-1] + slope * (x - le[-1])))
        return float(math.exp(np.interp(x, le, lv)))


@dataclass(frozen=True)
class ActivityResult:
    activity_bq: float
    activity_unc_bq: float  # k=1
    lines_used: tuple[float, ...]


def activity_from_lines(
    lines: Iterable[tuple[float, float, float, float]], live_time_s: float, eff: Efficiency
) -> ActivityResult | None:
    """Combine ``(energy_kev, intensity, net_counts, net_unc)`` lines into one activity."""
    if live_time_s <= 0:
        return None
    values, variances, used = [], [], []
    for energy, intensity, counts, unc in lines:
        if counts <= 0 or intensity <= 0:
            continue
        e = eff(energy)
        a = counts / (live_time_s * e * intensity)
        rel = math.hypot(unc / counts, eff.rel_unc)
        values.append(a)
        variances.append((a * rel) ** 2)
        used.append(energy)
    if not values:
        return None
    w = 1.0 / np.asarray(variances)
    mean = float(np.sum(w * np.asarray(values)) / np.sum(w))
    # the efficiency uncertainty is common to all lines: do not let averaging shrink it
    stat = math.sqrt(1.0 / float(np.sum(w)))
    unc = max(stat, mean * eff.rel_unc)
    return ActivityResult(mean, unc, tuple(used))
