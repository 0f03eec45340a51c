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

__all__ = ["MultivariateResult", "covariances", "jackson_mudholkar", "multivariate"]

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


def covariances(
    index: LibraryIndex, entries: np.ndarray, cols: np.ndarray, var: np.ndarray, avail: np.ndarray
) -> np.ndarray:
    """``Σ`` per entry (n × p × p) over ``cols``: ``var`` (n × p, sample's u² included) on the
    diagonal, ``r s_a s_b`` off it where the entry has a correlation model. A signature an
    entry lacks (``avail`` false) gets unit variance and no covariance, so ``D²`` and
    ``log det`` over the whole matrix equal those over the compared signatures alone.
    """
    n, p = entries.size, cols.size
    sigma = np.zeros((n, p, p))
    spread = np.where(avail, index.spread[np.ix_(cols, entries)].T.astype(float), 0.0)
    cid = index.corr_id[entries]
    for model_id in np.unique(cid[cid >= 0]):
        rows = np.flatnonzero(cid == model_id)
        model = index.models[int(model_id)]
        in_model = model.where[cols]
        mpos = np.flatnonzero(in_model >= 0)
        corr = np.zeros((p, p))
        corr[np.ix_(mpos, mpos)] = model.r[np.ix_(in_model[mpos], in_model[mpos])]
        np.fill_diagonal(corr, 0.0)
        sigma[rows] = corr[None] * spread[rows, :, None] * spread[rows, None, :]
    diag = np.arange(p)
    sigma[:, diag, diag] = np.where(avail, var, 1.0)
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
    """Entries with a correlation model, one batched factorisation per model.

    A signature an entry lacks gets residual 0, unit variance and no covariance, which
    leaves D² and log det exactly those of the compared signatures alone.
    """
    for model_id in np.unique(cid[cid >= 0]):
        rows = np.flatnonzero(cid == model_id)
        model = index.models[int(model_id)]
        in_model = model.where[cols]
        mpos = np.flatnonzero(in_model >= 0)
        q_rows = avail[rows].sum(axis=1)
        rows, q_rows = rows[q_rows >= 2], q_rows[q_rows >= 2]
        if mpos.size < 2 or rows.size == 0:
            continue
        a = avail[rows]
        r = np.where(a, resid[rows], 0.0)
        v = np.where(a, var[rows], 1.0)
        sigma = covariances(index, survivors[rows], cols, var[rows], a)
        spread = np.where(a, index.spread[np.ix_(cols, survivors[rows])].T.astype(float), 0.0)
        chol = np.linalg.cholesky(sigma)
        out.d2[rows] = np.sum(np.linalg.solve(sigma, r[..., None])[..., 0] * r, axis=1)
        logdet[rows] = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        with_q = (
            np.all(a[:, mpos], axis=1)
            if model.n_pc > 0 and mpos.size == model.cols.size
            else np.zeros(rows.size, bool)
        )
        alpha = prep.th.alpha_mv
        for q in np.unique(q_rows):
            for has_q in (False, True):
                sel = (q_rows == q) & (with_q == has_q)
                out.d2_limit[rows[sel]] = _t2_limit(alpha / 2 if has_q else alpha, int(q), model)
        if with_q.any():
            k = with_q
            _q_test(
                model,
                rows[k],
                r[np.ix_(k, mpos)],
                v[np.ix_(k, mpos)],
                spread[np.ix_(k, mpos)],
                alpha / 2,
                out,
            )


def _t2_limit(alpha: float, q: int, model: IndexedModel) -> float:
    if not model.n_members:
        return chi2_threshold(alpha, q)
    return hotelling_threshold(alpha, q, model.n_members) if model.n_members > q else math.inf


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
