"""From a spectrum to fitted peaks: search, group candidates into regions, fit each region."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nucsec.forensics.spectra.fitting import FittedPeak, RoiFit, RoiSpec, fit_rois
from nucsec.forensics.spectra.model import EnergyCalibration, FloatArray
from nucsec.forensics.spectra.peaks import Candidate, estimate_continuum, search_peaks
from nucsec.forensics.spectra.resolution import Resolution

__all__ = ["PeakSet", "find_peaks", "fwhm_channels"]

MAX_PEAKS_PER_ROI = 6
MAX_STRONG_FITS = 12


@dataclass(frozen=True)
class PeakSet:
    """Fitted peaks (significant ones) and every region fit, for plots and limits."""

    peaks: tuple[FittedPeak, ...]
    fits: tuple[RoiFit, ...]
    significance: FloatArray


def fwhm_channels(cal: EnergyCalibration, resolution: Resolution) -> FloatArray:
    """Expected FWHM in channels at every channel."""
    centers = cal.centers_kev
    out: FloatArray = resolution.fwhm_kev(np.maximum(centers, 1.0)) / np.diff(cal.edges_kev)
    return out


def _group(cands: list[Candidate], n: int) -> list[list[Candidate]]:
    groups: list[list[Candidate]] = []
    for c in sorted(cands, key=lambda c: c.x):
        if groups:
            last = groups[-1][-1]
            close = c.x - last.x < 2.2 * max(c.fwhm_ch, last.fwhm_ch) + 2
            if close and len(groups[-1]) < MAX_PEAKS_PER_ROI:
                groups[-1].append(c)
                continue
        groups.append([c])
    return groups


def find_peaks(
    counts: FloatArray,
    cal: EnergyCalibration,
    resolution: Resolution,
    *,
    variance: FloatArray | None = None,
    threshold: float = 3.0,
    min_significance: float = 3.0,
    start_channel: int = 0,
    strong_for_width: float = 20.0,
    only_strong: bool = False,
    baseline: FloatArray | None = None,
) -> PeakSet:
    """Search and fit all peaks; keep those whose fitted area is ``min_significance`` sigma.

    Regions whose strongest candidate reaches ``strong_for_width`` are fitted with a free
    width; ``only_strong`` fits only those (enough to measure the resolution, and fast).
    """
    n = counts.size
    fwhm_ch = fwhm_channels(cal, resolution)
    cands, signif = search_peaks(
        counts, fwhm_ch, variance=variance, threshold=threshold, start_channel=start_channel
    )
    if baseline is None:
        baseline = estimate_continuum(counts, fwhm_ch)
    specs: list[RoiSpec] = []
    groups = _group(cands, n)
    if only_strong:  # the strongest regions are enough to measure the resolution
        groups = sorted(groups, key=lambda g: -max(c.significance for c in g))[:MAX_STRONG_FITS]
    for group in groups:
        w_lo, w_hi = group[0].fwhm_ch, group[-1].fwhm_ch
        lo = int(max(0, np.floor(group[0].x - 2.0 * w_lo - 2)))
        hi = int(min(n, np.ceil(group[-1].x + 2.0 * w_hi + 2)))
        if hi - lo < 6:
            continue
        best = max(c.significance for c in group)
        strong = best >= strong_for_width
        if only_strong and not strong:
            continue
        specs.append(
            RoiSpec(
                lo,
                hi,
                tuple(c.x for c in group),
                tuple(c.fwhm_ch / 2.3548 for c in group),
                free_width=strong,
                quadratic=(hi - lo) > 12 * w_hi,
                max_iter=40 if best >= 10 else 8,
            )
        )
    fits = fit_rois(counts, specs, variance=variance, baseline=baseline)
    peaks = [
        p
        for fit in fits
        for p in fit.peaks
        if fit.lo + 0.5 <= p.x <= fit.hi - 0.5 and p.area > 0 and p.significance >= min_significance
    ]
    return PeakSet(tuple(peaks), tuple(fits), signif)
