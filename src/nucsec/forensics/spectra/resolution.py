"""Detector energy resolution: FWHM as a function of energy, per detector family.

The model is ``FWHM(E)**2 = a + b*E + c*E**2`` (keV): electronic noise, charge/photon
statistics, and a term proportional to energy for scintillator non-proportionality. Each
family has a default; :func:`refine` fits the coefficients to the widths of the peaks of
the spectrum itself.

>>> round(float(default_resolution("HPGe").fwhm_kev(1332.5)), 2)
1.9
>>> round(float(default_resolution("NaI").fwhm_kev(661.7) / 661.7), 2)
0.07
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nucsec.forensics.spectra.model import DETECTOR_TYPES, SpectrumError

__all__ = [
    "Resolution",
    "classify_resolution",
    "closest_family",
    "default_resolution",
    "refine",
]


@dataclass(frozen=True)
class Resolution:
    """``FWHM(E)**2 = a + b*E + c*E**2``, energies in keV."""

    detector_type: str
    a: float
    b: float
    c: float
    source: str = "default"  # "default" or "fitted"

    def fwhm_kev(self, energy_kev: Any) -> Any:
        e = np.maximum(np.asarray(energy_kev, dtype=np.float64), 1.0)
        return np.sqrt(np.maximum(self.a + self.b * e + self.c * e * e, 1e-6))

    def relative_at_662(self) -> float:
        return float(self.fwhm_kev(661.657) / 661.657)

    def scaled(self, factor: float) -> Resolution:
        f2 = factor * factor
        return Resolution(self.detector_type, self.a * f2, self.b * f2, self.c * f2, self.source)

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector_type": self.detector_type,
            "model": "fwhm_kev**2 = a + b*E + c*E**2",
            "a": self.a,
            "b": self.b,
            "c": self.c,
            "source": self.source,
            "fwhm_kev_at_662": float(self.fwhm_kev(661.657)),
        }


# Typical values: HPGe coaxial 1.9 keV at 1332 keV; NaI(Tl) 7 % at 662 keV; LaBr3 3 %;
# CsI(Tl) small crystals (RadiaCode class) 8.5 %; CZT 2.5 %.
_DEFAULTS: dict[str, tuple[float, float, float]] = {
    "HPGe": (0.36, 0.00244, 0.0),
    "NaI": (0.0, 2.508, 0.001039),
    "LaBr3": (1.0, 0.59, 0.0),
    "CsI": (0.0, 3.71, 0.00154),
    "CZT": (9.0, 0.40, 0.0),
}
_DEFAULTS["unknown"] = _DEFAULTS["NaI"]

# relative FWHM at 662 keV separating the families (geometric midpoints of the defaults)
_CLASS_EDGES = ((0.012, "HPGe"), (0.027, "CZT"), (0.045, "LaBr3"), (0.078, "NaI"))


def default_resolution(detector_type: str) -> Resolution:
    """The default resolution of a detector family (see :data:`DETECTOR_TYPES`)."""
    if detector_type not in DETECTOR_TYPES:
        raise SpectrumError(
            f"unknown detector type {detector_type!r}; use one of {', '.join(DETECTOR_TYPES)}",
            field="detector",
            value=detector_type,
        )
    a, b, c = _DEFAULTS[detector_type]
    return Resolution(detector_type, a, b, c)


def classify_resolution(relative_fwhm_662: float) -> str:
    """Detector family whose typical resolution is closest to a measured one."""
    for edge, family in _CLASS_EDGES:
        if relative_fwhm_662 < edge:
            return family
    return "CsI"


def closest_family(energies_kev: Any, fwhms_kev: Any, weights: Any) -> str:
    """The detector family whose default resolution model is closest to measured widths.

    Each family's ``FWHM(E)`` is compared with the widths at their own energies (weighted
    mean of the log ratios); the smallest absolute mean wins. Unlike a ``sqrt(E)``
    extrapolation to 662 keV, this follows each family's energy dependence (the
    non-proportionality term of NaI and CsI makes a 2.6 MeV line much wider than ``sqrt(E)``
    scaling of their 662 keV width says).
    """
    e = np.asarray(energies_kev, dtype=np.float64)
    f = np.asarray(fwhms_kev, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    best, best_dev = "NaI", np.inf
    for family in ("HPGe", "CZT", "LaBr3", "NaI", "CsI"):
        dev = abs(float(np.average(np.log(f / default_resolution(family).fwhm_kev(e)), weights=w)))
        if dev < best_dev:
            best, best_dev = family, dev
    return best


def refine(base: Resolution, energies_kev: Any, fwhms_kev: Any, weights: Any) -> Resolution:
    """Fit the resolution model to measured peak widths (weighted, robust to outliers).

    With fewer than three usable peaks only a common scale factor of the default is fitted.
    """
    e = np.asarray(energies_kev, dtype=np.float64)
    f = np.asarray(fwhms_kev, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(e) & np.isfinite(f) & (f > 0) & (w > 0)
    e, f, w = e[ok], f[ok], w[ok]
    if e.size == 0:
        return base
    ratio = f / base.fwhm_kev(e)
    scale = float(np.exp(np.average(np.log(ratio), weights=w)))
    fitted = base.scaled(scale)
    if e.size >= 3 and (e.max() / max(e.min(), 1.0)) > 2.0:
        for _ in range(2):  # two passes: drop peaks far from the first fit (multiplets)
            design = np.column_stack([np.ones_like(e), e] if base.c == 0 else [e, e * e])
            sol, *_ = np.linalg.lstsq(design * w[:, None], f * f * w, rcond=None)
            coef = (
                (float(sol[0]), float(sol[1]), 0.0)
                if base.c == 0
                else (0.0, float(sol[0]), float(sol[1]))
            )
            trial = Resolution(base.detector_type, *coef, source="fitted")
            if np.any(trial.a + trial.b * e + trial.c * e * e <= 0) or min(coef) < 0:
                break
            fitted = trial
            resid = np.abs(np.log(f / fitted.fwhm_kev(e)))
            keep = resid < 0.35
            if keep.all() or keep.sum() < 3:
                break
            e, f, w = e[keep], f[keep], w[keep]
    return Resolution(base.detector_type, fitted.a, fitted.b, fitted.c, "fitted")
