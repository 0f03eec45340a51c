"""The compiled kernels against the NumPy code they replace: the same fits (to rounding),
and the same analysis of a real 16k-channel spectrum."""

from __future__ import annotations

import dataclasses
import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nucsec.forensics.spectra import analyze, load_library, read_spectrum
from nucsec.forensics.spectra import fitting as fitting_module
from nucsec.forensics.spectra import identify as identify_module
from nucsec.forensics.spectra import peaks as peaks_module
from nucsec.forensics.spectra._kernels import _solve
from nucsec.forensics.spectra.fitting import RoiSpec, _pack
from nucsec.forensics.spectra.identification import ObservedPeak
from nucsec.forensics.spectra.levmar import minimise
from nucsec.forensics.spectra.peaks import _snip, _snip_width

DATA = Path(__file__).resolve().parents[1] / "data" / "spectra"


def _spectrum(seed: int, n: int = 400) -> np.ndarray:
    """A sloped continuum with a singlet, a doublet and a close triplet (Poisson counts)."""
    rng = np.random.default_rng(seed)
    x = np.arange(n) + 0.5
    mean = 60.0 + 0.05 * x
    for mu, area, sigma in [
        (60.3, 6000, 2.2), (150.0, 3000, 2.5), (157.5, 1200, 2.5),
        (260.0, 2500, 3.0), (266.0, 900, 3.0), (274.0, 400, 3.0),
    ]:  # fmt: skip
        mean += area * np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        mean += 0.002 * area * (x < mu)
    return rng.poisson(mean).astype(float)


SPECS = [
    RoiSpec(48, 73, (60.0,), (2.2,), free_width=True, max_iter=40),
    RoiSpec(138, 170, (150.4, 157.0), (2.5, 2.5), free_width=False, max_iter=8),
    RoiSpec(245, 292, (260.5, 266.5, 273.4), (3.0, 3.0, 3.0), free_width=True, quadratic=True),
    RoiSpec(300, 340, (320.0,), (3.0,), free_width=True),  # no peak there: a poor start
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_variance", [False, True])
def test_compiled_fit_equals_numpy_fit(seed: int, with_variance: bool) -> None:
    counts = _spectrum(seed)
    variance = counts + 40.0 if with_variance else None
    b, theta, lower, upper = _pack(counts, SPECS, variance, np.zeros(counts.size))
    max_iter = np.array([s.max_iter for s in SPECS], dtype=np.int64)
    ref = minimise(b, theta, lower, upper, max_iter, compiled=False)
    new = minimise(b, theta, lower, upper, max_iter, compiled=True)
    assert not np.array_equal(new[0], theta)  # the fit moved
    inside = b.mask > 0  # padding channels hold no result (the NumPy loop leaves them stale)
    (t_ref, m_ref, j_ref, c_ref, o_ref), (t_new, m_new, j_new, c_new, o_new) = ref, new
    np.testing.assert_allclose(t_new, t_ref, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(o_new, o_ref, rtol=1e-8)
    for a, c in [(m_ref, m_new), (c_ref, c_new), (j_ref, j_new)]:
        np.testing.assert_allclose(c[inside], a[inside], rtol=1e-8, atol=1e-9)


def test_solve_equals_lapack_and_falls_back_to_least_squares() -> None:
    rng = np.random.default_rng(5)
    q = rng.normal(size=(6, 6))
    a = q @ q.T + np.diag(10.0 ** np.arange(6))  # columns of very different scales
    rhs = rng.normal(size=6)
    x = np.empty(6)
    _solve(a.copy(), rhs, x)
    np.testing.assert_allclose(x, np.linalg.solve(a, rhs), rtol=1e-10)
    sing = a.copy()
    sing[:, 5] = 0.0
    sing[5, :] = 0.0  # an unused parameter without a pin: singular
    _solve(sing.copy(), rhs, x)
    d = 1.0 / np.sqrt(np.maximum(np.abs(np.diag(sing)), 1e-300))
    expected = np.linalg.lstsq(sing * d[:, None] * d[None, :], rhs * d, rcond=None)[0] * d
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12)


def test_16k_analysis_is_unchanged_by_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    spectrum = read_spectrum(DATA / "curie_hpge_eu152_7cm.spe").foreground()
    new = analyze(spectrum)
    # every kernel off: region fits, library scoring, line matching, SNIP clipping in NumPy
    monkeypatch.setattr(fitting_module, "minimise", functools.partial(minimise, compiled=False))
    score_all, snip = identify_module._score_all, peaks_module._snip
    monkeypatch.setattr(identify_module, "_score_all", functools.partial(score_all, compiled=False))
    monkeypatch.setattr(peaks_module, "_snip", functools.partial(snip, compiled=False))
    match = identify_module._match
    monkeypatch.setattr(identify_module, "_match", functools.partial(match, compiled=False))
    ref = analyze(spectrum)
    assert [n.name for n in new.nuclides] == [n.name for n in ref.nuclides]
    np.testing.assert_allclose(
        [n.score for n in new.nuclides], [n.score for n in ref.nuclides], rtol=1e-8
    )
    assert len(new.peaks) == len(ref.peaks) > 50
    for p, r in zip(new.peaks, ref.peaks, strict=True):
        np.testing.assert_allclose(
            [p.energy_kev, p.net_counts, p.unc, p.fwhm_kev],
            [r.energy_kev, r.net_counts, r.unc, r.fwhm_kev],
            rtol=1e-8,
        )


# --- identification: the compiled library scoring against the NumPy one -------------------


def _compare_scorings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make every scoring and every line matching run both ways and compare them field by
    field; the number of sources that passed in each scoring is recorded, and minus the
    number of groups matched in each matching (so a test can see both did something)."""
    passed: list[int] = []
    original = identify_module._score_all

    def both(st: Any, compiled: bool = True) -> Any:
        ref = original(st, compiled=False)
        new = original(st, compiled=True)
        for field in dataclasses.fields(ref):
            a, b = getattr(ref, field.name), getattr(new, field.name)
            assert a.shape == b.shape, field.name
            if a.dtype.kind == "f":
                np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-300, err_msg=field.name)
                assert np.array_equal(np.signbit(a), np.signbit(b)), field.name
            else:
                assert np.array_equal(a, b), field.name
        passed.append(int(ref.passing.sum()))
        return new

    match = identify_module._match

    def both_matches(*args: Any) -> Any:
        ref, new = match(*args, compiled=False), match(*args, compiled=True)
        for a, b in zip(ref, new, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        passed.append(0 if ref[0].size == 0 else -int((ref[0] >= 0).sum()))
        return new

    monkeypatch.setattr(identify_module, "_score_all", both)
    monkeypatch.setattr(identify_module, "_match", both_matches)
    return passed


def _synthetic_peaks(seed: int) -> list[ObservedPeak]:
    """Lines of a few random library sources (random scale, some lines attenuated as behind
    a shield, some dropped), plus random peaks no source explains."""
    rng = np.random.default_rng(seed)
    library = load_library()
    names = sorted(library)
    peaks: list[ObservedPeak] = []
    for name in rng.choice(names, size=4, replace=False):
        scale = 10.0 ** rng.uniform(3, 6)
        shield = rng.uniform(0, 3) if rng.random() < 0.5 else 0.0
        for ln in library[str(name)].lines:
            if ln.energy_kev < 40 or ln.energy_kev > 2900 or rng.random() < 0.1:
                continue
            area = scale * ln.intensity * (ln.energy_kev / 200) ** -0.9
            area *= np.exp(-shield * 200 / ln.energy_kev)
            if area < 5:
                continue
            unc = np.sqrt(area + 200.0)
            fwhm = 0.8 + 0.0008 * ln.energy_kev
            peaks.append(
                ObservedPeak(
                    ln.energy_kev + rng.normal(0, 0.05), 0.05, area + rng.normal(0, unc), unc, fwhm
                )
            )
    for e in rng.uniform(50, 2500, size=8):
        area = rng.uniform(50, 5000)
        peaks.append(ObservedPeak(e, 0.1, area, np.sqrt(area + 300), 1.5, rng.random() < 0.1))
    return sorted(peaks, key=lambda p: p.energy_kev)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("scintillator", [False, True])
def test_compiled_scoring_equals_numpy_on_synthetic_peaks(
    monkeypatch: pytest.MonkeyPatch, seed: int, scintillator: bool
) -> None:
    passed = _compare_scorings(monkeypatch)
    k = 8.0 if scintillator else 1.0
    found = identify_module.identify(
        _synthetic_peaks(seed),
        load_library(),
        ld_counts=lambda e: 30.0 + 0.0 * np.asarray(e),
        fwhm_kev=lambda e: k * (0.8 + 0.0008 * np.asarray(e)),
        efficiency=identify_module.relative_efficiency("NaI" if scintillator else "HPGe"),
        energy_range_kev=(30.0, 3000.0),
        cal_tol=(0.2, 0.001),
        scintillator=scintillator,
    )
    assert len(passed) >= 2 and max(passed) > 0  # scorings ran and named something
    assert min(passed) < 0  # a matching ran and matched lines
    assert found


@pytest.mark.parametrize(
    "name",
    [
        "curie_hpge_eu152_7cm.spe",
        "rase_nai_generic_Ir192.n42",
        "interspec_SIM_hpge40_Ra226_buried.n42",
        "interspec_lynx_hpge_disk_U_Th_activation.n42",
    ],
)
def test_compiled_scoring_equals_numpy_on_real_spectra(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    passed = _compare_scorings(monkeypatch)
    sf = read_spectrum(DATA / name)
    analysis = analyze(sf.foreground(), background=sf.background())
    assert len(passed) >= 3 and max(passed) > 0 and min(passed) < 0
    assert analysis.nuclides


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_snip_equals_numpy_snip(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = _spectrum(seed, n=3000)
    counts[rng.integers(0, counts.size, 40)] = 0.0  # empty channels
    fwhm_ch = 2.0 + 6.0 * np.linspace(0.0, 1.0, counts.size) ** 0.5  # growing windows
    width = _snip_width(fwhm_ch, 2.0, counts.size)
    ref = _snip(counts, width, compiled=False)
    new = _snip(counts, width, compiled=True)
    assert np.array_equal(new, ref)
    assert 0.0 < ref.sum() < counts.sum()  # the continuum is under the counts


WARM_PROBE = """
from nucsec.forensics.spectra import _kernels, _score_kernel
from nucsec.forensics.spectra.fitting import warm_up
kernels = [_kernels.levmar_regions, _kernels.snip_clip, _score_kernel.score_library,
           _score_kernel.match_lines]
assert not any(k.signatures for k in kernels)
warm_up()
print(sum(len(k.signatures) for k in kernels))
"""


def test_warm_up_loads_every_kernel() -> None:
    """A fresh process has every kernel loaded after ``fitting.warm_up`` (what ``make
    install`` and a server's start-up run), so its first spectrum compiles nothing."""
    done = subprocess.run(
        [sys.executable, "-c", WARM_PROBE], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4"
