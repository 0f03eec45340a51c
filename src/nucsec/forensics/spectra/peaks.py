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

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.model import FloatArray

__all__ = ["Candidate", "estimate_continuum", "search_peaks"]


@dataclass(frozen=True)
class Candidate:
    """A peak candidate from the search: channel coordinate and search significance."""

    x: float
    significance: float
    fwhm_ch: float


def estimate_continuum(counts: FloatArray, fwhm_ch: FloatArray, windows: float = 2.0) -> FloatArray:
    """SNIP continuum of ``counts`` with a per-channel window of ``windows`` x FWHM."""
    y = np.maximum(counts, 0.0)
    v = np.log(np.log(np.sqrt(y + 1.0) + 1.0) + 1.0)
    n = v.size
    width = np.clip(np.round(windows * fwhm_ch).astype(np.int64), 1, max(1, n // 4))
    p_max = int(width.max())
    idx = np.arange(n)
    for p in range(p_max, 0, -1):  # decreasing windows: the classic clipping order
        active = (width >= p) & (idx >= p) & (idx < n - p)
        if not active.any():
            continue
        lo, hi = idx[active] - p, idx[active] + p
        mean = 0.5 * (v[lo] + v[hi])
        v[active] = np.minimum(v[active], mean)
    back = (np.exp(np.exp(v) - 1.0) - 1.0) ** 2 - 1.0
    return np.minimum(np.maximum(back, 0.0), y)


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
    bands: list[tuple[int, int, float]] = []
    for lo, hi in itertools.pairwise(cuts.tolist()):
        if bands and (hi - lo < 16 or bands[-1][1] - bands[-1][0] < 16):
            lo = bands.pop()[0]
        bands.append((int(lo), int(hi), float(np.median(fwhm_ch[lo:hi]))))
    return bands


def _separated(
    idx: npt.NDArray[np.int64], signif: FloatArray, fwhm_ch: FloatArray, min_separation: float
) -> npt.NDArray[np.int64]:
    keep: list[int] = []
    for i in sorted(idx.tolist(), key=lambda j: -signif[j]):
        if all(abs(i - k) >= min_separation * fwhm_ch[i] for k in keep):
            keep.append(i)
    return np.array(sorted(keep), dtype=np.int64)


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
    out: list[Candidate] = []
    for i in peaks:
        # parabolic interpolation of the maximum, in channel coordinates (centre = i + 0.5)
        y0, y1, y2 = signif[i - 1], signif[i], signif[i + 1]
        den = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / den if den < 0 else 0.0
        out.append(
            Candidate(float(i + 0.5 + np.clip(shift, -0.5, 0.5)), float(y1), float(fwhm_ch[i]))
        )
    return out, signif
