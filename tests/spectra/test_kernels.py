"""The compiled kernels against the NumPy code they replace: the same fits (to rounding),
and the same analysis of a real 16k-channel spectrum."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from nucsec.forensics.spectra import analyze, read_spectrum
from nucsec.forensics.spectra import fitting as fitting_module
from nucsec.forensics.spectra._kernels import _solve
from nucsec.forensics.spectra.fitting import RoiSpec, _pack
from nucsec.forensics.spectra.levmar import minimise

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


def test_16k_analysis_is_unchanged_by_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    spectrum = read_spectrum(DATA / "curie_hpge_eu152_7cm.spe").foreground()
    new = analyze(spectrum)
    monkeypatch.setattr(fitting_module, "minimise", functools.partial(minimise, compiled=False))
    ref = analyze(spectrum)
    assert [n.name for n in new.nuclides] == [n.name for n in ref.nuclides]
    assert len(new.peaks) == len(ref.peaks) > 50
    for p, r in zip(new.peaks, ref.peaks, strict=True):
        np.testing.assert_allclose(
            [p.energy_kev, p.net_counts, p.unc, p.fwhm_kev],
            [r.energy_kev, r.net_counts, r.unc, r.fwhm_kev],
            rtol=1e-8,
        )
