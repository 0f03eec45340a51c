"""Identification against the MANIFEST truth of the shared real spectra, and HPGe centroids
against tabulated energies after recalibration.

Run with ``-s`` to see the per-file table and the aggregate recall / unexpected nuclides.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from conftest import DATA, Truth, load_truth
from nucsec.forensics.spectra import SpectrumAnalysis, analyze, load_library, read_spectrum

TRUTH = load_truth()
#: the first shared set, which these per-file tests pin (every file, every nuclide); the
#: second set is scored with the first in ``test_validation.py`` against the recall goal
KNOWN = sorted(name for name, t in TRUTH.items() if t.known and t.collection == 1)
#: nuclides whose report on a spectrum without them would be absurd, not just unexpected
WEAPONS = frozenset({"Pu-239", "Pu-241", "U-233", "U-232", "Np-237"})

RECALL_GOAL = 0.95
UNEXPECTED_GOAL = 0.5


@cache
def analysed(name: str) -> SpectrumAnalysis:
    sf = read_spectrum(DATA / name)
    return analyze(sf.foreground(), background=sf.background())


def _names(name: str) -> set[str]:
    return {n.name for n in analysed(name).nuclides}


def _unexpected(t: Truth, found: set[str]) -> set[str]:
    return found - t.allowed - set().union(*t.expected)


@pytest.mark.parametrize("name", KNOWN)
def test_expected_nuclides_are_identified(name: str) -> None:
    found = _names(name)
    missing = [sorted(e) for e in TRUTH[name].expected if not e & found]
    assert not missing, f"{name}: missing {missing}, found {sorted(found)}"


@pytest.mark.parametrize("name", KNOWN)
def test_no_absurd_nuclides(name: str) -> None:
    t = TRUTH[name]
    absurd = (_names(name) & WEAPONS) - t.allowed - set().union(*t.expected)
    assert not absurd, f"{name}: {sorted(absurd)}"


def test_aggregate_recall_and_unexpected() -> None:
    hits = total = unexpected = 0
    lines = []
    for name in KNOWN:
        t = TRUTH[name]
        found = _names(name)
        got = sum(bool(e & found) for e in t.expected)
        extra = _unexpected(t, found)
        hits += got
        total += len(t.expected)
        unexpected += len(extra)
        lines.append(f"{name:46s} {got}/{len(t.expected)}  unexpected: {sorted(extra) or '-'}")
    recall = hits / total
    per_spectrum = unexpected / len(KNOWN)
    print("\n" + "\n".join(lines))
    print(
        f"recall {hits}/{total} = {recall:.3f} (goal >= {RECALL_GOAL}); unexpected "
        f"{unexpected} in {len(KNOWN)} spectra = {per_spectrum:.2f}/spectrum "
        f"(goal <= {UNEXPECTED_GOAL})"
    )
    assert recall >= RECALL_GOAL
    assert per_spectrum <= UNEXPECTED_GOAL


#: sources of the U-238 series: natural uranium carries U-235 (0.72 %) with them, whose
#: 185.7 keV line makes about 40 % of the 186 keV peak of natural material
URANIUM_SERIES = frozenset({"U-238", "Ra-226"})


def _neighbour_lines(a: SpectrumAnalysis) -> list[float]:
    lines = [m.energy_kev for n in a.nuclides for m in n.matched + n.missing]
    if URANIUM_SERIES & {n.name for n in a.nuclides}:
        lines += [ln.energy_kev for ln in load_library()["U-235"].lines if ln.intensity >= 0.01]
    return lines


def _isolated_centroid_errors(name: str, *, broadened: bool = False) -> list[float]:
    """Peak minus tabulated energy for strong gamma lines (significance >= 10, >= 50 keV)
    with no other line of an identified source within 1.5 FWHM (blends and shared peaks
    say nothing about the calibration); U-235 counts as identified wherever the U-238
    series is. Peaks the analysis flags ``broadened`` (measurably wider than the
    resolution: an unresolved blend with something the library does not list) are left
    out, or only they are returned with ``broadened=True``. No line is excluded by name or
    energy."""
    a = analysed(name)
    all_lines = _neighbour_lines(a)
    errors = []
    for n in a.nuclides:
        for m in n.matched:
            if m.peak is None or m.kind != "gamma" or m.energy_kev < 50:
                continue
            p = a.peaks[m.peak]
            neighbours = [e for e in all_lines if 0 < abs(e - m.energy_kev) < 1.5 * p.fwhm_kev]
            if p.significance >= 10 and not neighbours and p.broadened == broadened:
                errors.append(p.energy_kev - m.energy_kev)
    return errors


HPGE = [n for n in KNOWN if analysed(n).detector_type == "HPGe"]


def test_hpge_centroids_within_0p3_kev_after_recalibration() -> None:
    """Measured: all 189 clean lines within 0.3 keV, median 0.050 keV, largest 0.29 keV
    (Th-232 583.2 keV in the portal background). Three more lines are flagged
    ``broadened`` and left out: Eu-152 1005.3 keV in the three copies of the curie
    spectrum (20 % wider than the resolution, -0.32 keV: a true-coincidence sum 964.1 keV
    + Sm K-alpha at 1004.1 keV lies under it; docs/spectra.md, "Centroid misses"); the
    test checks that the flag removes only a few lines and that they stay within 0.45 keV."""
    errors = np.array([e for name in HPGE for e in _isolated_centroid_errors(name)])
    flagged = np.array(
        [e for name in HPGE for e in _isolated_centroid_errors(name, broadened=True)]
    )
    print(
        f"\nHPGe isolated lines: {errors.size}, within 0.3 keV: "
        f"{np.mean(np.abs(errors) <= 0.3):.3f}, median |error| "
        f"{np.median(np.abs(errors)):.3f} keV, max {np.abs(errors).max():.3f}; "
        f"broadened (left out): {flagged.size}, max {np.abs(flagged).max(initial=0.0):.3f}"
    )
    assert errors.size >= 150
    assert np.all(np.abs(errors) <= 0.3)
    assert np.median(np.abs(errors)) < 0.07
    assert flagged.size <= 0.03 * (errors.size + flagged.size)
    assert np.all(np.abs(flagged) < 0.45)


def test_stored_calibration_error_is_corrected_on_alcatraz() -> None:
    """The file's calibration reads 1-7 keV high above 1 MeV (MANIFEST)."""
    a = analysed("bq_hpge_alcatraz.spc")
    stored = a.spectrum.calibration
    x = stored.channel(2614.511 + 6.5)  # where the stored calibration puts Tl-208
    assert abs(float(a.calibration.energy_kev(x)) - 2614.511) < 1.0
    assert a.correction.method == "refined"


def test_explanations_name_matched_and_missing_lines() -> None:
    a = analysed("interspec_hpge_portal_ba133.n42")
    ba = next(n for n in a.nuclides if n.name == "Ba-133")
    energies = {round(m.energy_kev) for m in ba.matched}
    assert {81, 276, 303, 356, 384} <= energies
    assert "356.0 keV" in ba.explanation
    assert ba.category == "industrial" and ba.confidence > 0.8
