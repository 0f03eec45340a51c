"""Which lines share a peak: blends that a peak's centroid allows, and low-energy peaks too
strong to be artifacts of the peaks above them (rules of :mod:`identify`)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.identification import ObservedPeak
from nucsec.forensics.spectra.linetable import IntArray, LineTable
from nucsec.forensics.spectra.model import FloatArray

__all__ = ["consistent_blends", "strong_low"]


def consistent_blends(
    table: LineTable,
    peaks: list[ObservedPeak],
    match: IntArray,
    blend: IntArray,
    rel: FloatArray,
    fwhm: FloatArray,
    cal_tol: tuple[float, float],
) -> IntArray:
    """Keep a line blended into a peak only if the peak's centroid agrees with the
    intensity-weighted centroid of the source's lines in it (matched and blended): a strong
    line a whole FWHM from a peak that one of its weak neighbours matched is missing, not
    blended. Agreement: within twice the matching tolerance of the matched line."""
    out = blend.copy()
    bl = np.nonzero(blend >= 0)[0]
    if bl.size == 0:
        return out
    n_p = len(peaks)
    owner = np.full((table.n_sources, n_p + 1), -1, dtype=np.int64)
    m = np.nonzero(match >= 0)[0]
    owner[table.src[m], match[m]] = m
    own = owner[table.src[bl], blend[bl]]
    has = own >= 0
    bl, own = bl[has], own[has]
    if bl.size == 0:
        return out
    num = rel[own] * table.energy_kev[own]
    den = rel[own].copy()
    uniq, inv = np.unique(own, return_inverse=True)
    num_o = np.bincount(inv, weights=rel[bl] * table.energy_kev[bl], minlength=uniq.size)
    den_o = np.bincount(inv, weights=rel[bl], minlength=uniq.size)
    num, den = num_o + rel[uniq] * table.energy_kev[uniq], den_o + rel[uniq]
    centroid = np.divide(num, den, out=table.energy_kev[uniq].copy(), where=den > 0)
    e_peak = np.array([peaks[int(match[o])].energy_kev for o in uniq])
    u_peak = np.array([peaks[int(match[o])].energy_unc_kev for o in uniq])
    e_own = table.energy_kev[uniq]
    tol = np.sqrt(
        (0.3 * fwhm[uniq]) ** 2 + (cal_tol[0] + cal_tol[1] * e_own) ** 2 + (2.5 * u_peak) ** 2
    )
    bad = np.abs(centroid - e_peak) > 2.0 * tol
    out[bl[bad[inv]]] = -1
    return out


def strong_low(peaks: list[ObservedPeak]) -> npt.NDArray[np.bool_]:
    """Peaks below 100 keV with more than twice the area of all significant peaks above
    150 keV together: x-ray escape, backscatter and shield fluorescence make a few to a few
    tens of per cent of the peaks that cause them (and the scatter hump of a scintillator
    is no narrow peak), so such a peak is a line of its own."""
    high = sum(
        p.area for p in peaks if p.energy_kev >= 150 and p.area > 5 * p.area_unc and not p.excluded
    )
    return np.array(
        [p.energy_kev < 100 and not p.excluded and p.area > 2.0 * high for p in peaks], dtype=bool
    )
