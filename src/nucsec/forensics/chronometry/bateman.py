"""Ingrowth of a daughter in a purified parent: forward model, derivative and inverse.

All functions work on atom ratios (number of daughter atoms over number of parent atoms),
are vectorised over ages and over sampled decay constants (for Monte Carlo), and are
written to keep full relative precision for young material, where a naive Bateman sum of
exponentials cancels catastrophically.

First generation (parent P -> daughter D, branching b, initial ratio r0)::

    R(t) = r0 e^(-Δt) + b λP t φ1(Δt),        Δ = λD - λP,  φ1(z) = (1 - e^-z)/z

with the closed-form inverse ``t = (R - r0)/(b λP - r0 Δ) · L(x)``,
``x = (R - r0) Δ/(b λP - r0 Δ)``, ``L(x) = -ln(1 - x)/x``.

Second generation (head 1 -> 2 -> 3, members 2 and 3 removed at t=0, ratio N3/N2)::

    R(t) = b2 λ2 t · h[0, x, y] / φ1(x),   x = (λ2 - λ1) t,  y = (λ3 - λ1) t

where h[0, x, y] is the second divided difference of e^-z (a series for small
arguments). It has no closed-form inverse: Newton's method is applied to
``g(t) = -ln(1 - R(t)/R_eq)``, which is nearly linear in t from young to near-equilibrium
material, so a few iterations reach full precision.

Ages are in years, decay constants in 1/y.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "atom_ratio",
    "atom_ratio_dt",
    "equilibrium_atom_ratio",
    "solve_age",
]

Array = NDArray[np.float64]
_SERIES_LIMIT = 0.5  # |y| below which h[0, x, y] is summed as a series
_SERIES_TERMS = 20  # 0.5**20/22! ~ 1e-27: far below double precision


def _phi1(z: Array) -> Array:
    """(1 - e^-z)/z, equal to 1 at z = 0, accurate for small |z|."""
    safe = np.where(z == 0.0, 1.0, z)
    return np.where(z == 0.0, 1.0, -np.expm1(-safe) / safe)


def _log_ratio(x: Array) -> Array:
    """-ln(1 - x)/x, equal to 1 at x = 0; inf for x >= 1."""
    safe = np.where(x == 0.0, 1.0, x)
    return np.where(x == 0.0, 1.0, -np.log1p(-safe) / safe)


def _dd2(x: Array, y: Array) -> Array:
    """Second divided difference h[0, x, y] of h(z) = e^-z (1/2 at x = y = 0)."""
    swap = np.abs(x) > np.abs(y)
    x, y = np.where(swap, y, x), np.where(swap, x, y)  # now |x| <= |y|
    small = np.abs(y) < _SERIES_LIMIT
    out = np.zeros(np.broadcast(x, y).shape)
    if not np.all(small):
        # direct form, used where |y| >= 0.5: (φ1(x) - e^-x φ1(y - x))/y
        y_safe = np.where(small, 1.0, y)
        out = (_phi1(x) - np.exp(-x) * _phi1(y - x)) / y_safe
    if np.any(small):
        out = np.where(small, _dd2_series(np.where(small, x, 0.0), np.where(small, y, 0.0)), out)
    return out


def _dd2_series(x: Array, y: Array) -> Array:
    """sum_m (-1)^m h_m(x, y)/(m+2)!, h_m the complete homogeneous polynomial (|x|<=|y|<1/2)."""
    y_max = float(np.max(np.abs(y))) if y.size else 0.0
    h_m = np.ones_like(y)
    x_pow = np.ones_like(y)
    scale = 0.5
    series = scale * h_m
    for m in range(1, _SERIES_TERMS):
        scale = -scale / (m + 2)
        if (m + 1) * y_max**m * abs(scale) < 1e-18:
            break  # |h_m| <= (m+1) |y|^m: the remaining terms are below double precision
        x_pow = x_pow * x
        h_m = y * h_m + x_pow
        series = series + scale * h_m
    return series


def _as_arrays(lam: Sequence[ArrayLike]) -> list[Array]:
    return [np.asarray(v, dtype=np.float64) for v in lam]


def atom_ratio(
    t_y: ArrayLike,
    lam_per_y: Sequence[ArrayLike],
    branching: Sequence[float],
    r0: ArrayLike = 0.0,
) -> Array:
    """Atom ratio daughter/parent (numerator/denominator) after ``t_y`` years.

    ``lam_per_y`` holds the decay constants of the chain members, head first (2 or 3
    members); ``branching[i]`` is the fraction of member i's decays feeding member i+1.
    ``r0`` is the initial ratio (first generation only).
    """
    t = np.asarray(t_y, dtype=np.float64)
    lam = _as_arrays(lam_per_y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if len(lam) == 2:
            delta = lam[1] - lam[0]
            grown = branching[0] * lam[0] * t * _phi1(delta * t)
            return np.asarray(np.asarray(r0) * np.exp(-delta * t) + grown, dtype=np.float64)
        l1, l2, l3 = lam
        x, y = (l2 - l1) * t, (l3 - l1) * t
        return np.asarray(branching[1] * l2 * t * _dd2(x, y) / _phi1(x), dtype=np.float64)


def atom_ratio_dt(
    t_y: ArrayLike,
    ratio: ArrayLike,
    lam_per_y: Sequence[ArrayLike],
    branching: Sequence[float],
) -> Array:
    """dR/dt (per year) at age ``t_y`` where the atom ratio is ``ratio``."""
    t = np.asarray(t_y, dtype=np.float64)
    r = np.asarray(ratio, dtype=np.float64)
    lam = _as_arrays(lam_per_y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if len(lam) == 2:
            return np.asarray(branching[0] * lam[0] - (lam[1] - lam[0]) * r, dtype=np.float64)
        l1, l2, l3 = lam
        b2 = branching[1]
        t_safe = np.where(t == 0.0, 1.0, t)
        feed = np.where(t == 0.0, b2 * l2 / 2.0, r / (t_safe * _phi1((l2 - l1) * t_safe)))
        return np.asarray(b2 * l2 - r * (l3 - l2) - feed, dtype=np.float64)


def equilibrium_atom_ratio(lam_per_y: Sequence[ArrayLike], branching: Sequence[float]) -> Array:
    """Limit of the atom ratio for t -> inf: (transient or secular) equilibrium, or inf.

    A ratio at or above this value cannot be produced by any age.
    """
    lam = _as_arrays(lam_per_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        if len(lam) == 2:
            delta = lam[1] - lam[0]
            out = np.where(
                delta > 0, branching[0] * lam[0] / np.where(delta > 0, delta, 1.0), np.inf
            )
        else:
            l1, l2, l3 = lam
            ok = (l1 < l2) & (l1 < l3)
            out = np.where(ok, branching[1] * l2 / np.where(ok, l3 - l1, 1.0), np.inf)
    return np.asarray(out, dtype=np.float64)


def solve_age(
    ratio: ArrayLike,
    lam_per_y: Sequence[ArrayLike],
    branching: Sequence[float],
    r0: ArrayLike = 0.0,
    *,
    rtol: float = 1e-14,
    max_iter: int = 200,
    t_start: ArrayLike | None = None,
) -> Array:
    """Age (years) at which the atom ratio equals ``ratio``; inf at or beyond equilibrium.

    Closed form for two members; Newton iteration for three, from ``t_start`` when given
    (e.g. the point estimate, for Monte Carlo samples) or else from the small-age linear
    solution. Ratios below ``r0`` give negative ages (the model extended backwards), which
    Monte Carlo tails need.
    """
    r = np.asarray(ratio, dtype=np.float64)
    lam = _as_arrays(lam_per_y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if len(lam) == 2:
            delta = lam[1] - lam[0]
            r0_arr = np.asarray(r0, dtype=np.float64)
            rate = branching[0] * lam[0] - r0_arr * delta
            excess = r - r0_arr
            t = excess / rate * _log_ratio(excess * delta / rate)
            beyond = (r >= equilibrium_atom_ratio(lam, branching)) | ~np.isfinite(t)
            return np.asarray(np.where(beyond, np.inf, t), dtype=np.float64)
        return _solve_second_generation(r, lam, branching, rtol, max_iter, t_start)


def _solve_second_generation(
    r: Array,
    lam: list[Array],
    branching: Sequence[float],
    rtol: float,
    max_iter: int,
    t_start: ArrayLike | None,
) -> Array:
    """Newton's method on g(t) = -ln(1 - R(t)/R_eq), which is nearly linear in t."""
    r_eq = equilibrium_atom_ratio(lam, branching)
    beyond = r >= r_eq
    shape = np.broadcast(r, *lam).shape
    target = np.broadcast_to(np.where(beyond, 0.0, r), shape).ravel()
    lam_flat = [np.broadcast_to(v, shape).ravel() for v in lam]
    r_eq_flat = np.broadcast_to(r_eq, shape).ravel()
    linear = 2.0 * target / (branching[1] * lam_flat[1])
    if t_start is None:
        t = linear.copy()
    else:
        t = np.broadcast_to(np.asarray(t_start, dtype=np.float64), shape).ravel().copy()
    active: NDArray[np.intp] | None = None  # None: every element is still iterating
    for _ in range(max_iter):
        if active is None:
            lam_a, t_a, target_a, eq_a = lam_flat, t.copy(), target, r_eq_flat
        else:
            lam_a = [v[active] for v in lam_flat]
            t_a, target_a, eq_a = t[active], target[active], r_eq_flat[active]
        value = atom_ratio(t_a, lam_a, branching)
        slope = atom_ratio_dt(t_a, value, lam_a, branching) / (eq_a - value)
        step = (np.log1p(-value / eq_a) - np.log1p(-target_a / eq_a)) / slope
        t_new = t_a + step
        # never cross zero from the positive side: halve instead
        t_new = np.where((t_new <= 0) & (target_a > 0) & (t_a > 0), 0.5 * t_a, t_new)
        # Newton converges quadratically on this nearly linear g: after a step of relative
        # size s the error left is ~s**2, so a step below 0.1*sqrt(rtol) means converged
        moving = ~(np.abs(t_new - t_a) <= 0.1 * math.sqrt(rtol) * np.abs(t_new))
        if active is None:
            t = t_new
            active = np.flatnonzero(moving)
        else:
            t[active] = t_new
            active = active[moving]
        if active.size == 0:
            break
    return np.asarray(np.where(beyond, np.inf, t.reshape(shape)), dtype=np.float64)
