"""Records with different energy calibrations are gain-matched before they are summed."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import DATA
from nucsec.forensics.spectra import SpectrumFile, analyze, read_spectrum, simulate
from nucsec.forensics.spectra.gainmatch import gain_match
from nucsec.forensics.spectra.model import Spectrum, rebin

SOURCES = {"Cs-137": 3000.0, "Co-60": 1500.0, "Ba-133": 2000.0}


def _fwhm_at(spectrum: Spectrum, energy_kev: float) -> float:
    peaks = analyze(spectrum).peaks
    peak = min(peaks, key=lambda p: abs(p.energy_kev - energy_kev))
    assert abs(peak.energy_kev - energy_kev) < 1.0
    return float(peak.fwhm_kev)


def _detectors(gain_error: float, offset_kev: float) -> tuple[Spectrum, Spectrum]:
    a = simulate(SOURCES, rng=np.random.default_rng(11), live_time_s=1800)
    b = simulate(
        SOURCES,
        rng=np.random.default_rng(12),
        live_time_s=1800,
        gain_error=gain_error,
        offset_kev=offset_kev,
    )
    return a, b.with_(detector_name="B")


@pytest.mark.parametrize(
    ("gain_error", "offset_kev"), [(0.001, 0.5), (-0.001, -0.5), (0.0, -1.2)], ids=str
)
def test_two_detectors_with_shifted_gains_sum_to_sharp_peaks(
    gain_error: float, offset_kev: float
) -> None:
    a, b = _detectors(gain_error, offset_kev)
    summed = SpectrumFile(spectra=(a, b)).foreground()
    naive = a.with_(counts=a.counts + rebin(b, a.calibration.edges_kev))
    # counts are moved, not made: only what a correction pushes past the last edges is lost
    assert summed.counts.sum() == pytest.approx(a.counts.sum() + b.counts.sum(), rel=3e-3)
    for energy in (356.01, 661.66, 1332.49):
        single, matched, smeared = (_fwhm_at(s, energy) for s in (a, summed, naive))
        assert matched < 1.06 * single, (energy, single, matched)
        assert smeared > 1.1 * single, (energy, single, smeared)
    assert any("gain-matched" in n for n in summed.notes)
    assert any("gain-matched" in w for w in analyze(summed).warnings)


def test_corrections_recover_the_simulated_distortion() -> None:
    a, b = _detectors(0.001, 0.5)
    matches = gain_match([a, b], a.calibration.edges_kev)
    for energy in (356.0, 661.66, 1332.49):
        # B reads E_stored = 1.001 E + 0.5: both move half-way, to their mean
        diff = float(matches[1].correction_kev(np.array([energy]))[0]) - float(
            matches[0].correction_kev(np.array([energy]))[0]
        )
        assert diff == pytest.approx(-(0.001 * energy + 0.5), abs=0.1)


def test_identical_calibrations_are_summed_without_a_note() -> None:
    a, b = _detectors(0.0, 0.0)
    summed = SpectrumFile(spectra=(a, b)).foreground()
    np.testing.assert_array_equal(summed.counts, a.counts + b.counts)
    assert summed.notes == ()


def test_portal_detectors_are_gain_matched_and_the_sum_is_sharper() -> None:
    """Eight HPGe detectors whose stored calibrations disagree by up to 1.4 keV near
    600 keV (MANIFEST: interspec_hpge_portal_ba133.n42)."""
    sf = read_spectrum(DATA / "interspec_hpge_portal_ba133.n42")
    first = sf.spectra[0]
    naive = first.with_(counts=sum(rebin(s, first.calibration.edges_kev) for s in sf.spectra))
    summed = sf.foreground()
    assert any("8 records" in n and "gain-matched" in n for n in summed.notes)
    for energy in (356.01, 583.19):
        assert _fwhm_at(summed, energy) < 0.95 * _fwhm_at(naive, energy)
