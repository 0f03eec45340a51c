"""Energy calibration: align the file's calibration with known lines, then refine it.

Two steps, both expressed as a correction ``E_true = q(E_file)`` applied to the file's own
calibration (so a non-linear stored calibration keeps its shape):

1. :func:`coarse_align` - a linear correction from pairs of strong peaks matched to pairs of
   common reference lines (a small Hough search). The search window depends on how much
   the stored calibration can be trusted: a few keV for HPGe, several per cent for
   scintillators, anything for files without a calibration. The identity wins unless
   another correction explains clearly more peaks.
2. :func:`refine` - a weighted polynomial fit (degree 1, or 2 with enough well-spread
   points) of tabulated energies against measured centroids of identified lines, with
   outliers removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter1d

from nucsec.forensics.spectra.linetable import LibraryKey
from nucsec.forensics.spectra.model import EnergyCalibration, FloatArray
from nucsec.forensics.spectra.nucdata import Source

__all__ = [
    "Correction",
    "EdgeEstimate",
    "align_to_references",
    "apply_correction",
    "coarse_candidates",
    "compton_edge_estimate",
    "confidence",
    "reference_lines",
    "refine",
    "scale_candidates",
]


@dataclass(frozen=True)
class Correction:
    """``E_true = sum c_i E_file**i``; ``method`` tells where it came from."""

    coefficients: tuple[float, ...] = (0.0, 1.0)
    method: str = "file"
    n_lines: int = 0
    rms_kev: float | None = None

    def __call__(self, energy_kev: Any) -> Any:
        return np.polynomial.polynomial.polyval(
            np.asarray(energy_kev, dtype=np.float64), np.asarray(self.coefficients)
        )

    def then(self, other: Correction) -> Correction:
        """This correction followed by ``other`` (composition of polynomials)."""
        p = np.polynomial.Polynomial(self.coefficients)
        q = np.polynomial.Polynomial(other.coefficients)
        composed = q(p).coef
        return Correction(
            tuple(float(c) for c in composed), other.method, other.n_lines, other.rms_kev
        )


def reference_lines(library: dict[str, Source], per_source: int = 4) -> FloatArray:
    """Strong gamma lines of common sources, plus 511 keV: the anchors of coarse alignment
    (computed once per library and ``per_source``; the array is read-only)."""
    return _reference_lines(LibraryKey(library), per_source)


@lru_cache(maxsize=16)
def _reference_lines(key: LibraryKey, per_source: int) -> FloatArray:
    energies = {510.999}
    for src in key.obj.values():
        if src.prior < 1.0:
            continue
        gammas = sorted(
            (
                ln
                for ln in src.lines
                if ln.kind == "gamma" and ln.energy_kev > 50 and ln.intensity >= 0.02
            ),
            key=lambda ln: -ln.intensity,
        )
        energies.update(round(ln.energy_kev, 3) for ln in gammas[:per_source])
    out = np.array(sorted(energies))
    out.setflags(write=False)
    return out


def _score(
    e_peaks: FloatArray, weights: FloatArray, refs: FloatArray, tol: FloatArray
) -> tuple[float, int]:
    d = np.abs(e_peaks[:, None] - refs[None, :]).min(axis=1)
    hit = d <= tol
    return float(np.sum(weights[hit] * (1 - 0.5 * d[hit] / tol[hit]))), int(hit.sum())


def coarse_candidates(
    energies_kev: FloatArray,
    significance: FloatArray,
    fwhm_kev: FloatArray,
    refs: FloatArray,
    *,
    max_abs_kev: float,
    max_rel: float,
    min_matches: int = 3,
    keep: int = 4,
    max_offset_kev: float | None = None,
) -> list[tuple[float, Correction]]:
    """Linear corrections mapping strong peaks onto reference lines, best first.

    Every pair of strong peaks matched to a pair of reference lines (within the search
    window) proposes a gain and offset; a proposal scores the significance-weighted
    closeness of all strong peaks to their nearest reference line. The identity is always
    returned (first when nothing beats it); other proposals need ``min_matches`` peaks.
    """
    order = np.argsort(-significance)[:14]
    e, sig, fw = energies_kev[order], significance[order], fwhm_kev[order]
    # gains: 1 +- max_rel, or down to 1/(1 + max_rel) for windows of a factor two or more
    g_min = 1 - max_rel if max_rel < 1 else 1 / (1 + max_rel)
    weights = np.sqrt(np.minimum(sig, 400.0))
    tol = np.maximum(0.5 * fw, 0.3)
    base_score, _ = _score(e, weights, refs, tol)
    found: list[tuple[float, float, float]] = []
    window = max_abs_kev + max_rel * e
    cands = [(i, r) for i in range(e.size) for r in refs[np.abs(refs - e[i]) <= window[i]]]
    if max_offset_kev is not None:
        # no stored calibration: channel 0 is near 0 keV, only the gain is unknown
        for i, r in cands:
            g = r / e[i]
            if g_min <= g <= 1 + max_rel:
                s, hits = _score(g * e, weights, refs, tol * g)
                if hits >= min_matches - 1 and s > base_score:
                    found.append((s, g, 0.0))
        cands = []
    for a in range(len(cands)):
        i, ri = cands[a]
        for b in range(a + 1, len(cands)):
            j, rj = cands[b]
            if i == j or abs(e[j] - e[i]) < 5 * max(fw[i], fw[j]):
                continue
            g = (rj - ri) / (e[j] - e[i])
            if not (g_min <= g <= 1 + max_rel):
                continue
            o = ri - g * e[i]
            s, hits = _score(o + g * e, weights, refs, tol * g)
            if hits >= min_matches and s > base_score:
                found.append((s, g, o))
    found.sort(reverse=True)
    out: list[tuple[float, Correction]] = [(base_score, Correction())]
    for s, g, o in found:
        mapped = o + g * e
        if all(np.max(np.abs(mapped - c(e))) > 0.5 * fw.min() for _, c in out):
            out.append((s, Correction((float(o), float(g)), "aligned", 0)))
        if len(out) > keep:
            break
    return sorted(out, key=lambda t: -t[0])


ELECTRON_KEV = 510.999


@dataclass(frozen=True)
class EdgeEstimate:
    """The energy of a spectrum's dominant peak, from the position of its Compton edge.

    A photon of energy ``E`` scattered once leaves at most ``E_c = E 2E/(m c^2 + 2E)`` in the
    crystal, so the continuum drops at ``E_c/E = 2E/(m c^2 + 2E)``: 0.72 at 662 keV, 0.59 at
    364 keV, 0.84 at 1332 keV. That ratio of channels fixes the energy scale of a spectrum
    with one dominant line, whatever the detector (the channel of 0 keV taken as 0).
    """

    file_kev: float  # the dominant peak under the file's (default) calibration
    true_kev: float  # its energy from the edge
    sigma_ln: float = 0.15  # relative uncertainty (edge smeared by resolution, scatter)

    def penalty(self, corr: Correction) -> float:
        """How far a calibration puts the peak from the edge's energy, in sigma squared."""
        z = np.log(max(float(corr(self.file_kev)), 1e-3) / self.true_kev) / self.sigma_ln
        return float(min(z * z, 40.0))


def compton_edge_estimate(
    counts: FloatArray,
    cal: EnergyCalibration,
    peaks_x: FloatArray,
    peaks_fwhm_ch: FloatArray,
    peaks_area: FloatArray,
) -> EdgeEstimate | None:
    """The dominant peak's energy from its Compton edge (see :class:`EdgeEstimate`), or
    ``None`` when no peak has three times the area of every other or no clear edge shows.

    The edge is the steepest fall of the smoothed log counts between 0.15 and 1.3 FWHM below
    the peak, away from other peaks; "clear" means the counts fall by a third across it.
    """
    if peaks_x.size == 0:
        return None
    order = np.argsort(-peaks_area)
    top = int(order[0])
    if peaks_x.size > 1 and peaks_area[order[1]] * 3 > peaks_area[top]:
        return None
    x_p, fw = float(peaks_x[top]), float(peaks_fwhm_ch[top])
    lo, hi = int(0.15 * x_p), int(x_p - 1.3 * fw)
    if hi - lo < 8:
        return None
    sigma = max(0.3 * fw * (0.5 + 0.5 * lo / x_p), 1.0)
    smooth = gaussian_filter1d(np.asarray(counts, dtype=np.float64), sigma)
    slope = np.gradient(np.log(np.maximum(smooth, 0.5)))
    window = np.arange(lo, hi)
    away = np.ones(window.size, dtype=bool)
    for x, w in zip(peaks_x, peaks_fwhm_ch, strict=True):
        if x != x_p:
            away &= np.abs(window + 0.5 - x) > 1.2 * w
    if not away.any():
        return None
    edge = int(window[away][np.argmin(slope[window[away]])])
    half = max(int(0.5 * fw), 2)
    below = smooth[max(edge - half, 0) : edge].mean() if edge > 0 else 0.0
    above = smooth[edge + 1 : edge + 1 + half].mean()
    if not (below > 1.5 * max(above, 1e-9) and below > 5):
        return None
    ratio = float(cal.energy_kev(edge + 0.5) / cal.energy_kev(x_p))
    if not 0.1 < ratio < 0.95:
        return None
    return EdgeEstimate(float(cal.energy_kev(x_p)), ratio * ELECTRON_KEV / (2 * (1 - ratio)))


def scale_candidates(
    energies_kev: FloatArray,
    significance: FloatArray,
    fwhm_kev: FloatArray,
    library: dict[str, Source],
    *,
    max_factor: float = 5.0,
    keep: int = 8,
    edge: EdgeEstimate | None = None,
) -> list[tuple[float, Correction]]:
    """Gains for a file without a calibration: ``E_true = g E_file``, best first.

    Channel 0 of an analyser is near 0 keV, but the gain is unknown to a factor of several
    (the default calibration spreads 3 MeV over the channels). Every strong peak matched to
    every reference line proposes a gain within ``max_factor`` of the default. A proposal
    scores each strong peak's closeness to its nearest reference line (widths scale with the
    gain), weighted by the peak's significance, and counts a peak fully only when another
    peak matches a second line of the same source (at low resolution a single line matches
    something at almost any gain). Proposals closer than 2 % are one; the best ``keep`` are
    returned, to be refined and judged by how much of the spectrum they explain; with an
    ``edge`` estimate, also the gains that put the dominant peak on a reference line within
    three sigma of it (a spectrum of one line has nothing else to go by).
    """
    refs, owner = _reference_table(LibraryKey(library))
    order = np.argsort(-significance)[:10]
    e, sig, fw = energies_kev[order], significance[order], fwhm_kev[order]
    weights = np.sqrt(np.minimum(sig, 400.0))
    tol = np.maximum(0.5 * fw, 0.3)
    gains = (refs[None, :] / e[:, None]).ravel()
    gains = np.unique(np.round(gains[(gains >= 1 / max_factor) & (gains <= max_factor)], 4))
    if gains.size == 0:
        return []
    # (gains, peaks, references): distance of each mapped peak to each reference line
    d = np.abs(gains[:, None, None] * e[None, :, None] - refs[None, None, :])
    t = gains[:, None] * tol[None, :]
    nearest = d.argmin(axis=2)
    dn = np.take_along_axis(d, nearest[:, :, None], axis=2)[:, :, 0]
    hit = dn <= t
    src = np.where(hit, owner[nearest], -1)
    # a peak counts fully when another peak hits a line of the same source
    same = (src[:, :, None] == src[:, None, :]) & (src[:, :, None] >= 0)
    same &= nearest[:, :, None] != nearest[:, None, :]
    paired = same.any(axis=2)
    closeness = np.where(hit, 1 - 0.5 * dn / np.maximum(t, 1e-9), 0.0)
    score = np.sum(weights[None, :] * closeness * np.where(paired, 1.0, 0.5), axis=1)
    out: list[tuple[float, Correction]] = []

    def add(g: float, s: float) -> None:
        if all(abs(g / c.coefficients[1] - 1) > 0.02 for _, c in out):
            out.append((s, Correction((0.0, g), "aligned", 0)))

    for i in np.argsort(-score, kind="stable")[: 4 * keep]:
        if len(out) < keep:
            add(float(gains[i]), float(score[i]))
    if edge is not None:
        near = sorted((edge.penalty(Correction((0.0, r / edge.file_kev))), r) for r in refs)
        for pen, r in near[:4]:
            if pen < 9.0:
                add(float(r / edge.file_kev), 0.0)
    return out


@lru_cache(maxsize=4)
def _reference_table(key: LibraryKey) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """The strongest gamma lines (>= 2 %, above 50 keV, four per source) of common sources,
    and the index of the source each belongs to."""
    energies: list[float] = []
    owners: list[int] = []
    for k, src in enumerate(s for s in key.obj.values() if s.prior >= 1.0):
        gammas = sorted(
            (
                ln
                for ln in src.lines
                if ln.kind == "gamma" and ln.energy_kev > 50 and ln.intensity >= 0.02
            ),
            key=lambda ln: -ln.intensity,
        )
        for ln in gammas[:4]:
            energies.append(ln.energy_kev)
            owners.append(k)
    return np.array(energies), np.array(owners, dtype=np.int64)


def refine(
    measured_kev: FloatArray,
    tabulated_kev: FloatArray,
    unc_kev: FloatArray,
    *,
    max_degree: int = 2,
    outlier_kev: FloatArray | None = None,
) -> Correction | None:
    """Weighted polynomial ``tabulated = q(measured)``; ``None`` with too few points."""
    x, y = np.asarray(measured_kev, float), np.asarray(tabulated_kev, float)
    w = 1.0 / np.maximum(np.asarray(unc_kev, float), 0.02)
    keep = np.ones(x.size, dtype=bool)
    corr: Correction | None = None
    for _ in range(3):
        n = int(keep.sum())
        if n < 2:
            return corr
        spread = x[keep].max() / max(x[keep].min(), 1.0)
        deg = 2 if (max_degree >= 2 and n >= 5 and spread > 3) else 1
        if max_degree >= 3 and n >= 12 and spread > 8:
            deg = 3
        if n == 2 and spread < 1.5:
            deg = 0
        deg = min(deg, max_degree)
        coef = np.polynomial.polynomial.polyfit(x[keep], y[keep] - x[keep], deg, w=w[keep])
        full = np.zeros(max(deg + 1, 2))
        full[: coef.size] += coef
        full[1] += 1.0
        resid = y - np.polynomial.polynomial.polyval(x, full)
        rms = float(np.sqrt(np.mean(resid[keep] ** 2)))
        corr = Correction(tuple(float(c) for c in full), "refined", n, rms)
        limit = outlier_kev if outlier_kev is not None else np.full(x.size, np.inf)
        new_keep = (np.abs(resid) <= np.maximum(3.0 / w, 0.2)) & (np.abs(resid) <= limit)
        if np.array_equal(new_keep, keep) or new_keep.sum() < 2:
            break
        keep = new_keep
    return corr


def align_to_references(
    energies_kev: FloatArray,
    significance: FloatArray,
    fwhm_kev: FloatArray,
    refs: FloatArray,
    start: Correction,
    *,
    rel_tol: float,
    max_degree: int,
    min_significance: float = 4.0,
    min_matches: int = 3,
) -> Correction:
    """Refine ``start`` by matching peaks to the nearest reference line, tightening the window.

    The first window is wide (``0.5 FWHM + rel_tol x E``) to reach lines that a linear
    correction cannot (stored calibrations are often non-linear at high energy); each
    pass refits the polynomial and narrows it. The result is kept only if it matches at
    least as many peaks as ``start`` does.
    """
    strong = significance >= min_significance
    e0, sig, fw = energies_kev[strong], significance[strong], fwhm_kev[strong]
    if e0.size < 2:
        return start
    corr = start

    def matches(c: Correction, tol: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        e = c(e0)
        j = np.abs(e[:, None] - refs[None, :]).argmin(axis=1)
        ok = np.abs(e - refs[j]) <= tol
        return e0[ok], refs[j][ok], (fw / np.sqrt(np.minimum(sig, 400.0)))[ok]

    base_n = matches(start, 0.35 * fw)[0].size
    for tol in (0.5 * fw + rel_tol * e0, 0.5 * fw + 0.5 * rel_tol * e0, 0.35 * fw):
        meas, tab, unc = matches(corr, tol)
        if meas.size < 2:
            break
        new = refine(
            meas, tab, unc, max_degree=max_degree, outlier_kev=0.5 * np.interp(meas, e0, fw)
        )
        if new is None:
            break
        corr = Correction(new.coefficients, "aligned", new.n_lines, new.rms_kev)
    final_n = matches(corr, 0.35 * fw)[0].size
    if final_n < max(base_n, min_matches):
        return start
    return corr


def confidence(corr: Correction, uncalibrated: bool, margin: float | None) -> dict[str, str]:
    """How far the energy calibration of an analysis can be trusted, and why.

    ``high``: four or more identified lines fit (or the file's calibration was kept, with no
    candidate naming other sources coming close); ``low``: a file without calibration
    calibrated on fewer than two lines, or another calibration that names other sources
    explains the spectrum nearly as well (within 10 points of the judge: about half a
    strong peak); ``medium`` otherwise.
    """
    n = corr.n_lines
    basis = (
        "the file's calibration"
        if corr.method == "file"
        else f"{n} identified lines" + (f", rms {corr.rms_kev:.2f} keV" if corr.rms_kev else "")
    )
    if uncalibrated:
        basis = "no calibration in the file; " + basis
    if margin is not None:
        basis += f"; the best other calibration explains the peaks {margin:.1f} points worse"
    close = margin is not None and margin < 10.0
    if close or (uncalibrated and n < 2):
        level = "low"
    elif (n >= 4 or (corr.method == "file" and not uncalibrated)) and not close:
        level = "high"
    else:
        level = "medium"
    return {"confidence": level, "confidence_basis": basis}


def apply_correction(cal: EnergyCalibration, corr: Correction) -> EnergyCalibration:
    """A calibration whose edges are ``corr(file edges)``; coefficients refitted in channels."""
    edges = corr(cal.edges_kev)
    if corr.method == "file":
        return cal
    x = np.arange(edges.size, dtype=np.float64)
    deg = min(3, max(1, len(corr.coefficients) - 1 + (1 if cal.kind != "polynomial" else 0)))
    coefs = _polyfit(x, edges, deg)
    if np.max(np.abs(np.polynomial.polynomial.polyval(x, coefs) - edges)) < 1e-3:
        return EnergyCalibration("polynomial", tuple(float(c) for c in coefs), edges)
    return EnergyCalibration("lower_channel_edge", tuple(float(c) for c in coefs), edges)


def _polyfit(x: FloatArray, y: FloatArray, deg: int) -> FloatArray:
    """Least-squares polynomial (increasing powers) by normal equations on ``x`` scaled to
    [0, 1]: the same fit as ``polyfit`` for these well-conditioned low degrees, without an
    SVD of the whole Vandermonde matrix (16k rows). The matrix is built by repeated
    products in place (the values of ``np.vander``, several times faster)."""
    scale = max(float(np.max(np.abs(x))), 1.0)
    t = x / scale
    v = np.empty((t.size, deg + 1))
    v[:, 0] = 1.0
    for k in range(1, deg + 1):
        np.multiply(v[:, k - 1], t, out=v[:, k])
    coef = np.linalg.solve(v.T @ v, v.T @ y)
    out: FloatArray = coef / scale ** np.arange(deg + 1)
    return out
