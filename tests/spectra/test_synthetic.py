"""Synthetic spectra (seeded simulator) for what no public file covers: enrichment, known
activities, calibration shifts, background subtraction, fit accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.forensics.spectra import Efficiency, analyze, simulate, uranium_activities_bq
from nucsec.forensics.spectra.fitting import fit_roi
from nucsec.forensics.spectra.simulate import default_efficiency


@pytest.mark.parametrize("wt_pct", [0.2, 0.72, 3.0, 20.0, 90.0])
def test_enrichment_within_10_percent(wt_pct: float) -> None:
    spectrum = simulate(
        uranium_activities_bq(100.0, wt_pct), rng=np.random.default_rng(7), live_time_s=3600
    )
    result = analyze(spectrum).enrichment
    assert result is not None and result.method == "relative_efficiency_physical"
    assert result.u235_pct == pytest.approx(wt_pct, rel=0.10)
    assert 0 < result.u_u235_pct < result.u235_pct
    assert result.to_dict()["coverage"] == "k=1"


def test_natural_uranium_is_reported_as_uranium_not_as_u235() -> None:
    spectrum = simulate(uranium_activities_bq(100.0, 0.72), rng=np.random.default_rng(3))
    names = [n.name for n in analyze(spectrum).nuclides]
    assert "U-238" in names and "U-235" not in names


def test_high_enrichment_reports_u235() -> None:
    spectrum = simulate(uranium_activities_bq(10.0, 90.0), rng=np.random.default_rng(4))
    result = analyze(spectrum)
    assert "U-235" in [n.name for n in result.nuclides]
    assert result.to_dict()["enrichment"]["u235_pct"] > 80


def test_enrichment_meter_with_a_calibration() -> None:
    standard = analyze(simulate(uranium_activities_bq(100.0, 3.0), rng=np.random.default_rng(1)))
    p = next(p for p in standard.peaks if abs(p.energy_kev - 185.7) < 1)
    k = 3.0 / (p.net_counts / standard.spectrum.live_time_s)
    item = simulate(uranium_activities_bq(100.0, 20.0), rng=np.random.default_rng(2))
    result = analyze(item, enrichment_meter_k=k).enrichment
    assert result is not None and result.method == "enrichment_meter"
    assert result.u235_pct == pytest.approx(20.0, rel=0.03)


@pytest.mark.parametrize(
    ("sources", "detector"),
    [
        ({"Cs-137": 2000.0}, "HPGe"),
        ({"Co-60": 2000.0}, "HPGe"),
        ({"Am-241": 5000.0}, "HPGe"),
        ({"Ir-192": 2000.0}, "HPGe"),
        ({"I-131": 2000.0}, "HPGe"),
        ({"Tc-99m": 5000.0}, "HPGe"),
        ({"Ba-133": 2000.0, "Cs-137": 2000.0}, "HPGe"),
        ({"Cs-137": 500.0}, "NaI"),
        ({"Co-60": 500.0}, "NaI"),
        ({"Co-60": 500.0, "Cs-137": 500.0}, "LaBr3"),
    ],
    ids=lambda v: "+".join(v) if isinstance(v, dict) else v,
)
def test_simulated_sources_are_identified_alone(sources: dict[str, float], detector: str) -> None:
    spectrum = simulate(
        sources,
        rng=np.random.default_rng(11),
        detector=detector,
        n_channels=8192 if detector == "HPGe" else 1024,
        live_time_s=1800,
    )
    names = {n.name for n in analyze(spectrum).nuclides}
    assert names == set(sources)


def test_activity_with_a_known_efficiency() -> None:
    spectrum = simulate(
        {"Cs-137": 1000.0, "Co-60": 400.0}, rng=np.random.default_rng(5), live_time_s=3600
    )
    energies = np.geomspace(50, 2500, 12)
    eff = Efficiency.from_points([(e, default_efficiency(float(e))) for e in energies], 0.03)
    result = analyze(spectrum, efficiency=eff).to_dict()
    got = {n["name"]: n for n in result["nuclides"]}
    assert got["Cs-137"]["activity_bq"] == pytest.approx(1000.0, rel=0.05)
    assert got["Co-60"]["activity_bq"] == pytest.approx(400.0, rel=0.05)
    assert 0 < got["Cs-137"]["activity_unc_bq"] < 100


@settings(max_examples=6, deadline=None)
@given(st.floats(-0.003, 0.003), st.floats(-4.0, 4.0))
def test_calibration_shift_is_recovered(gain_error: float, offset_kev: float) -> None:
    spectrum = simulate(
        {"Eu-152": 3000.0, "Cs-137": 1000.0, "Co-60": 1000.0},
        rng=np.random.default_rng(21),
        gain_error=gain_error,
        offset_kev=offset_kev,
        live_time_s=1800,
    )
    result = analyze(spectrum)
    found = {n.name for n in result.nuclides}
    assert {"Eu-152", "Cs-137", "Co-60"} <= found
    for true_kev in (121.782, 344.279, 661.657, 1332.492, 1408.013):
        p = min(result.peaks, key=lambda q: abs(q.energy_kev - true_kev))
        assert abs(p.energy_kev - true_kev) < 0.3


def test_background_subtraction_flags_what_is_only_background() -> None:
    rng = np.random.default_rng(9)
    room = {"K-40": 300.0, "Th-232": 50.0}
    item = simulate({**room, "Cs-137": 300.0}, rng=rng, live_time_s=1800)
    background = simulate(room, rng=rng, live_time_s=7200)
    result = analyze(item, background=background).to_dict()
    assert result["background"]["subtracted"] is True
    assert result["background"]["scale"] == pytest.approx(0.25)
    names = [n["name"] for n in result["nuclides"]]
    assert "Cs-137" in names


def test_resolution_is_refined_towards_the_truth() -> None:
    spectrum = simulate(
        {"Eu-152": 3000.0},
        rng=np.random.default_rng(2),
        detector="NaI",
        n_channels=1024,
        live_time_s=1800,
    )
    result = analyze(spectrum, detector="CsI")  # a wrong default, 20 % wider
    from nucsec.forensics.spectra.resolution import default_resolution

    truth = float(default_resolution("NaI").fwhm_kev(661.657))
    assert float(result.resolution.fwhm_kev(661.657)) == pytest.approx(truth, rel=0.15)


@pytest.mark.parametrize("seed", range(5))
def test_poisson_fit_is_unbiased_with_honest_uncertainties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.arange(200) + 0.5
    area, mu, sigma = 5000.0, 100.3, 3.0
    mean = (
        50.0
        + 0.05 * x
        + area * np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    )
    counts = rng.poisson(mean).astype(float)
    fit = fit_roi(counts, 80, 121, [99.0], [sigma], free_width=True)
    p = fit.peaks[0]
    assert abs(p.area - area) < 4 * p.area_unc
    assert abs(p.x - mu) < 4 * p.x_unc
    assert p.area_unc == pytest.approx(np.sqrt(area + 2.5 * 50 * 2.355 * sigma), rel=0.5)


@pytest.mark.parametrize("offset_kev", [-1.5, 1.2])
def test_two_line_hpge_spectrum_gets_an_offset_from_its_lines(offset_kev: float) -> None:
    """Co-60 alone (two lines) with the stored calibration off by more than a keV: the two
    lines agree on an offset, which is applied (one line alone could not be checked)."""
    spectrum = simulate(
        {"Co-60": 2000.0},
        rng=np.random.default_rng(5),
        offset_kev=offset_kev,
        background_cps=0.5,
        live_time_s=1800,
    )
    result = analyze(spectrum)
    assert "Co-60" in {n.name for n in result.nuclides}
    assert result.correction.method == "refined" and result.correction.n_lines == 2
    for true_kev in (1173.228, 1332.492):
        p = min(result.peaks, key=lambda q: abs(q.energy_kev - true_kev))
        assert abs(p.energy_kev - true_kev) < 0.3
