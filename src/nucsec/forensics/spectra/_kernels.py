"""Compiled kernels (numba) for the hot loops of the gamma analysis.

The analysis of a 16k-channel HPGe spectrum fits about a hundred small regions and scores
the nuclide library some twenty times; in NumPy both are dominated by the overhead of many
calls on small arrays, not by arithmetic. The kernels here do the same arithmetic in
compiled loops, one region (or one library scoring) at a time:

- :func:`levmar_regions`: the whole Levenberg-Marquardt minimisation of every region of a
  batch (model, Jacobian, score, normal equations, share curvature, bounds, damping,
  equilibrated solve, trial, acceptance and stopping rule), the algorithm of
  :mod:`~nucsec.forensics.spectra.levmar` and the model of
  :mod:`~nucsec.forensics.spectra.peakmodel`, written per region instead of per batch.

- :func:`snip_clip`: the clipping passes of the SNIP continuum
  (:func:`~nucsec.forensics.spectra.peaks.estimate_continuum`), one channel at a time.

Compiled with ``cache=True``: the machine code is written next to this file (``__pycache__``)
or, where that is not writable (an installed package), under ``NUMBA_CACHE_DIR`` (default:
the user's cache directory), and loaded by later processes instead of compiled again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from nucsec.forensics.spectra.model import FloatArray

__all__ = ["levmar_regions", "snip_clip"]

_F = TypeVar("_F", bound=Callable[..., Any])

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_N_HEAD = 4  # c0, c1, c2, h (the layout of peakmodel)


def _jit(fn: _F) -> _F:
    """``numba.njit(cache=True)``, typed for mypy as the function it compiles."""
    return cast(_F, numba.njit(cache=True, nogil=True)(fn))


@_jit
def _model(
    i: int, m: int, theta: FloatArray, edges: FloatArray, t_pow: FloatArray,
    base: FloatArray, sig0: FloatArray, real: FloatArray, z: FloatArray, g: FloatArray,
    e_sum: FloatArray, step_sum: FloatArray, weights: FloatArray, model: FloatArray,
) -> None:  # fmt: skip
    """Model counts of region ``i`` (its first ``m`` channels) at ``theta`` into ``model``;
    the Gaussian quantities ``z`` (edges), ``g``, ``e_sum``, ``step_sum`` and the step
    shares ``weights`` into the given work arrays (see ``peakmodel.evaluate``)."""
    k = sig0.shape[1]
    s = theta[-1]
    if k > 1:  # shares of the positive area, equal when none is positive
        total = 0.0
        n_real = 0.0
        for j in range(k):
            weights[j] = max(theta[_N_HEAD + j], 0.0) * real[i, j]
            total += weights[j]
            n_real += real[i, j]
        for j in range(k):
            if total > 0:
                weights[j] = weights[j] / total
            else:
                weights[j] = real[i, j] / max(n_real, 1.0)
    else:
        weights[0] = real[i, 0]
    for j in range(k):
        mu = theta[_N_HEAD + k + j]
        inv_sig = 1.0 / (s * sig0[i, j])
        prev = 0.0
        for e in range(m + 1):
            zz = (edges[i, e] - mu) * inv_sig
            z[e, j] = zz
            ee = math.erf(zz * _INV_SQRT2)
            if e > 0:
                g[e - 1, j] = 0.5 * (ee - prev)
                e_sum[e - 1, j] = ee + prev
            prev = ee
    for c in range(m):
        acc = 0.0
        for j in range(k):
            acc += e_sum[c, j] * weights[j]
        st = 0.5 - 0.25 * acc
        step_sum[c] = st
        poly = theta[0] * t_pow[i, 0, c] + theta[1] * t_pow[i, 1, c] + theta[2] * t_pow[i, 2, c]
        peaks = 0.0
        for j in range(k):
            peaks += g[c, j] * theta[_N_HEAD + j]
        model[c] = base[i, c] + poly + theta[3] * st + peaks


@_jit
def _jacobian(
    i: int, m: int, theta: FloatArray, t_pow: FloatArray, free: FloatArray, sig0: FloatArray,
    z: FloatArray, g: FloatArray, e_sum: FloatArray, step_sum: FloatArray,
    weights: FloatArray, jac: FloatArray,
) -> None:  # fmt: skip
    """Analytic Jacobian of region ``i`` at ``theta`` into ``jac`` (``m`` rows), from the
    quantities :func:`_model` left at the same point (see ``peakmodel.jacobian``)."""
    k = sig0.shape[1]
    s = theta[-1]
    h = theta[3]
    total = 0.0
    for j in range(k):
        total += max(theta[_N_HEAD + j], 0.0) * (1.0 if weights[j] > 0 else 0.0)
    for c in range(m):
        jac[c, 0] = t_pow[i, 0, c]
        jac[c, 1] = t_pow[i, 1, c]
        jac[c, 2] = t_pow[i, 2, c]
        jac[c, 3] = step_sum[c]
        dg_ds = 0.0
        dstep_ds = 0.0
        for j in range(k):
            amp = theta[_N_HEAD + j]
            col = g[c, j]
            if k > 1:
                pos = max(amp, 0.0) * (1.0 if weights[j] > 0 else 0.0)
                scale = (h if (pos > 0 and total > 0) else 0.0) / max(total, 1e-300)
                col += ((0.5 - 0.25 * e_sum[c, j]) - step_sum[c]) * scale
            jac[c, _N_HEAD + j] = col
            inv_sig = 1.0 / (s * sig0[i, j])
            z0 = z[c, j]
            z1 = z[c + 1, j]
            ph0 = math.exp(-0.5 * z0 * z0) * _INV_SQRT2PI
            ph1 = math.exp(-0.5 * z1 * z1) * _INV_SQRT2PI
            jac[c, _N_HEAD + k + j] = amp * ((ph0 - ph1) * inv_sig) + (h * weights[j]) * (
                0.5 * (ph1 + ph0) * inv_sig
            )
            zp0 = z0 * ph0
            zp1 = z1 * ph1
            dg_ds += (zp0 - zp1) * amp
            dstep_ds += 0.5 * (zp0 + zp1) * weights[j]
        jac[c, -1] = (dg_ds + h * dstep_ds) * (free[i] / s)


@_jit
def _objective(
    i: int, m: int, model: FloatArray, y: FloatArray, ylogy: FloatArray, var: FloatArray,
    has_var: bool, floor: FloatArray,
) -> float:  # fmt: skip
    """Poisson deviance (continued below the floor) or chi-square of region ``i``."""
    acc = 0.0
    if has_var:
        for c in range(m):
            r = y[i, c] - model[c]
            acc += r * r / var[i, c]
        return acc
    for c in range(m):
        yy = y[i, c]
        eps = floor[i, c]
        mc = max(model[c], eps)
        dev = mc - yy + ylogy[i, c] - yy * math.log(mc)
        if model[c] < eps:
            dm = model[c] - eps
            curv = max(yy, 1.0) / (eps * eps)
            dev += (1.0 - yy / eps) * dm + 0.5 * curv * dm * dm
        acc += dev
    return 2.0 * acc


@_jit
def _score(
    i: int, m: int, model: FloatArray, y: FloatArray, var: FloatArray, has_var: bool,
    floor: FloatArray, resid: FloatArray, w: FloatArray,
) -> None:  # fmt: skip
    """Minus half the objective's derivative and the Fisher weights per channel."""
    for c in range(m):
        if has_var:
            w[c] = 1.0 / var[i, c]
            resid[c] = w[c] * (y[i, c] - model[c])
            continue
        eps = floor[i, c]
        if model[c] < eps:
            cc = max(y[i, c], 1.0) / (eps * eps)
            resid[c] = (y[i, c] / eps - 1.0) - cc * (model[c] - eps)
            w[c] = cc
        else:
            w[c] = 1.0 / max(model[c], eps)
            resid[c] = w[c] * (y[i, c] - model[c])


@_jit
def _solve(a: FloatArray, rhs: FloatArray, x: FloatArray) -> None:
    """Solve ``a x = rhs`` (``a`` overwritten), equilibrated first; Gaussian elimination
    with partial pivoting, least squares where a pivot is exactly zero (singular)."""
    p = a.shape[0]
    d = np.empty(p)
    for q in range(p):
        d[q] = 1.0 / math.sqrt(max(abs(a[q, q]), 1e-300))
    for q in range(p):
        for r in range(p):
            a[q, r] = a[q, r] * d[q] * d[r]
        x[q] = rhs[q] * d[q]
    saved = a.copy()
    b = x.copy()
    for col in range(p):
        piv = col
        big = abs(a[col, col])
        for r in range(col + 1, p):
            if abs(a[r, col]) > big:
                big = abs(a[r, col])
                piv = r
        if big == 0.0:
            sol = np.linalg.lstsq(saved, b, rcond=np.finfo(np.float64).eps * p)[0]
            for q in range(p):
                x[q] = sol[q] * d[q]
            return
        if piv != col:
            for r in range(p):
                tmp = a[col, r]
                a[col, r] = a[piv, r]
                a[piv, r] = tmp
            tmp = x[col]
            x[col] = x[piv]
            x[piv] = tmp
        inv = 1.0 / a[col, col]
        for r in range(col + 1, p):
            f = a[r, col] * inv
            if f != 0.0:
                for q in range(col + 1, p):
                    a[r, q] -= f * a[col, q]
                x[r] -= f * x[col]
    for col in range(p - 1, -1, -1):
        acc = x[col]
        for q in range(col + 1, p):
            acc -= a[col, q] * x[q]
        x[col] = acc / a[col, col]
    for q in range(p):
        x[q] *= d[q]


@_jit
def _work(
    m_pad: int, k: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Work arrays of :func:`_model`: ``z``, ``g``, ``e_sum``, ``step_sum``, ``weights``, model."""
    return (
        np.empty((m_pad + 1, k)), np.empty((m_pad, k)), np.empty((m_pad, k)), np.empty(m_pad),
        np.empty(k), np.empty(m_pad),
    )  # fmt: skip


@_jit
def levmar_regions(
    y: FloatArray, ylogy: FloatArray, base: FloatArray, var: FloatArray, has_var: bool,
    mask: FloatArray, edges: FloatArray, t_pow: FloatArray, sig0: FloatArray,
    real: FloatArray, free: FloatArray, fixed: Any, floor: FloatArray,
    theta0: FloatArray, lower: FloatArray, upper: FloatArray, max_iter: Any,
    tol: float, max_refused: int, initial_lambda: float, min_lambda: float, nu0: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """Levenberg-Marquardt (Fisher scoring, Nielsen's damping rule) of every region of a
    padded batch from ``theta0``; returns the final parameters ``(B, P)`` and, there, the
    model ``(B, M)``, Jacobian ``(B, M, P)``, continuum with step ``(B, M)`` and deviance
    (or chi-square) ``(B,)`` (zero in padding channels).

    The arrays are those of ``peakmodel.Batch`` (``var`` ignored unless ``has_var``); the
    rules and constants those of :mod:`~nucsec.forensics.spectra.levmar`, whose batched
    NumPy loop this replaces: each region is iterated on its own until it stops.
    """
    n_b, p = theta0.shape
    k = sig0.shape[1]
    m_pad = y.shape[1]
    out = theta0.copy()
    model_out = np.zeros((n_b, m_pad))
    jac_out = np.zeros((n_b, m_pad, p))
    cont_out = np.zeros((n_b, m_pad))
    obj_out = np.zeros(n_b)
    # the model's work arrays at the current parameters and at the trial (swapped on accept)
    z, g, e_sum, step_sum, weights, model = _work(m_pad, k)
    t_z, t_g, t_e_sum, t_step_sum, t_weights, t_model = _work(m_pad, k)
    jac = np.empty((m_pad, p))
    resid = np.empty(m_pad)
    w = np.empty(m_pad)
    hess = np.empty((p, p))
    grad = np.empty(p)
    pin = np.empty(p)
    damp = np.empty(p)
    step = np.empty(p)
    trial = np.empty(p)
    u = np.empty(k)
    for i in range(n_b):
        m = 0
        for c in range(m_pad):
            if mask[i, c] > 0:
                m += 1
        n_free = 0
        for q in range(p):
            if not fixed[i, q]:
                n_free += 1
        dof = max(float(m - n_free), 1.0)
        theta = out[i]
        _model(i, m, theta, edges, t_pow, base, sig0, real, z, g, e_sum, step_sum, weights, model)
        _jacobian(i, m, theta, t_pow, free, sig0, z, g, e_sum, step_sum, weights, jac)
        obj = _objective(i, m, model, y, ylogy, var, has_var, floor)
        lam, nu = initial_lambda, nu0
        accepted = refused = 0
        plain = False
        while True:
            _score(i, m, model, y, var, has_var, floor, resid, w)
            for q in range(p):
                acc = 0.0
                for c in range(m):
                    acc += jac[c, q] * resid[c]
                grad[q] = acc
                for r in range(q, p):
                    acc = 0.0
                    for c in range(m):
                        acc += jac[c, q] * (jac[c, r] * w[c])
                    hess[q, r] = acc
                    hess[r, q] = acc
            if k > 1:  # second-order terms of the step shares (levmar._share_curvature)
                h = theta[3]
                total = 0.0
                for j in range(k):
                    if theta[_N_HEAD + j] > 0 and real[i, j] > 0:
                        total += theta[_N_HEAD + j]
                inv_t = 1.0 / total if total > 0 else 0.0
                for j in range(k):
                    pos = theta[_N_HEAD + j] > 0 and real[i, j] > 0
                    acc = 0.0
                    if pos:
                        for c in range(m):
                            acc += resid[c] * ((0.5 - 0.25 * e_sum[c, j]) - step_sum[c])
                    u[j] = acc
                for j in range(k):
                    c_ha = u[j] * inv_t
                    hess[3, _N_HEAD + j] -= c_ha
                    hess[_N_HEAD + j, 3] -= c_ha
                    pos_j = theta[_N_HEAD + j] > 0 and real[i, j] > 0
                    for jj in range(k):
                        pos_jj = theta[_N_HEAD + jj] > 0 and real[i, jj] > 0
                        if pos_j and pos_jj:
                            hess[_N_HEAD + j, _N_HEAD + jj] -= -(h * inv_t * inv_t) * (u[j] + u[jj])
            for q in range(p):
                pin[q] = 1.0 if fixed[i, q] else 0.0
                # a parameter at a bound that the gradient pushes outwards is held there
                held = theta[q] <= lower[i, q] if grad[q] < 0 else theta[q] >= upper[i, q]
                if held:
                    for r in range(p):
                        hess[q, r] = 0.0
                        hess[r, q] = 0.0
                    grad[q] = 0.0
                    pin[q] = 1.0
            for q in range(p):
                damped = 1.0 if (plain or q >= 3) else 0.0
                damp[q] = lam * max(hess[q, q], 1e-12) * damped
                hess[q, q] += damp[q] + pin[q]
            _solve(hess, grad, step)
            pred = 0.0
            for q in range(p):
                pred += step[q] * (grad[q] + damp[q] * step[q])
                trial[q] = min(max(theta[q] + step[q], lower[i, q]), upper[i, q])
            _model(
                i, m, trial, edges, t_pow, base, sig0, real, t_z, t_g, t_e_sum, t_step_sum,
                t_weights, t_model,
            )  # fmt: skip
            t_obj = _objective(i, m, t_model, y, ylogy, var, has_var, floor)
            if t_obj <= obj:
                done = obj - t_obj < tol * max(obj / dof, 1.0)
                gain = min(max((obj - t_obj) / max(pred, 1e-300), 0.0), 1.0)
                shrink = max(1.0 / 3.0, 1.0 - (2.0 * gain - 1.0) ** 3)
                lam = max(lam * shrink, min_lambda)
                nu = nu0
                obj = t_obj
                theta[:] = trial
                z, t_z = t_z, z
                g, t_g = t_g, g
                e_sum, t_e_sum = t_e_sum, e_sum
                step_sum, t_step_sum = t_step_sum, step_sum
                weights, t_weights = t_weights, weights
                model, t_model = t_model, model
                _jacobian(i, m, theta, t_pow, free, sig0, z, g, e_sum, step_sum, weights, jac)
                accepted += 1
                refused = 0
                plain = False
                if done or accepted >= max_iter[i]:
                    break
            else:
                lam *= nu
                nu *= 2.5
                refused += 1
                plain = True
                if refused >= max_refused:
                    break
        obj_out[i] = obj
        for c in range(m):
            model_out[i, c] = model[c]
            poly = theta[0] * t_pow[i, 0, c] + theta[1] * t_pow[i, 1, c] + theta[2] * t_pow[i, 2, c]
            cont_out[i, c] = base[i, c] + poly + theta[3] * step_sum[c]
            for q in range(p):
                jac_out[i, c, q] = jac[c, q]
    return out, model_out, jac_out, cont_out, obj_out


@_jit
def snip_clip(
    v: FloatArray, width: npt.NDArray[np.int64], first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
) -> None:  # fmt: skip
    """The SNIP clipping of ``v`` in place, windows ``p`` from ``max(width)`` down to 1: a
    channel whose own window reaches ``p`` takes ``min(v, (v[i-p] + v[i+p]) / 2)``, every
    channel of a pass from the values before that pass (as the vectorised form in
    ``peaks._snip``). ``first[p]``/``last[p]`` bound the channels whose window reaches ``p``.
    """
    n = v.size
    old = np.empty(n)
    for p in range(width.max(), 0, -1):
        lo = max(first[p], p)
        hi = min(last[p], n - p)
        if lo >= hi:
            continue
        for i in range(lo - p, hi + p):
            old[i] = v[i]
        for i in range(lo, hi):
            if width[i] >= p:  # ``min``, not a branch on the values: no mispredictions
                v[i] = min(old[i], 0.5 * (old[i - p] + old[i + p]))
