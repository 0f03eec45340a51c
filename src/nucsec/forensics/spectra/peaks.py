"""Continuum estimate and peak search, O(N) in the number of channels.

The search is a smoothed second derivative (the negative second derivative of a Gaussian
whose width follows the detector resolution), a matched filter for a Gaussian peak on a
linear continuum. Its output divided by its own standard deviation is a significance per
channel; local maxima above a threshold are peak candidates. The spectrum is cut into a
few bands of nearly constant width in channels, each filtered with its own kernel.

The continuum is estimated with the SNIP algorithm (Ryan et al., NIM B 34 (1988) 396;
Morhac, NIM A 401 (1997) 113) on log-log-sqrt transformed counts with a window of about
two FWHM per channel.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra._kernels import snip_clip
from nucsec.forensics.spectra.model import FloatArray

__all__ = ["Candidate", "ContinuumMemo", "estimate_continuum", "search_peaks"]


@dataclass(frozen=True)
class Candidate:
    """A peak candidate from the search: channel coordinate and search significance."""

    x: float
    significance: float
    fwhm_ch: float


def estimate_continuum(counts: FloatArray, fwhm_ch: FloatArray, windows: float = 2.0) -> FloatArray:
    """SNIP continuum of ``counts`` with a per-channel window of ``windows`` x FWHM."""
    return _snip(counts, _snip_width(fwhm_ch, windows, counts.size))


class ContinuumMemo:
    """SNIP continua of one set of counts, computed once per distinct set of windows
    (calibrations that differ by a fraction of a channel give the same windows)."""

    def __init__(self, counts: FloatArray, windows: float = 2.0) -> None:
        self.counts = counts
        self.windows = windows
        self._memo: dict[bytes, FloatArray] = {}

    def __call__(self, fwhm_ch: FloatArray) -> FloatArray:
        width = _snip_width(fwhm_ch, self.windows, self.counts.size)
        key = width.tobytes()
        if key not in self._memo:
            self._memo[key] = _snip(self.counts, width)
        return self._memo[key]


def _snip_width(fwhm_ch: FloatArray, windows: float, n: int) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = np.clip(
        np.round(windows * fwhm_ch).astype(np.int64), 1, max(1, n // 4)
    )
    return out


def _snip(counts: FloatArray, width: npt.NDArray[np.int64], compiled: bool = True) -> FloatArray:
    """SNIP continuum with a window per channel. ``compiled``: the clipping passes in the
    numba kernel :func:`~._kernels.snip_clip` (the same numbers); ``False``: the NumPy loop
    below, the reference it is tested against."""
    y = np.maximum(counts, 0.0)
    v = np.log(np.log(np.sqrt(y + 1.0) + 1.0) + 1.0)
    n = v.size
    # channels whose window reaches p lie between the first and the last with width >= p
    first = np.searchsorted(np.maximum.accumulate(width), np.arange(width.max() + 1))
    last = n - np.searchsorted(np.maximum.accumulate(width[::-1]), np.arange(width.max() + 1))
    if compiled:
        snip_clip(v, np.ascontiguousarray(width), first, last)
    else:
        for p in range(int(width.max()), 0, -1):  # decreasing windows: the classic order
            lo, hi = max(int(first[p]), p), min(int(last[p]), n - p)
            if lo >= hi:
                continue
            seg = v[lo:hi]
            clipped = np.minimum(seg, 0.5 * (v[lo - p : hi - p] + v[lo + p : hi + p]))
            v[lo:hi] = np.where(width[lo:hi] >= p, clipped, seg)
    back = (np.exp(np.exp(v) - 1.0) - 1.0) ** 2 - 1.0
    out: FloatArray = np.minimum(np.maximum(back, 0.0), y)
    return out


def _kernel(sigma_ch: float) -> FloatArray:
    half = max(2, int(np.ceil(3.0 * sigma_ch)))
    t = np.arange(-half, half + 1, dtype=np.float64)
    g = (1.0 - (t / sigma_ch) ** 2) * np.exp(-0.5 * (t / sigma_ch) ** 2)
    g -= g.mean()  # zero response to a constant and (by symmetry) to a linear continuum
    out: FloatArray = g / np.abs(g).sum()
    return out


def _bands(fwhm_ch: FloatArray, ratio: float = 1.25) -> list[tuple[int, int, float]]:
    """Split channels into runs whose FWHM lies within one factor-``ratio`` bin."""
    level = np.floor(np.log(fwhm_ch) / np.log(ratio)).astype(np.int64)
    cuts = np.concatenate([[0], np.nonzero(np.diff(level))[0] + 1, [fwhm_ch.size]])
    # merge very short runs (noisy widths) into their neighbour
    runs: list[tuple[int, int]] = []
    for lo, hi in itertools.pairwise(cuts.tolist()):
        if runs and (hi - lo < 16 or runs[-1][1] - runs[-1][0] < 16):
            lo = runs.pop()[0]
        runs.append((int(lo), int(hi)))
    return [(lo, hi, float(np.median(fwhm_ch[lo:hi]))) for lo, hi in runs]


def _separated(
    idx: npt.NDArray[np.int64], signif: FloatArray, fwhm_ch: FloatArray, min_separation: float
) -> npt.NDArray[np.int64]:
    """Maxima in decreasing significance, each kept when no kept one is closer than
    ``min_separation`` FWHM (its nearest kept neighbours, found by bisection)."""
    keep: list[int] = []
    for i in sorted(idx.tolist(), key=lambda j: -signif[j]):
        at = bisect.bisect_left(keep, i)
        reach = min_separation * fwhm_ch[i]
        if (at == 0 or i - keep[at - 1] >= reach) and (at == len(keep) or keep[at] - i >= reach):
            keep.insert(at, i)
    return np.array(keep, dtype=np.int64)


def search_peaks(
    counts: FloatArray,
    fwhm_ch: FloatArray,
    *,
    variance: FloatArray | None = None,
    threshold: float = 3.0,
    start_channel: int = 0,
    min_separation: float = 0.9,
) -> tuple[list[Candidate], FloatArray]:
    """Find peak candidates.

    Parameters
    ----------
    counts : ndarray
        Counts per channel (may be background-subtracted).
    fwhm_ch : ndarray
        Expected FWHM in channels at each channel.
    variance : ndarray, optional
        Variance per channel; the counts themselves (Poisson) by default.
    threshold : float
        Minimum significance (filter output over its standard deviation).
    start_channel : int
        Channels below this are ignored (noise, threshold region).
    min_separation : float
        Maxima closer than this many FWHM to a more significant one are dropped (the
        second derivative cannot separate them reliably; the fit would split one peak).

    Returns
    -------
    candidates : list of Candidate
    significance : ndarray
        The significance per channel, for diagnostics and plots.
    """
    var = np.maximum(counts if variance is None else variance, 1.0)
    n = counts.size
    signif = np.zeros(n)
    for lo, hi, fwhm in _bands(np.maximum(fwhm_ch, 1.0)):
        sigma = max(fwhm / 2.3548, 0.6)
        k = _kernel(sigma)
        m = k.size // 2
        a, b = max(0, lo - m), min(n, hi + m)
        resp = np.convolve(counts[a:b], k, mode="same")
        sd = np.sqrt(np.convolve(var[a:b], k * k, mode="same"))
        signif[lo:hi] = (resp / sd)[lo - a : hi - a]
    signif[: max(start_channel, 1)] = 0.0
    signif[-2:] = 0.0
    is_max = (
        (signif[1:-1] > signif[:-2]) & (signif[1:-1] >= signif[2:]) & (signif[1:-1] > threshold)
    )
    peaks = _separated(np.nonzero(is_max)[0] + 1, signif, fwhm_ch, min_separation)
    # parabolic interpolation of each maximum, in channel coordinates (centre = i + 0.5)
    y0, y1, y2 = signif[peaks - 1], signif[peaks], signif[peaks + 1]
    den = y0 - 2 * y1 + y2
    shift = np.where(den < 0, 0.5 * (y0 - y2) / np.where(den < 0, den, -1.0), 0.0)
    x = peaks + 0.5 + np.clip(shift, -0.5, 0.5)
    out = [
        Candidate(a, b, c)
        for a, b, c in zip(x.tolist(), y1.tolist(), fwhm_ch[peaks].tolist(), strict=True)
    ]
    return out, signif
