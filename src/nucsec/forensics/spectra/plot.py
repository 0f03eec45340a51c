"""Plot data for the web UI (JSON-able) and a self-contained SVG, without plotting libraries.

:func:`plot_data` gives what an interactive plot needs (channel energies, counts, continuum,
fitted model, peaks and the lines of identified nuclides); :func:`plot_svg` draws the same
as a static SVG (log or linear counts, fitted regions, labelled peaks).
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np

from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.result import SpectrumAnalysis

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


def _scale(values: FloatArray, log: bool) -> FloatArray:
    v = np.where(np.isfinite(values), values, np.nan)
    out: FloatArray = np.log10(np.maximum(v, 0.5)) if log else v
    return out


def _polyline(xs: FloatArray, ys: FloatArray, color: str, width: float) -> str:
    ok = np.isfinite(xs) & np.isfinite(ys)
    parts, run = [], []
    for x, y, good in zip(xs, ys, ok, strict=True):
        if good:
            run.append(f"{x:.1f},{y:.1f}")
        elif run:
            parts.append(run)
            run = []
    if run:
        parts.append(run)
    return "".join(
        f'<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{" ".join(r)}"/>'
        for r in parts
        if len(r) > 1
    )


def plot_svg(
    analysis: SpectrumAnalysis,
    *,
    log: bool = True,
    width: int = 1000,
    height: int = 420,
    title: str = "",
) -> str:
    """A standalone SVG of the spectrum, fitted regions and labelled peaks."""
    left, right, top, bottom = 60, 15, 30, 40
    pw, ph = width - left - right, height - top - bottom
    e = analysis.calibration.centers_kev
    factor = max(1, e.size // pw)
    x_e = _binned(e, factor, "mean")
    y_c = _scale(_binned(analysis.counts, factor, "sum"), log)
    y_f = _scale(_binned(_fit_curve(analysis), factor, "sum"), log)
    lo_e, hi_e = float(x_e[0]), float(x_e[-1])
    finite = y_c[np.isfinite(y_c)]
    y_lo = float(min(finite.min(), 0.0)) if finite.size else 0.0
    y_hi = float(finite.max()) if finite.size else 1.0
    y_hi = y_hi if y_hi > y_lo else y_lo + 1

    def sx(v: Any) -> Any:
        return left + (np.asarray(v) - lo_e) / max(hi_e - lo_e, 1e-9) * pw

    def sy(v: Any) -> Any:
        return top + ph - (np.asarray(v) - y_lo) / (y_hi - y_lo) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="white" stroke="#888"/>',
        _polyline(sx(x_e), sy(y_c), "#1f4e9c", 1.0),
        _polyline(sx(x_e), sy(y_f), "#d1495b", 1.2),
    ]
    for tick in np.linspace(lo_e, hi_e, 7):
        out.append(
            f'<text x="{float(sx(tick)):.1f}" y="{height - bottom + 15}" '
            f'text-anchor="middle">{tick:.0f}</text>'
        )
    out.append(
        f'<text x="{left + pw / 2}" y="{height - 5}" text-anchor="middle">energy (keV)</text>'
    )
    out.append(
        f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" '
        f'text-anchor="middle">{"log10 counts" if log else "counts"}</text>'
    )
    for p in analysis.peaks:
        if p.label is None:
            continue
        x = float(sx(p.energy_kev))
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" '
            'stroke="#2a9d8f" stroke-dasharray="2,3" stroke-width="0.7"/>'
        )
        out.append(
            f'<text x="{x + 2:.1f}" y="{top + 10}" font-size="9" fill="#2a9d8f" '
            f'transform="rotate(90 {x + 2:.1f} {top + 10})">{escape(p.label)}</text>'
        )
    names = ", ".join(n.name for n in analysis.nuclides) or "no nuclide identified"
    heading = escape(title or analysis.spectrum.title or "spectrum")
    out.append(f'<text x="{left}" y="18" font-size="13">{heading}: {escape(names)}</text>')
    out.append("</svg>")
    return "\n".join(out)
