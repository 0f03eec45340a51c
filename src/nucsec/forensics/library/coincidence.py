"""How many *other* sources of the library would pass the same tests (coincidence).

A candidate that survives every test is only evidence of origin if the tests could have
excluded other sources. For a candidate ``e``, :func:`coincident_sources` estimates the
expected number of other entries of the sample's material type whose batches, measured
with the sample's uncertainties, would pass ``e``'s tests on the signatures the sample and
``e`` share: ``Σ_r P(a batch of r passes e)``. Per reference entry ``r`` the probability is
taken as the smaller of

- the univariate tests' pass probabilities ``P(|X − μ_e| ≤ k sqrt(u² + v_e))`` with
  ``X ~ N(μ_r, v_r + u²)`` (a reference without the value gets the mean over those with it:
  missing at random), combined as the product over vocabulary groups of the smallest one
  within each group: signatures of one group (the REE, the Pb isotopes) vary together
  within a source, so within a group only the bound "at most the least likely" is used,
  while groups are taken as independent;
- each multivariate test's pass probability (non-central chi-square with non-centrality
  ``(μ_r − μ_e)ᵀ Σ_e⁻¹ (μ_r − μ_e)`` over the signatures both have,
  :func:`noncentral_chi2_cdf`);

times the chemical-form check (0 when the forms cannot overlap). The sum is stratified: the
entries that survived the sample's tests (the near neighbourhood, where almost all of the
sum lies) are enumerated (up to :data:`NEAR_CAP`, evenly subsampled and scaled beyond), the
rest of the material type is represented by the index's reference entries that did not
survive, scaled to their number. Date windows and detection limits are left out. Both
choices make the estimate err high, towards calling a match inconclusive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import chdtr, ndtr

from nucsec.forensics.library import _kernels
from nucsec.forensics.library.blocks import block_cholesky, blocks_of, test_blocks
from nucsec.forensics.library.cascade import Prepared
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.multivariate import covariances, t2_limit
from nucsec.forensics.library.parallel import chunked

__all__ = ["NEAR_CAP", "coincident_sources", "noncentral_chi2_cdf"]

NEAR_CAP = 2000


def _strata(
    index: LibraryIndex, prep: Prepared, survivors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reference entries and their weights (how many entries each stands for)."""
    if prep.material is None:
        group, n_group = len(index.reference) - 1, index.n
    else:
        group, n_group = prep.material, int(index.group_size[prep.material])
    near = survivors
    if near.size > NEAR_CAP:
        near = near[np.linspace(0, near.size - 1, NEAR_CAP).astype(np.int64)]
    ref = index.reference[group]
    far = ref[~np.isin(ref, survivors)]
    w_near = survivors.size / max(near.size, 1)
    w_far = (n_group - survivors.size) / far.size if far.size else 0.0
    weights = np.concatenate([np.full(near.size, w_near), np.full(far.size, w_far)])
    return np.concatenate([near, far]), weights


def coincident_sources(
    index: LibraryIndex, prep: Prepared, positions: np.ndarray, survivors: np.ndarray
) -> np.ndarray:
    """Expected number of other sources passing each candidate's tests (module text)."""
    refs, weights = _strata(index, prep, survivors)
    if refs.size == 0 or positions.size == 0:
        return np.zeros(positions.size)
    parts = chunked(lambda chunk: _expected(index, prep, chunk, refs, weights), positions,
                    min_chunk=2)  # fmt: skip
    return np.concatenate(parts)


def _expected(
    index: LibraryIndex,
    prep: Prepared,
    positions: np.ndarray,
    refs: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    cols = np.array([i.j for i in prep.continuous], np.int64)
    order = np.argsort(index.group_code[cols], kind="stable")  # each group contiguous
    cols = cols[order]
    u2 = np.array([i.u2 for i in prep.continuous])[order]
    mu_r = index.mu[np.ix_(cols, refs)].T.astype(float)  # (R, p)
    var_e = index.var[np.ix_(cols, positions)].T.astype(float)
    mu_e = index.mu[np.ix_(cols, positions)].T.astype(float)[:, None, :]  # (K, 1, p)
    tol = prep.th.k * np.sqrt(var_e + u2)[:, None, :]
    lo, hi = mu_e - tol, mu_e + tol
    var_r = index.var[np.ix_(cols, refs)].astype(float)  # (p, R)
    codes = index.group_code[cols]
    if _kernels.ENABLED:
        bound = np.empty((positions.size, refs.size))
        _kernels.univariate_bound(
            np.ascontiguousarray(lo[:, 0]), np.ascontiguousarray(hi[:, 0]),
            np.ascontiguousarray(mu_r), var_r + u2[:, None], codes, bound,
            np.empty(refs.size), np.empty(refs.size),
        )  # fmt: skip
    else:
        bound = _univariate_bound(lo, hi, mu_e, mu_r, var_r, u2, codes)
    bound = np.minimum(
        bound, _multivariate_pass(index, prep, positions, cols, u2, mu_e[:, 0], mu_r)
    )
    for name, _ in prep.forms:
        if name in index.forms:
            mask_r = index.forms[name][refs][None]
            mine = index.forms[name][positions].astype(np.int64)[:, None]
            bound = bound * ((mine == 0) | (mask_r == 0) | ((mask_r & mine) != 0))
    bound[refs[None, :] == positions[:, None]] = 0.0  # not the candidate itself
    return bound @ weights


def _univariate_bound(
    lo: np.ndarray,
    hi: np.ndarray,
    mu_e: np.ndarray,
    mu_r: np.ndarray,
    var_r: np.ndarray,
    u2: np.ndarray,
    codes: np.ndarray,
) -> np.ndarray:
    """Min within a vocabulary group, product across groups: one (K, R) plane per signature
    (the NumPy reference of ``_kernels.univariate_bound``)."""
    bound = np.ones((lo.shape[0], mu_r.shape[0]))
    group_min = bound
    for c in range(codes.size):
        p = _pass_univariate(lo[:, :, c], hi[:, :, c], mu_r[:, c], var_r[c] + u2[c])
        p[~np.isfinite(mu_e[:, 0, c])] = 1.0  # a signature e lacks: not compared
        first = c == 0 or codes[c] != codes[c - 1]
        group_min = p if first else np.minimum(group_min, p, out=group_min)
        if c == codes.size - 1 or codes[c + 1] != codes[c]:
            bound *= group_min
    return bound


def _pass_univariate(
    lo: np.ndarray, hi: np.ndarray, mu_r: np.ndarray, var_r: np.ndarray
) -> np.ndarray:
    """``P(lo < X < hi)`` with ``X ~ N(μ_r, v_r + u²)`` per candidate and reference.

    One signature: ``lo``, ``hi`` (K, 1); ``mu_r``, ``var_r`` (R,): a (K, R) array, small
    enough to stay in cache. Where the reference lacks the value, the mean over the
    references that have it (missing at random; 1 when none has it).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        inv_sd = 1.0 / np.sqrt(var_r)
        z = np.subtract(hi, mu_r)  # (K, R)
        z *= inv_sd
        p = ndtr(z)
        np.subtract(lo, mu_r, out=z)
        z *= inv_sd
        p -= ndtr(z, out=z)
    unknown = ~np.isfinite(p)
    if not unknown.any():
        return p
    np.copyto(p, 0.0, where=unknown)
    count = p.shape[1] - unknown.sum(axis=1)
    share = np.where(count > 0, p.sum(axis=1) / np.maximum(count, 1), 1.0)  # (K,)
    np.copyto(p, share[:, None], where=unknown)
    return p


def _multivariate_pass(
    index: LibraryIndex,
    prep: Prepared,
    positions: np.ndarray,
    cols: np.ndarray,
    u2: np.ndarray,
    mu_e: np.ndarray,
    mu_r: np.ndarray,
) -> np.ndarray:
    """Per candidate and reference: P(a batch of the reference passes the candidate's T² tests).

    The smallest pass probability over the tests (the joint one is at most that).

    The batch's D² about μ_e is taken as non-central chi-square with non-centrality
    ``(μ_r − μ_e)ᵀ Σ_e⁻¹ (μ_r − μ_e)`` (the reference's spread taken equal to e's) over the
    signatures both have.
    """
    have = np.isfinite(mu_e)  # (K, p)
    q = have.sum(axis=1)
    out = np.ones((positions.size, mu_r.shape[0]))
    if prep.th.alpha_mv <= 0 or not (q >= 2).any():
        return out
    var = index.var[np.ix_(cols, positions)].T.astype(float) + u2
    sigma = covariances(index, positions, cols, var, have)
    # a value the reference lacks adds nothing to the non-centrality (errs towards passing)
    # (K, p, R): per candidate, signature-major, so a block's rows are one contiguous slab
    both = have[:, :, None] & np.isfinite(mu_r).T[None]
    delta = np.subtract(np.nan_to_num(mu_r).T[None], np.nan_to_num(mu_e)[:, :, None])
    delta[~both] = 0.0
    alpha = prep.th.alpha_mv / len(index.mv_tests)
    noncentrality = _noncentrality(index, positions, cols, sigma, delta)
    models, model_of = np.unique(index.corr_id[positions], return_inverse=True)
    for t, (_, tcols) in enumerate(index.mv_tests):
        pos = np.flatnonzero(np.isin(cols, tcols))
        if pos.size == 0:
            continue
        lam = noncentrality(tcols)
        n_t = have[:, pos].sum(axis=1)
        limits = np.array([_limit(index, int(c), t, tcols, alpha) for c in models])[model_of]
        ok = (n_t >= 1) & np.isfinite(limits)
        if ok.any():
            passes = noncentral_chi2_cdf(limits[ok, None], n_t[ok, None], lam[ok])
            out[ok] = np.minimum(out[ok], passes)
    return out


def _noncentrality(
    index: LibraryIndex,
    positions: np.ndarray,
    cols: np.ndarray,
    sigma: np.ndarray,
    delta: np.ndarray,
) -> Callable[[np.ndarray], np.ndarray]:
    """``δᵀ Σ⁻¹ δ`` per candidate and reference over a test's signatures (``delta`` (K, p, R)).

    One factorisation per vocabulary group when every candidate's covariance is block
    diagonal by group (:mod:`.blocks`), else one per test.
    """
    cid = index.corr_id[positions]
    if all(index.models[int(c)].block_diagonal for c in cid[cid >= 0]):
        blocks = blocks_of(index, cols)
        # ‖L⁻¹ δ‖² with L⁻¹ formed once per candidate (q × q): a batched matrix product
        # over the references instead of a solve with R right-hand sides
        lam = [
            np.sum(np.matmul(np.linalg.inv(block_cholesky(sigma, pos)), delta[:, pos]) ** 2,
                   axis=1)
            for pos in blocks
        ]  # fmt: skip

        def by_blocks(tcols: np.ndarray) -> np.ndarray:
            return np.asarray(sum(lam[b] for b in test_blocks(blocks, cols, tcols)), float)

        return by_blocks

    def by_test(tcols: np.ndarray) -> np.ndarray:
        pos = np.flatnonzero(np.isin(cols, tcols))
        chol = np.linalg.cholesky(sigma[np.ix_(np.arange(positions.size), pos, pos)])
        return np.sum(np.linalg.solve(chol, delta[:, pos]) ** 2, axis=1)

    return by_test


def _limit(index: LibraryIndex, cid: int, test: int, tcols: np.ndarray, alpha: float) -> float:
    """The limit of a test for the entries of correlation model ``cid`` (-1: none)."""
    model = index.models[cid] if cid >= 0 else None
    share = alpha / 2 if (test == 0 and model is not None and model.n_pc) else alpha
    return t2_limit(index, share, tcols, model)


def noncentral_chi2_cdf(x: Any, dof: Any, lam: np.ndarray) -> np.ndarray:
    """CDF of non-central chi-square by Patnaik's (1949) two-moment approximation.

    ``c χ²(ν)`` with ``c = (k + 2λ)/(k + λ)`` and ``ν = (k + λ)²/(k + 2λ)``: exact at λ = 0,
    within 0.015 of ``scipy.stats.ncx2`` elsewhere (checked in the tests); a vectorised
    ufunc call.
    """
    c = (dof + 2 * lam) / (dof + lam)
    nu = (dof + lam) ** 2 / (dof + 2 * lam)
    return np.asarray(chdtr(nu, x / c), float)
