"""The batched region fits: analytic derivatives, batching and padding invariance, and the
vectorised helpers of the search, calibration and identification steps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.forensics.spectra.calibration import _polyfit
from nucsec.forensics.spectra.fitting import RoiSpec, _pack, fit_roi, fit_rois
from nucsec.forensics.spectra.identify import BLEND_FWHM, ObservedPeak, _match
from nucsec.forensics.spectra.levmar import start
from nucsec.forensics.spectra.linetable import line_table
from nucsec.forensics.spectra.nucdata import load_library
from nucsec.forensics.spectra.peakmodel import evaluate, jacobian
from nucsec.forensics.spectra.peaks import ContinuumMemo, _separated, estimate_continuum
from nucsec.forensics.spectra.resolution import default_resolution


def _spectrum(seed: int, n: int = 400) -> np.ndarray:
    """A continuum with a step, a singlet, a doublet and a triplet (Poisson counts)."""
    rng = np.random.default_rng(seed)
    x = np.arange(n) + 0.5
    mean = 60.0 + 0.05 * x
    for mu, area, sigma in [
        (60.3, 6000, 2.2),
        (150.0, 3000, 2.5),
        (157.5, 1200, 2.5),
        (260.0, 2500, 3.0),
        (268.0, 900, 3.0),
        (277.0, 400, 3.0),
    ]:
        mean += area * np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        mean += 0.002 * area * (x < mu)  # a step under each peak
    return rng.poisson(mean).astype(float)


SPECS = [
    RoiSpec(48, 73, (60.0,), (2.2,), free_width=True, max_iter=40),
    RoiSpec(138, 170, (150.4, 157.0), (2.5, 2.5), free_width=False, max_iter=8),
    RoiSpec(245, 292, (260.5, 267.5, 277.4), (3.0, 3.0, 3.0), free_width=True, quadratic=True),
]


def test_jacobian_matches_central_differences() -> None:
    counts = _spectrum(1)
    b, theta, _, _ = _pack(counts, SPECS, None, np.zeros(counts.size))
    theta = start(b, theta)
    theta[:, 3] = 4.0  # a sizeable step, so that its derivatives count
    theta[:, -1] = np.where(b.free > 0, 1.1, 1.0)
    assert np.all(theta[:, 4:7][b.real > 0] > 0)  # positive areas: the shares move
    _, _, edges = evaluate(b, theta)
    jac = jacobian(b.t_pow, b.free, theta, edges)
    for p in range(theta.shape[1]):
        h = 1e-6 * max(1.0, float(np.max(np.abs(theta[:, p]))))
        up, down = theta.copy(), theta.copy()
        up[:, p] += h
        down[:, p] -= h
        numeric = (evaluate(b, up)[0] - evaluate(b, down)[0]) / (2 * h)
        free = ~b.fixed[:, p]
        if not free.any():
            continue
        scale = np.max(np.abs(numeric[free] * b.mask[free])) + 1e-12
        err = np.max(np.abs((jac[free, :, p] - numeric[free]) * b.mask[free])) / scale
        assert err < 1e-5, f"parameter {p}: relative error {err:.2e}"


def test_fixed_parameters_have_zero_columns() -> None:
    """Padding (peaks, the quadratic term, a fixed width) must not move any result."""
    counts = _spectrum(2)
    b, theta, _, _ = _pack(counts, SPECS, None, np.zeros(counts.size))
    _, _, edges = evaluate(b, theta)
    jac = jacobian(b.t_pow, b.free, theta, edges)
    assert b.fixed.any()
    assert np.all(jac[:, :, :][np.broadcast_to(b.fixed[:, None, :], jac.shape)] == 0.0)


@pytest.mark.parametrize("seed", range(3))
def test_batched_fits_equal_one_region_fits(seed: int) -> None:
    counts = _spectrum(seed)
    base = estimate_continuum(counts, np.full(counts.size, 6.0))
    together = fit_rois(counts, SPECS, baseline=base)
    for spec, fit in zip(SPECS, together, strict=True):
        alone = fit_rois(counts, [spec], baseline=base)[0]
        assert (fit.lo, fit.hi) == (alone.lo, alone.hi)
        for p, q in zip(fit.peaks, alone.peaks, strict=True):
            assert p.area == pytest.approx(q.area, rel=1e-7, abs=1e-6)
            assert p.x == pytest.approx(q.x, abs=1e-7)
            assert p.area_unc == pytest.approx(q.area_unc, rel=1e-6)
        assert fit.reduced_chi2 == pytest.approx(alone.reduced_chi2, rel=1e-7)


def test_fit_recovers_a_doublet_and_its_uncertainties() -> None:
    rng = np.random.default_rng(4)
    x = np.arange(120) + 0.5
    truth = [(52.0, 8000.0), (60.0, 3000.0)]
    mean = 40.0 + sum(
        a * np.exp(-0.5 * ((x - mu) / 2.4) ** 2) / (2.4 * np.sqrt(2 * np.pi)) for mu, a in truth
    )
    counts = rng.poisson(mean).astype(float)
    fit = fit_roi(counts, 38, 76, [51.5, 60.6], [2.4, 2.4])
    for p, (mu, area) in zip(fit.peaks, truth, strict=True):
        assert abs(p.x - mu) < 4 * p.x_unc
        assert abs(p.area - area) < 4 * p.area_unc


def test_background_subtracted_fit_uses_the_variance() -> None:
    counts = _spectrum(5)
    var = counts + 4.0  # a subtracted background adds variance
    poisson = fit_rois(counts, SPECS[:1])[0].peaks[0]
    weighted = fit_rois(counts, SPECS[:1], variance=var)[0].peaks[0]
    assert weighted.area == pytest.approx(poisson.area, rel=0.05)
    assert weighted.area_unc > poisson.area_unc * 0.9


def test_polyfit_equals_numpy_polyfit() -> None:
    x = np.arange(16385, dtype=float)
    for coefs in ([0.34, 0.183, 5.6e-9], [-0.1, 0.18, 1e-6, -3e-10]):
        y = np.polynomial.polynomial.polyval(x, coefs) + 1e-4 * np.sin(x / 100)
        for deg in (1, 2, 3):
            ours = np.polynomial.polynomial.polyval(x, _polyfit(x, y, deg))
            ref = np.polynomial.polynomial.polyval(x, np.polynomial.polynomial.polyfit(x, y, deg))
            assert np.max(np.abs(ours - ref)) < 1e-6


def test_continuum_memo_reuses_equal_windows() -> None:
    counts = _spectrum(6, n=2048)
    fw = np.repeat([3.2, 4.2, 5.2, 6.2], counts.size // 4)  # windows 6, 8, 10, 12 channels
    memo = ContinuumMemo(counts)
    first = memo(fw)
    assert np.array_equal(first, estimate_continuum(counts, fw))
    assert memo(fw + 0.05) is first  # the same integer windows: the same continuum
    other = memo(fw * 1.5)
    assert other is not first and np.array_equal(other, estimate_continuum(counts, fw * 1.5))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(2, 997), min_size=1, max_size=60, unique=True), st.integers(0, 9))
def test_separated_keeps_the_most_significant_apart(idx: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    signif = rng.random(1000)
    fwhm = np.full(1000, 4.0)
    kept = _separated(np.array(idx), signif, fwhm, 0.9)
    assert np.all(np.diff(kept) >= 0.9 * 4.0)
    # brute force, as the rule reads
    expect: list[int] = []
    for i in sorted(idx, key=lambda j: -signif[j]):
        if all(abs(i - k) >= 0.9 * fwhm[i] for k in expect):
            expect.append(i)
    assert kept.tolist() == sorted(expect)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(30.0, 2900.0), min_size=1, max_size=40),
    st.floats(0.0, 1.5),
    st.integers(0, 99),
)
def test_windowed_matching_equals_all_pairs(
    energies: list[float], tol_kev: float, seed: int
) -> None:
    """The matcher looks only at peaks within the widest tolerance; the answer must be
    that of the plain rule over every (line, peak) pair."""
    rng = np.random.default_rng(seed)
    peaks = [
        ObservedPeak(e, float(rng.uniform(0.01, 1.0)), 100.0, 10.0, 1.5) for e in sorted(energies)
    ]
    fwhm = default_resolution("HPGe").fwhm_kev
    table = line_table(load_library(), fwhm, 20.0, 3000.0)
    fw = fwhm(table.energy_kev)
    match, blend = _match(table, peaks, fw, (tol_kev, 0.001))
    e = np.array([p.energy_kev for p in peaks])
    extra = np.array([(2.5 * p.energy_unc_kev) ** 2 for p in peaks])
    dist = np.abs(e[None, :] - table.energy_kev[:, None])
    cal = tol_kev + 0.001 * table.energy_kev
    tol = np.sqrt((0.3 * fw[:, None]) ** 2 + extra[None, :] + (cal**2)[:, None])
    d = np.where(dist <= tol, dist, np.inf)
    best = np.argmin(d, axis=1)
    ok = np.isfinite(d[np.arange(d.shape[0]), best])
    for g in range(table.energy_kev.size):
        if match[g] >= 0:
            assert ok[g] and d[g, match[g]] == d[g, best[g]]
        elif not ok[g]:
            near = int(np.argmin(dist[g]))
            close = dist[g, near] <= max(BLEND_FWHM * fw[g], tol[g, near])
            assert (blend[g] >= 0) == close
            if close:
                assert dist[g, blend[g]] == dist[g, near]


def _doublet(seed: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Two peaks 1.2 FWHM apart on a continuum, each with a step of 0.3 % of its area
    (the step under a multiplet is shared by area: the case the fit must converge on)."""
    rng = np.random.default_rng(seed)
    x = np.arange(140) + 0.5
    sigma = 2.5
    truth = [(60.0, 9000.0), (67.1, 4000.0)]
    mean = 80.0 + 0.1 * x
    for mu, area in truth:
        mean += area * np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        mean += 0.003 * area * 0.5 * (1 - np.tanh((x - mu) / sigma))  # a smooth step
    return rng.poisson(mean).astype(float), truth


def test_overlapping_doublet_recovers_centroids_and_areas_within_uncertainties() -> None:
    """Over 40 simulated doublets the pulls (fit - truth) / uncertainty of both centroids
    and both areas are centred on zero with unit spread: the fit converges and its
    uncertainties are honest."""
    pulls: list[list[float]] = [[], [], [], []]
    for seed in range(40):
        counts, truth = _doublet(seed)
        fit = fit_roi(counts, 44, 84, [59.4, 67.8], [2.5, 2.5], free_width=True)
        for j, (p, (mu, area)) in enumerate(zip(fit.peaks, truth, strict=True)):
            pulls[2 * j].append((p.x - mu) / p.x_unc)
            pulls[2 * j + 1].append((p.area - area) / p.area_unc)
    for name, pull in zip(("x1", "area1", "x2", "area2"), map(np.array, pulls), strict=True):
        assert np.all(np.abs(pull) < 4.0), name
        assert abs(pull.mean()) < 0.5, (name, pull.mean())
        assert 0.6 < pull.std() < 1.4, (name, pull.std())


@pytest.mark.parametrize("seed", range(3))
def test_multiplet_fit_is_converged(seed: int) -> None:
    """Started again from its own result, the fit of a doublet does not move: it stopped
    at the minimum of one well-defined model, not after the first accepted step."""
    counts, _ = _doublet(seed)
    first = fit_roi(counts, 44, 84, [59.4, 67.8], [2.5, 2.5], free_width=True)
    again = fit_roi(
        counts,
        44,
        84,
        [p.x for p in first.peaks],
        [p.fwhm_ch / 2.3548 for p in first.peaks],
        free_width=True,
    )
    for p, q in zip(first.peaks, again.peaks, strict=True):
        assert abs(p.x - q.x) < 0.05 * p.x_unc
        assert abs(p.area - q.area) < 0.05 * p.area_unc
