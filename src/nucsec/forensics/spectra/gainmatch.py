"""Gain matching of the records of one file before they are summed.

The detectors of a portal (or the records of a list-mode series) each carry their own
energy calibration, and these disagree by a fraction of a keV to a few keV: rebinning each
record by its stored calibration and summing smears every peak. Here each record is aligned
on the peaks it shares with the sum of the *other* records (so no single detector is the
reference): the matched-filter significance of both (the smoothed second derivative of
:func:`~nucsec.forensics.spectra.peaks.search_peaks`) is cross-correlated in a few energy
segments, each segment giving a shift at its peak-weighted energy; the piecewise-linear
curve through these shifts is the record's energy correction (the stored calibrations of
one portal disagree non-linearly: by up to 1.4 keV near 600 keV and 0.4 keV at 2.6 MeV),
held constant beyond the outer segments.
Counts are then moved onto the common channel edges by counts-conserving rebinning.

Pure functions: no I/O.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from nucsec.forensics.spectra.model import EnergyCalibration, FloatArray, Spectrum, rebin

__all__ = ["GainMatch", "gain_match"]

SEGMENTS = 12  # energy segments, each giving one shift estimate
MIN_TEMPLATE_SIGNIFICANCE = 4.0  # reference channels that count as peak (matched filter)
MIN_SEGMENT_SIGNIFICANCE = 5.0  # correlation maximum over its noise, to trust a segment
MAX_SHIFT_FWHM = 2.0  # largest shift searched, in FWHM at the segment's energy


@dataclass(frozen=True)
class GainMatch:
    """The energy correction of one record, tabulated at ``energies_kev`` (within the
    energies of the segments that fixed it), linear between them and constant beyond
    (no correction: empty)."""

    energies_kev: tuple[float, ...]
    corrections_kev: tuple[float, ...]

    @property
    def segments(self) -> int:
        return len(self.energies_kev)

    def correction_kev(self, energy_kev: FloatArray) -> FloatArray:
        if not self.energies_kev:
            return np.zeros_like(energy_kev)
        out: FloatArray = np.interp(energy_kev, self.energies_kev, self.corrections_kev)
        return out

    def correct(self, calibration: EnergyCalibration) -> EnergyCalibration:
        """The calibration with the correction applied (unchanged if that would not be
        increasing)."""
        edges = calibration.edges_kev
        new = edges + self.correction_kev(edges)
        if not np.all(np.diff(new) > 0):
            return calibration
        return EnergyCalibration(calibration.kind, calibration.coefficients, new)

    def max_shift_kev(self) -> float:
        return float(np.max(np.abs(self.corrections_kev), initial=0.0))


def _significance(counts: FloatArray, fwhm_ch: FloatArray) -> FloatArray:
    from nucsec.forensics.spectra.peaks import search_peaks

    _, signif = search_peaks(counts, fwhm_ch, threshold=np.inf)
    return signif


def _fwhm_ch(spectrum: Spectrum, detector_type: str) -> FloatArray:
    from nucsec.forensics.spectra.resolution import default_resolution

    cal = spectrum.calibration
    res = default_resolution(detector_type if detector_type != "unknown" else "NaI")
    widths = np.maximum(np.diff(cal.edges_kev), 1e-9)
    out: FloatArray = np.maximum(res.fwhm_kev(cal.centers_kev) / widths, 1.0)
    return out


def _segment_shift(template: FloatArray, signif: FloatArray, max_lag: int) -> float | None:
    """Channel shift of ``signif`` against ``template`` (cross-correlation maximum, parabolic
    refinement), or ``None`` when the maximum is not significant."""
    n = template.size
    lags = np.arange(-max_lag, max_lag + 1)
    corr = np.empty(lags.size)
    for j, k in enumerate(lags.tolist()):
        lo, hi = max(0, -k), n - max(0, k)
        corr[j] = float(np.dot(template[lo:hi], signif[lo + k : hi + k]))
    i = int(np.argmax(corr))
    noise = float(np.sqrt(template @ template))
    if i == 0 or i == lags.size - 1 or noise <= 0 or corr[i] < MIN_SEGMENT_SIGNIFICANCE * noise:
        return None
    y0, y1, y2 = corr[i - 1], corr[i], corr[i + 1]
    den = y0 - 2.0 * y1 + y2
    frac = 0.5 * (y0 - y2) / den if den < 0 else 0.0
    return float(lags[i] + np.clip(frac, -0.5, 0.5))


def _match_one(
    own: FloatArray,
    rest: FloatArray,
    centers_kev: FloatArray,
    kev_per_ch: FloatArray,
    fwhm_ch: FloatArray,
    to_mean: float,
) -> GainMatch:
    template = np.where(rest >= MIN_TEMPLATE_SIGNIFICANCE, rest, 0.0)
    signif = np.maximum(own, 0.0)
    energies: list[float] = []
    shifts: list[float] = []
    bounds = np.linspace(0, own.size, SEGMENTS + 1).astype(np.int64)
    for lo, hi in itertools.pairwise(bounds.tolist()):
        t = template[lo:hi]
        if not np.any(t > 0):
            continue
        mid = lo + int(np.argmax(t))
        max_lag = max(2, int(np.ceil(MAX_SHIFT_FWHM * fwhm_ch[mid])))
        lag_ch = _segment_shift(t, signif[lo:hi], max_lag)
        if lag_ch is None:
            continue
        at = float(np.sum(t * t * centers_kev[lo:hi]) / np.sum(t * t))
        energies.append(at)
        shifts.append(lag_ch * float(kev_per_ch[mid]))  # own peaks sit this far above
    if not shifts:
        return GainMatch((), ())
    # the others' mean lies (N - 1) / N of the way to the mean of all records
    return GainMatch(tuple(energies), tuple(-to_mean * x for x in shifts))


def gain_match(spectra: list[Spectrum], edges_kev: FloatArray) -> list[GainMatch]:
    """Energy corrections that bring each record's peaks to the mean position of all
    records' peaks (measured against the sum of the other records).

    Parameters
    ----------
    spectra : list of Spectrum
        Records with valid calibrations, to be summed.
    edges_kev : ndarray
        The common channel edges the records will be summed on.

    Returns
    -------
    list of GainMatch
        One per record (``segments == 0``: no common peak found, no correction).
    """
    ref = Spectrum(
        counts=np.zeros(edges_kev.size - 1),
        live_time_s=0.0,
        real_time_s=0.0,
        calibration=EnergyCalibration.from_edges(edges_kev),
    )
    on_grid = [rebin(s, edges_kev) for s in spectra]
    det = next((s.detector_type for s in spectra if s.detector_type != "unknown"), "unknown")
    fwhm_ch = _fwhm_ch(ref, det)
    centers = ref.calibration.centers_kev
    kev_per_ch = np.diff(edges_kev)
    to_mean = (len(spectra) - 1) / len(spectra)
    total = np.sum(on_grid, axis=0)
    out = []
    for counts in on_grid:
        own = _significance(counts, fwhm_ch)
        rest = _significance(total - counts, fwhm_ch)
        out.append(_match_one(own, rest, centers, kev_per_ch, fwhm_ch, to_mean))
    return out
