"""The multivariate stage: correlated Mahalanobis / Hotelling T² and PCA Q-residuals.

For every entry that survived the univariate stage, the residuals ``r = x − μ`` of the
sample's signatures with values (comparison space: log-ratios for compositions) are
compared with their covariance ``Σ = S R S + diag(u_μ² + u²)``: ``S`` the within-source
spreads, ``R`` the entry's correlation model (identity when it has none), ``u_μ`` the
entry's value uncertainty and ``u`` the sample's. ``D² = rᵀ Σ⁻¹ r`` is computed for a fixed
family of tests: all continuous signatures together, and each vocabulary group the library
holds two or more of (U isotopes, Pb isotopes, REE, trace elements, pellet, ...), so a
distorted REE *pattern* is judged against 14 degrees of freedom, not 30. Each test's limit
depends on the library and the entry only (:func:`t2_limit`): chi-square on the number of
continuous signatures the library holds in that test, and for a model estimated from ``n``
members also the predictive Hotelling quantile ``p (n − 1)/(n − p) F(p, n − p)`` on the
model's ``p`` signatures in the test (no test when n ≤ p). The multivariate share of the
false-exclusion rate is split evenly between the tests. A limit on the *compared* count
would be sharper for sparse samples, but then adding a signature that agrees could turn an
exclusion into a pass; with fixed limits it never does (D² only grows with more
signatures). Entries that share a correlation model are solved together in one batched
Cholesky factorisation (a missing signature gets residual 0 and unit variance, which leaves
D² that of the compared signatures).

Where a model has principal components (enough members, see
:mod:`~nucsec.forensics.library.members`) and every one of its signatures was measured, the
Q statistic (squared residual outside the first components of the standardised residual's
correlation matrix) is tested against the Jackson–Mudholkar (1979) approximation, sharing
the "all" test's rate.

The *score* of a candidate is the log10 likelihood ratio of "the sample comes from this
entry's source" against "it comes from a random source of the library's population"
(per signature a normal with the material type's mean and between+within variance), over
the signatures compared: missing signatures contribute nothing to either side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from nucsec.forensics.library.blocks import blocks_of, factor, forward, test_blocks
from nucsec.forensics.library.cascade import Prepared
from nucsec.forensics.library.index import IndexedModel, LibraryIndex
from nucsec.forensics.library.parallel import chunked
from nucsec.forensics.library.thresholds import chi2_threshold, hotelling_threshold

__all__ = ["MultivariateResult", "covariances", "jackson_mudholkar", "multivariate", "t2_limit"]

_LOG_2PI = math.log(2 * math.pi)


@dataclass
class MultivariateResult:
    """Per survivor: standardised residuals, D² of each test, the failing test, Q, score."""

    z: np.ndarray  # (n_s, p) standardised residuals, NaN where not compared
    dof: np.ndarray  # compared continuous signatures per survivor
    d2: np.ndarray  # D² of the "all" test
    failed: np.ndarray  # index into ``tests`` of the first failing test, -1 = passed
    failed_d2: np.ndarray  # D² and limit of that test
    failed_limit: np.ndarray
    q: np.ndarray  # NaN where no Q test applies
    q_limit: np.ndarray
    log10_lr: np.ndarray
    tests: list[str]

    @property
    def excluded_t2(self) -> np.ndarray:
        """Survivors a T² (Mahalanobis) test excludes."""
        return self.failed >= 0

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
    """Run the multivariate tests and the score over the survivors (chunks on threads)."""
    parts = chunked(lambda chunk: _multivariate(index, prep, chunk), survivors)
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    arrays = {
        f: np.concatenate([getattr(part, f) for part in parts])
        for f in ("z", "dof", "d2", "failed", "failed_d2", "failed_limit", "q", "q_limit")
    }
    return MultivariateResult(
        **arrays, log10_lr=np.concatenate([part.log10_lr for part in parts]), tests=first.tests
    )


def _multivariate(index: LibraryIndex, prep: Prepared, survivors: np.ndarray) -> MultivariateResult:
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
    z2 = np.where(avail, z * z, 0.0)
    logdet = np.where(avail, np.log(np.where(var > 0, var, 1.0)), 0.0).sum(axis=1)
    names = [name for name, _ in index.mv_tests]
    out = MultivariateResult(
        z, avail.sum(axis=1), z2.sum(axis=1), np.full(n_s, -1), np.zeros(n_s), np.zeros(n_s),
        np.full(n_s, np.nan), np.full(n_s, math.inf), np.zeros(n_s), names,
    )  # fmt: skip
    alpha = prep.th.alpha_mv / len(names) if names else 0.0
    cid = index.corr_id[survivors] if n_s else np.zeros(0, np.int32)
    if alpha > 0 and p:
        plain = np.flatnonzero(cid < 0)
        for t, (_, tcols) in enumerate(index.mv_tests):
            pos = np.isin(cols, tcols)
            d2 = z2[np.ix_(plain, pos)].sum(axis=1)
            _record(out, plain, t, d2, t2_limit(index, alpha, tcols, None))
        for model_id in np.unique(cid[cid >= 0]):
            rows = np.flatnonzero(cid == model_id)
            _correlated(index, prep, survivors, rows, cols, resid, var, avail, out, logdet, alpha)
    group = len(index.pop_mu) - 1 if prep.material is None else prep.material
    pop_mu, pop_var = index.pop_mu[group, cols], index.pop_sd[group, cols] ** 2 + u2
    log_pop = -0.5 * ((x - pop_mu) ** 2 / pop_var + np.log(pop_var) + _LOG_2PI)
    log_num = -0.5 * (out.d2 + logdet + out.dof * _LOG_2PI)
    out.log10_lr = (log_num - avail.astype(float) @ log_pop) / math.log(10)
    return out


def _record(
    out: MultivariateResult, rows: np.ndarray, test: int, d2: np.ndarray, limit: float
) -> None:
    if test == 0:
        out.d2[rows] = d2
    fail = (d2 > limit) & (out.failed[rows] < 0)
    hit = rows[fail]
    out.failed[hit], out.failed_d2[hit], out.failed_limit[hit] = test, d2[fail], limit


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
    rows: np.ndarray,
    cols: np.ndarray,
    resid: np.ndarray,
    var: np.ndarray,
    avail: np.ndarray,
    out: MultivariateResult,
    logdet: np.ndarray,
    alpha: float,
) -> None:
    """Survivors sharing one correlation model: batched factorisations, every test."""
    model = index.models[int(index.corr_id[survivors[rows[0]]])]
    a = avail[rows]
    r = np.where(a, resid[rows], 0.0)
    v = np.where(a, var[rows], 1.0)
    if model.block_diagonal:
        d2_of, logdet[rows] = _by_blocks(index, survivors[rows], cols, var[rows], a, r)
    else:
        sigma = covariances(index, survivors[rows], cols, var[rows], a)
        chol = np.linalg.cholesky(sigma)
        logdet[rows] = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        d2_of = _by_solves(sigma, r, cols)
    for t, (_, tcols) in enumerate(index.mv_tests):
        share = alpha / 2 if (t == 0 and model.n_pc) else alpha
        _record(out, rows, t, d2_of(tcols), t2_limit(index, share, tcols, model))
    mpos = np.flatnonzero(model.where[cols] >= 0)
    if model.n_pc > 0 and mpos.size == model.cols.size:
        with_q = np.all(a[:, mpos], axis=1)
        if with_q.any():
            spread = index.spread[np.ix_(cols, survivors[rows])].T.astype(float)
            k = with_q
            _q_test(model, rows[k], r[np.ix_(k, mpos)], v[np.ix_(k, mpos)],
                    spread[np.ix_(k, mpos)], alpha / 2, out)  # fmt: skip


def _by_solves(
    sigma: np.ndarray, r: np.ndarray, cols: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """D² of a test's signatures by a solve on its sub-matrix (any correlation model)."""

    def d2_of(tcols: np.ndarray) -> np.ndarray:
        pos = np.flatnonzero(np.isin(cols, tcols))
        if pos.size == 0:
            return np.zeros(r.shape[0])
        sub = sigma[np.ix_(np.arange(r.shape[0]), pos, pos)]
        rt = r[:, pos]
        return np.asarray(np.sum(np.linalg.solve(sub, rt[..., None])[..., 0] * rt, axis=1), float)

    return d2_of


def _by_blocks(
    index: LibraryIndex,
    entries: np.ndarray,
    cols: np.ndarray,
    var: np.ndarray,
    avail: np.ndarray,
    r: np.ndarray,
) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
    """D² per test and ``log det Σ`` of block-diagonal covariances (:mod:`.blocks`): each
    group's block of ``Σ`` is built and factorised on its own, the whole matrix never."""
    blocks = blocks_of(index, cols)
    d2 = np.zeros((r.shape[0], len(blocks)))
    logdet = np.zeros(r.shape[0])
    for b, pos in enumerate(blocks):
        chol = factor(covariances(index, entries, cols[pos], var[:, pos], avail[:, pos]))
        logdet += 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        d2[:, b] = np.sum(forward(chol, r[:, pos]) ** 2, axis=1)

    def d2_of(tcols: np.ndarray) -> np.ndarray:
        return np.asarray(d2[:, test_blocks(blocks, cols, tcols)].sum(axis=1), float)

    return d2_of, logdet


def t2_limit(
    index: LibraryIndex, alpha: float, tcols: np.ndarray, model: IndexedModel | None
) -> float:
    """The D² limit of one test for one entry: fixed by the library and the entry.

    Chi-square at ``alpha`` on the number of continuous signatures the library holds in the
    test. An entry whose model comes from ``n`` members also needs the predictive Hotelling
    limit on the model's ``p`` signatures in the test (the larger applies; none when n ≤ p).
    """
    limit = chi2_threshold(alpha, int(tcols.size))
    if model is None or not model.n_members:
        return limit
    p = int(np.isin(model.cols, tcols).sum())
    if p == 0:
        return limit
    if model.n_members <= p:
        return math.inf
    return max(limit, hotelling_threshold(alpha, p, model.n_members))


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
