"""The region-of-interest model and its analytic Jacobian, for many regions at once.

A batch holds ``B`` regions padded to ``M`` channels and ``K`` peaks. The parameter vector
of a region is laid out as::

    [c0, c1, c2, h, A_1 .. A_K, mu_1 .. mu_K, s]      (P = 2 K + 5 parameters)

and the expected counts per channel are::

    m = base + c0 + c1 t + c2 t^2 + h sum_j w_j S_j + sum_j A_j G_j

``t`` is the channel centre relative to the region, over its length; ``G_j`` is a Gaussian
of unit area, centroid ``mu_j`` and width ``sigma_j = s sigma0_j`` integrated over each
channel; ``S_j`` is its step (a complementary error function, 1 below the peak and 0 above
it) and ``w_j`` the peak's share of the positive area (held fixed within one step of the
minimiser). Parameters a region does not use (``c2`` of a linear continuum, padded peaks,
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

__all__ = ["N_HEAD", "Batch", "Edges", "evaluate", "jacobian", "objective"]

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
        )


def _dot(a: FloatArray, v: FloatArray) -> FloatArray:
    """``sum_k a[b, m, k] v[b, k]`` -> ``(B, M)``."""
    out: FloatArray = np.matmul(a, v[:, :, None])[..., 0]
    return out


@dataclass(frozen=True)
class Edges:
    """Gaussian quantities of a model evaluation, reused by its Jacobian."""

    z: FloatArray  # (B, M + 1, K) (x - mu) / sigma on the channel edges
    g: FloatArray  # (B, M, K) unit peak content per channel
    step_sum: FloatArray  # (B, M) step shared by the peaks
    sig: FloatArray  # (B, K)

    def take(self, idx: npt.NDArray[np.intp]) -> Edges:
        return Edges(self.z[idx], self.g[idx], self.step_sum[idx], self.sig[idx])


def evaluate(
    b: Batch, theta: FloatArray, weights: FloatArray
) -> tuple[FloatArray, FloatArray, Edges]:
    """Model counts ``(B, M)`` and continuum with step ``(B, M)``; see :func:`jacobian`.

    Error functions are computed once on the channel edges: a channel's peak content is
    the difference of the error function at its edges, its step value the mean of the two
    edge values. ``weights`` ``(B, K)`` share the step between the peaks of a region.
    """
    k = b.k
    amp = theta[:, N_HEAD : N_HEAD + k]
    mu = theta[:, N_HEAD + k : N_HEAD + 2 * k]
    sig = theta[:, -1:] * b.sig0
    z = (b.edges[:, :, None] - mu[:, None, :]) * (1.0 / sig)[:, None, :]
    e = erf(z * _INV_SQRT2)
    g = 0.5 * (e[:, 1:] - e[:, :-1])
    # step of a peak per channel: 0.5 - 0.25 (e_lo + e_hi); the shares sum to one
    step_sum = 0.5 - 0.25 * _dot(e[:, 1:] + e[:, :-1], weights)
    poly = np.matmul(theta[:, None, :3], b.t_pow)[:, 0]
    cont = b.base + poly + theta[:, 3:4] * step_sum
    model = cont + _dot(g, amp)
    return model, cont, Edges(z, g, step_sum, sig)


def jacobian(
    t_pow: FloatArray, free: FloatArray, theta: FloatArray, weights: FloatArray, edges: Edges
) -> FloatArray:
    """Analytic Jacobian ``(B, M, P)`` of the model at ``theta`` (``edges`` from
    :func:`evaluate` at the same point; ``t_pow`` and ``free`` of the batch)."""
    k = edges.g.shape[2]
    amp = theta[:, N_HEAD : N_HEAD + k]
    s = theta[:, -1]
    h = theta[:, 3]
    z = edges.z
    ph = np.exp(-0.5 * z * z) * _INV_SQRT2PI
    n_b, m = edges.g.shape[:2]
    jac = np.empty((n_b, m, theta.shape[1]))
    jac[:, :, :3] = t_pow.transpose(0, 2, 1)
    jac[:, :, 3] = edges.step_sum
    jac[:, :, N_HEAD : N_HEAD + k] = edges.g
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


def objective(b: Batch, model: FloatArray) -> FloatArray:
    """Poisson deviance (or chi-square with the known variance) per region, ``(B,)``."""
    if b.var is None:
        m = np.maximum(model, 1e-9)
        dev = m - b.y + b.ylogy - b.y * np.log(m)
        out: FloatArray = 2.0 * np.einsum("bm,bm->b", dev, b.mask)
        return out
    r = b.y - model
    out = np.einsum("bm,bm->b", r * r / b.var, b.mask)
    return out
