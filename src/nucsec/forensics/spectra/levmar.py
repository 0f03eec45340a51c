"""Batched Levenberg-Marquardt for the region fits.

Every region of a batch is minimised at once: one iteration is one set of array
operations over the regions still running (normal equations, damped solves, trial model,
deviance, Jacobian of the accepted ones), each region keeping its own damping and stopping
rule. Regions that stop leave the batch, which is then trimmed to what the remaining ones
need (channels, peaks).

- objective: the Poisson deviance ``2 sum(m - y + y log(y/m))`` of the counts, or
  ``chi^2`` with a known variance (background-subtracted spectra). The peaks' shares of
  the step are part of the model (computed from the areas of the same parameters, their
  derivatives in the Jacobian), so every trial is compared with the deviance of the same
  model. Where the model falls below a tenth of the counts (a bad start can make it
  negative), the deviance is continued by its second-order expansion: smooth, convex, and
  its gradient still points back to the data;
- start: for given step shares the continuum, step and areas enter the model linearly,
  so they are solved for exactly (weighted least squares) at the search centroids and
  model widths, the shares following the solved areas for a second round;
- step: Fisher scoring (iteratively reweighted least squares, weights ``1/m`` or
  ``1/var``) with the analytic Jacobian, damped by ``lambda`` times the diagonal of the
  normal matrix for every parameter but the continuum polynomial (which enters
  linearly); after a refused step every parameter is damped until one is accepted.
  ``lambda`` follows Nielsen's rule: after an accepted step it shrinks by
  ``max(1/3, 1 - (2 rho - 1)^3)``, ``rho`` being the actual over the predicted decrease;
  after a refused one it grows by 4, 10, 25... Centroids are clipped to their window and
  the width scale to [0.4, 2.5]; a parameter at a bound that the gradient pushes
  outwards is held there for the step;
- stop: after an accepted step that lowers the deviance by less than ``1e-3`` times the
  reduced chi-square (when above 1: the precision that uncertainties scaled by it can
  express), after ``max_iter`` accepted steps, or after eight refused ones in a row.

Internal to :mod:`nucsec.forensics.spectra.fitting`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.model import FloatArray
from nucsec.forensics.spectra.peakmodel import (
    N_HEAD,
    Batch,
    Edges,
    evaluate,
    jacobian,
    objective,
    score,
    shares,
)

__all__ = ["minimise", "solve_pinned", "start", "weights_of"]

TOL = 1e-3  # deviance decrease (times the reduced chi-square if above 1) of convergence
MAX_REFUSED = 8  # refused steps in a row before a region stops
INITIAL_LAMBDA = 1e-3
MIN_LAMBDA = 1e-7
NU = 4.0  # lambda grows by NU after a refused step, NU * 2.5 after a second one...

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


def start(b: Batch, theta: FloatArray, rounds: int = 2) -> FloatArray:
    """Continuum, step and areas solved exactly (weighted least squares) at the starting
    centroids and widths: for given step shares they enter the model linearly. The
    shares start equal and follow the solved areas for a few ``rounds``."""
    n_lin = N_HEAD + b.k
    w0 = b.mask / (np.maximum(b.y, 1.0) if b.var is None else b.var)
    rhs_y = ((b.y - b.base) * b.mask)[..., None]
    out = theta.copy()
    _, _, edges = evaluate(b, out, shares(np.zeros_like(theta), b.real))
    basis = np.concatenate([b.t_pow.transpose(0, 2, 1), edges.step_sum[..., None], edges.g], axis=2)
    fixed = b.fixed[:, :n_lin]
    for _ in range(rounds if b.k > 1 else 1):
        basis[:, :, :N_HEAD] *= 1.0 - fixed[:, None, :N_HEAD]
        basis[:, :, N_HEAD:] *= 1.0 - fixed[:, None, N_HEAD:]
        at = (basis * w0[..., None]).transpose(0, 2, 1)
        rhs = np.matmul(at, rhs_y)[..., 0]
        out[:, :n_lin] = solve_pinned(np.matmul(at, basis), rhs, fixed)
        weights = shares(out, b.real)[:, :, None]
        basis[:, :, 3] = 0.5 - 0.25 * np.matmul(edges.e_sum, weights)[..., 0]
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
    lam: FloatArray
    nu: FloatArray  # factor for lambda after the next refused step
    accepted: IntArray
    refused: IntArray
    max_iter: IntArray
    lower: FloatArray
    upper: FloatArray
    pin: FloatArray  # 1 on the diagonal of fixed parameters (their rows are zero)
    plain: BoolArray  # damp every parameter (after a refused step), not only nonlinear ones
    dof: FloatArray  # degrees of freedom (at least 1)
    share_dir: FloatArray  # (B, M, K) S_k - sum_j w_j S_j: how an area moves the step

    def __post_init__(self) -> None:
        p = self.theta.shape[1]
        # damped parameters: all but the continuum polynomial, which enters linearly
        self.damped = (np.arange(p) >= 3).astype(np.float64)[None, :]

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
            b.real[rows, :k], b.free[rows], b.fixed[rows][:, local], b.floor[rows, :m],
            b.floor_inside[rows, :m],
        )  # fmt: skip
        return _Running(
            self.index[rows], self.cols[local], sub, self.theta[rows][:, local],
            self.model[rows, :m], self.cont[rows, :m], self.jac[rows][:, :m][:, :, local],
            self.obj[rows], self.lam[rows], self.nu[rows], self.accepted[rows],
            self.refused[rows], self.max_iter[rows], self.lower[rows][:, local],
            self.upper[rows][:, local], self.pin[rows][:, local], self.plain[rows], self.dof[rows],
            self.share_dir[rows][:, :m, :k],
        )  # fmt: skip


def _share_dir(edges: Edges) -> FloatArray:
    out: FloatArray = (0.5 - 0.25 * edges.e_sum) - edges.step_sum[:, :, None]
    return out


def _share_curvature(hess: FloatArray, r: _Running, resid: FloatArray) -> None:
    """Add (in place) to the Fisher matrix the exact second-order terms of the step shares
    in the step height and the areas: ``-sum_i resid_i d2m_i`` with
    ``d2m/dh dA_k = D_k / T`` and ``d2m/dA_j dA_k = -h (D_j + D_k) / T^2`` (``D_k`` the
    share direction, ``T`` the total positive area). Without them Fisher scoring
    oscillates between the step and the small areas of a multiplet whose model is off."""
    k = r.b.k
    amp = r.theta[:, N_HEAD : N_HEAD + k]
    pos = (amp > 0) & (r.b.real > 0)
    total = np.where(pos, amp, 0.0).sum(axis=1)
    live = total > 0
    inv_t = np.where(live, 1.0 / np.where(live, total, 1.0), 0.0)
    u = np.matmul(resid[:, None, :], r.share_dir)[:, 0, :] * pos  # (B, K)
    c_ha = u * inv_t[:, None]
    c_aa = -(r.theta[:, 3] * inv_t * inv_t)[:, None, None] * (u[:, :, None] + u[:, None, :])
    c_aa *= pos[:, :, None] & pos[:, None, :]
    areas = slice(N_HEAD, N_HEAD + k)
    hess[:, 3, areas] -= c_ha
    hess[:, areas, 3] -= c_ha
    hess[:, areas, areas] -= c_aa


def _iterate(r: _Running) -> BoolArray:
    """One damped step for every running region; returns which regions are done."""
    b = r.b
    resid, w = score(b, r.model)
    jt = r.jac.transpose(0, 2, 1)
    grad = np.matmul(jt, resid[..., None])[..., 0]
    hess = np.matmul(jt, r.jac * w[..., None])
    p = hess.shape[1]
    if b.k > 1:
        _share_curvature(hess, r, resid)
    pin = r.pin
    # a parameter at a bound that the gradient pushes outwards is held there this step
    held = np.where(grad < 0, r.theta <= r.lower, r.theta >= r.upper)
    if held.any():
        keep = 1.0 - held
        hess *= keep[:, :, None] * keep[:, None, :]
        grad *= keep
        pin = np.maximum(pin, held)
    damped = np.where(r.plain[:, None], 1.0, r.damped) if r.plain.any() else r.damped
    diag = hess.reshape(hess.shape[0], p * p)[:, :: p + 1]  # a view: written in place
    damp = r.lam[:, None] * np.maximum(diag, 1e-12) * damped
    diag += damp + pin
    step = _solve(hess, grad)
    # (H + D) step = g: the quadratic model predicts a deviance decrease g.step + step.D.step
    pred = np.einsum("bp,bp->b", step, grad + damp * step)
    trial = np.minimum(np.maximum(r.theta + step, r.lower), r.upper)  # np.clip, faster
    t_model, t_cont, t_edges = evaluate(b, trial)
    t_obj = objective(b, t_model)
    ok = t_obj <= r.obj
    done = np.zeros(ok.size, dtype=bool)
    if ok.any():
        a = np.nonzero(ok)[0] if not ok.all() else slice(None)
        done[a] = r.obj[a] - t_obj[a] < TOL * np.maximum(r.obj[a] / r.dof[a], 1.0)
        # Nielsen's rule: less damping the better the quadratic model predicted the decrease
        gain = np.minimum(np.maximum((r.obj[a] - t_obj[a]) / np.maximum(pred[a], 1e-300), 0.0), 1.0)
        shrink = np.maximum(1.0 / 3.0, 1.0 - (2.0 * gain - 1.0) ** 3)
        r.lam[a] = np.maximum(r.lam[a] * shrink, MIN_LAMBDA)
        r.nu[a] = NU
        if b.k > 1:
            r.share_dir[a] = _share_dir(t_edges)[a]
        if isinstance(a, slice):  # all accepted: no copies, the Jacobian in place
            r.theta, r.model, r.cont, r.obj = trial, t_model, t_cont, t_obj
            jacobian(b.t_pow, b.free, trial, t_edges, out=r.jac)
        else:
            r.theta[a], r.model[a], r.cont[a] = trial[a], t_model[a], t_cont[a]
            r.obj[a] = t_obj[a]
            if 2 * a.size >= ok.size:  # most accepted: cheaper than gathering them
                np.copyto(r.jac, jacobian(b.t_pow, b.free, trial, t_edges), where=ok[:, None, None])
            else:
                r.jac[a] = jacobian(b.t_pow[a], b.free[a], trial[a], t_edges.take(a))
        r.accepted[a] += 1
        r.refused[a] = 0
        r.plain[a] = False
        done[a] |= r.accepted[a] >= r.max_iter[a]
    refused = np.nonzero(~ok)[0]
    r.lam[refused] *= r.nu[refused]
    r.nu[refused] *= 2.5
    r.refused[refused] += 1
    r.plain[refused] = True
    done[refused] = r.refused[refused] >= MAX_REFUSED
    return done


def _compiled(
    b: Batch, theta: FloatArray, lower: FloatArray, upper: FloatArray, max_iter: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The kernel's final parameters, model, Jacobian, continuum and objective."""
    from nucsec.forensics.spectra._kernels import levmar_regions

    # contiguous float64 (int64, bool) arrays always: one compiled signature, one cache entry
    f8 = functools.partial(np.ascontiguousarray, dtype=np.float64)
    var = np.empty((1, 1)) if b.var is None else f8(b.var)
    return levmar_regions(
        f8(b.y), f8(b.ylogy), f8(b.base), var, b.var is not None, f8(b.mask), f8(b.edges),
        f8(b.t_pow), f8(b.sig0), f8(b.real), f8(b.free),
        np.ascontiguousarray(b.fixed, dtype=np.bool_), f8(b.floor), f8(theta), f8(lower),
        f8(upper), np.ascontiguousarray(max_iter, dtype=np.int64), TOL, MAX_REFUSED,
        INITIAL_LAMBDA, MIN_LAMBDA, NU,
    )  # fmt: skip


def minimise(
    b: Batch,
    theta: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    max_iter: IntArray,
    *,
    compiled: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Fit every region of ``b``; returns parameters, model, Jacobian, continuum and
    deviance (or chi-square) per region, in the batch's layout.

    The iterations run in the compiled kernel
    :func:`~nucsec.forensics.spectra._kernels.levmar_regions` (one region at a time, the
    rules above); ``compiled=False`` runs this module's batched NumPy loop instead, the
    reference the kernel is tested against.
    """
    theta = start(b, theta)
    if compiled:
        return _compiled(b, theta, lower, upper, max_iter)
    model, cont, edges = evaluate(b, theta)
    jac = jacobian(b.t_pow, b.free, theta, edges)
    obj = objective(b, model)
    n_b = theta.shape[0]
    out = (theta.copy(), model.copy(), jac.copy(), cont.copy(), obj.copy())
    r = _Running(
        np.arange(n_b), np.arange(theta.shape[1]), b, theta, model, cont, jac, obj,
        np.full(n_b, INITIAL_LAMBDA), np.full(n_b, NU), np.zeros(n_b, dtype=np.int64),
        np.zeros(n_b, dtype=np.int64), max_iter.copy(), lower, upper,
        b.fixed.astype(np.float64), np.zeros(n_b, dtype=bool),
        np.maximum(b.mask.sum(axis=1) - (~b.fixed).sum(axis=1), 1.0), _share_dir(edges),
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
