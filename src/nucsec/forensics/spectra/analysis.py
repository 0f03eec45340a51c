"""The analysis pipeline: one spectrum in, a :class:`SpectrumAnalysis` out.

Steps: net counts (background subtracted, live-time normalised, when one is given) ->
detector family and resolution -> peak search and fits -> resolution refined from the
strong peaks -> coarse calibration alignment -> a first identification with a tolerance
wide enough for the stored calibration -> calibration refined on the identified lines ->
final identification with tight tolerances -> enrichment (uranium) and activities.

A pure function of its inputs: no I/O, no clock, no randomness.
"""

from __future__ import annotations

from dataclasses import replace

from nucsec.forensics.spectra import enrichment as enr
from nucsec.forensics.spectra import isotopics as iso
from nucsec.forensics.spectra.activity import ActivityResult, Efficiency, activity_from_lines
from nucsec.forensics.spectra.calibration import confidence as cal_confidence
from nucsec.forensics.spectra.explain import explain, label_peaks
from nucsec.forensics.spectra.families import report_level
from nucsec.forensics.spectra.identify import Identification
from nucsec.forensics.spectra.model import (
    DETECTOR_TYPES,
    EnergyCalibration,
    FloatArray,
    Spectrum,
    SpectrumError,
)
from nucsec.forensics.spectra.nucdata import Source, load_library
from nucsec.forensics.spectra.pipeline import Pass, net_counts, run_pass
from nucsec.forensics.spectra.result import Peak, SpectrumAnalysis

__all__ = ["analyze"]

NATURAL_U235_MAX_PCT = (
    0.72  # a k=2 lower bound of U-235 at or below this: natural (0.711 %) or depleted
)
LEU_MIN_PCT = 1.5  # ... unless the k=2 upper bound allows this much: enrichment unknown


def analyze(
    spectrum: Spectrum,
    *,
    background: Spectrum | None = None,
    detector: str | None = None,
    efficiency: Efficiency | None = None,
    enrichment_meter_k: float | None = None,
    library: dict[str, Source] | None = None,
) -> SpectrumAnalysis:
    """Analyse one spectrum: peaks, calibration, nuclides, enrichment, activities.

    Parameters
    ----------
    spectrum : Spectrum
        The item spectrum (e.g. ``read_spectrum(path).foreground()``).
    background : Spectrum, optional
        Subtracted after live-time normalisation and rebinning onto the item's binning.
    detector : str, optional
        ``HPGe``, ``NaI``, ``LaBr3``, ``CsI`` or ``CZT``; read from the file or inferred
        from the peak widths otherwise.
    efficiency : Efficiency, optional
        Full-energy-peak efficiency: activities are computed when given.
    enrichment_meter_k : float, optional
        Calibration constant (wt% per count/s at 185.7 keV) of the enrichment-meter method.
    library : dict, optional
        Sources to consider (default: the shipped library).
    """
    warnings = list(spectrum.notes)
    if background is not None:
        warnings += [f"background: {note}" for note in background.notes]
    lib = library if library is not None else load_library()
    if detector is not None and detector not in DETECTOR_TYPES:
        raise SpectrumError(f"unknown detector type {detector!r}", field="detector", value=detector)
    det = detector or spectrum.detector_type
    inferred = det == "unknown"
    if inferred:
        det = "HPGe" if spectrum.n_channels >= 4096 else "NaI"
    file_cal = spectrum.calibration
    uncalibrated = file_cal.kind == "default" or not file_cal.is_valid
    if uncalibrated:
        warnings.append("the file has no energy calibration: it was inferred from the peaks")
        if not file_cal.is_valid:
            file_cal = EnergyCalibration.polynomial(
                [0.0, 3000.0 / spectrum.n_channels], spectrum.n_channels, "default"
            )
    gross = run_pass(spectrum.counts, None, file_cal, det, inferred, lib, warnings)
    main, nuclides, bg_info = gross, list(gross.nuclides), None
    counts, var = spectrum.counts, None
    if background is not None:
        counts_net, var_net, bg_info = net_counts(
            spectrum.with_(calibration=file_cal), background, warnings
        )
        if var_net is not None:
            counts, var = counts_net, var_net
            main = run_pass(counts, var, file_cal, det, inferred, lib, warnings, fixed=gross)
            nuclides = _merge_background(main.nuclides, gross.nuclides, main.peaks, gross.peaks)
    det, res, cal, corr, ps = main.det, main.res, main.cal, main.corr, main.ps
    peaks = main.peaks
    peaks = label_peaks(peaks, nuclides)
    nuclides = [explain(n) for n in nuclides]
    enrichment, plutonium = _enrichment(
        peaks, nuclides, lib, main, spectrum.live_time_s, enrichment_meter_k, (counts, var),
        efficiency,
    )  # fmt: skip
    nuclides = _natural_uranium(nuclides, enrichment)
    nuclides = report_level(nuclides, det)
    activities = _activities(nuclides, peaks, spectrum.live_time_s, efficiency)
    if not nuclides and peaks:
        warnings.append("peaks found but no nuclide explains them well enough")
    return SpectrumAnalysis(
        spectrum=spectrum,
        detector_type=det,
        resolution=res,
        calibration=cal,
        correction=corr,
        peaks=tuple(peaks),
        nuclides=tuple(nuclides),
        enrichment=enrichment,
        plutonium=plutonium,
        activities=activities,
        warnings=tuple(warnings),
        counts=counts,
        continuum=main.continuum,
        peakset=ps,
        background=bg_info,
        calibration_confidence=cal_confidence(corr, uncalibrated, gross.margin),
    )


def _merge_background(
    net: list[Identification],
    gross: list[Identification],
    net_peaks: list[Peak],
    gross_peaks: list[Peak],
) -> list[Identification]:
    """Combine the identifications of the gross and the background-subtracted spectra.

    Everything seen in the gross spectrum is reported, flagged by whether it is also in
    excess of the background. A source seen only after subtraction is added when a line
    above 150 keV supports it at 5 sigma: at lower energies a subtraction mostly leaves
    differences of scatter shape, not sources.
    """
    by_name = {n.name: n for n in net}
    out = []
    for g in gross:
        if g.name in by_name:
            out.append(
                replace(
                    by_name[g.name],
                    extra={**by_name[g.name].extra, "in_excess_of_background": True},
                )
            )
        else:
            out.append(
                replace(
                    _remap(g, gross_peaks, net_peaks),
                    extra={**g.extra, "in_excess_of_background": False},
                )
            )
    names = {g.name for g in gross}
    for n in net:
        strong = any(
            m.peak is not None
            and m.kind == "gamma"
            and m.energy_kev >= 150
            and net_peaks[m.peak].significance >= 5
            for m in n.matched
        )
        if n.name not in names and strong:
            out.append(replace(n, extra={**n.extra, "in_excess_of_background": True}))
    return out


def _remap(ident: Identification, old: list[Peak], new: list[Peak]) -> Identification:
    """Point matched lines at the peak of ``new`` at the same energy (or at none)."""
    matched = []
    for m in ident.matched:
        j = None
        if m.peak is not None:
            e = old[m.peak].energy_kev
            near = [k for k, p in enumerate(new) if abs(p.energy_kev - e) < 0.5 * p.fwhm_kev]
            j = near[0] if near else None
        matched.append(replace(m, peak=j))
    return replace(ident, matched=tuple(matched))


def _enrichment(
    peaks: list[Peak],
    nuclides: list[Identification],
    lib: dict[str, Source],
    main: Pass,
    live_time_s: float,
    meter_k: float | None,
    counts_var: tuple[FloatArray, FloatArray | None],
    efficiency: Efficiency | None,
) -> tuple[enr.EnrichmentResult | None, enr.PlutoniumResult | None]:
    """Uranium enrichment and plutonium isotopics, when those elements were identified
    (lines without a peak are measured in the analysed counts; a user efficiency curve
    gives the detector's shape)."""
    names = {n.name for n in nuclides}
    want_u = bool(names & iso.URANIUM_SOURCES)
    want_pu = bool(names & (iso.PLUTONIUM_SOURCES - {"Am-241"}))
    near = [p for p in peaks if abs(p.energy_kev - 185.715) < 0.5 * p.fwhm_kev]
    state = (main.det, main.res, main.cal, main.continuum)
    if want_u and meter_k is not None and live_time_s > 0 and near:
        p = near[0]
        meter = enr.enrichment_meter(p.net_counts / live_time_s, p.unc / live_time_s, meter_k)
        pu = None
        if want_pu:
            pu = iso.isotopics(
                peaks, nuclides, lib, *state, counts=counts_var[0], variance=counts_var[1],
                efficiency=efficiency, uranium=False,
            )[1]  # fmt: skip
        return meter, pu
    if not (want_u or want_pu):
        return None, None
    return iso.isotopics(
        peaks, nuclides, lib, *state, counts=counts_var[0], variance=counts_var[1],
        efficiency=efficiency, uranium=want_u, plutonium=want_pu,
    )  # fmt: skip


def _natural_uranium(
    nuclides: list[Identification], result: enr.EnrichmentResult | None
) -> list[Identification]:
    """Fold U-235 into U-238 when the uranium is natural or depleted (not a separate finding):
    consistent with natural at 2 sigma and, at 2 sigma, not low-enriched either. An estimate
    too uncertain to exclude LEU keeps both (uranium, enrichment unknown)."""
    names = [n.name for n in nuclides]
    if result is None or "U-235" not in names or "U-238" not in names:
        return nuclides
    if result.u235_pct is None or result.limit == "upper":
        return nuclides
    if result.interval_k2 is not None:
        lower, upper = result.interval_k2
    else:
        u = result.u_u235_pct or 0.0
        lower, upper = result.u235_pct - 2 * u, result.u235_pct + 2 * u
    if lower > NATURAL_U235_MAX_PCT or upper > LEU_MIN_PCT:
        return nuclides
    u235 = nuclides[names.index("U-235")]
    out = []
    for n in nuclides:
        if n.name == "U-235":
            continue
        if n.name == "U-238":
            n = replace(
                n, matched=n.matched + u235.matched, extra={**n.extra, "natural_uranium": True}
            )
        out.append(n)
    return out


def _activities(
    nuclides: list[Identification], peaks: list[Peak], live_time_s: float, eff: Efficiency | None
) -> dict[str, ActivityResult]:
    if eff is None:
        return {}
    out = {}
    for n in nuclides:
        lines = [
            (m.energy_kev, m.intensity, peaks[m.peak].net_counts, peaks[m.peak].unc)
            for m in n.matched
            if m.peak is not None and m.kind == "gamma" and not m.note
        ]
        act = activity_from_lines(lines, live_time_s, eff)
        if act is not None:
            out[n.name] = act
    return out
