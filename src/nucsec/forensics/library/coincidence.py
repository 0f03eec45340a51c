"""How often a batch of some *other* source would pass the same tests (coincidence).

A candidate that survives every test is only evidence of origin if the tests could have
excluded other sources. For a candidate ``e`` the *coincidence probability* is the mean,
over a reference set of other entries of the sample's material type (up to
:data:`~nucsec.forensics.library.index.REFERENCE_SIZE`, evenly spaced through the library,
``e`` itself left out), of the probability that a batch of that entry's source, measured with
the sample's uncertainties, passes ``e``'s univariate tests on the signatures the sample
and ``e`` share: per signature ``P(|X − μ_e| ≤ k sqrt(u² + v_e))`` with ``X ~ N(μ_r, v_r +
u²)``, multiplied over signatures (independence assumed), times the chemical-form check
(a reference without a form passes). A reference entry without a value for a signature
gets the mean pass probability of the references that have one (missing at random). The
univariate product ignores that the multivariate test also has to be passed, and that test
is far stricter for correlated signatures (an REE *pattern* is more distinctive than its
elements one by one), so the probability of passing the multivariate test (non-central
chi-square, see :func:`noncentral_chi2_cdf`) is computed too and the smaller of the two
used (the joint probability of passing both is at most either). Date windows and
detection limits are left out, so the probability errs high, towards calling a match
inconclusive.

This is the empirical counterpart of a random-match probability; it replaces a normal
"population" that would mix natural and enriched material of one material type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import chdtr, ndtr

from nucsec.forensics.library.cascade import Prepared
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.multivariate import covariances, t2_limit

__all__ = ["coincidence", "noncentral_chi2_cdf"]


def coincidence(index: LibraryIndex, prep: Prepared, positions: np.ndarray) -> np.ndarray:
    """Coincidence probability of each candidate at ``positions`` (see the module text)."""
    group = len(index.reference) - 1 if prep.material is None else prep.material
    ref = index.reference[group]
    items = prep.continuous
    cols = np.array([i.j for i in items], np.int64)
    u2 = np.array([i.u2 for i in items])
    out = np.ones(positions.size)
    if ref.size == 0 or positions.size == 0:
        return out
    mu_r = index.mu[np.ix_(cols, ref)].T.astype(float)  # (R, p)
    sd_r = np.sqrt(index.var[np.ix_(cols, ref)].T.astype(float) + u2)
    forms_r = {name: index.forms[name][ref] for name, _ in prep.forms if name in index.forms}
    typical = np.array(
        [np.median(c[np.isfinite(c)]) if np.isfinite(c).any() else 0.0 for c in mu_r.T]
    )
    mu_e = index.mu[np.ix_(cols, positions)].T.astype(float)[:, None, :]  # (K, 1, p)
    tol = prep.th.k * np.sqrt(index.var[np.ix_(cols, positions)].T.astype(float) + u2)[:, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        p = ndtr((mu_e + tol - mu_r) / sd_r) - ndtr((mu_e - tol - mu_r) / sd_r)  # (K, R, p)
    known = np.isfinite(p)
    share = np.where(known, p, 0.0).sum(axis=1) / np.maximum(known.sum(axis=1), 1)  # (K, p)
    share = np.where(known.any(axis=1), share, 1.0)
    p = np.where(known, p, share[:, None, :])
    p = np.where(np.isfinite(mu_e), p, 1.0)  # a signature the candidate lacks: not compared
    pr = p.prod(axis=2)  # (K, R)
    for name, mask_r in forms_r.items():
        mine = index.forms[name][positions].astype(np.int64)[:, None]
        pr = pr * ((mine == 0) | (mask_r[None] == 0) | ((mask_r[None] & mine) != 0))
    p_mv = _multivariate_pass(index, prep, positions, cols, u2, mu_e[:, 0], mu_r, typical)
    others = ref[None, :] != positions[:, None]
    joint = np.minimum(pr, p_mv) * others
    return joint.sum(axis=1) / np.maximum(others.sum(axis=1), 1)


def _multivariate_pass(
    index: LibraryIndex,
    prep: Prepared,
    positions: np.ndarray,
    cols: np.ndarray,
    u2: np.ndarray,
    mu_e: np.ndarray,
    mu_r: np.ndarray,
    typical: np.ndarray,
) -> np.ndarray:
    """Per candidate and reference: P(a batch of the reference passes the candidate's T² tests).

    The smallest pass probability over the tests (the joint one is at most that).

    The batch's D² about μ_e is taken as non-central chi-square with non-centrality
    ``(μ_r − μ_e)ᵀ Σ_e⁻¹ (μ_r − μ_e)`` (the reference's spread taken equal to e's); a value
    the reference lacks is imputed with the references' median (a typical source).
    """
    have = np.isfinite(mu_e)  # (K, p)
    q = have.sum(axis=1)
    out = np.ones((positions.size, mu_r.shape[0]))
    if prep.th.alpha_mv <= 0 or not (q >= 2).any():
        return out
    var = index.var[np.ix_(cols, positions)].T.astype(float) + u2
    sigma = covariances(index, positions, cols, var, have)
    filled = np.where(np.isfinite(mu_r), mu_r, typical)  # (R, p)
    delta = np.where(have[:, None, :], filled[None] - np.nan_to_num(mu_e)[:, None, :], 0.0)
    alpha = prep.th.alpha_mv / len(index.mv_tests)
    for t, (_, tcols) in enumerate(index.mv_tests):
        pos = np.flatnonzero(np.isin(cols, tcols))
        if pos.size == 0:
            continue
        sub = sigma[np.ix_(np.arange(positions.size), pos, pos)]
        chol = np.linalg.cholesky(sub)
        lam = np.sum(np.linalg.solve(chol, delta[:, :, pos].transpose(0, 2, 1)) ** 2, axis=1)
        n_t = have[:, pos].sum(axis=1)
        limits = np.array([_limit(index, int(e), t, tcols, alpha) for e in positions])
        ok = (n_t >= 1) & np.isfinite(limits)
        if ok.any():
            passes = noncentral_chi2_cdf(limits[ok, None], n_t[ok, None], lam[ok])
            out[ok] = np.minimum(out[ok], passes)
    return out


def _limit(index: LibraryIndex, e: int, test: int, tcols: np.ndarray, alpha: float) -> float:
    cid = int(index.corr_id[e])
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
