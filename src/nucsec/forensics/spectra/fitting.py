"""Fit regions of interest: Gaussian peaks with a step on a polynomial continuum.

The fit maximises the Poisson likelihood of the counts (Fisher scoring, i.e. iteratively
reweighted least squares with weights ``1/model``, plus Levenberg-Marquardt damping). For a
background-subtracted spectrum the counts are not Poisson, and the fit is a weighted least
squares with the known variance instead. Peaks are integrated over each channel (error
function), which matters for narrow HPGe peaks of 2-3 channels sigma. The model and its
analytic Jacobian are in :mod:`~nucsec.forensics.spectra.peakmodel`.

All regions of a spectrum are fitted together: they are padded into a few batches of
similar size and every Levenberg-Marquardt step is one set of array operations over a
batch (model, Jacobian, normal equations, damped solves), each region keeping its own
damping and stopping rule. A region is done when a step lowers its deviance by less than
``1e-3`` (times the reduced chi-square when above one), after ``max_iter`` accepted
steps, or after eight refused ones in a row (see :mod:`~nucsec.forensics.spectra.levmar`).

Parameters per region: continuum ``c0 + c1 t (+ c2 t^2)``, a step height ``h``, peak areas
``A_j``, centroids ``mu_j`` and one width scale ``s`` (``sigma_j = s * sigma_model_j``),
which is free only when the region holds a strong peak. The step is shared by the peaks
in proportion to their (positive) areas, as part of the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nucsec.forensics.spectra.levmar import minimise, weights_of
from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.peakmodel import N_HEAD, Batch, deviance_floor

__all__ = ["FittedPeak", "RoiFit", "RoiSpec", "fit_roi", "fit_rois", "warm_up"]

MIN_WIDTH_SCALE, MAX_WIDTH_SCALE = 0.4, 2.5
BATCH_COST = 4000.0  # padded cells that one more batch costs in loop overhead (measured)


@dataclass(frozen=True)
class FittedPeak:
    """One fitted peak; positions and widths in channel coordinates, areas in counts."""

    x: float
    x_unc: float
    fwhm_ch: float
    fwhm_free: bool
    area: float
    area_unc: float
    continuum_counts: float  # continuum under +-1.25 FWHM
    ld_counts: float  # Currie detection limit for a peak here (counts)
    roi: tuple[int, int]
    multiplet: int  # number of peaks fitted together

    @property
    def significance(self) -> float:
        return self.area / self.area_unc if self.area_unc > 0 else 0.0


@dataclass(frozen=True)
class RoiFit:
    lo: int
    hi: int
    peaks: tuple[FittedPeak, ...]
    model: FloatArray  # fitted counts per channel in [lo, hi)
    continuum: FloatArray
    reduced_chi2: float


@dataclass(frozen=True)
class RoiSpec:
    """One region to fit: channels ``[lo, hi)``, starting centroids and model sigmas."""

    lo: int
    hi: int
    x0: tuple[float, ...]
    sigma0: tuple[float, ...]
    free_width: bool = False
    quadratic: bool = False
    max_iter: int = 40


def fit_roi(
    counts: FloatArray,
    lo: int,
    hi: int,
    x0: list[float],
    sigma0: list[float],
    *,
    variance: FloatArray | None = None,
    baseline: FloatArray | None = None,
    free_width: bool = False,
    quadratic: bool = False,
    max_iter: int = 40,
) -> RoiFit:
    """Fit peaks at initial channel positions ``x0`` with model widths ``sigma0`` in ``[lo, hi)``.

    ``baseline`` (e.g. a SNIP continuum) is added to the polynomial continuum, which then
    only corrects it; centroids stay within 1.4 model sigma of their starting positions.
    """
    spec = RoiSpec(lo, hi, tuple(x0), tuple(sigma0), free_width, quadratic, max_iter)
    return fit_rois(counts, [spec], variance=variance, baseline=baseline)[0]


def warm_up() -> None:
    """Load the compiled kernels of the analysis (from numba's cache; compiled there on the
    first run on a machine): the fit kernel with one small fit, the SNIP kernel with one
    small continuum, the identification's scoring and matching kernels with one small
    identification (``identify.warm_up``), so that a process does it before its first
    spectrum."""
    from nucsec.forensics.spectra.identify import warm_up as warm_up_scoring  # no cycle
    from nucsec.forensics.spectra.peaks import estimate_continuum

    x = np.arange(40) + 0.5
    counts = 10.0 + 500.0 * np.exp(-0.5 * ((x - 20.0) / 2.0) ** 2)
    fit_roi(counts, 5, 35, [20.0], [2.0], free_width=True)
    estimate_continuum(counts, np.full(counts.size, 3.0))
    warm_up_scoring()


def fit_rois(
    counts: FloatArray,
    specs: list[RoiSpec],
    *,
    variance: FloatArray | None = None,
    baseline: FloatArray | None = None,
) -> list[RoiFit]:
    """Fit every region of ``specs`` (in batches); results in the order of ``specs``."""
    out: list[RoiFit | None] = [None] * len(specs)
    base = np.zeros(counts.size) if baseline is None else np.asarray(baseline, np.float64)
    for group in _batches(specs):
        fits = _fit_batch(counts, [specs[i] for i in group], variance, base)
        for i, fit in zip(group, fits, strict=True):
            out[i] = fit
    return [f for f in out if f is not None]


def _batches(specs: list[RoiSpec]) -> list[list[int]]:
    """Split regions into batches: similar sizes together, few batches (each costs a loop)."""
    order = sorted(range(len(specs)), key=lambda i: (len(specs[i].x0), specs[i].hi - specs[i].lo))
    groups: list[list[int]] = []
    m_max = k_max = 0
    for i in order:
        s = specs[i]
        m, k = s.hi - s.lo, len(s.x0)
        if groups:
            g = groups[-1]
            grown = len(g) + 1
            cost_join = grown * max(m, m_max) * max(k, k_max)
            cost_split = len(g) * m_max * k_max + BATCH_COST + m * k
            if cost_join <= cost_split:
                g.append(i)
                m_max, k_max = max(m, m_max), max(k, k_max)
                continue
        groups.append([i])
        m_max, k_max = m, k
    return groups


def _pack(
    counts: FloatArray, specs: list[RoiSpec], variance: FloatArray | None, base: FloatArray
) -> tuple[Batch, FloatArray, FloatArray, FloatArray]:
    """Padded arrays of a batch; also the starting parameters and their bounds (centroids
    within 1.4 model sigma of the search position, width scale within its limits)."""
    n_b = len(specs)
    lo = np.array([s.lo for s in specs], dtype=np.int64)
    n = np.array([s.hi - s.lo for s in specs], dtype=np.int64)
    kb = np.array([len(s.x0) for s in specs], dtype=np.int64)
    m, k = int(n.max()), int(kb.max())
    p = N_HEAD + 2 * k + 1
    cols = np.arange(m)
    mask_b = cols[None, :] < n[:, None]
    mask = mask_b.astype(np.float64)
    chan = np.minimum(lo[:, None] + cols[None, :], counts.size - 1)
    y = np.where(mask_b, counts[chan], 0.0)
    bl = np.where(mask_b, base[chan], 0.0)
    var = None if variance is None else np.where(mask_b, np.maximum(variance[chan], 1.0), 1.0)
    t = (cols[None, :] + 0.5 - 0.5 * n[:, None]) / np.maximum(n, 1)[:, None]
    quad = np.array([s.quadratic for s in specs])
    t_pow = np.stack([np.ones_like(t), t, np.where(quad[:, None], t * t, 0.0)], axis=1)
    real_b = np.arange(k)[None, :] < kb[:, None]
    real = real_b.astype(np.float64)
    sig0 = np.where(real_b, _padded([s.sigma0 for s in specs], k), 1.0)
    x0 = _padded([s.x0 for s in specs], k)
    lo_f, hi_f = lo[:, None] + 0.5, (lo + n)[:, None] - 0.5
    mu0 = np.clip(x0, lo_f, hi_f)
    far = (lo - 1e4).astype(np.float64)[:, None]  # padded peaks: far outside, zero content
    theta = np.zeros((n_b, p))
    theta[:, N_HEAD + k : N_HEAD + 2 * k] = np.where(real_b, mu0, far)
    theta[:, -1] = 1.0
    free = np.array([1.0 if s.free_width else 0.0 for s in specs])
    fixed = np.zeros((n_b, p), dtype=bool)
    fixed[:, 2] = ~quad
    fixed[:, N_HEAD : N_HEAD + k] = ~real_b
    fixed[:, N_HEAD + k : N_HEAD + 2 * k] = ~real_b
    fixed[:, -1] = free == 0
    lower, upper = np.full((n_b, p), -np.inf), np.full((n_b, p), np.inf)
    lower[:, N_HEAD + k : N_HEAD + 2 * k] = np.where(
        real_b, np.maximum(mu0 - 1.4 * sig0, lo_f), far
    )
    upper[:, N_HEAD + k : N_HEAD + 2 * k] = np.where(
        real_b, np.minimum(mu0 + 1.4 * sig0, hi_f), far
    )
    lower[:, -1], upper[:, -1] = MIN_WIDTH_SCALE, MAX_WIDTH_SCALE
    edges = lo[:, None] + np.arange(m + 1, dtype=np.float64)[None, :]
    ylogy = y * np.log(np.where(y > 0, y, 1.0))
    floor = deviance_floor(y)
    inside = np.where(mask_b, floor, -np.inf)
    batch = Batch(y, ylogy, bl, var, mask, edges, t_pow, sig0, real, free, fixed, floor, inside)
    return batch, theta, lower, upper


def _padded(rows: list[tuple[float, ...]], k: int) -> FloatArray:
    return np.array([r + (0.0,) * (k - len(r)) for r in rows], dtype=np.float64)


def _fit_batch(
    counts: FloatArray, specs: list[RoiSpec], variance: FloatArray | None, base: FloatArray
) -> list[RoiFit]:
    b, theta, lower, upper = _pack(counts, specs, variance, base)
    max_iter = np.array([s.max_iter for s in specs], dtype=np.int64)
    theta, model, jac, cont, obj = minimise(b, theta, lower, upper, max_iter)
    return _results(b, specs, theta, model, jac, cont, obj)


def _results(
    b: Batch,
    specs: list[RoiSpec],
    theta: FloatArray,
    model: FloatArray,
    jac: FloatArray,
    cont: FloatArray,
    obj: FloatArray,
) -> list[RoiFit]:
    """Areas, centroids and their uncertainties from the Fisher matrix (scaled by the
    reduced chi-square when above 1); continuum and Currie limit under each peak."""
    k = b.k
    w = weights_of(b, model)
    jt = jac.transpose(0, 2, 1)
    hess = np.matmul(jt, jac * w[..., None])
    p = theta.shape[1]
    diag_idx = np.arange(p)
    d = 1.0 / np.sqrt(np.maximum(hess[:, diag_idx, diag_idx], 1e-300))
    eq = hess * d[:, :, None] * d[:, None, :]
    idx = np.nonzero(b.fixed)
    eq[idx[0], :, idx[1]] = 0.0
    eq[idx[0], idx[1], :] = 0.0
    eq[idx[0], idx[1], idx[1]] = 1.0
    cov = d[:, :, None] * _inverse(eq) * d[:, None, :]
    var_diag = np.maximum(cov[:, diag_idx, diag_idx], 0.0)
    n_free = (~b.fixed).sum(axis=1)
    m_roi = b.mask.sum(axis=1)
    red = obj / np.maximum(m_roi - n_free, 1.0)
    var_diag = var_diag * np.maximum(red, 1.0)[:, None]
    amp = theta[:, N_HEAD : N_HEAD + k]
    mu = theta[:, N_HEAD + k : N_HEAD + 2 * k]
    fwhm = 2.3548 * theta[:, -1:] * b.sig0
    centres = 0.5 * (b.edges[:, :-1] + b.edges[:, 1:])
    window = np.abs(centres[:, :, None] - mu[:, None, :]) <= 1.25 * fwhm[:, None, :]
    under = cont if b.var is None else b.var
    b_counts = np.sum(window * (under * b.mask)[:, :, None], axis=1)
    ld = 2.71 + 4.65 * np.sqrt(np.maximum(b_counts, 0.0))
    x_unc = np.sqrt(var_diag[:, N_HEAD + k : N_HEAD + 2 * k])
    a_unc = np.sqrt(var_diag[:, N_HEAD : N_HEAD + k])
    columns = [mu, x_unc, fwhm, amp, a_unc, b_counts, ld]
    rows = zip(*(c.tolist() for c in columns), strict=True)
    out = []
    for i, (s, row) in enumerate(zip(specs, rows, strict=True)):
        n, kb = s.hi - s.lo, len(s.x0)
        peaks = tuple(
            FittedPeak(x, xu, fw, s.free_width, a, au, bc, limit, (s.lo, s.hi), kb)
            for x, xu, fw, a, au, bc, limit in list(zip(*row, strict=True))[:kb]
        )
        out.append(
            RoiFit(s.lo, s.hi, peaks, model[i, :n].copy(), cont[i, :n].copy(), float(red[i]))
        )
    return out


def _inverse(eq: FloatArray) -> FloatArray:
    """Inverse of each equilibrated Fisher matrix; the pseudo-inverse where one is
    singular (degenerate parameters, e.g. an unresolved doublet)."""
    inv: FloatArray
    try:
        inv = np.asarray(np.linalg.inv(eq), dtype=np.float64)
        bad = ~np.all(np.isfinite(inv), axis=(1, 2))
        bad |= np.max(np.abs(np.matmul(eq, inv) - np.eye(eq.shape[1])), axis=(1, 2)) > 1e-6
    except np.linalg.LinAlgError:
        inv, bad = np.empty_like(eq), np.ones(eq.shape[0], dtype=bool)
    if bad.any():
        try:
            inv[bad] = np.linalg.pinv(eq[bad])
        except np.linalg.LinAlgError:
            inv[bad] = np.inf
    return inv
