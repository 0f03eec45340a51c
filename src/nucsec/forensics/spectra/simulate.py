"""A small gamma-spectrum simulator, for tests and demonstrations.

Each line of the requested sources gives a Gaussian peak (detector resolution, integrated
over channels) whose area is ``activity x live time x intensity x efficiency``, plus a
Compton continuum (flat up to the Compton edge, with a backscatter shoulder), on top of a
smooth environmental continuum; the counts are Poisson-sampled with the generator the
caller hands in. The efficiency is a typical coaxial-HPGe-like curve, deliberately *not*
the generic shape the identification uses, so tests are not circular.

>>> import numpy as np
>>> s = simulate({"Cs-137": 1000.0}, rng=np.random.default_rng(1), live_time_s=600)
>>> s.n_channels, s.detector_type, round(float(s.calibration.edges_kev[-1]))
(8192, 'HPGe', 3000)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
from scipy.special import erf

from nucsec.forensics.spectra.model import EnergyCalibration, FloatArray, Spectrum, SpectrumError
from nucsec.forensics.spectra.nucdata import Source, load_library
from nucsec.forensics.spectra.resolution import default_resolution
from nucsec.nuclides import canonical

__all__ = ["default_efficiency", "simulate", "uranium_activities_bq"]

AVOGADRO = 6.02214076e23
SECONDS_PER_YEAR = 365.25 * 86400
T_U235_Y, T_U238_Y = 7.04e8, 4.468e9
M_U235, M_U238 = 235.0439, 238.0508


def default_efficiency(energy_kev: float) -> float:
    """Full-energy-peak efficiency of a typical coaxial HPGe at 25 cm (absolute, point source).

    ``ln eff = c0 + c1 x + c2 x^2`` with ``x = ln(E/100 keV)``, times the transmission of an
    end cap and dead layer at low energy.
    """
    x = math.log(max(energy_kev, 1.0) / 100.0)
    window = math.exp(-((22.0 / max(energy_kev, 1.0)) ** 3))
    return math.exp(math.log(4e-3) - 0.55 * x - 0.12 * x * x) * window


def uranium_activities_bq(mass_g: float, u235_wt_pct: float) -> dict[str, float]:
    """Activities of U-235 and U-238 in ``mass_g`` of uranium at a given enrichment (wt%).

    U-234 is neglected (it has no useful gamma lines); daughters are handled by the line
    library (Th-234/Pa-234m in equilibrium with U-238, Th-231 with U-235).
    """
    if mass_g <= 0 or not 0 < u235_wt_pct < 100:
        raise SpectrumError(
            "need a positive mass and 0 < wt% < 100", field="u235_wt_pct", value=u235_wt_pct
        )
    n235 = mass_g * u235_wt_pct / 100 / M_U235 * AVOGADRO
    n238 = mass_g * (100 - u235_wt_pct) / 100 / M_U238 * AVOGADRO
    lam235 = math.log(2) / (T_U235_Y * SECONDS_PER_YEAR)
    lam238 = math.log(2) / (T_U238_Y * SECONDS_PER_YEAR)
    return {"U-235": lam235 * n235, "U-238": lam238 * n238}


def _peak(edges: FloatArray, energy: float, fwhm: float, area: float) -> FloatArray:
    sigma = fwhm / 2.3548
    cdf = 0.5 * (1 + erf((edges - energy) / (sigma * math.sqrt(2))))
    out: FloatArray = area * np.diff(cdf)
    return out


def _compton(centers: FloatArray, energy: float, area: float, peak_to_total: float) -> FloatArray:
    edge = energy * (1 - 1 / (1 + 2 * energy / 510.999))
    shape = np.where(centers < edge, 1.0 + 0.5 * (centers / max(edge, 1.0)) ** 2, 0.0)
    backscatter = energy / (1 + 2 * energy / 510.999)
    shape += 0.6 * np.exp(-0.5 * ((centers - backscatter) / (0.08 * backscatter + 5)) ** 2)
    total = shape.sum()
    if total <= 0:
        return np.zeros_like(centers)
    out: FloatArray = shape / total * area * (1 / peak_to_total - 1)
    return out


def simulate(
    sources_bq: Mapping[str, float],
    *,
    rng: np.random.Generator,
    detector: str = "HPGe",
    live_time_s: float = 3600.0,
    n_channels: int = 8192,
    max_energy_kev: float = 3000.0,
    efficiency: Callable[[float], float] = default_efficiency,
    background_cps: float = 2.0,
    gain_error: float = 0.0,
    offset_kev: float = 0.0,
    library: Mapping[str, Source] | None = None,
) -> Spectrum:
    """Simulate a spectrum of the given source activities (Bq) seen by a detector.

    ``gain_error`` and ``offset_kev`` distort the *stored* calibration relative to the
    truth (``E_stored = (1 + gain_error) E_true + offset_kev``), to test recalibration.
    """
    lib = library if library is not None else load_library()
    res = default_resolution(detector)
    edges = np.linspace(0.0, max_energy_kev, n_channels + 1)
    centers = 0.5 * (edges[:-1] + edges[1:])
    mean = np.zeros(n_channels)
    for name, activity in sources_bq.items():
        source = lib.get(canonical(name))
        if source is None:
            raise SpectrumError(
                f"no source {name!r} in the line library", field="sources", value=name
            )
        for line in source.lines:
            if not 5 < line.energy_kev < max_energy_kev:
                continue
            area = activity * live_time_s * line.intensity * efficiency(line.energy_kev)
            fwhm = float(res.fwhm_kev(line.energy_kev))
            if line.kind == "annihilation":
                fwhm = math.hypot(fwhm, 2.5)  # Doppler broadening
            mean += _peak(edges, line.energy_kev, fwhm, area)
            ptt = min(0.9, 0.25 * (line.energy_kev / 661.7) ** -0.7)
            mean += _compton(centers, line.energy_kev, area, ptt)
    # environmental continuum, falling with energy, and a low-energy threshold roll-on
    env = np.exp(-centers / 400.0) * (1 - np.exp(-centers / 15.0))
    mean += env / env.sum() * background_cps * live_time_s
    counts = rng.poisson(np.maximum(mean, 0.0)).astype(np.float64)
    stored = (1 + gain_error) * edges + offset_kev
    cal = EnergyCalibration.polynomial(
        [offset_kev, (1 + gain_error) * max_energy_kev / n_channels], n_channels
    )
    if not np.allclose(cal.edges_kev, stored):
        cal = EnergyCalibration.from_edges(stored)
    return Spectrum(
        counts=counts,
        live_time_s=live_time_s,
        real_time_s=live_time_s,
        calibration=cal,
        detector_type=detector,
        detector_name="simulated",
        source_type="foreground",
        title="simulated: " + ", ".join(f"{k} {v:g} Bq" for k, v in sources_bq.items()),
    )
