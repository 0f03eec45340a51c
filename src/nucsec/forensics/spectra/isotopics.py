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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nucsec.forensics.spectra import isolines as il
from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g
from nucsec.forensics.spectra.enrichment import EnrichmentResult, PlutoniumResult, weight_pct
from nucsec.forensics.spectra.releff import FitResult, PeakGroup, ProfileInterval, RelEffModel

__all__ = ["MeasuredPeak", "plutonium_isotopics", "uranium_enrichment"]

LdFn = Callable[[Any], Any]

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
#: a k=2 interval wider than this factor (upper / lower wt%) gives a lower limit, not a value
WIDE_FACTOR = 3.0
USEFUL_LOWER_LIMIT_PCT = 0.1


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
    ld_counts: LdFn | None,
    resolution: Callable[[float], float],
    anchors: dict[str, float],
) -> list[PeakGroup]:
    """Assign lines to peaks; add zero-count groups for anchors with no peak."""
    usable = [
        p
        for p in peaks
        if p.usable
        and p.energy_kev >= MIN_ENERGY_KEV
        and p.counts_unc > 0
        and not any(
            abs(x - p.energy_kev) <= max(0.75 * p.fwhm_kev, 0.5) for x in il.FLUORESCENCE_KEV
        )
    ]
    by_peak: dict[int, list[tuple[int, float]]] = {}
    for li, line in enumerate(lines):
        if not usable:
            break
        dist = [abs(p.energy_kev - line.energy_kev) / max(p.fwhm_kev, 1e-6) for p in usable]
        j = int(np.argmin(dist))
        if dist[j] <= 0.5:
            w = 1.0
        elif dist[j] < 1.0:
            w = 2.0 * (1.0 - dist[j])
        else:
            continue
        by_peak.setdefault(j, []).append((li, w))
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
    if ld_counts is not None:
        for _iso, energy in anchors.items():
            near = [g for g in groups if abs(g.energy_kev - energy) < resolution(energy)]
            li = min(range(len(lines)), key=lambda i: abs(lines[i].energy_kev - energy))
            if near or any(li in g.lines for g in groups):
                continue
            sigma = max((float(ld_counts(energy)) - 2.71) / 4.65, 1.0)
            groups.append(PeakGroup(energy, 0.0, sigma, (li,), (1.0,), LINE_MODEL_UNC))
    return groups


@dataclass(frozen=True)
class _Fit:
    model: RelEffModel
    best: FitResult
    profiles: dict[str, ProfileInterval]


def _run(
    lines: Sequence[il.IsoLine],
    isotopes: tuple[str, ...],
    peaks: Sequence[MeasuredPeak],
    detector: str,
    material: str,
    ld_counts: LdFn | None,
    resolution: Callable[[float], float],
    anchors: dict[str, float],
    profile: Sequence[str],
) -> _Fit | None:
    groups = _groups(lines, peaks, ld_counts, resolution, anchors)
    seen = {lines[li].isotope for g in groups if g.counts > 0 for li in g.lines}
    if isotopes[0] not in seen:
        return None
    # isotopes without a line in any group cannot be fitted: drop them
    present = tuple(
        iso for iso in isotopes if any(lines[li].isotope == iso for g in groups for li in g.lines)
    )
    index = {iso: i for i, iso in enumerate(present)}
    keep = [i for i, line in enumerate(lines) if line.isotope in index]
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
    model = RelEffModel(
        np.array([lines[i].energy_kev for i in keep]),
        np.array([lines[i].intensity for i in keep]),
        np.array([index[lines[i].isotope] for i in keep]),
        present,
        groups,
        detector,
        material,
    )
    best = model.fit()
    wanted = [iso for iso in profile if iso in index and iso != present[0]]
    found = model.profiles(best, [f"lnR_{iso}" for iso in wanted])
    return _Fit(model, best, {iso: found[f"lnR_{iso}"] for iso in wanted})


def _areal(best: FitResult) -> dict[str, dict[str, float]]:
    out = {}
    for key in ("item", "Fe", "Pb"):
        value, unc = best.areal_density(key)
        out[key] = {"value": round(value, 4), "unc": round(unc, 4)}
    return out


def _poor(best: FitResult) -> bool:
    if best.dof <= 0:
        return False
    from scipy.stats import chi2 as chi2_dist

    p_value = float(chi2_dist.sf(best.chi2, best.dof))
    return p_value < 1e-3 and best.chi2 / best.dof > POOR_FIT_REDUCED_CHI2


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
    ld_counts: LdFn | None = None,
    resolution: Callable[[float], float] | None = None,
) -> EnrichmentResult | None:
    """U-235 enrichment (wt%) by the physical relative-efficiency fit, or a quality flag.

    Returns None when no U-238 line (Th-234 or Pa-234m) nor U-235 line is seen.
    """
    res = resolution or (lambda e: 0.0)
    fit = _run(
        il.URANIUM_LINES,
        ("U-238", "U-235", "U-234"),
        peaks,
        detector,
        "U",
        ld_counts,
        res,
        {"U-235": il.U235_ANCHOR_KEV, "U-238": il.U238_ANCHOR_KEV},
        ("U-235",),
    )
    if fit is None:
        fit = _run(
            il.URANIUM_LINES,
            ("U-235", "U-238", "U-234"),
            peaks,
            detector,
            "U",
            ld_counts,
            res,
            {"U-238": il.U238_ANCHOR_KEV},
            ("U-238",),
        )
        if fit is None:
            return None
        return _only_u235(fit)
    best = fit.best
    if "U-235" not in fit.profiles:
        return None
    prof = fit.profiles["U-235"]
    lines_used = tuple(
        sorted(
            {
                round(float(fit.model.energies[li]), 2)
                for g in fit.model.groups
                if g.counts > 0
                for li in g.lines
            }
        )
    )
    value = _wt(best.value("lnR_U-235"), float("nan"))
    k1 = (_wt(prof.lo_k1, 0.0), _wt(prof.hi_k1, 100.0))
    k2 = (_wt(prof.lo_k2, 0.0), _wt(prof.hi_k2, 100.0))
    mu186 = float(mass_attenuation_cm2_g("U", il.U235_ANCHOR_KEV))
    thick = mu186 * best.areal_density("item")[0] > THICK_OPTICAL_DEPTH
    quality, limit = "ok", None
    reported: float | None = value
    if _poor(best):
        quality, reported = "fit poor", None
    elif prof.lo_k2 is None and prof.hi_k2 is None:
        quality, reported = "lines missing", None
    elif prof.hi_k2 is None or k2[1] > WIDE_FACTOR * k2[0]:
        # unbounded above, or bounded only within a factor the analyst cannot use
        limit, reported = "lower", k2[0]
        quality = (
            "item too thick for the lines used"
            if thick or detector == "HPGe"
            else "enrichment unknown: the lines this detector resolves do not fix the "
            "item's thickness"
        )
    elif prof.lo_k2 is None:
        limit, reported = "upper", k2[1]
        quality = "lines missing"
    if limit is None and reported is not None and reported < USEFUL_LOWER_LIMIT_PCT / 100:
        quality, reported = "lines missing", None  # the fit put U-235 at nothing: not seen
    if limit == "lower" and k2[0] < USEFUL_LOWER_LIMIT_PCT:
        reported, limit = None, None  # "at least 0.00 %" says nothing
    unc = (k1[1] - k1[0]) / 2 if limit is None and reported is not None else None
    atom = math.exp(best.value("lnR_U-235")) * il.T_U235_Y / il.T_U238_Y
    return EnrichmentResult(
        u235_pct=reported,
        u_u235_pct=unc,
        method="relative_efficiency_physical",
        atom_pct=100 * atom / (1 + atom) if reported is not None and limit is None else None,
        limit=limit,
        lines_used=lines_used,
        note=_note(quality, best, thick),
        quality=quality,
        interval_k1=k1,
        interval_k2=k2,
        areal_density_g_cm2=_areal(best),
        self_attenuation=best.form,
        chi2=best.chi2,
        dof=best.dof,
    )


def _note(quality: str, best: FitResult, thick: bool) -> str:
    parts = [
        f"self-attenuation: {best.form}, item {best.areal_density('item')[0]:.3g} g/cm2 (as metal)"
    ]
    if thick:
        parts.append("item thick at 186 keV: only a surface layer is seen in the U-235 lines")
    if quality != "ok":
        parts.append(quality)
    return "; ".join(parts)


def _only_u235(fit: _Fit) -> EnrichmentResult | None:
    """U-235 seen, U-238 not: the enrichment has a lower bound only (when one is bounded)."""
    prof = fit.profiles.get("U-238")
    if prof is None or prof.hi_k2 is None:
        return None
    # ln(A238/A235) at most hi_k2: enrichment at least ...
    lower = _wt(-prof.hi_k2, 0.0)
    return EnrichmentResult(
        u235_pct=lower,
        u_u235_pct=None,
        method="relative_efficiency_physical",
        limit="lower",
        lines_used=(),
        note="no U-238 line seen: lower limit (k=2)",
        quality="lines missing",
        interval_k2=(lower, 100.0),
        areal_density_g_cm2=_areal(fit.best),
        self_attenuation=fit.best.form,
        chi2=fit.best.chi2,
        dof=fit.best.dof,
    )


def plutonium_isotopics(
    peaks: Sequence[MeasuredPeak],
    detector: str,
    *,
    ld_counts: LdFn | None = None,
    resolution: Callable[[float], float] | None = None,
) -> PlutoniumResult | None:
    """Pu-238/239/240/241 and Am-241 mass fractions (of Pu-238..241) from their lines."""
    fit = _run(
        il.PLUTONIUM_LINES,
        il.PU_ISOTOPES,
        peaks,
        detector,
        "Pu",
        ld_counts,
        resolution or (lambda e: 0.0),
        {},
        il.PU_ISOTOPES[1:],
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
    ratios = {iso: best.value(f"lnR_{iso}") for iso in present[1:]}
    fractions = il.pu_mass_fractions({"Pu-239": 0.0, **ratios})
    intervals = {}
    for iso, prof in fit.profiles.items():
        lo = (
            None
            if prof.lo_k1 is None
            else il.pu_mass_fractions({"Pu-239": 0.0, **ratios, iso: prof.lo_k1})[iso]
        )
        hi = (
            None
            if prof.hi_k1 is None
            else il.pu_mass_fractions({"Pu-239": 0.0, **ratios, iso: prof.hi_k1})[iso]
        )
        intervals[iso] = (lo, hi)
    return PlutoniumResult(
        mass_pct={k: v for k, v in fractions.items()} if quality == "ok" else {},
        interval_k1_pct=intervals if quality == "ok" else {},
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
    uranium: bool = True,
    plutonium: bool = True,
) -> tuple[EnrichmentResult | None, PlutoniumResult | None]:
    """Both isotopics from the peaks and identifications of an analysis, its detector
    family, resolution, calibration and continuum (for detection limits), whatever was
    identified."""
    from nucsec.forensics.spectra.identify import relative_efficiency
    from nucsec.forensics.spectra.pipeline import _ld_function

    ld = _ld_function(continuum, calibration, resolution)
    args = (peaks, nuclides, library, relative_efficiency(detector), resolution.fwhm_kev)
    u = pu = None
    if uranium:
        u = uranium_enrichment(
            measured_peaks(*args, URANIUM_SOURCES),
            detector,
            ld_counts=ld,
            resolution=resolution.fwhm_kev,
        )
    if plutonium:
        pu = plutonium_isotopics(
            measured_peaks(*args, PLUTONIUM_SOURCES),
            detector,
            ld_counts=ld,
            resolution=resolution.fwhm_kev,
        )
    return u, pu
