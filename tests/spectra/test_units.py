"""Building blocks: line library, resolution, peak search, calibration, activity, plots."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA
from nucsec.forensics.spectra import (
    Efficiency,
    EnergyCalibration,
    Spectrum,
    SpectrumError,
    analyze,
    load_library,
    plot_data,
    plot_svg,
    read_spectrum,
    simulate,
)
from nucsec.forensics.spectra.calibration import Correction, apply_correction, refine
from nucsec.forensics.spectra.enrichment import U235_LINES, U238_LINES
from nucsec.forensics.spectra.peaks import search_peaks
from nucsec.forensics.spectra.resolution import classify_resolution, default_resolution

# ENSDF values (photons per 100 decays) quoted in ../shared/data/nucdata/ENSDF_PROVENANCE.md
ENSDF_SPOT_CHECKS = [
    ("Cs-137", 661.657, 85.1),
    ("Co-60", 1332.492, 99.9826),
    ("Am-241", 59.541, 35.9),
    ("U-235", 185.713, 57.2),
    ("Ba-133", 356.013, 62.05),
    ("Eu-152", 1408.013, 20.87),
    ("K-40", 1460.82, 10.66),
    ("U-238", 1001.03, 0.8417),  # Pa-234m in equilibrium
    ("U-238", 63.29, 3.665),  # Th-234 in equilibrium
]


@pytest.mark.parametrize(("source", "energy", "pct"), ENSDF_SPOT_CHECKS, ids=lambda v: str(v))
def test_library_matches_ensdf(source: str, energy: float, pct: float) -> None:
    lines = load_library()[source].lines
    line = min(lines, key=lambda ln: abs(ln.energy_kev - energy))
    assert line.energy_kev == pytest.approx(energy, abs=0.01)
    assert 100 * line.intensity == pytest.approx(pct, rel=1e-3)


def test_th232_chain_weights_tl208_by_its_branch() -> None:
    tl = [ln for ln in load_library()["Th-232"].lines if abs(ln.energy_kev - 2614.511) < 0.01]
    assert 100 * tl[0].intensity == pytest.approx(99.754 * 0.3594, rel=2e-3)


def test_enrichment_line_constants_agree_with_the_library() -> None:
    lib = load_library()
    for source, table in (("U-235", U235_LINES), ("U-238", U238_LINES)):
        for energy, intensity in table:
            line = min(lib[source].lines, key=lambda ln: abs(ln.energy_kev - energy))
            assert line.intensity == pytest.approx(intensity, rel=0.01)


def test_every_source_has_lines_and_a_category() -> None:
    for src in load_library().values():
        assert src.lines and src.category in {
            "SNM",
            "industrial",
            "medical",
            "NORM",
            "activation",
            "fission",
        }


@pytest.mark.parametrize(
    ("rel", "family"),
    [(0.002, "HPGe"), (0.02, "CZT"), (0.03, "LaBr3"), (0.07, "NaI"), (0.09, "CsI")],
)
def test_resolution_classes(rel: float, family: str) -> None:
    assert classify_resolution(rel) == family


def test_unknown_detector_is_a_typed_error() -> None:
    with pytest.raises(SpectrumError) as err:
        default_resolution("Geiger")
    assert err.value.field == "detector"


@settings(max_examples=25, deadline=None)
@given(st.floats(200, 1800), st.floats(1500, 5000), st.integers(0, 2**31))
def test_search_finds_a_gaussian_peak(center: float, area: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.arange(2048) + 0.5
    sigma = 4.0
    mean = 200 * np.exp(-x / 900) + area * np.exp(-0.5 * ((x - center) / sigma) ** 2) / (
        sigma * np.sqrt(2 * np.pi)
    )
    counts = rng.poisson(mean).astype(float)
    cands, _ = search_peaks(counts, np.full(2048, 2.3548 * sigma), threshold=4.0)
    assert any(abs(c.x - center) < 2 for c in cands)


def test_refine_recovers_a_quadratic_distortion() -> None:
    true = np.array([121.78, 244.7, 344.28, 778.9, 964.08, 1112.08, 1408.01, 2614.51])
    measured = true - 0.3 + 1.2e-6 * true**2
    corr = refine(measured, true, np.full(true.size, 0.02))
    assert corr is not None
    np.testing.assert_allclose(corr(measured), true, atol=0.01)


def test_correction_composes() -> None:
    a = Correction((1.0, 1.01), "aligned")
    b = Correction((-0.5, 0.999, 1e-7), "refined")
    e = np.array([100.0, 1000.0])
    np.testing.assert_allclose(a.then(b)(e), b(a(e)))


def test_applied_correction_keeps_channel_count() -> None:
    cal = EnergyCalibration.polynomial([0.0, 0.5], 4096)
    new = apply_correction(cal, Correction((2.0, 1.001), "aligned"))
    assert new.n_channels == 4096 and new.is_valid
    assert float(new.energy_kev(2000)) == pytest.approx(2.0 + 1.001 * 1000.0)


def test_spectrum_rejects_bad_counts() -> None:
    cal = EnergyCalibration.polynomial([0, 1], 16)
    with pytest.raises(SpectrumError):
        Spectrum(np.full(16, np.nan), 1.0, 1.0, cal)
    with pytest.raises(SpectrumError):
        Spectrum(np.ones(10), 1.0, 1.0, cal)


def test_efficiency_interpolates_log_log() -> None:
    eff = Efficiency.from_points([(100, 0.05), (1000, 0.01)])
    assert eff(100) == pytest.approx(0.05)
    assert eff(np.sqrt(100 * 1000)) == pytest.approx(np.sqrt(0.05 * 0.01))
    with pytest.raises(SpectrumError):
        Efficiency.from_points([(100, -1.0)])


def test_wrong_detector_argument_is_a_typed_error() -> None:
    s = simulate({"Cs-137": 100.0}, rng=np.random.default_rng(0), live_time_s=10)
    with pytest.raises(SpectrumError) as err:
        analyze(s, detector="Geiger")
    assert err.value.field == "detector"


def test_plot_data_is_json_and_svg_is_drawn() -> None:
    sf = read_spectrum(DATA / "interspec_hpge_portal_ba133.n42")
    a = analyze(sf.foreground())
    data = plot_data(a, max_points=2048)
    text = json.dumps(data)  # JSON-able (no NaN)
    assert "NaN" not in text
    assert len(data["energy_kev"]) <= 2048 and len(data["counts"]) == len(data["energy_kev"])
    assert any(line["nuclide"] == "Ba-133" for line in data["lines"])
    svg = plot_svg(a, title="ba133")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Ba-133" in svg and "polyline" in svg


def test_to_dict_shape() -> None:
    a = analyze(simulate({"Cs-137": 2000.0}, rng=np.random.default_rng(1), live_time_s=600))
    d = json.loads(json.dumps(a.to_dict()))
    assert {"peaks", "nuclides", "enrichment", "calibration", "warnings"} <= set(d)
    assert {"energy_kev", "fwhm_kev", "net_counts", "unc"} <= set(d["peaks"][0])
    assert d["nuclides"][0]["name"] == "Cs-137"
    assert {"confidence", "matched_lines"} <= set(d["nuclides"][0])
    assert d["enrichment"] is None


@pytest.mark.parametrize(
    "name", ["bq_nai_background.spe", "crp2a_labr_example.tka", "bq_nai_digibase_badcal.spe"]
)
def test_uncalibrated_files_keep_channel_zero_near_zero_kev(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file without a calibration is aligned to reference lines by gain and offset; a
    candidate that puts channel 0 hundreds of keV away is a chance alignment of a few
    peaks and must not be considered (nor win: it once named U-235 in a background)."""
    from nucsec.forensics.spectra import pipeline

    seen: list[tuple[float, ...]] = []
    real = pipeline._align

    def spy(*args: object, **kwargs: object) -> list[Correction]:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        seen.extend(c.coefficients for c in out)
        return out

    monkeypatch.setattr(pipeline, "_align", spy)
    sf = read_spectrum(DATA / name)
    assert sf.foreground().calibration.kind == "default" or not sf.foreground().calibration.is_valid
    a = analyze(sf.foreground(), background=sf.background())
    window = pipeline.ALIGN_WINDOW["default"][0]
    assert seen and all(abs(c[0]) <= window for c in seen)
    assert abs(a.correction.coefficients[0]) <= window
