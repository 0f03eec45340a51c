"""The result of an analysis and its JSON form (what ``nucsec spectrum analyze --json`` prints)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nucsec.forensics.spectra.activity import ActivityResult
from nucsec.forensics.spectra.calibration import Correction
from nucsec.forensics.spectra.enrichment import EnrichmentResult, PlutoniumResult
from nucsec.forensics.spectra.families import SERIES
from nucsec.forensics.spectra.identify import Identification, ObservedPeak
from nucsec.forensics.spectra.model import EnergyCalibration, FloatArray, Spectrum
from nucsec.forensics.spectra.resolution import Resolution
from nucsec.forensics.spectra.roi import PeakSet

__all__ = ["Peak", "SpectrumAnalysis"]


@dataclass(frozen=True)
class Peak:
    """A fitted peak in energy units. Uncertainties are standard uncertainties (k=1)."""

    energy_kev: float
    energy_unc_kev: float
    fwhm_kev: float
    net_counts: float
    unc: float
    continuum_counts: float
    ld_counts: float
    significance: float
    label: str | None = None  # the source (or effect) that explains the peak
    #: a free-width peak measurably wider than the resolution: a blend of lines too close
    #: to resolve (or x-rays, annihilation, sum peaks); its centroid is no clean energy
    broadened: bool = False

    def observed(self) -> ObservedPeak:
        return ObservedPeak(
            self.energy_kev,
            self.energy_unc_kev,
            self.net_counts,
            self.unc,
            self.fwhm_kev,
            excluded=self.label is not None,
        )

    def to_dict(self, live_time_s: float) -> dict[str, Any]:
        return {
            "energy_kev": round(self.energy_kev, 3),
            "energy_unc_kev": round(self.energy_unc_kev, 3),
            "fwhm_kev": round(self.fwhm_kev, 3),
            "net_counts": round(self.net_counts, 1),
            "unc": round(self.unc, 1),
            "cps": round(self.net_counts / live_time_s, 5) if live_time_s > 0 else None,
            "significance": round(self.significance, 1),
            "continuum_counts": round(self.continuum_counts, 1),
            "ld_counts": round(self.ld_counts, 1),
            "label": self.label,
            "broadened": self.broadened,
        }


@dataclass(frozen=True)
class SpectrumAnalysis:
    """Everything :func:`~nucsec.forensics.spectra.analysis.analyze` found."""

    spectrum: Spectrum
    detector_type: str
    resolution: Resolution
    calibration: EnergyCalibration
    correction: Correction
    peaks: tuple[Peak, ...]
    nuclides: tuple[Identification, ...]
    enrichment: EnrichmentResult | None
    activities: dict[str, ActivityResult]
    warnings: tuple[str, ...]
    counts: FloatArray = field(repr=False)  # analysed counts (net if background subtracted)
    continuum: FloatArray = field(repr=False)
    peakset: PeakSet = field(repr=False)
    background: dict[str, Any] | None = None
    plutonium: PlutoniumResult | None = None
    #: ``{"confidence": "high|medium|low", "confidence_basis": ...}`` of the calibration
    calibration_confidence: dict[str, str] = field(default_factory=dict)

    def _nuclide_dict(self, ident: Identification, obs: list[ObservedPeak]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": ident.name,
            "category": ident.category,
            "status": ident.extra.get("status", "identified"),
            "confidence": ident.confidence,
            "series": ident.extra.get("series", SERIES.get(ident.name)),
            "matched_lines": [m.to_dict(obs) for m in ident.matched],
            "missing_lines": [m.to_dict(obs) for m in ident.missing],
            "explanation": ident.explanation,
            "in_excess_of_background": ident.extra.get("in_excess_of_background"),
        }
        if ident.extra.get("natural_uranium"):
            out["natural_uranium"] = True
        for key in ("family", "members_seen", "alternatives"):
            if ident.extra.get(key):
                out[key] = ident.extra[key]
        absorber = ident.extra.get("absorber")
        if absorber and absorber["areal_density_g_cm2"] > 0:
            out["absorber"] = absorber
        act = self.activities.get(ident.name)
        if act is not None:
            out["activity_bq"] = act.activity_bq
            out["activity_unc_bq"] = act.activity_unc_bq
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``nucsec spectrum analyze --json``."""
        s = self.spectrum
        obs = [p.observed() for p in self.peaks]
        return {
            "detector": {
                "type": self.detector_type,
                "name": s.detector_name,
                "instrument": s.instrument,
                "resolution": self.resolution.to_dict(),
            },
            "live_time_s": s.live_time_s,
            "real_time_s": s.real_time_s,
            "start_time": s.start_time.isoformat() if s.start_time else None,
            "n_channels": s.n_channels,
            "total_counts": s.total_counts,
            "background": self.background,
            "calibration": {
                "source": self.correction.method,
                "kind": self.calibration.kind,
                "coefficients": [float(c) for c in self.calibration.coefficients],
                "file_calibration": s.calibration.to_dict(),
                "correction": [float(c) for c in self.correction.coefficients],
                "n_lines": self.correction.n_lines,
                "rms_kev": self.correction.rms_kev,
                **self.calibration_confidence,
            },
            "peaks": [p.to_dict(s.live_time_s) for p in self.peaks],
            "nuclides": [self._nuclide_dict(n, obs) for n in self.nuclides],
            "enrichment": self.enrichment.to_dict() if self.enrichment else None,
            "pu_isotopics": self.plutonium.to_dict() if self.plutonium else None,
            "uncertainty_coverage": "k=1",
            "warnings": list(self.warnings),
        }
