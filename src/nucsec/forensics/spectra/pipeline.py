"""Steps of the analysis pipeline: net counts, detector family and resolution, peaks,
calibration candidates and their judgement by identification.

Internal to :mod:`nucsec.forensics.spectra.analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nucsec.forensics.spectra.calibration import (
    Correction,
    EdgeEstimate,
    align_to_references,
    apply_correction,
    coarse_candidates,
    compton_edge_estimate,
    reference_lines,
    refine,
    scale_candidates,
)
from nucsec.forensics.spectra.families import chain_parent
from nucsec.forensics.spectra.identify import Identification, identify, relative_efficiency
from nucsec.forensics.spectra.model import (
    EnergyCalibration,
    FloatArray,
    Spectrum,
    SpectrumError,
    rebin,
)
from nucsec.forensics.spectra.nucdata import Source
from nucsec.forensics.spectra.peaks import ContinuumMemo
from nucsec.forensics.spectra.resolution import (
    Resolution,
    closest_family,
    default_resolution,
)
from nucsec.forensics.spectra.resolution import (
    refine as refine_resolution,
)
from nucsec.forensics.spectra.result import Peak
from nucsec.forensics.spectra.roi import PeakSet, find_peaks, fwhm_channels

MIN_ENERGY_KEV = {"HPGe": 20.0, "CZT": 20.0}  # others: 25 keV
# how far a stored calibration may be off: (keV, fraction of energy)
ALIGN_WINDOW = {"HPGe": (10.0, 0.004), "default": (50.0, 1.0)}
SCINT_WINDOW = (25.0, 0.12)
STORED_CAL_BONUS = 15.0  # how much better another calibration must explain the peaks
BROAD_FACTOR = 1.7  # a free-width peak this much wider than the resolution is no photopeak
#: a free-width peak is "broadened" when its FWHM exceeds the resolution by this fraction and
#: by three uncertainties of the width ratio (statistical, plus this scatter of single lines)
BROADENED_MIN, WIDTH_SCATTER = 0.1, 0.03
ANNIHILATION_KEV = 510.999
BLEND_SHIFT_KEV = 0.05
#: relative uncertainty of a predicted peak area (generic efficiency shape, no geometry)
AREA_MODEL_UNC = 0.35
#: peaks weaker than this (in standard uncertainties) do not decide between calibrations:
#: a rich library finds lines for noise-level peaks at almost any gain
JUDGE_MIN_SIG = 8.0  # largest centroid shift of a blend that still makes a calibration point


def net_counts(
    spectrum: Spectrum, background: Spectrum | None, warnings: list[str]
) -> tuple[FloatArray, FloatArray | None, dict[str, Any] | None]:
    if background is None:
        return spectrum.counts, None, None
    if spectrum.calibration.is_valid and background.calibration.is_valid:
        bg = rebin(background, spectrum.calibration.edges_kev)
    elif background.n_channels == spectrum.n_channels:
        bg = background.counts
    else:
        raise SpectrumError(
            "background and foreground binnings are incompatible", field="background"
        )
    if np.allclose(bg, spectrum.counts):
        warnings.append("background identical to the foreground: not subtracted")
        return spectrum.counts, None, None
    t_fg = spectrum.live_time_s or spectrum.real_time_s
    t_bg = background.live_time_s or background.real_time_s
    if t_fg <= 0 or t_bg <= 0:
        warnings.append("no live time: background not subtracted")
        return spectrum.counts, None, None
    r = t_fg / t_bg
    net = spectrum.counts - r * bg
    var = np.maximum(spectrum.counts + r * r * bg, 1.0)
    info = {"subtracted": True, "live_time_s": background.live_time_s, "scale": r}
    return net, var, info


def _start_channel(counts: FloatArray, cal: EnergyCalibration, res: Resolution, det: str) -> int:
    e_min = MIN_ENERGY_KEV.get(det, 25.0)
    first = int(np.argmax(counts > 0)) if np.any(counts > 0) else 0
    fw = fwhm_channels(cal, res)
    start = max(int(cal.channel(e_min)), first + int(np.ceil(1.5 * fw[first])))
    return min(start, counts.size - 8)


def _strong_widths(
    ps: PeakSet, cal: EnergyCalibration, min_sig: float = 15.0
) -> tuple[FloatArray, ...]:
    free = [p for p in ps.peaks if p.fwhm_free and p.multiplet == 1 and p.significance > min_sig]
    e = np.array([float(cal.energy_kev(p.x)) for p in free])
    fw = np.array([p.fwhm_ch * float(cal.gain_kev_per_channel(p.x)) for p in free])
    w = np.array([min(p.significance, 200.0) for p in free])
    return e, fw, w


def _infer_family(
    counts: FloatArray,
    var: FloatArray | None,
    cal: EnergyCalibration,
    guess: str,
    continuum: ContinuumMemo,
) -> tuple[str, PeakSet | None]:
    """Detector family from the widths of the strongest peaks.

    Each candidate default resolution is tried; the widths the fits measure are compared
    with it. HPGe is kept when its widths agree within a factor two; otherwise the family
    whose resolution model is closest to the widths at their energies.
    """
    tried: dict[str, float] = {}
    measured: tuple[FloatArray, FloatArray, FloatArray] | None = None
    for family in [guess, "NaI"] if guess == "HPGe" else [guess]:
        res = default_resolution(family)
        start = _start_channel(counts, cal, res, family)
        ps = find_peaks(
            counts,
            cal,
            res,
            variance=var,
            start_channel=start,
            strong_for_width=8,
            only_strong=True,
            baseline=continuum(fwhm_channels(cal, res)),
        )
        e, fw, w = _strong_widths(ps, cal, min_sig=8.0)
        if e.size == 0:
            continue
        tried[family] = float(np.exp(np.average(np.log(fw / res.fwhm_kev(e)), weights=w)))
        if family == "HPGe" and 0.5 < tried[family] < 2.0:
            return "HPGe", ps
        measured = (e, fw, w)
    if measured is None:
        return guess, None
    return closest_family(*measured), None


def _peaks_and_resolution(
    counts: FloatArray,
    var: FloatArray | None,
    cal: EnergyCalibration,
    det: str,
    inferred: bool,
    continuum: ContinuumMemo,
) -> tuple[PeakSet, Resolution, str, int, FloatArray]:
    """Peaks fitted with a resolution refined on the strong ones; also the continuum."""
    strong: PeakSet | None = None
    if inferred:
        det, strong = _infer_family(counts, var, cal, det, continuum)
    res = default_resolution(det)
    start = _start_channel(counts, cal, res, det)
    baseline = continuum(fwhm_channels(cal, res))
    if strong is None:
        strong = find_peaks(
            counts,
            cal,
            res,
            variance=var,
            start_channel=start,
            strong_for_width=12,
            only_strong=True,
            baseline=baseline,
        )
    e, fw, w = _strong_widths(strong, cal)
    refined = refine_resolution(res, e, fw, w)
    ps = find_peaks(
        counts,
        cal,
        refined,
        variance=var,
        start_channel=start,
        strong_for_width=12,
        baseline=baseline,
    )
    return ps, refined, det, start, baseline


def _edge(counts: FloatArray, cal: EnergyCalibration, ps: PeakSet) -> EdgeEstimate | None:
    """The Compton-edge estimate of the dominant peak's energy (files without calibration)."""
    if not ps.peaks:
        return None
    return compton_edge_estimate(
        counts,
        cal,
        np.array([p.x for p in ps.peaks]),
        np.array([p.fwhm_ch for p in ps.peaks]),
        np.array([max(p.area, 0.0) for p in ps.peaks]),
    )


def _align(
    peaks: list[Peak],
    lib: dict[str, Source],
    det: str,
    uncalibrated: bool,
    edge: EdgeEstimate | None = None,
) -> list[Correction]:
    """Candidate corrections of the stored calibration (coarse, then reference-line refined)."""
    usable = [p for p in peaks if p.label is None]
    if not usable:
        return [Correction()]
    e = np.array([p.energy_kev for p in usable])
    sig = np.array([p.significance for p in usable])
    fw = np.array([p.fwhm_kev for p in usable])
    hpge = det == "HPGe"
    abs_kev, rel = (
        ALIGN_WINDOW["default"] if uncalibrated else ALIGN_WINDOW["HPGe"] if hpge else SCINT_WINDOW
    )
    cands = coarse_candidates(
        e, sig, fw, reference_lines(lib), max_abs_kev=abs_kev, max_rel=rel, keep=1 if hpge else 4
    )
    if hpge:
        cands = cands[:1]
    if uncalibrated:
        # analysers span 1.5-6 MeV (gain within a factor two of the default 3 MeV) unless
        # the Compton edge of a dominant line says otherwise
        factor = 5.0 if edge is not None else 2.0
        cands += scale_candidates(e, sig, fw, lib, edge=edge, max_factor=factor)
    if uncalibrated:
        # channel 0 of an analyser is near 0 keV: a correction that moves it by more than
        # the search window is a chance alignment (the same bound as for refined ones)
        cands = [(s, c) for s, c in cands if abs(c.coefficients[0]) <= abs_kev]
    out = [Correction()]  # the stored calibration itself is always a candidate
    for _, corr in cands:
        refined = align_to_references(
            e,
            sig,
            fw,
            reference_lines(lib, per_source=6),
            corr,
            rel_tol=0.003 if hpge else 0.03,
            max_degree=2,
            min_matches=3 if hpge else 4,
        )
        if uncalibrated and abs(refined.coefficients[0]) > abs_kev:
            refined = corr  # the refinement drifted to an implausible offset
        # candidates that move no peak by a tenth of its FWHM are duplicates: skip them
        grid = np.linspace(e.min(), e.max(), 16)
        width = float(np.min(fw))
        if all(np.max(np.abs(refined(grid) - c(grid))) > 0.1 * width for c in out):
            out.append(refined)
    return out


def _explained(peaks: list[Peak], nuclides: list[Identification], det: str = "HPGe") -> float:
    """How well a set of identifications explains the peaks: the significance of the peaks
    they match, less the misfit of the matched peaks' areas to what the sources predict,
    less the significance of the strong peaks left unexplained (not labelled as an effect),
    plus half the sources' scores (their line patterns: evidence less missing and weak lines),
    less a cost per source (rare sources cost more)."""
    predicted: dict[int, float] = {}
    for n in nuclides:
        for m in n.matched:
            if m.peak is not None:
                predicted[m.peak] = predicted.get(m.peak, 0.0) + m.expected_counts
    gain = sum(
        min(peaks[i].significance, 20.0)
        for i in predicted
        if peaks[i].significance >= JUDGE_MIN_SIG
    )
    misfit = sum(
        min((p.net_counts - pred) ** 2 / (p.unc**2 + (AREA_MODEL_UNC * pred) ** 2), 25.0)
        for p, pred in ((peaks[i], pred) for i, pred in predicted.items())
    )
    unexplained = sum(
        min(p.significance, 20.0)
        for i, p in enumerate(peaks)
        if i not in predicted and p.label is None and p.significance >= JUDGE_MIN_SIG
    )
    # one cost per independent source: on a low-resolution detector the members of a decay
    # series it cannot separate (radium daughters and uranium) are one source
    costs = {
        (n.name if det == "HPGe" else chain_parent(n.name)): 8.0 / n.extra.get("prior", 1.0)
        for n in nuclides
    }
    cost = sum(costs.values())
    # how well each source's own pattern holds (evidence less missing and weak lines)
    patterns = sum(max(n.score, 0.0) for n in nuclides)
    return gain + 0.5 * patterns - 0.5 * misfit - unexplained - cost


def _cal_tolerance(det: str, corr: Correction) -> tuple[float, float]:
    """Calibration uncertainty allowed when matching lines: (keV, fraction of energy). An
    offset fixed by only two lines is not trusted any further than the stored calibration."""
    trusted = corr.method != "file" and not (corr.method == "refined" and corr.n_lines < 3)
    if det == "HPGe":
        return (0.2, 0.0) if trusted else (0.5, 0.001)
    return (2.0, 0.02) if trusted else (3.0, 0.05)


def _without_backscatter(peaks: list[Peak], det: str) -> list[Peak]:
    """Scintillators: label peaks in the backscatter range of a stronger peak.

    Photons scattered back by the surroundings (angles of about 120-180 degrees) make a
    broad peak between ``E / (1 + 1.5 E/m c^2)`` and ``E / (1 + 2 E/m c^2)``.
    """
    if det == "HPGe":
        return peaks
    out = []
    for p in peaks:
        label = p.label
        for q in peaks:
            lo = q.energy_kev / (1 + 2 * q.energy_kev / 510.999) - 0.5 * p.fwhm_kev
            hi = q.energy_kev / (1 + 1.5 * q.energy_kev / 510.999) + 0.5 * p.fwhm_kev
            if q.energy_kev > 300 and q.net_counts > p.net_counts and lo <= p.energy_kev <= hi:
                label = f"backscatter of {q.energy_kev:.0f} keV"
        out.append(replace(p, label=label))
    return out


def _to_peaks(ps: PeakSet, cal: EnergyCalibration, res: Resolution) -> list[Peak]:
    """Fitted peaks in energy units. Free-width peaks much wider than the resolution are
    continuum structures (Compton edges, scatter humps) and are labelled as such; those
    measurably wider are flagged ``broadened`` (unresolved blends). The relative standard
    uncertainty of a fitted width is taken as ``sigma_x / (sqrt(2) sigma)`` (a Gaussian
    peak's width is known sqrt(2) times better, relatively, than its centroid in sigmas)."""
    if not ps.peaks:
        return []
    x = np.array([p.x for p in ps.peaks])
    energy = cal.energy_kev(x)
    gain = cal.gain_kev_per_channel(x)
    fwhm = np.array([p.fwhm_ch for p in ps.peaks]) * gain
    x_unc = np.array([p.x_unc for p in ps.peaks]) * gain
    free = np.array([p.fwhm_free for p in ps.peaks])
    excess = fwhm / res.fwhm_kev(energy) - 1.0
    broad = free & (excess > BROAD_FACTOR - 1.0)
    rel_unc = np.hypot(2.3548 * x_unc / (np.sqrt(2.0) * fwhm), WIDTH_SCATTER)
    wide = free & ~broad & (excess > np.maximum(BROADENED_MIN, 3.0 * rel_unc))
    out = [
        Peak(
            float(e),
            float(u),
            float(f),
            p.area,
            p.area_unc,
            p.continuum_counts,
            p.ld_counts,
            p.significance,
            "broad structure (Compton edge or scatter)" if b else None,
            bool(w),
        )
        for p, e, u, f, b, w in zip(ps.peaks, energy, x_unc, fwhm, broad, wide, strict=True)
    ]
    return sorted(out, key=lambda p: p.energy_kev)


def _ld_function(base: FloatArray, cal: EnergyCalibration, res: Resolution) -> Any:
    cum = np.concatenate([[0.0], np.cumsum(np.maximum(base, 0.0))])
    grid = np.arange(cum.size, dtype=np.float64)

    def ld(energy_kev: Any) -> Any:
        e = np.asarray(energy_kev, dtype=np.float64)
        half = 1.25 * res.fwhm_kev(e)
        lo = np.clip(cal.channel(e - half), 0, base.size)
        hi = np.clip(cal.channel(e + half), 0, base.size)
        b = np.interp(hi, grid, cum) - np.interp(lo, grid, cum)
        return 2.71 + 4.65 * np.sqrt(np.maximum(b, 0.0))

    return ld


def _identify(
    peaks: list[Peak],
    lib: dict[str, Source],
    cal: EnergyCalibration,
    res: Resolution,
    det: str,
    ld: Any,
    start: int,
    tol: tuple[float, float],
) -> list[Identification]:
    e_range = (float(cal.energy_kev(start)), float(cal.edges_kev[-1]))
    return identify(
        [p.observed() for p in peaks],
        lib,
        ld_counts=ld,
        fwhm_kev=res.fwhm_kev,
        efficiency=relative_efficiency(det),
        energy_range_kev=e_range,
        cal_tol=tol,
        scintillator=det != "HPGe",
    )


def _calibration_pairs(
    idents: list[Identification], peaks: list[Peak], res: Resolution
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Calibration points: (peak centroid, tabulated energy, uncertainty) of clean lines.

    A peak is a point when the gamma line predicted to make most of it (the largest
    expected counts among the identified lines matched to it) is nearly alone: the lines
    of identified sources within one FWHM that no other peak resolves (matched to this
    peak or not seen at all, x-rays included) would move an unresolved centroid, by their
    count-weighted mean offset, by at most ``BLEND_SHIFT_KEV``; that small shift is added
    to the tabulated energy (half of it to the uncertainty). So a peak that a weak line of
    one source claimed first while another source's line makes most of it gives the
    stronger line's energy. Never a point: a peak measurably wider than the resolution
    (``broadened``: an unresolved blend), or a line under the 511 keV annihilation peak
    (Doppler-broadened, made wherever there are positrons or pair production).
    """
    empty = np.empty(0)
    lines = [m for n in idents for m in (*n.matched, *n.missing) if m.expected_counts > 0]
    if not lines or not peaks:
        return empty, empty, empty
    energy = np.array([m.energy_kev for m in lines])
    counts = np.array([m.expected_counts for m in lines])
    peak_of = np.array([-1 if m.peak is None else m.peak for m in lines])
    clean = np.array([m.kind == "gamma" and not m.note for m in lines])
    idx = np.nonzero(peak_of >= 0)[0]
    if idx.size == 0:
        return empty, empty, empty
    # per peak, its most predicted line (the first listed on ties: a stable sort)
    order = idx[np.lexsort((-counts[idx], peak_of[idx]))]
    top = order[np.concatenate([[True], np.diff(peak_of[order]) != 0])]
    top = top[clean[top]]
    pk = peak_of[top]
    e_peak = np.array([peaks[i].energy_kev for i in pk])
    fw = np.array([peaks[i].fwhm_kev for i in pk])
    ok = np.array([peaks[i].significance >= 5 and not peaks[i].broadened for i in pk], bool)
    ok &= np.abs(energy[top] - ANNIHILATION_KEV) >= fw
    d = energy[None, :] - energy[top][:, None]
    near = (np.abs(d) < fw[:, None]) & ((peak_of[None, :] == pk[:, None]) | (peak_of < 0))
    weight = near * counts
    shift = np.sum(weight * d, axis=1) / np.sum(weight, axis=1)
    ok &= np.abs(shift) <= BLEND_SHIFT_KEV
    e_unc = np.array([peaks[i].energy_unc_kev for i in pk])
    unc = np.hypot(np.hypot(e_unc, 0.02 * fw), 0.5 * shift)
    return e_peak[ok], (energy[top] + shift)[ok], unc[ok]


@dataclass(frozen=True)
class Pass:
    """One run of the pipeline on one set of counts."""

    ps: PeakSet
    res: Resolution
    det: str
    start: int
    corr: Correction
    cal: EnergyCalibration
    peaks: list[Peak]
    nuclides: list[Identification]
    continuum: FloatArray
    #: how much better the chosen calibration explains the spectrum than the best candidate
    #: that names other sources (None: no such candidate)
    margin: float | None = None


def run_pass(
    counts: FloatArray,
    var: FloatArray | None,
    file_cal: EnergyCalibration,
    det: str,
    inferred: bool,
    lib: dict[str, Source],
    warnings: list[str],
    fixed: Pass | None = None,
) -> Pass:
    """Peaks, resolution, calibration and identification for one set of counts.

    With ``fixed`` (the pass on the gross spectrum), its detector family, resolution and
    calibration are reused: a background-subtracted spectrum has fewer lines to calibrate on.
    """
    memo = ContinuumMemo(counts)
    if fixed is None:
        ps, res, det, start, continuum = _peaks_and_resolution(
            counts, var, file_cal, det, inferred, memo
        )
        peaks0 = _without_backscatter(_to_peaks(ps, file_cal, res), det)
        edge = _edge(counts, file_cal, ps) if file_cal.kind == "default" else None
        corrections = _align(peaks0, lib, det, file_cal.kind == "default", edge)
    else:
        edge = None
        res, det, start = fixed.res, fixed.det, fixed.start
        continuum = memo(fwhm_channels(file_cal, res))
        ps = find_peaks(
            counts, file_cal, res, variance=var, start_channel=start, baseline=continuum
        )
        corrections = [fixed.corr]
    # each candidate calibration is judged by how well the library then explains the peaks;
    # the stored calibration (first candidate) wins ties
    best: tuple[float, Any] | None = None
    judged: list[tuple[float, frozenset[str]]] = []
    for corr in corrections:
        cal = apply_correction(file_cal, corr)
        base = (
            var
            if var is not None
            else (continuum if corr.method == "file" else memo(fwhm_channels(cal, res)))
        )
        peaks = _without_backscatter(_to_peaks(ps, cal, res), det)
        ld = _ld_function(base, cal, res)
        nuclides = _identify(peaks, lib, cal, res, det, ld, start, _cal_tolerance(det, corr))
        total = _explained(peaks, nuclides, det)
        if corr.method == "file" and file_cal.kind != "default":
            total += STORED_CAL_BONUS  # a stored calibration is overridden on clear evidence
        if edge is not None:
            total -= edge.penalty(corr)  # one dominant line: its Compton edge fixes the scale
        judged.append((total, frozenset(n.name for n in nuclides)))
        if best is None or total > best[0] + 1e-9:
            best = (total, (corr, cal, base, peaks, ld, nuclides))
    corr, cal, base, peaks, ld, nuclides = best[1]  # type: ignore[index]
    chosen = frozenset(n.name for n in nuclides)
    rivals = [t for t, names in judged if names != chosen]
    margin = best[0] - max(rivals) if rivals and best is not None else None
    if fixed is None:
        # final refinement on the identified lines themselves, then identify again
        meas, tab, unc = _calibration_pairs(nuclides, peaks, res)
        # HPGe: two lines that agree fix an offset (their residuals check each other)
        n_min = 2 if det == "HPGe" else 3
        degree = (3 if det == "HPGe" else 2) if meas.size >= 3 else 0
        fine = (
            refine(meas, tab, unc, max_degree=degree, outlier_kev=0.5 * res.fwhm_kev(tab))
            if meas.size >= n_min
            else None
        )
        good_fit = (
            fine is not None
            and fine.rms_kev is not None
            and fine.n_lines >= n_min
            and (fine.rms_kev <= 0.2 * float(np.median(res.fwhm_kev(tab))))
            and (fine.n_lines >= 3 or fine.rms_kev <= max(0.2, 3.0 * float(np.max(unc))))
        )
        if fine is not None and good_fit:
            corr2 = corr.then(fine)
            cal2 = apply_correction(file_cal, corr2)
            peaks2 = _without_backscatter(_to_peaks(ps, cal2, res), det)
            ld2 = _ld_function(base, cal2, res)
            nuclides2 = _identify(
                peaks2, lib, cal2, res, det, ld2, start, _cal_tolerance(det, corr2)
            )
            # HPGe: the fit on identified lines is trusted (rms checked above); elsewhere keep
            # it only if the library explains the peaks at least as well
            if det == "HPGe" or _explained(peaks2, nuclides2, det) >= _explained(
                peaks, nuclides, det
            ):
                corr, cal, peaks, nuclides = corr2, cal2, peaks2, nuclides2
        elif det == "HPGe":
            warnings.append(
                "calibration not refined: fewer than three identified lines, or two that disagree"
            )
    return Pass(ps, res, det, start, corr, cal, peaks, nuclides, continuum, margin)
