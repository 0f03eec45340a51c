"""Batched Levenberg-Marquardt for the region fits.

Every region of a batch is minimised at once: one iteration is one set of array
operations over the regions still running (normal equations, damped solves, trial model,
deviance, Jacobian of the accepted ones), each region keeping its own damping and stopping
rule. Regions that stop leave the batch, which is then trimmed to what the remaining ones
need (channels, peaks).

- objective: the Poisson deviance ``2 sum(m - y + y log(y/m))`` of the counts, or
  ``chi^2`` with a known variance (background-subtracted spectra);
- start: the continuum, step and areas enter the model linearly, so they are solved for
  exactly (weighted least squares) at the search centroids and model widths;
- step: Fisher scoring (iteratively reweighted least squares, weights ``1/m`` or
  ``1/var``) with the analytic Jacobian, damped by ``lambda`` times the diagonal of the
  normal matrix; ``lambda`` is divided by 10 after an accepted step and multiplied by 10
  after a refused one; centroids are clipped to their window and the width scale to
  [0.4, 2.5];
- after each accepted step the peaks' shares of the step are updated from their areas;
- stop: after an accepted step that lowers the deviance by less than ``1e-3``, after
  ``max_iter`` accepted steps, or after eight refused ones in a row.

These are the rules of the one-region fit this replaces, step for step: the results are
the same to rounding. One known weakness is kept (see ``docs/spectra.md``): the deviance a
multiplet's next trial is compared with was computed with the previous step shares, so
most multiplets stop after one accepted step and eight refused ones.

Internal to :mod:`nucsec.forensics.spectra.fitting`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.peakmodel import N_HEAD, Batch, evaluate, jacobian, objective

__all__ = ["minimise", "shares", "solve_pinned", "weights_of"]

TOL = 1e-3  # deviance decrease below which a region has converged
MAX_REFUSED = 8  # refused steps in a row before a region stops
INITIAL_LAMBDA = 1e-3
MIN_LAMBDA = 1e-7

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def solve_pinned(a: FloatArray, rhs: FloatArray, fixed: BoolArray) -> FloatArray:
    """Solve ``a x = rhs`` per region with fixed parameters pinned (``x = 0`` there)."""
    a = a.copy()
    row, col = np.nonzero(fixed)
    a[row, :, col] = 0.0
    a[row, col, :] = 0.0
    a[row, col, col] = 1.0
    return _solve(a, np.where(fixed, 0.0, rhs))


def _solve(a: FloatArray, rhs: FloatArray) -> FloatArray:
    """Solve ``a x = rhs`` per region, equilibrated first (columns differ by orders of
    magnitude); a singular region falls back to least squares."""
    d = 1.0 / np.sqrt(np.maximum(np.abs(np.diagonal(a, axis1=1, axis2=2)), 1e-300))
    scaled = a * d[:, :, None] * d[:, None, :]
    try:
        x = np.linalg.solve(scaled, (rhs * d)[..., None])[..., 0]
    except np.linalg.LinAlgError:
        x = np.stack(
            [
                np.linalg.lstsq(sc, r * dd, rcond=None)[0]
                for sc, r, dd in zip(scaled, rhs, d, strict=True)
            ]
        )
    out: FloatArray = x * d
    return out


def weights_of(b: Batch, model: FloatArray) -> FloatArray:
    """Fisher weights per channel: ``1/m`` (Poisson) or ``1/var``; 0 in padding."""
    if b.var is None:
        out: FloatArray = b.mask / np.maximum(model, 1e-3)
        return out
    out = b.mask / b.var
    return out


def shares(theta: FloatArray, real: FloatArray) -> FloatArray:
    """The peaks' shares of the step: of the positive area (equal when none is positive)."""
    k = real.shape[1]
    pos = np.maximum(theta[:, N_HEAD : N_HEAD + k], 0.0) * real
    total = pos.sum(axis=1, keepdims=True)
    equal = real / np.maximum(real.sum(axis=1, keepdims=True), 1.0)
    out: FloatArray = np.where(total > 0, pos / np.where(total > 0, total, 1.0), equal)
    return out


def start(b: Batch, theta: FloatArray, weights: FloatArray) -> FloatArray:
    """Continuum, step and areas solved exactly (weighted least squares) at the starting
    centroids and widths: they enter the model linearly."""
    n_lin = N_HEAD + b.k
    _, _, edges = evaluate(b, theta, weights)
    a = jacobian(b.t_pow, b.free, theta, weights, edges)[:, :, :n_lin]
    w0 = b.mask / (np.maximum(b.y, 1.0) if b.var is None else b.var)
    at = (a * w0[..., None]).transpose(0, 2, 1)
    rhs = np.matmul(at, ((b.y - b.base) * b.mask)[..., None])[..., 0]
    out = theta.copy()
    out[:, :n_lin] = solve_pinned(np.matmul(at, a), rhs, b.fixed[:, :n_lin])
    return out


@dataclass
class _Running:
    """State of the regions still running (rows) and where they belong (``index`` into
    the batch, ``cols`` into its parameter layout)."""

    index: npt.NDArray[np.intp]
    cols: npt.NDArray[np.intp]
    b: Batch
    theta: FloatArray
    model: FloatArray
    cont: FloatArray
    jac: FloatArray
    obj: FloatArray
    weights: FloatArray
    lam: FloatArray
    accepted: IntArray
    refused: IntArray
    max_iter: IntArray
    lower: FloatArray
    upper: FloatArray
    pin: FloatArray  # 1 on the diagonal of fixed parameters (their rows are zero)

    def keep(self, rows: npt.NDArray[np.intp]) -> _Running:
        """The regions ``rows``, trimmed to their longest region and largest multiplet
        (the tail of a batch then costs what its own regions need)."""
        b = self.b
        m = int(b.mask[rows].sum(axis=1).max())
        k_old, k = b.k, int(b.real[rows].sum(axis=1).max())
        local = np.concatenate(
            [
                np.arange(N_HEAD),
                N_HEAD + np.arange(k),
                N_HEAD + k_old + np.arange(k),
                [N_HEAD + 2 * k_old],
            ]
        )
        sub = Batch(
            b.y[rows, :m], b.ylogy[rows, :m], b.base[rows, :m],
            None if b.var is None else b.var[rows, :m], b.mask[rows, :m],
            b.edges[rows, : m + 1], b.t_pow[rows][:, :, :m], b.sig0[rows, :k],
            b.real[rows, :k], b.free[rows], b.fixed[rows][:, local],
        )  # fmt: skip
        return _Running(
            self.index[rows], self.cols[local], sub, self.theta[rows][:, local],
            self.model[rows, :m], self.cont[rows, :m], self.jac[rows][:, :m][:, :, local],
            self.obj[rows], self.weights[rows, :k], self.lam[rows], self.accepted[rows],
            self.refused[rows], self.max_iter[rows], self.lower[rows][:, local],
            self.upper[rows][:, local], self.pin[rows][:, local],
        )  # fmt: skip


def _iterate(r: _Running) -> BoolArray:
    """One damped step for every running region; returns which regions are done."""
    b = r.b
    w = weights_of(b, r.model)
    jt = r.jac.transpose(0, 2, 1)
    grad = np.matmul(jt, (w * (b.y - r.model))[..., None])[..., 0]
    hess = np.matmul(jt, r.jac * w[..., None])
    p = hess.shape[1]
    diag = hess.reshape(hess.shape[0], p * p)[:, :: p + 1]  # a view: written in place
    diag += r.lam[:, None] * np.maximum(diag, 1e-12) + r.pin
    trial = np.clip(r.theta + _solve(hess, grad), r.lower, r.upper)
    t_model, t_cont, t_edges = evaluate(b, trial, r.weights)
    t_obj = objective(b, t_model)
    ok = t_obj <= r.obj
    done = np.zeros(ok.size, dtype=bool)
    if ok.any():
        a = np.nonzero(ok)[0]
        done[a] = r.obj[a] - t_obj[a] < TOL
        r.theta[a], r.model[a], r.cont[a], r.obj[a] = trial[a], t_model[a], t_cont[a], t_obj[a]
        r.jac[a] = jacobian(b.t_pow[a], b.free[a], trial[a], r.weights[a], t_edges.take(a))
        r.lam[a] = np.maximum(r.lam[a] / 10, MIN_LAMBDA)
        r.accepted[a] += 1
        r.refused[a] = 0
        if b.k > 1:
            r.weights[a] = shares(r.theta[a], b.real[a])
        done[a] |= r.accepted[a] >= r.max_iter[a]
    refused = np.nonzero(~ok)[0]
    r.lam[refused] *= 10
    r.refused[refused] += 1
    done[refused] = r.refused[refused] >= MAX_REFUSED
    return done


def minimise(
    b: Batch,
    theta: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    max_iter: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Fit every region of ``b``; returns parameters, model, Jacobian, continuum and
    deviance (or chi-square) per region, in the batch's layout."""
    weights = shares(np.zeros_like(theta), b.real)
    theta = start(b, theta, weights)
    model, cont, edges = evaluate(b, theta, weights)
    jac = jacobian(b.t_pow, b.free, theta, weights, edges)
    obj = objective(b, model)
    n_b = theta.shape[0]
    out = (theta.copy(), model.copy(), jac.copy(), cont.copy(), obj.copy())
    r = _Running(
        np.arange(n_b), np.arange(theta.shape[1]), b, theta, model, cont, jac, obj, weights,
        np.full(n_b, INITIAL_LAMBDA), np.zeros(n_b, dtype=np.int64),
        np.zeros(n_b, dtype=np.int64), max_iter.copy(), lower, upper,
        b.fixed.astype(np.float64),
    )  # fmt: skip
    while True:
        done = _iterate(r)
        if not done.any():
            continue
        rows, at = np.nonzero(done)[0], r.index[done]
        m = r.model.shape[1]
        o_theta, o_model, o_jac, o_cont, o_obj = out
        o_theta[np.ix_(at, r.cols)] = r.theta[rows]
        o_model[at, :m], o_cont[at, :m], o_obj[at] = r.model[rows], r.cont[rows], r.obj[rows]
        o_jac[at[:, None, None], np.arange(m)[None, :, None], r.cols[None, None, :]] = r.jac[rows]
        if done.all():
            return out
        r = r.keep(np.nonzero(~done)[0])
