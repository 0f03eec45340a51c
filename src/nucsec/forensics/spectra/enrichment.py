"""Uranium enrichment from a gamma spectrum.

Two methods:

``relative_efficiency`` (intrinsic, FRAM/InterSpec style, no calibration needed)
    Every U-235 and U-238-daughter peak gives ``ln(N_i / I_i) = ln A_iso + f(E_i)``, where
    ``A_iso`` is the activity of U-235 or of U-238 (Th-234 and Pa-234m are in secular
    equilibrium with it after a few months) and ``f`` is one relative-efficiency curve for
    both, ``f(E) = b1 x + b2 x^2`` with ``x = ln(E / 200 keV)``. A weighted least-squares fit
    gives ``ln(A_235 / A_238)`` and its variance; the atom ratio is the activity ratio times
    the half-life ratio. Lines below the uranium K edge (115.6 keV: Th-234 63.3 keV) are used
    only when no Pa-234m line is available, since self-absorption jumps at the edge.

``enrichment_meter`` (needs a calibration)
    For a sample thick at 185.7 keV, the 185.7 keV count rate is proportional to the
    enrichment: ``wt% = K x rate``, ``K`` measured on standards in the same geometry.

All uncertainties are standard uncertainties (k=1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["EnrichmentResult", "UraniumPeak", "enrichment_meter", "relative_efficiency_enrichment"]

T_U235_Y = 7.04e8  # half-lives (years), ICRP-107 as in radioactivedecay
T_U238_Y = 4.468e9
M_U235, M_U238 = 235.0439, 238.0508
U_K_EDGE_KEV = 115.6
#: relative standard uncertainty of the U-235/U-238 activity ratio from the efficiency-curve
#: model (a generic shape with one fitted slope): about the bias seen on simulated spectra
#: whose efficiency curve has a different shape (docs/spectra.md)
EFFICIENCY_MODEL_REL_UNC = 0.07

#: (energy keV, photons per decay of the parent isotope, isotope) used by the methods
U235_LINES = ((143.767, 0.1093), (163.356, 0.05074), (185.715, 0.572), (205.316, 0.05034))
U238_LINES = ((63.29, 0.03665), (258.227, 0.000764), (766.42, 0.003173), (1001.03, 0.008417))


@dataclass(frozen=True)
class UraniumPeak:
    energy_kev: float
    intensity: float  # photons per decay
    isotope: str  # "U-235" or "U-238"
    counts: float
    counts_unc: float


@dataclass(frozen=True)
class EnrichmentResult:
    u235_pct: float  # weight per cent U-235 in U (U-234 neglected)
    u_u235_pct: float  # standard uncertainty (k=1)
    method: str
    atom_pct: float | None = None
    limit: str | None = None  # None, "lower" or "upper" when only one isotope is seen
    lines_used: tuple[float, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "u235_pct": round(self.u235_pct, 4),
            "u_u235_pct": round(self.u_u235_pct, 4),
            "coverage": "k=1",
            "method": self.method,
            "atom_pct": None if self.atom_pct is None else round(self.atom_pct, 4),
            "limit": self.limit,
            "lines_used_kev": [round(e, 2) for e in self.lines_used],
            "note": self.note,
        }


def _weight_pct(atom_ratio: float) -> float:
    return 100.0 * M_U235 * atom_ratio / (M_U235 * atom_ratio + M_U238)


def relative_efficiency_enrichment(
    peaks: list[UraniumPeak],
    efficiency: Callable[[Any], Any] | None = None,
    slope_prior: float = 0.3,
) -> EnrichmentResult | None:
    """Enrichment from U-235 and U-238-daughter peaks with a shared efficiency curve.

    The curve is ``efficiency(E) x exp(b1 x)``, ``x = ln(E/200 keV)``: a generic detector
    shape corrected by a slope fitted to the data with a Gaussian prior of width
    ``slope_prior`` (the U-235 lines span only 144-205 keV, so the slope is mostly set by
    the U-238 daughter lines at 258-1001 keV).
    """
    usable = [p for p in peaks if p.counts > 0 and p.counts_unc > 0]
    has_pa = any(p.isotope == "U-238" and p.energy_kev > U_K_EDGE_KEV for p in usable)
    if has_pa:
        usable = [p for p in usable if p.energy_kev > U_K_EDGE_KEV]
    n235 = sum(p.isotope == "U-235" for p in usable)
    n238 = sum(p.isotope == "U-238" for p in usable)
    if n235 == 0 or n238 == 0:
        return None
    e = np.array([p.energy_kev for p in usable])
    eff = np.ones_like(e) if efficiency is None else np.asarray(efficiency(e), dtype=float)
    x = np.log(e / 200.0)
    y = np.log(np.array([p.counts / p.intensity for p in usable]) / eff)
    sy = np.array([p.counts_unc / p.counts for p in usable])
    is235 = np.array([p.isotope == "U-235" for p in usable], dtype=float)
    design = np.column_stack([is235, 1 - is235, x])
    w = 1.0 / sy
    a_mat = np.vstack([design * w[:, None], [0.0, 0.0, 1.0 / slope_prior]])
    b_vec = np.concatenate([y * w, [0.0]])
    sol, *_ = np.linalg.lstsq(a_mat, b_vec, rcond=None)
    cov = np.linalg.pinv(a_mat.T @ a_mat)
    dof = len(usable) - 2
    if dof > 0:
        chi2 = float(np.sum(((design @ sol - y) * w) ** 2)) / dof
        cov = cov * max(chi2, 1.0)
    log_ratio = float(sol[0] - sol[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]) + EFFICIENCY_MODEL_REL_UNC**2
    atom_ratio = math.exp(log_ratio) * T_U235_Y / T_U238_Y
    wt = _weight_pct(atom_ratio)
    u_wt = wt * (1 - wt / 100.0) * math.sqrt(max(var, 0.0))
    note = "" if has_pa else "Th-234 63.3 keV used: self-absorption below the U K edge ignored"
    return EnrichmentResult(
        u235_pct=wt,
        u_u235_pct=u_wt,
        method="relative_efficiency",
        atom_pct=100 * atom_ratio / (1 + atom_ratio),
        lines_used=tuple(p.energy_kev for p in usable),
        note=note,
    )


def enrichment_meter(
    rate_185_cps: float, rate_unc_cps: float, k_pct_per_cps: float, k_unc: float = 0.0
) -> EnrichmentResult:
    """Enrichment-meter method: ``wt% = K x (net 185.7 keV count rate)``, thick sample."""
    wt = k_pct_per_cps * rate_185_cps
    rel = math.hypot(
        rate_unc_cps / rate_185_cps if rate_185_cps else 0.0,
        k_unc / k_pct_per_cps if k_pct_per_cps else 0.0,
    )
    return EnrichmentResult(
        wt,
        abs(wt) * rel,
        "enrichment_meter",
        lines_used=(185.715,),
        note="valid only for samples infinitely thick at 185.7 keV "
        "measured in the calibration geometry",
    )
