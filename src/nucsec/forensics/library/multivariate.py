"""The multivariate stage: correlated Mahalanobis / Hotelling T² and PCA Q-residuals.

For every entry that survived the univariate stage, the residuals ``r = x − μ`` of the
sample's signatures with values (comparison space: log-ratios for compositions) are
compared with their covariance ``Σ = S R S + diag(u_μ² + u²)``: ``S`` the within-source
spreads, ``R`` the entry's correlation model (identity when it has none), ``u_μ`` the
entry's value uncertainty and ``u`` the sample's. ``D² = rᵀ Σ⁻¹ r`` is compared with
chi-square on the number of compared signatures, or, for a model estimated from ``n``
members, with the predictive Hotelling quantile ``p (n − 1)/(n − p) F(p, n − p)`` (no test
when n ≤ p). Entries that share a correlation model and a pattern of missing values are
solved together in one batched Cholesky factorisation.

Where a model has principal components (enough members, see
:mod:`~nucsec.forensics.library.members`) and every one of its signatures was measured, the
Q statistic (squared residual outside the first components of the standardised residual's
correlation matrix) is tested against the Jackson–Mudholkar (1979) approximation; the
multivariate share of the false-exclusion rate is then split between T² and Q.

The *score* of a candidate is the log10 likelihood ratio of "the sample comes from this
entry's source" against "it comes from a random source of the library's population"
(per signature a normal with the library-wide mean and between+within variance), over the
signatures compared: missing signatures contribute nothing to either side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from nucsec.forensics.library.cascade import Prepared
from nucsec.forensics.library.index import IndexedModel, LibraryIndex
from nucsec.forensics.library.thresholds import chi2_threshold, hotelling_threshold

__all__ = ["MultivariateResult", "entry_covariance", "jackson_mudholkar", "multivariate"]

_LOG_2PI = math.log(2 * math.pi)


@dataclass
class MultivariateResult:
    """Per survivor: standardised residuals, D², its threshold, Q, score."""

    z: np.ndarray  # (n_s, p) standardised residuals, NaN where not compared
    dof: np.ndarray  # compared continuous signatures per survivor
    d2: np.ndarray
    d2_limit: np.ndarray  # inf where no multivariate test applies
    q: np.ndarray  # NaN where no Q test applies
    q_limit: np.ndarray
    log10_lr: np.ndarray

    @property
    def excluded_t2(self) -> np.ndarray:
        """Survivors the T² (Mahalanobis) test excludes."""
        return self.d2 > self.d2_limit

    @property
    def excluded_q(self) -> np.ndarray:
        """Survivors the Q-residual test excludes."""
        return np.nan_to_num(self.q, nan=-1.0) > self.q_limit


def jackson_mudholkar(residual_eigenvalues: np.ndarray, alpha: float) -> float:
    """Upper ``alpha`` limit of Q from the eigenvalues left out of the PCA model."""
    lam = np.asarray(residual_eigenvalues, float)
    t1, t2, t3 = (float(np.sum(lam**i)) for i in (1, 2, 3))
    if t1 <= 0 or t2 <= 0:
        return math.inf
    h0 = 1 - 2 * t1 * t3 / (3 * t2 * t2)
    h0 = h0 if abs(h0) > 1e-6 else 1e-6
    c = float(stats.norm.isf(alpha))
    inner = c * math.sqrt(2 * t2 * h0 * h0) / t1 + 1 + t2 * h0 * (h0 - 1) / (t1 * t1)
    return t1 * max(inner, 0.0) ** (1 / h0)


def multivariate(index: LibraryIndex, prep: Prepared, survivors: np.ndarray) -> MultivariateResult:
    """Run the multivariate tests and the score over the survivors."""
    items = prep.continuous
    n_s, p = survivors.size, len(items)
    cols = np.array([i.j for i in items], np.int64)
    x = np.array([i.x for i in items])
    u2 = np.array([i.u2 for i in items])
    mu = index.mu[np.ix_(cols, survivors)].T.astype(float) if p else np.zeros((n_s, 0))
    var = index.var[np.ix_(cols, survivors)].T.astype(float) + u2 if p else mu
    resid = x - mu
    avail = np.isfinite(resid)
    z = resid / np.sqrt(np.where(var > 0, var, np.nan))
    z[~avail] = np.nan
    dof = avail.sum(axis=1)
    d2 = np.nansum(z * z, axis=1)
    logdet = np.where(avail, np.log(np.where(var > 0, var, 1.0)), 0.0).sum(axis=1)
    out = MultivariateResult(
        z, dof, d2, np.full(n_s, math.inf), np.full(n_s, np.nan), np.full(n_s, math.inf), d2
    )
    alpha = prep.th.alpha_mv
    if alpha > 0:
        for d in np.unique(dof[dof >= 2]):
            out.d2_limit[dof == d] = chi2_threshold(alpha, int(d))
        cid = index.corr_id[survivors]
        if (cid >= 0).any():
            _correlated(index, prep, survivors, cid, cols, resid, var, avail, out, logdet)
    group = len(index.pop_mu) - 1 if prep.material is None else prep.material
    pop_mu, pop_var = index.pop_mu[group, cols], index.pop_sd[group, cols] ** 2 + u2
    log_pop = -0.5 * ((x - pop_mu) ** 2 / pop_var + np.log(pop_var) + _LOG_2PI)
    log_num = -0.5 * (out.d2 + logdet + dof * _LOG_2PI)
    out.log10_lr = (log_num - avail.astype(float) @ log_pop) / math.log(10)
    return out


def entry_covariance(index: LibraryIndex, e: int, cols: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """``Σ`` of a batch of entry ``e``'s source measured like the sample, over ``cols``."""
    sigma = np.diag(index.var[cols, e].astype(float) + u2)
    cid = int(index.corr_id[e])
    if cid < 0:
        return sigma
    model = index.models[cid]
    spread = index.spread[cols, e].astype(float)
    for a, ca in enumerate(cols):
        for b, cb in enumerate(cols):
            ia, ib = np.flatnonzero(model.cols == ca), np.flatnonzero(model.cols == cb)
            if a != b and ia.size and ib.size:
                sigma[a, b] = model.r[ia[0], ib[0]] * spread[a] * spread[b]
    return sigma


def _correlated(
    index: LibraryIndex,
    prep: Prepared,
    survivors: np.ndarray,
    cid: np.ndarray,
    cols: np.ndarray,
    resid: np.ndarray,
    var: np.ndarray,
    avail: np.ndarray,
    out: MultivariateResult,
    logdet: np.ndarray,
) -> None:
    rows_c = np.flatnonzero(cid >= 0)
    keys = np.concatenate([cid[rows_c, None], np.packbits(avail[rows_c], axis=1)], axis=1)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    for g in range(int(inverse.max()) + 1):
        rows = rows_c[inverse.ravel() == g]
        model = index.models[int(cid[rows[0]])]
        pos = np.flatnonzero(avail[rows[0]])
        if pos.size < 2:
            continue
        _group(index, prep, survivors[rows], rows, model, cols[pos], pos, resid, var, out, logdet)


def _group(
    index: LibraryIndex,
    prep: Prepared,
    entries: np.ndarray,
    rows: np.ndarray,
    model: IndexedModel,
    cols: np.ndarray,
    pos: np.ndarray,
    resid: np.ndarray,
    var: np.ndarray,
    out: MultivariateResult,
    logdet: np.ndarray,
) -> None:
    """Entries sharing a correlation model and the same compared signatures."""
    in_model = np.array([np.flatnonzero(model.cols == c)[0] if c in model.cols else -1
                         for c in cols])  # fmt: skip
    mpos = np.flatnonzero(in_model >= 0)
    if mpos.size < 2:
        return
    q = pos.size
    r = resid[np.ix_(rows, pos)]
    v = var[np.ix_(rows, pos)]
    spread = index.spread[np.ix_(cols, entries)].T.astype(float)
    corr = np.zeros((q, q))
    corr[np.ix_(mpos, mpos)] = model.r[np.ix_(in_model[mpos], in_model[mpos])]
    np.fill_diagonal(corr, 0.0)
    sigma = corr[None] * spread[:, :, None] * spread[:, None, :]
    sigma[:, np.arange(q), np.arange(q)] = v
    chol = np.linalg.cholesky(sigma)
    d2 = np.sum(np.linalg.solve(sigma, r[..., None])[..., 0] * r, axis=1)
    out.d2[rows] = d2
    logdet[rows] = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    alpha = prep.th.alpha_mv
    with_q = model.n_pc > 0 and mpos.size == model.cols.size
    alpha_t2 = alpha / 2 if with_q else alpha
    if model.n_members:
        limit = (
            hotelling_threshold(alpha_t2, q, model.n_members) if model.n_members > q else math.inf
        )
    else:
        limit = chi2_threshold(alpha_t2, q)
    out.d2_limit[rows] = limit
    if with_q:
        _q_test(model, rows, r[:, mpos], v[:, mpos], spread[:, mpos], alpha / 2, out)


def _q_test(
    model: IndexedModel,
    rows: np.ndarray,
    r: np.ndarray,
    v: np.ndarray,
    spread: np.ndarray,
    alpha: float,
    out: MultivariateResult,
) -> None:
    d = spread / np.sqrt(v)
    corr = model.r[None] * d[:, :, None] * d[:, None, :]
    idx = np.arange(d.shape[1])
    corr[:, idx, idx] = 1.0
    lam, vec = np.linalg.eigh(corr)  # ascending
    keep = vec[:, :, -model.n_pc :]
    z = r / np.sqrt(v)
    proj = np.einsum("nik,nk->ni", keep, np.einsum("nik,ni->nk", keep, z))
    out.q[rows] = np.sum((z - proj) ** 2, axis=1)
    out.q_limit[rows] = [jackson_mudholkar(row[: -model.n_pc], alpha) for row in lam]
