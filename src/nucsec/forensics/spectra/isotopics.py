"""Uranium enrichment and plutonium isotopics from fitted peaks (physical relative efficiency).

Steps: the tabulated lines of the isotopes (:mod:`isolines`) are assigned to the fitted
peaks (each line to its nearest peak when it lies within that peak's width; a peak wider
than the resolution holds a blend and says so by a larger model uncertainty); peaks on an
unpredictable x-ray (fluorescence of uranium, plutonium or lead) or labelled as an effect
(escape, sum, backscatter, annihilation) are left out; counts that other identified
sources predict in a peak are subtracted; the strongest line of an isotope with no peak
enters as zero counts with the continuum's uncertainty (a non-detection is a measurement).
Then :class:`~nucsec.forensics.spectra.releff.RelEffModel` fits the activities and the
relative efficiency jointly, and the profile-likelihood interval of each isotope ratio
becomes the reported value and uncertainty, or a quality flag when the data do not bound
it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from nucsec.forensics.spectra import isolines as il
from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g
from nucsec.forensics.spectra.enrichment import (
    EnrichmentResult,
    PlutoniumResult,
    enrichment_class,
    weight_pct,
)
from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.releff import (
    SEEN,
    DetectorShape,
    FitResult,
    PeakGroup,
    ProfileInterval,
    RelEffModel,
)

__all__ = ["MeasuredPeak", "plutonium_isotopics", "uranium_enrichment"]

#: net counts and their standard uncertainty in the window of a line that has no peak
WindowFn = Callable[[float], tuple[float, float]]
#: counts that other identified sources predict between two energies (keV)
ForeignFn = Callable[[float, float], float]

#: a fitted peak this much wider than the resolution holds a blend (extra model uncertainty)
BLEND_MODEL_UNC = 0.10
LINE_MODEL_UNC = 0.03  # relative: line intensities, peak-area systematics
#: chi-square per degree of freedom above which (with p < 0.001) the fit is "poor"
POOR_FIT_REDUCED_CHI2 = 3.0
THICK_OPTICAL_DEPTH = 3.0  # mu x areal density at 185.7 keV beyond which an item is thick
#: lines below this are not used: detector windows, dead layers and x-ray escape make the
#: efficiency there specific to each detector (FRAM's uranium range starts at 120 keV too)
MIN_ENERGY_KEV = 120.0
#: a peak is used when it holds a line at least this fraction of its isotope's strongest
PRINCIPAL = 0.01
WINDOW_CLEAR_FWHM = 1.5  # no peak or x-ray within this many FWHM of a window's line
FOREIGN_UNC = 0.2  # relative uncertainty of other sources' counts subtracted from a window
FOREIGN_SHARE_MAX = 0.5  # a window more than this share another source's is not used
#: a k=2 interval of the isotope ratio wider than this factor gives a limit, not a value
WIDE_FACTOR = 3.0
USEFUL_LOWER_LIMIT_PCT = 0.1
LN_RATIO_LIMIT = 80.0  # a log activity ratio beyond this is a fit's bound, not a value


@dataclass(frozen=True)
class MeasuredPeak:
    """A fitted peak as the isotopics see it (net counts after subtracting other sources)."""

    energy_kev: float
    fwhm_kev: float
    counts: float
    counts_unc: float
    resolution_fwhm_kev: float  # the detector's resolution at this energy
    usable: bool = True  # False: an effect (escape, sum, backscatter, annihilation...)


def _groups(
    lines: Sequence[il.IsoLine],
    peaks: Sequence[MeasuredPeak],
    window: WindowFn | None,
    resolution: Callable[[float], float],
    isotopes: tuple[str, ...],
    foreign: ForeignFn,
) -> list[PeakGroup]:
    """Assign lines to peaks; measure the key lines that have no peak in their windows."""
    energy = np.array([p.energy_kev for p in peaks])
    fwhm = np.maximum(np.array([p.fwhm_kev for p in peaks]), 1e-6)
    fluor = np.abs(energy[:, None] - np.array(il.FLUORESCENCE_KEV)[None, :])
    ok = (
        np.array([p.usable and p.counts_unc > 0 for p in peaks], dtype=bool)
        & (energy >= MIN_ENERGY_KEV)
        & ~np.any(fluor <= np.maximum(0.75 * fwhm, 0.5)[:, None], axis=1)
    )
    usable = [peaks[int(i)] for i in np.nonzero(ok)[0]]
    by_peak: dict[int, list[tuple[int, float]]] = {}
    if usable:
        line_e = np.array([line.energy_kev for line in lines])
        dist = np.abs(line_e[:, None] - energy[ok][None, :]) / fwhm[ok][None, :]
        nearest = np.argmin(dist, axis=1)
        d_near = dist[np.arange(line_e.size), nearest]
        for li in np.nonzero(d_near < 1.0)[0]:
            w = 1.0 if d_near[li] <= 0.5 else 2.0 * (1.0 - float(d_near[li]))
            by_peak.setdefault(int(nearest[li]), []).append((int(li), w))
    strongest: dict[str, float] = {}
    for line in lines:
        strongest[line.isotope] = max(strongest.get(line.isotope, 0.0), line.intensity)
    groups = []
    for j, members in sorted(by_peak.items()):
        p = usable[j]
        # a peak is used when it holds a principal line of an isotope: weak lines (poorly
        # known intensities, easily hidden under other sources) only add to such peaks
        if not any(
            lines[li].intensity >= PRINCIPAL * strongest[lines[li].isotope] for li, _ in members
        ):
            continue
        blend = p.fwhm_kev > 1.15 * p.resolution_fwhm_kev or any(w < 1 for _, w in members)
        groups.append(
            PeakGroup(
                p.energy_kev,
                p.counts,
                p.counts_unc,
                tuple(li for li, _ in members),
                tuple(w for _, w in members),
                BLEND_MODEL_UNC if blend else LINE_MODEL_UNC,
            )
        )
    if window is not None:
        groups += _windows(lines, groups, peaks, window, resolution, isotopes, foreign)
    return groups


def _strongest(lines: Sequence[il.IsoLine]) -> dict[str, float]:
    """Each isotope's strongest line intensity among the lines the isotopics use."""
    out: dict[str, float] = {}
    for line in lines:
        if line.energy_kev >= MIN_ENERGY_KEV:
            out[line.isotope] = max(out.get(line.isotope, 0.0), line.intensity)
    return out


def _windows(
    lines: Sequence[il.IsoLine],
    groups: list[PeakGroup],
    peaks: Sequence[MeasuredPeak],
    window: WindowFn,
    resolution: Callable[[float], float],
    isotopes: tuple[str, ...],
    foreign: ForeignFn,
) -> list[PeakGroup]:
    """Groups for each isotope's strongest line (above :data:`MIN_ENERGY_KEV`: 185.7 keV of
    U-235, 1001.0 keV of U-238) when no peak holds it: the net counts in the line's window,
    which may be a weak peak the search missed (on an almost empty continuum) or a measured
    nothing (a non-detection is data too). The counts that other identified sources
    predict in the window (``foreign``) are subtracted, with a 20 % uncertainty. A window
    holding a fluorescence x-ray is left out; one holding another fitted peak, or mostly
    another source's counts, only bounds the line from above (a non-detection whose k=2
    bound is the window's content). Only the strongest lines: weaker ones share their
    windows with background lines too often (Pb-214 at 258.9 keV beside Pa-234m's 258.2
    keV, Bi-212 and Pb-214 near 786 keV) for a window sum to stand for them."""
    strongest = _strongest(lines)
    held = {li for g in groups for li in g.lines}
    peak_e = np.array([p.energy_kev for p in peaks])
    blockers = np.asarray(il.FLUORESCENCE_KEV)
    out = []
    for li, line in enumerate(lines):
        e = line.energy_kev
        if (
            li in held
            or line.isotope not in isotopes
            or e < MIN_ENERGY_KEV
            or line.intensity < strongest[line.isotope]
        ):
            continue
        reach = WINDOW_CLEAR_FWHM * max(resolution(e), 0.5)
        if np.any(np.abs(blockers - e) < reach):
            continue
        net, sigma = window(e)
        other = foreign(e - WINDOW_FWHM * resolution(e), e + WINDOW_FWHM * resolution(e))
        sigma = math.hypot(sigma, FOREIGN_UNC * other)
        if np.any(np.abs(peak_e - e) < reach) or other > FOREIGN_SHARE_MAX * max(net, sigma):
            # another peak or source shares the window: its counts bound this line's from
            # above, nothing more (a non-detection whose k=2 bound is the window's content)
            bound = max(net - other, 0.0) + 2 * sigma
            out.append(PeakGroup(e, 0.0, bound / 2, (li,), (1.0,), BLEND_MODEL_UNC))
            continue
        out.append(PeakGroup(e, net - other, sigma, (li,), (1.0,), BLEND_MODEL_UNC))
    return out


@dataclass(frozen=True)
class _Fit:
    model: RelEffModel
    best: FitResult
    profiles: dict[str, ProfileInterval]


def _run(
    lines: tuple[il.IsoLine, ...],
    isotopes: tuple[str, ...],
    peaks: Sequence[MeasuredPeak],
    detector: str,
    material: str,
    window: WindowFn | None,
    resolution: Callable[[float], float],
    foreign: ForeignFn,
    profile: Sequence[str],
    shape: DetectorShape | None = None,
) -> _Fit | None:
    groups = _groups(lines, peaks, window, resolution, isotopes, foreign)
    seen = {lines[li].isotope for g in groups if g.counts > SEEN * g.counts_unc for li in g.lines}
    if isotopes[0] not in seen:
        return None
    # isotopes without a line in any group cannot be fitted: drop them
    present = tuple(
        iso for iso in isotopes if any(lines[li].isotope == iso for g in groups for li in g.lines)
    )
    index = {iso: i for i, iso in enumerate(present)}
    # only the lines some group holds enter the model
    held = {li for g in groups for li in g.lines}
    keep = [i for i, line in enumerate(lines) if line.isotope in index and i in held]
    remap = {old: new for new, old in enumerate(keep)}
    groups = [
        PeakGroup(
            g.energy_kev,
            g.counts,
            g.counts_unc,
            tuple(remap[li] for li in g.lines if li in remap),
            tuple(w for li, w in zip(g.lines, g.weights, strict=True) if li in remap),
            g.model_rel_unc,
        )
        for g in groups
    ]
    table = _table(lines, material)
    model = RelEffModel(
        table.energy_kev[keep],
        table.intensity[keep],
        np.array([index[lines[i].isotope] for i in keep]),
        present,
        groups,
        detector,
        material,
        mu={key: mu[keep] for key, mu in table.mu.items()},
        shape=shape,
    )
    wanted = [iso for iso in profile if iso in index and iso != present[0]]
    best, found = model.solve([f"lnR_{iso}" for iso in wanted])
    return _Fit(model, best, {iso: found[f"lnR_{iso}"] for iso in wanted})


@dataclass(frozen=True)
class _LineTable:
    energy_kev: FloatArray
    intensity: FloatArray
    mu: dict[str, FloatArray]  # "item", "Fe", "Pb": cm^2/g at every line


@cache
def _table(lines: tuple[il.IsoLine, ...], material: str) -> _LineTable:
    """Energies, intensities and attenuation coefficients of a line table, from the file
    of precomputed coefficients (``nucsec/data/isotopics``); an energy missing there is
    computed (slow the first time: the attenuation tables)."""
    e = np.array([line.energy_kev for line in lines])
    stored = _stored_attenuation()
    mu = {}
    for key, name in (("item", material), ("Fe", "Fe"), ("Pb", "Pb")):
        column = stored.get(name, {})
        if all(x in column for x in e.tolist()):
            mu[key] = np.array([column[x] for x in e.tolist()])
        else:
            mu[key] = np.asarray(mass_attenuation_cm2_g(name, e))
    return _LineTable(e, np.array([line.intensity for line in lines]), mu)


@cache
def _stored_attenuation() -> dict[str, dict[float, float]]:
    """Material -> {energy keV: cm^2/g} from ``line_attenuation.csv``."""
    text = (
        resources.files("nucsec")
        .joinpath("data/isotopics/line_attenuation.csv")
        .read_text(encoding="utf-8")
    )
    out: dict[str, dict[float, float]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        energy = float(row.pop("energy_kev"))
        for column, value in row.items():
            out.setdefault(column.removesuffix("_cm2_g"), {})[energy] = float(value)
    return out


def _areal(best: FitResult) -> dict[str, dict[str, float]]:
    out = {}
    for key in ("item", "Fe", "Pb"):
        value, unc = best.areal_density(key)
        out[key] = {"value": round(value, 4), "unc": round(unc, 4)}
    return out


def _poor(best: FitResult) -> bool:
    """p < 0.001 and chi-square per degree of freedom above :data:`POOR_FIT_REDUCED_CHI2`
    (with no degree of freedom left, per degree of freedom counts as one)."""
    from scipy.special import chdtrc  # the chi-square survival function, a light import

    dof = max(best.dof, 1)
    return float(chdtrc(dof, best.chi2)) < 1e-3 and best.chi2 / dof > POOR_FIT_REDUCED_CHI2


def _bounded(prof: ProfileInterval | None) -> bool:
    """Both k=2 bounds found, within a factor the analyst can use."""
    if prof is None or prof.lo_k2 is None or prof.hi_k2 is None:
        return False
    return prof.hi_k2 - prof.lo_k2 < math.log(WIDE_FACTOR)


def _wt(ln_ratio: float | None, default: float) -> float:
    """Weight per cent U-235 from ln(A_235 / A_238) (None: the given bound)."""
    if ln_ratio is None:
        return default
    return weight_pct(math.exp(ln_ratio) * il.T_U235_Y / il.T_U238_Y)


def uranium_enrichment(
    peaks: Sequence[MeasuredPeak],
    detector: str,
    *,
    window: WindowFn | None = None,
    resolution: Callable[[float], float] | None = None,
    foreign: ForeignFn | None = None,
    shape: DetectorShape | None = None,
) -> EnrichmentResult | None:
    """U-235 enrichment (wt%) by the physical relative-efficiency fit, or a quality flag.

    Returns None when no U-238 line (Th-234 or Pa-234m) nor U-235 line is seen.
    ``foreign(lo, hi)``: counts that other identified sources predict between two energies;
    ``shape``: the detector's measured efficiency curve instead of its family's prior.
    """
    res = resolution or (lambda e: 0.0)
    foreign = foreign or _nothing
    fit = _run(
        il.URANIUM_LINES,
        ("U-238", "U-235", "U-234"),
        peaks,
        detector,
        "U",
        window,
        res,
        foreign,
        ("U-235",),
        shape,
    )
    if fit is None:
        fit = _run(
            il.URANIUM_LINES,
            ("U-235", "U-238", "U-234"),
            peaks,
            detector,
            "U",
            window,
            res,
            foreign,
            ("U-238",),
            shape,
        )
        if fit is None:
            return None
        return _only_u235(fit)
    if "U-235" not in fit.profiles:
        return None
    return _enrichment_result(fit, fit.profiles["U-235"])


def _enrichment_result(fit: _Fit, prof: ProfileInterval) -> EnrichmentResult:
    """Value, limit or flag from the best fit and the profile of ln(A_235/A_238).

    A value when both k=2 bounds exist and the isotope ratio between them spans less than
    :data:`WIDE_FACTOR`; else the k=2 bound that exists, as a limit; the enrichment class
    whenever the interval decides one."""
    best = fit.best
    lines_used = tuple(
        sorted(
            {
                round(float(fit.model.energies[li]), 2)
                for g in fit.model.groups
                if g.counts > SEEN * g.counts_unc
                for li in g.lines
            }
        )
    )
    value = _wt(best.value("lnR_U-235"), float("nan"))
    k1 = (_wt(prof.lo_k1, 0.0), _wt(prof.hi_k1, 100.0))
    k2 = (_wt(prof.lo_k2, 0.0), _wt(prof.hi_k2, 100.0))
    mu186 = _stored_attenuation()["U"][il.U235_ANCHOR_KEV]
    thick = mu186 * best.areal_density("item")[0] > THICK_OPTICAL_DEPTH
    seen = any(
        fit.model.isotopes[fit.model.iso[li]] == "U-235"
        for g in fit.model.groups
        if g.counts > SEEN * g.counts_unc
        for li in g.lines
    )
    limit: str | None = None
    reported: float | None = value
    if _poor(best):
        quality, reported = "fit poor", None
    elif prof.lo_k2 is None and prof.hi_k2 is None:
        quality, reported = UNDETERMINED, None
    elif prof.lo_k2 is None:
        quality = UNDETERMINED if seen else "U-235 not seen"
        limit, reported = "upper", k2[1]
    elif prof.hi_k2 is None or prof.hi_k2 - prof.lo_k2 > math.log(WIDE_FACTOR):
        quality, limit, reported = UNDETERMINED, "lower", k2[0]
    else:
        quality = "ok"
    if limit == "lower" and k2[0] < USEFUL_LOWER_LIMIT_PCT:
        reported, limit = None, None  # "at least 0.00 %" says nothing
    unc = (k1[1] - k1[0]) / 2 if limit is None and reported is not None else None
    atom = math.exp(best.value("lnR_U-235")) * il.T_U235_Y / il.T_U238_Y
    cls = None if quality == "fit poor" else enrichment_class(*k2)
    return EnrichmentResult(
        u235_pct=reported,
        u_u235_pct=unc,
        method="relative_efficiency_physical",
        atom_pct=100 * atom / (1 + atom) if reported is not None and limit is None else None,
        limit=limit,
        lines_used=lines_used,
        note=_note(quality, best, thick),
        quality=quality,
        interval_k1=k1 if quality == "ok" else None,
        interval_k2=k2,
        areal_density_g_cm2=_areal(best),
        self_attenuation=best.form,
        chi2=best.chi2,
        dof=best.dof,
        enrichment_class=cls,
    )


#: the quality flag when the measured lines bound the enrichment on one side at most
UNDETERMINED = "enrichment not fixed by the lines measured"


def _note(quality: str, best: FitResult, thick: bool) -> str:
    parts = [
        f"self-attenuation: {best.form}, item {best.areal_density('item')[0]:.3g} g/cm2 (as metal)"
    ]
    if thick:
        parts.append("item thick at 186 keV: only a surface layer is seen in the U-235 lines")
    if quality == UNDETERMINED:
        parts.append(
            "the item's thickness, its shielding and the detector's efficiency shape trade "
            "off against the isotope ratio within what these lines allow"
        )
    elif quality != "ok":
        parts.append(quality)
    return "; ".join(parts)


def _only_u235(fit: _Fit) -> EnrichmentResult | None:
    """U-235 seen, U-238 not: the enrichment has a lower bound only (when one is bounded)."""
    prof = fit.profiles.get("U-238")
    if prof is None or prof.hi_k2 is None or _poor(fit.best):
        return None
    # ln(A238/A235) at most hi_k2: enrichment at least ...
    lower = _wt(-prof.hi_k2, 0.0)
    if lower < USEFUL_LOWER_LIMIT_PCT:
        return None
    return EnrichmentResult(
        u235_pct=lower,
        u_u235_pct=None,
        method="relative_efficiency_physical",
        limit="lower",
        lines_used=(),
        note="no U-238 line seen: lower limit (k=2)",
        quality="U-238 not seen",
        interval_k2=(lower, 100.0),
        areal_density_g_cm2=_areal(fit.best),
        self_attenuation=fit.best.form,
        chi2=fit.best.chi2,
        dof=fit.best.dof,
        enrichment_class=enrichment_class(lower, 100.0),
    )


def plutonium_isotopics(
    peaks: Sequence[MeasuredPeak],
    detector: str,
    *,
    window: WindowFn | None = None,
    resolution: Callable[[float], float] | None = None,
    foreign: ForeignFn | None = None,
    shape: DetectorShape | None = None,
) -> PlutoniumResult | None:
    """Pu-238/239/240/241 and Am-241 mass fractions (of Pu-238..241) from their lines."""
    fit = _run(
        il.PLUTONIUM_LINES,
        il.PU_ISOTOPES,
        peaks,
        detector,
        "Pu",
        window,
        resolution or (lambda e: 0.0),
        foreign or _nothing,
        il.PU_ISOTOPES[1:],
        shape,
    )
    if fit is None:
        return None
    best = fit.best
    present = fit.model.isotopes
    if _poor(best):
        quality = "fit poor"
    elif best.dof < 1 or not _bounded(fit.profiles.get("Pu-240")):
        quality = "lines missing"
    else:
        quality = "ok"
    fractions: dict[str, float] = {}
    intervals: dict[str, tuple[float | None, float | None]] = {}
    if quality == "ok":
        ratios = {iso: best.value(f"lnR_{iso}") for iso in present[1:]}
        fractions = il.pu_mass_fractions({"Pu-239": 0.0, **ratios})
        for iso, prof in fit.profiles.items():
            bounds = [
                None
                if ln is None or abs(ln) > LN_RATIO_LIMIT
                else il.pu_mass_fractions({"Pu-239": 0.0, **ratios, iso: ln})[iso]
                for ln in (prof.lo_k1, prof.hi_k1)
            ]
            intervals[iso] = (bounds[0], bounds[1])
    return PlutoniumResult(
        mass_pct=fractions,
        interval_k1_pct=intervals,
        quality=quality,
        areal_density_g_cm2=_areal(best),
        self_attenuation=best.form,
        chi2=best.chi2,
        dof=best.dof,
        isotopes_fitted=present,
    )


#: peak labels that name an effect, not a line of a source
EFFECT_LABELS = ("annihilation", "broad structure", "backscatter", "single escape",
                 "double escape", "sum of", "Pb x-ray")  # fmt: skip
URANIUM_SOURCES = frozenset({"U-235", "U-238"})
PLUTONIUM_SOURCES = frozenset({"Pu-238", "Pu-239", "Pu-240", "Pu-241", "Am-241"})


def measured_peaks(
    peaks: Sequence[Any],
    nuclides: Sequence[Any],
    library: dict[str, Any],
    efficiency: Callable[[Any], Any],
    resolution: Callable[[Any], Any],
    own: frozenset[str],
) -> list[MeasuredPeak]:
    """The analysis peaks as isotopics input: the counts that other identified sources
    predict in each peak (their fitted scale x intensity x the generic efficiency) are
    subtracted, and peaks labelled as effects are marked unusable."""
    others = [n for n in nuclides if n.name not in own and n.name in library]
    out = []
    for p in peaks:
        foreign = sum(
            n.scale * ln.intensity * float(efficiency(ln.energy_kev))
            for n in others
            for ln in library[n.name].lines
            if abs(ln.energy_kev - p.energy_kev) < 0.6 * p.fwhm_kev
        )
        label = p.label or ""
        out.append(
            MeasuredPeak(
                p.energy_kev,
                p.fwhm_kev,
                p.net_counts - foreign,
                p.unc,
                float(resolution(p.energy_kev)),
                usable=not label.startswith(EFFECT_LABELS) and p.net_counts - foreign > 0,
            )
        )
    return out


def isotopics(
    peaks: Sequence[Any],
    nuclides: Sequence[Any],
    library: dict[str, Any],
    detector: str,
    resolution: Any,
    calibration: Any,
    continuum: Any,
    *,
    counts: FloatArray | None = None,
    variance: FloatArray | None = None,
    efficiency: Any = None,
    uranium: bool = True,
    plutonium: bool = True,
) -> tuple[EnrichmentResult | None, PlutoniumResult | None]:
    """Both isotopics from the peaks and identifications of an analysis, its detector
    family, resolution, calibration and continuum, whatever was identified. With the
    analysed ``counts`` (and their ``variance`` when background-subtracted), a line with
    no peak is measured in its window; without, it is a non-detection at the detection
    limit. A user ``efficiency`` curve (:class:`~nucsec.forensics.spectra.activity.Efficiency`)
    spanning the lines' energies gives the detector's shape (:func:`detector_shape`).
    """
    from nucsec.forensics.spectra.identify import relative_efficiency

    window = _window_function(continuum, calibration, resolution, counts, variance)
    eff = relative_efficiency(detector)
    args = (peaks, nuclides, library, eff, resolution.fwhm_kev)
    u = pu = None
    if uranium:
        u = uranium_enrichment(
            measured_peaks(*args, URANIUM_SOURCES),
            detector,
            window=window,
            resolution=resolution.fwhm_kev,
            foreign=_foreign(nuclides, library, eff, URANIUM_SOURCES),
            shape=detector_shape(efficiency, il.URANIUM_LINES),
        )
    if plutonium:
        pu = plutonium_isotopics(
            measured_peaks(*args, PLUTONIUM_SOURCES),
            detector,
            window=window,
            resolution=resolution.fwhm_kev,
            foreign=_foreign(nuclides, library, eff, PLUTONIUM_SOURCES),
            shape=detector_shape(efficiency, il.PLUTONIUM_LINES),
        )
    return u, pu


def _foreign(
    nuclides: Sequence[Any],
    library: dict[str, Any],
    efficiency: Callable[[Any], Any],
    own: frozenset[str],
) -> ForeignFn:
    """Counts the other identified sources predict between two energies (their fitted
    scale x intensity x the generic efficiency, as :func:`measured_peaks` subtracts them);
    sources seen only in a background that was subtracted predict nothing."""
    rows = [
        (ln.energy_kev, n.scale * ln.intensity * float(efficiency(ln.energy_kev)))
        for n in nuclides
        if n.name not in own
        and n.name in library
        and getattr(n, "extra", {}).get("in_excess_of_background", True)
        for ln in library[n.name].lines
    ]
    energy = np.array([e for e, _ in rows])
    counts = np.array([c for _, c in rows])

    def predicted(lo_kev: float, hi_kev: float) -> float:
        if energy.size == 0:
            return 0.0
        return float(counts[(energy >= lo_kev) & (energy <= hi_kev)].sum())

    return predicted


def _nothing(lo_kev: float, hi_kev: float) -> float:
    return 0.0


#: a non-detection in an empty window still allows a few counts (Poisson: about 3 at 95 %)
MIN_WINDOW_SIGMA = 1.5
WINDOW_FWHM = 1.25  # half-width of a line's window


def _window_function(
    continuum: FloatArray,
    calibration: Any,
    resolution: Any,
    counts: FloatArray | None,
    variance: FloatArray | None,
) -> WindowFn:
    """Net counts (and uncertainty) in +-1.25 FWHM around an energy: the counts above the
    analysis' continuum when the counts are given, else zero with the Currie detection
    limit ``L_D = 2.71 + 4.65 sqrt(B)`` as its k=2 bound."""
    base = np.maximum(np.asarray(continuum, dtype=np.float64), 0.0)
    cum_b = np.concatenate([[0.0], np.cumsum(base)])
    have = counts is not None
    c = np.asarray(counts if have else base, dtype=np.float64)
    v = np.maximum(np.asarray(variance if variance is not None else c, dtype=np.float64), 0.0)
    cum_c = np.concatenate([[0.0], np.cumsum(c)])
    cum_v = np.concatenate([[0.0], np.cumsum(v)])
    grid = np.arange(cum_b.size, dtype=np.float64)

    def window(energy_kev: float) -> tuple[float, float]:
        half = WINDOW_FWHM * float(resolution.fwhm_kev(energy_kev))
        edges = np.clip(calibration.channel(np.array([energy_kev - half, energy_kev + half])),
                        0, base.size)  # fmt: skip
        b = float(np.diff(np.interp(edges, grid, cum_b))[0])
        if not have:
            return 0.0, max((2.71 + 4.65 * math.sqrt(b)) / 2, 1.0)
        net = float(np.diff(np.interp(edges, grid, cum_c))[0]) - b
        var = float(np.diff(np.interp(edges, grid, cum_v))[0]) + b
        return net, max(math.sqrt(max(var, 0.0)), MIN_WINDOW_SIGMA)

    return window


#: a measured efficiency curve is used for the detector's shape when it spans the lines
#: used (from at most this much above their lowest to at least this much below their
#: highest energy, keV); its corrections then have these standard deviations at least
SHAPE_SPAN_KEV = 30.0
MIN_SHAPE_SD = (0.02, 0.01)


def detector_shape(efficiency: Any, lines: Sequence[il.IsoLine]) -> DetectorShape | None:
    """The detector's measured efficiency curve as its shape for the isotopics, when it
    spans the lines used (above :data:`MIN_ENERGY_KEV`); the corrections allowed around it
    grow with the curve's stated relative uncertainty (``rel_unc``): slope
    ``max(rel_unc, 0.02)``, curvature ``max(rel_unc / 2, 0.01)``."""
    if efficiency is None or len(efficiency.energy_kev) < 3:
        return None
    used = [ln.energy_kev for ln in lines if ln.energy_kev >= MIN_ENERGY_KEV]
    lo, hi = float(np.min(efficiency.energy_kev)), float(np.max(efficiency.energy_kev))
    if lo > min(used) + SHAPE_SPAN_KEV or hi < max(used) - SHAPE_SPAN_KEV:
        return None
    rel = float(efficiency.rel_unc)

    def curve(energy_kev: FloatArray) -> FloatArray:
        return np.array([efficiency(float(x)) for x in np.atleast_1d(energy_kev)])

    return DetectorShape(curve, max(rel, MIN_SHAPE_SD[0]), max(rel / 2, MIN_SHAPE_SD[1]))
