"""The region-of-interest model and its analytic Jacobian, for many regions at once.

A batch holds ``B`` regions padded to ``M`` channels and ``K`` peaks. The parameter vector
of a region is laid out as::

    [c0, c1, c2, h, A_1 .. A_K, mu_1 .. mu_K, s]      (P = 2 K + 5 parameters)

and the expected counts per channel are::

    m = base + c0 + c1 t + c2 t^2 + h sum_j w_j S_j + sum_j A_j G_j

``t`` is the channel centre relative to the region, over its length; ``G_j`` is a Gaussian
of unit area, centroid ``mu_j`` and width ``sigma_j = s sigma0_j`` integrated over each
channel; ``S_j`` is its step (a complementary error function, 1 below the peak and 0 above
it) and ``w_j = A_j+ / sum_k A_k+`` the peak's share of the step, in proportion to the
positive areas (equal shares when none is positive). The shares are part of the model:
they are computed from the areas of the same parameter vector, and the Jacobian includes
their derivatives, so every deviance is that of one well-defined model. Parameters a
region does not use (``c2`` of a linear continuum, padded peaks,
``s`` of a fixed width) have a zero Jacobian column and are held fixed by the solver;
padded channels have weight zero.

Internal to :mod:`nucsec.forensics.spectra.fitting`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import erf

from nucsec.forensics.spectra.model import FloatArray

__all__ = [
    "N_HEAD",
    "Batch",
    "Edges",
    "deviance_floor",
    "evaluate",
    "jacobian",
    "objective",
    "score",
    "shares",
]

_INV_SQRT2 = 1.0 / np.sqrt(2.0)
_INV_SQRT2PI = 1.0 / np.sqrt(2.0 * np.pi)
N_HEAD = 4  # c0, c1, c2, h


@dataclass
class Batch:
    """Padded data of ``B`` regions (arrays indexed by region first)."""

    y: FloatArray  # (B, M) counts, 0 in padding
    ylogy: FloatArray  # (B, M) y log y (0 where y <= 0), for the Poisson deviance
    base: FloatArray  # (B, M) baseline under the polynomial
    var: FloatArray | None  # (B, M) known variance (weighted least squares) or None (Poisson)
    mask: FloatArray  # (B, M) 1 in the region, 0 in padding
    edges: FloatArray  # (B, M + 1) channel edges
    t_pow: FloatArray  # (B, 3, M) powers of t (row 2 is zero for a linear continuum)
    sig0: FloatArray  # (B, K) model sigma per peak (1 for padded peaks)
    real: FloatArray  # (B, K) 1 for a peak of the region, 0 for padding
    free: FloatArray  # (B,) 1 where the width scale is free
    fixed: npt.NDArray[np.bool_]  # (B, P) parameters held fixed
    floor: FloatArray  # (B, M) model value below which the deviance is continued
    floor_inside: FloatArray  # (B, M) the same in the region, -inf in padding

    @property
    def k(self) -> int:
        return int(self.sig0.shape[1])

    def take(self, idx: npt.NDArray[np.intp]) -> Batch:
        """The regions ``idx`` (a sub-batch sharing nothing mutable)."""
        return Batch(
            self.y[idx],
            self.ylogy[idx],
            self.base[idx],
            None if self.var is None else self.var[idx],
            self.mask[idx],
            self.edges[idx],
            self.t_pow[idx],
            self.sig0[idx],
            self.real[idx],
            self.free[idx],
            self.fixed[idx],
            self.floor[idx],
            self.floor_inside[idx],
        )


def _dot(a: FloatArray, v: FloatArray) -> FloatArray:
    """``sum_k a[b, m, k] v[b, k]`` -> ``(B, M)``. One peak per region (most batches): a
    product, the same number as the one-term sum, without a stacked matrix product."""
    if a.shape[2] == 1:
        single: FloatArray = a[:, :, 0] * v[:, :1]
        return single
    out: FloatArray = np.matmul(a, v[:, :, None])[..., 0]
    return out


@dataclass(frozen=True)
class Edges:
    """Gaussian quantities of a model evaluation, reused by its Jacobian."""

    z: FloatArray  # (B, M + 1, K) (x - mu) / sigma on the channel edges
    g: FloatArray  # (B, M, K) unit peak content per channel
    e_sum: FloatArray  # (B, M, K) sum of the error function at a channel's two edges
    step_sum: FloatArray  # (B, M) step shared by the peaks
    sig: FloatArray  # (B, K)
    weights: FloatArray  # (B, K) the peaks' shares of the step
    held: bool = False  # shares given, not computed from the areas

    def take(self, idx: npt.NDArray[np.intp]) -> Edges:
        return Edges(
            self.z[idx], self.g[idx], self.e_sum[idx], self.step_sum[idx], self.sig[idx],
            self.weights[idx], self.held,
        )  # fmt: skip


def shares(theta: FloatArray, real: FloatArray) -> FloatArray:
    """The peaks' shares of the step: of the positive area (equal when none is positive)."""
    k = real.shape[1]
    pos = np.maximum(theta[:, N_HEAD : N_HEAD + k], 0.0) * real
    total = pos.sum(axis=1, keepdims=True)
    equal = real / np.maximum(real.sum(axis=1, keepdims=True), 1.0)
    out: FloatArray = np.where(total > 0, pos / np.where(total > 0, total, 1.0), equal)
    return out


def evaluate(
    b: Batch, theta: FloatArray, weights: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, Edges]:
    """Model counts ``(B, M)`` and continuum with step ``(B, M)``; see :func:`jacobian`.

    Error functions are computed once on the channel edges: a channel's peak content is
    the difference of the error function at its edges, its step value the mean of the two
    edge values. The step is shared between the peaks of a region by :func:`shares`, or by
    given ``weights`` ``(B, K)`` (then held fixed: :func:`jacobian` omits their derivatives).
    """
    held = weights is not None
    if weights is None:
        weights = shares(theta, b.real) if b.k > 1 else b.real
    k = b.k
    amp = theta[:, N_HEAD : N_HEAD + k]
    mu = theta[:, N_HEAD + k : N_HEAD + 2 * k]
    sig = theta[:, -1:] * b.sig0
    z = (b.edges[:, :, None] - mu[:, None, :]) * (1.0 / sig)[:, None, :]
    e = erf(z * _INV_SQRT2)
    g = 0.5 * (e[:, 1:] - e[:, :-1])
    # step of a peak per channel: 0.5 - 0.25 (e_lo + e_hi); the shares sum to one
    e_sum = e[:, 1:] + e[:, :-1]
    step_sum = 0.5 - 0.25 * _dot(e_sum, weights)
    poly = np.matmul(theta[:, None, :3], b.t_pow)[:, 0]
    cont = b.base + poly + theta[:, 3:4] * step_sum
    model = cont + _dot(g, amp)
    return model, cont, Edges(z, g, e_sum, step_sum, sig, weights, held)


def jacobian(
    t_pow: FloatArray,
    free: FloatArray,
    theta: FloatArray,
    edges: Edges,
    out: FloatArray | None = None,
) -> FloatArray:
    """Analytic Jacobian ``(B, M, P)`` of the model at ``theta`` (``edges`` from
    :func:`evaluate` at the same point; ``t_pow`` and ``free`` of the batch).

    ``out``: a Jacobian of the same regions to overwrite (its continuum columns, which do
    not depend on ``theta``, are kept).

    An area moves the step through the shares: ``d(h sum_j w_j S_j)/dA_k =
    h (S_k - sum_j w_j S_j) / sum_j A_j+`` for a positive area, zero otherwise.
    """
    k = edges.g.shape[2]
    weights = edges.weights
    amp = theta[:, N_HEAD : N_HEAD + k]
    s = theta[:, -1]
    h = theta[:, 3]
    z = edges.z
    ph = np.exp(-0.5 * z * z) * _INV_SQRT2PI
    n_b, m = edges.g.shape[:2]
    if out is None:
        jac = np.empty((n_b, m, theta.shape[1]))
        jac[:, :, :3] = t_pow.transpose(0, 2, 1)
    else:
        jac = out
    jac[:, :, 3] = edges.step_sum
    jac[:, :, N_HEAD : N_HEAD + k] = edges.g
    if k > 1 and not edges.held:
        pos = np.maximum(amp, 0.0) * (weights > 0)
        total = pos.sum(axis=1)
        scale = (
            np.where((pos > 0) & (total[:, None] > 0), h[:, None], 0.0)
            / np.maximum(total, 1e-300)[:, None]
        )
        own_step = 0.5 - 0.25 * edges.e_sum  # S_k
        jac[:, :, N_HEAD : N_HEAD + k] += (own_step - edges.step_sum[:, :, None]) * scale[
            :, None, :
        ]
    inv_sig = 1.0 / edges.sig[:, None, :]
    dg_dmu = (ph[:, :-1] - ph[:, 1:]) * inv_sig
    ds_dmu = 0.5 * (ph[:, 1:] + ph[:, :-1]) * inv_sig
    jac[:, :, N_HEAD + k : N_HEAD + 2 * k] = (
        amp[:, None, :] * dg_dmu + (h[:, None] * weights)[:, None, :] * ds_dmu
    )
    # width scale: the peaks and their steps
    zp = z * ph
    dg_ds = _dot(zp[:, :-1] - zp[:, 1:], amp)
    dstep_ds = _dot(0.5 * (zp[:, :-1] + zp[:, 1:]), weights)
    jac[:, :, -1] = (dg_ds + h[:, None] * dstep_ds) * (free / s)[:, None]
    return jac


#: below ``MIN_MODEL_FRACTION * y`` (and ``MIN_MODEL`` counts) the Poisson deviance of a
#: channel is continued by its second-order expansion there: smooth and convex for any
#: model value, so that a model gone negative (a bad start) is pulled back by a gradient
#: that tells the truth
MIN_MODEL_FRACTION = 0.1
MIN_MODEL = 0.1


def deviance_floor(y: FloatArray) -> FloatArray:
    """Per channel, the model value below which the Poisson deviance is continued."""
    out: FloatArray = np.maximum(MIN_MODEL_FRACTION * y, MIN_MODEL)
    return out


def objective(b: Batch, model: FloatArray) -> FloatArray:
    """Poisson deviance (or chi-square with the known variance) per region, ``(B,)``."""
    if b.var is None:
        m = np.maximum(model, b.floor)
        dev = m - b.y + b.ylogy - b.y * np.log(m)
        low = model < b.floor_inside
        if low.any():
            eps = b.floor
            dm = model - eps
            curv = np.maximum(b.y, 1.0) / (eps * eps)
            dev += np.where(low, (1.0 - b.y / eps) * dm + 0.5 * curv * dm * dm, 0.0)
        out: FloatArray = 2.0 * np.einsum("bm,bm->b", dev, b.mask)
        return out
    r = b.y - model
    out = np.einsum("bm,bm->b", r * r / b.var, b.mask)
    return out


def score(b: Batch, model: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Minus half the derivative of the objective per channel, and the weights of its
    Fisher (Gauss-Newton) matrix: ``y/m - 1`` and ``1/m`` (Poisson), ``(y - m)/var`` and
    ``1/var``; 0 in padding. Below the floor, those of the quadratic continuation."""
    if b.var is not None:
        w = b.mask / b.var
        out: FloatArray = w * (b.y - model)
        return out, w
    w = b.mask / np.maximum(model, b.floor)
    resid = w * (b.y - model)
    low = model < b.floor_inside
    if low.any():
        eps = b.floor
        c = np.maximum(b.y, 1.0) / (eps * eps)
        resid = np.where(low, (b.y / eps - 1.0) - c * (model - eps), resid)
        w = np.where(low, c, w)
    return resid, w
