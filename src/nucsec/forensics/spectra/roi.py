"""From a spectrum to fitted peaks: search, group candidates into regions, fit each region."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from nucsec.forensics.spectra.fitting import FittedPeak, RoiFit, RoiSpec, fit_rois
from nucsec.forensics.spectra.model import EnergyCalibration, FloatArray
from nucsec.forensics.spectra.peaks import Candidate, estimate_continuum, search_peaks
from nucsec.forensics.spectra.resolution import Resolution

__all__ = ["PeakSet", "find_peaks", "fwhm_channels"]

MAX_PEAKS_PER_ROI = 6
MAX_STRONG_FITS = 12
#: a multiplet region whose fit has a reduced chi-square above this, and kept no peak for a
#: search candidate of at least this significance, is refitted split in two (``_split_failed``)
SPLIT_POOR_CHI2 = 5.0
SPLIT_CANDIDATE_SIGNIFICANCE = 10.0


@dataclass(frozen=True)
class PeakSet:
    """Fitted peaks (significant ones) and every region fit, for plots and limits."""

    peaks: tuple[FittedPeak, ...]
    fits: tuple[RoiFit, ...]
    significance: FloatArray


def fwhm_channels(cal: EnergyCalibration, resolution: Resolution) -> FloatArray:
    """Expected FWHM in channels at every channel (read-only: computed once per calibration
    and resolution, an analysis asks for it several times)."""
    memo: dict[Resolution, FloatArray] = cal.__dict__.setdefault("_fwhm_channels", {})
    if resolution not in memo:
        centers = cal.centers_kev
        out: FloatArray = resolution.fwhm_kev(np.maximum(centers, 1.0)) / np.diff(cal.edges_kev)
        out.setflags(write=False)
        memo[resolution] = out
    return memo[resolution]


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


def _spec(
    group: list[Candidate], n: int, strong_for_width: float, only_strong: bool
) -> RoiSpec | None:
    """The region fitted for one group of candidates (None: too narrow, or weak when only
    strong regions are wanted)."""
    w_lo, w_hi = group[0].fwhm_ch, group[-1].fwhm_ch
    lo = int(max(0, np.floor(group[0].x - 2.0 * w_lo - 2)))
    hi = int(min(n, np.ceil(group[-1].x + 2.0 * w_hi + 2)))
    if hi - lo < 6:
        return None
    best = max(c.significance for c in group)
    strong = best >= strong_for_width
    if only_strong and not strong:
        return None
    return RoiSpec(
        lo,
        hi,
        tuple(c.x for c in group),
        tuple(c.fwhm_ch / 2.3548 for c in group),
        free_width=strong,
        quadratic=(hi - lo) > 12 * w_hi,
        max_iter=40 if best >= 10 else 8,
    )


def _lost(group: list[Candidate], fit: RoiFit, min_significance: float) -> bool:
    """A clear search candidate that the region's fit kept no peak for."""
    for c in group:
        if c.significance < SPLIT_CANDIDATE_SIGNIFICANCE:
            continue
        near = [p for p in fit.peaks if abs(p.x - c.x) < 0.5 * c.fwhm_ch]
        if not any(p.area > 0 and p.significance >= min_significance for p in near):
            return True
    return False


def _split_failed(
    counts: FloatArray,
    groups: list[list[Candidate]],
    fits: list[RoiFit],
    limits: tuple[int, float, float],
    variance: FloatArray | None,
    baseline: FloatArray | None,
) -> list[RoiFit]:
    """Refit, split at its widest gap, a multiplet region whose fit is poor and lost a
    clear candidate; the parts replace it when together they fit better than the whole
    (reduced chi-square averaged over their channels).

    A wide region (candidates chained at up to 2.2 FWHM) spans a continuum that the
    estimate plus a low-order polynomial cannot follow (Compton edges under broad
    low-resolution peaks): its fit can give every peak to the continuum.
    """
    n, strong_for_width, min_significance = limits
    out: list[RoiFit] = []
    for group, fit in zip(groups, fits, strict=True):
        out.append(fit)
        if (
            len(group) < 2
            or fit.reduced_chi2 <= SPLIT_POOR_CHI2
            or not _lost(group, fit, min_significance)
        ):
            continue
        gaps = [b.x - a.x for a, b in itertools.pairwise(group)]
        cut = int(np.argmax(gaps)) + 1
        parts = [group[:cut], group[cut:]]
        specs = [_spec(g, n, strong_for_width, False) for g in parts]
        if any(s is None for s in specs):
            continue
        refits = fit_rois(
            counts, [s for s in specs if s is not None], variance=variance, baseline=baseline
        )
        # over the channels of the parts (the overlap counted twice: against the split)
        width = [f.hi - f.lo for f in refits]
        if (
            sum(f.reduced_chi2 * w for f, w in zip(refits, width, strict=True))
            < sum(width) * fit.reduced_chi2
        ):
            out[-1:] = refits
    return out


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
    groups = _group(cands, n)
    if only_strong:  # the strongest regions are enough to measure the resolution
        groups = sorted(groups, key=lambda g: -max(c.significance for c in g))[:MAX_STRONG_FITS]
    kept = [
        (g, spec)
        for g in groups
        if (spec := _spec(g, n, strong_for_width, only_strong)) is not None
    ]
    fits = fit_rois(counts, [spec for _, spec in kept], variance=variance, baseline=baseline)
    fits = _split_failed(
        counts, [g for g, _ in kept], fits, (n, strong_for_width, min_significance),
        variance, baseline,
    )  # fmt: skip
    peaks = [
        p
        for fit in fits
        for p in fit.peaks
        if fit.lo + 0.5 <= p.x <= fit.hi - 0.5 and p.area > 0 and p.significance >= min_significance
    ]
    return PeakSet(tuple(peaks), tuple(fits), signif)
