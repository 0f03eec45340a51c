"""Units of the handheld/uncalibrated work: the line library's additions, attenuation,
the effective absorber, the Compton-edge scale, gain candidates, calibration confidence and
the chain/family report level."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nucsec.forensics.spectra import load_library, simulate
from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g
from nucsec.forensics.spectra.calibration import (
    Correction,
    compton_edge_estimate,
    confidence,
    scale_candidates,
)
from nucsec.forensics.spectra.families import report_level
from nucsec.forensics.spectra.identify import Identification
from nucsec.forensics.spectra.model import EnergyCalibration
from nucsec.forensics.spectra.resolution import closest_family, default_resolution
from nucsec.forensics.spectra.shielding import fit_absorbers, group_attenuation


def _line(source: str, energy_kev: float) -> float:
    lines = [ln for ln in load_library()[source].lines if abs(ln.energy_kev - energy_kev) < 0.5]
    assert lines, f"{source} {energy_kev} keV missing"
    return sum(ln.intensity for ln in lines)


@pytest.mark.parametrize(
    ("source", "energy_kev", "intensity"),
    [
        ("Mn-56", 846.76, 0.9885),  # ENSDF
        ("N-16", 6128.63, 0.67),
        ("Na-24", 2754.01, 0.9987),
        ("Ho-166m", 184.41, 0.72),
        ("Ag-108m", 433.94, 0.905),
        ("Pb-203", 279.20, 0.809),
        ("Sr-87m", 388.40, 0.822),  # isomeric transition, from PhotoPeak.lis
        ("Tc-99m", 140.51, 0.8906),  # isomeric transition, from PhotoPeak.lis
        ("Th-228", 2614.51, 0.3607),  # Tl-208 in the Th-228 sub-chain (35.94 % branch)
    ],
)
def test_library_additions(source: str, energy_kev: float, intensity: float) -> None:
    assert _line(source, energy_kev) == pytest.approx(intensity, rel=0.01)


def test_attenuation_follows_xraydb_below_800_kev_and_pair_production_above() -> None:
    import xraydb

    for material in ("Fe", "Pb"):
        for e in (60.0, 186.0, 662.0):
            assert float(mass_attenuation_cm2_g(material, e)) == pytest.approx(
                float(xraydb.mu_elam(material, e * 1e3)), rel=0.02
            )
        high = mass_attenuation_cm2_g(material, np.array([800.0, 1500.0, 3000.0]))
        assert np.all(np.diff(high) < 0)
    # pair production: lead's coefficient passes its minimum near 3.5 MeV, iron's near 10
    # (NIST XCOM: Pb 0.0415 at 3 MeV, 0.0437 at 6 MeV; Fe 0.0360 and 0.0306)
    assert mass_attenuation_cm2_g("Pb", 6000.0) > mass_attenuation_cm2_g("Pb", 3000.0)
    assert mass_attenuation_cm2_g("Fe", 6000.0) < mass_attenuation_cm2_g("Fe", 3000.0)
    # lead's K edge (88 keV): more attenuation just above than just below
    assert mass_attenuation_cm2_g("Pb", 90.0) > 2 * mass_attenuation_cm2_g("Pb", 86.0)


def test_absorber_fit_recovers_a_steel_shield() -> None:
    energy = np.array([184.4, 280.5, 711.7, 810.3])
    rel = np.array([0.72, 0.29, 0.54, 0.57])
    mu = group_attenuation(energy)
    x_true = 16.0  # g/cm2 of iron, about 2 cm of steel
    area = 1e4 * rel * np.exp(-mu[0] * x_true)
    ab = fit_absorbers(
        np.zeros(4, dtype=np.int64), 1, mu, energy, np.ones(4, bool), area, np.sqrt(area), rel
    )
    assert ab.areal_density_g_cm2[0] == pytest.approx(x_true, rel=0.05)
    assert ab.material[0] == 0  # iron
    # unshielded lines: no absorber
    ab = fit_absorbers(
        np.zeros(4, dtype=np.int64), 1, mu, energy, np.ones(4, bool), 1e4 * rel, 100 * rel, rel
    )
    assert ab.areal_density_g_cm2[0] == pytest.approx(0.0, abs=0.5)


def test_compton_edge_gives_the_energy_of_a_lone_line() -> None:
    # Cs-137 on a NaI whose channels span 0-1500 keV, read with a 0-3000 keV default
    spec = simulate(
        {"Cs-137": 3e4}, rng=np.random.default_rng(3), detector="NaI", n_channels=1024,
        max_energy_kev=1500.0, live_time_s=300,
    )  # fmt: skip
    default = EnergyCalibration.polynomial([0.0, 3000.0 / 1024], 1024, "default")
    x = 661.657 / (1500.0 / 1024)
    fwhm = float(default_resolution("NaI").fwhm_kev(661.657)) / (1500.0 / 1024)
    est = compton_edge_estimate(spec.counts, default, np.array([x]), np.array([fwhm]), np.ones(1))
    assert est is not None
    assert est.true_kev == pytest.approx(661.657, rel=est.sigma_ln)  # its stated 15 %
    assert est.penalty(Correction((0.0, 0.5))) < 1.0  # the true gain
    assert est.penalty(Correction((0.0, 1.1))) > 9.0  # K-40 at that peak: over 3 sigma


def test_gain_candidates_include_the_true_gain_of_two_check_sources() -> None:
    # peaks of Am-241 (59.5) and Cs-137 (661.7 keV) read at half their energy
    e = np.array([59.54, 661.66]) * 0.5
    cands = scale_candidates(e, np.array([60.0, 90.0]), np.array([7.0, 28.0]), load_library())
    gains = [c.coefficients[1] for _, c in cands]
    assert any(abs(g - 2.0) < 0.02 for g in gains)


def test_calibration_confidence() -> None:
    refined = Correction((0.1, 1.0), "refined", 6, 0.3)
    assert confidence(refined, False, None)["confidence"] == "high"
    assert confidence(refined, False, 3.0)["confidence"] == "low"  # a rival nearly as good
    assert confidence(Correction((0.0, 0.5), "aligned", 0), True, None)["confidence"] == "low"
    assert "no calibration in the file" in confidence(refined, True, 30.0)["confidence_basis"]


def test_resolution_model_picks_the_family() -> None:
    for family in ("LaBr3", "NaI", "CsI", "HPGe"):
        e = np.array([186.0, 662.0, 1461.0, 2614.0])
        fw = default_resolution(family).fwhm_kev(e) * 1.1
        assert closest_family(e, fw, np.ones(4)) == family


def _ident(name: str, score: float, status: str = "identified") -> Identification:
    return Identification(name, "NORM", 0.8, score, (), (), 1.0, extra={"status": status})


def test_low_resolution_reports_chains_under_their_parent() -> None:
    found = [_ident("Ra-226", 30.0), _ident("Th-228", 12.0), _ident("K-40", 15.0, "possible")]
    nai = {n.name: n for n in report_level(found, "NaI")}
    assert set(nai) == {"U-238", "Th-232", "K-40"}
    assert nai["U-238"].extra["family"] == "natural uranium series"
    assert nai["U-238"].extra["members_seen"] == ["Ra-226"]
    assert nai["Th-232"].extra["series"] == "Th-232"
    assert nai["K-40"].extra["status"] == "possible"
    hpge = {n.name for n in report_level(found, "HPGe")}
    assert hpge == {"Ra-226", "Th-228", "K-40"}  # HPGe keeps the nuclides apart


def test_uranium_family_on_a_scintillator() -> None:
    alone = report_level([_ident("U-235", 20.0)], "NaI")
    assert alone[0].extra["family"] == "enriched uranium"
    both = report_level([_ident("U-235", 20.0), _ident("U-238", 10.0)], "CsI")
    assert {n.extra["family"] for n in both} == {"uranium, enrichment unknown"}
    assert math.isclose(both[0].score, 20.0)
