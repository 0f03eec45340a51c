"""Plot data for the web UI (JSON-able) and a self-contained SVG, without plotting libraries.

:func:`plot_data` gives what an interactive plot needs (channel energies, counts, continuum,
fitted model, peaks and the lines of identified nuclides); :func:`plot_svg` draws the same
as a static SVG (log or linear counts, fitted regions, labelled peaks) through
:func:`nucsec.plots.spectrum_svg`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.result import SpectrumAnalysis
from nucsec.plots import spectrum_svg

__all__ = ["plot_data", "plot_svg"]


def _fit_curve(analysis: SpectrumAnalysis) -> FloatArray:
    fit = np.full(analysis.counts.size, np.nan)
    for roi in analysis.peakset.fits:
        fit[roi.lo : roi.hi] = roi.model
    return fit


def _binned(values: FloatArray, factor: int, how: str) -> FloatArray:
    if factor <= 1:
        return values
    n = values.size // factor * factor
    shaped = values[:n].reshape(-1, factor)
    out: FloatArray = shaped.sum(axis=1) if how == "sum" else shaped.mean(axis=1)
    return out


def _clean(values: FloatArray, digits: int = 3) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), digits) for v in values]


def plot_data(analysis: SpectrumAnalysis, max_points: int | None = None) -> dict[str, Any]:
    """JSON-able data for an interactive plot; ``max_points`` sums adjacent channels."""
    centers = analysis.calibration.centers_kev
    factor = 1 if not max_points or centers.size <= max_points else -(-centers.size // max_points)
    fit = _fit_curve(analysis)
    lines = [
        {
            "energy_kev": round(m.energy_kev, 3),
            "nuclide": n.name,
            "emitter": m.emitter,
            "intensity_pct": round(100 * m.intensity, 4),
            "matched": m.peak is not None,
        }
        for n in analysis.nuclides
        for m in n.matched + n.missing
    ]
    return {
        "x_label": "energy (keV)",
        "y_label": f"counts per {factor} channel{'s' if factor > 1 else ''}",
        "energy_kev": _clean(_binned(centers, factor, "mean")),
        "counts": _clean(_binned(analysis.counts, factor, "sum"), 2),
        "continuum": _clean(_binned(analysis.continuum, factor, "sum"), 2),
        "fit": _clean(_binned(fit, factor, "sum"), 2),
        "peaks": [
            {
                "energy_kev": round(p.energy_kev, 3),
                "net_counts": round(p.net_counts, 1),
                "fwhm_kev": round(p.fwhm_kev, 3),
                "label": p.label,
            }
            for p in analysis.peaks
        ],
        "lines": lines,
    }


def plot_svg(
    analysis: SpectrumAnalysis,
    *,
    log: bool = True,
    width: int = 1000,
    height: int = 420,
    title: str = "",
) -> str:
    """A standalone SVG of the spectrum, fitted regions and labelled peaks
    (drawn by :func:`nucsec.plots.spectrum_svg`, the one SVG path of web and reports)."""
    e = analysis.calibration.centers_kev
    factor = max(1, e.size // (width - 85))
    names = ", ".join(n.name for n in analysis.nuclides) or "no nuclide identified"
    heading = title or analysis.spectrum.title or "spectrum"
    return spectrum_svg(
        _binned(e, factor, "mean"),
        _binned(analysis.counts, factor, "sum"),
        fit=_binned(_fit_curve(analysis), factor, "sum"),
        lines=[(p.energy_kev, p.label) for p in analysis.peaks if p.label is not None],
        log=log,
        title=f"{heading}: {names}",
        width=width,
        height=height,
    )
