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
chi-square, see :func:`_multivariate_pass`) is computed too and the smaller of the two
used (the joint probability of passing both is at most either). Date windows and
detection limits are left out, so the probability errs high, towards calling a match
inconclusive.

This is the empirical counterpart of a random-match probability; it replaces a normal
"population" that would mix natural and enriched material of one material type.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import ndtr

from nucsec.forensics.library.cascade import Prepared
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.multivariate import entry_covariance
from nucsec.forensics.library.thresholds import chi2_threshold

__all__ = ["coincidence"]


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
    typical = np.nanmedian(mu_r, axis=0) if mu_r.size else np.zeros(0)
    for k, e in enumerate(positions):
        mu_e = index.mu[cols, e].astype(float)
        p_mv = _multivariate_pass(index, prep, int(e), cols, u2, mu_e, mu_r, typical)
        tol = prep.th.k * np.sqrt(index.var[cols, e].astype(float) + u2)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = ndtr((mu_e + tol - mu_r) / sd_r) - ndtr((mu_e - tol - mu_r) / sd_r)
        known = np.isfinite(p)
        share = np.where(known, p, 0.0).sum(axis=0) / np.maximum(known.sum(axis=0), 1)
        share = np.where(known.any(axis=0), share, 1.0)
        pr = np.minimum(np.where(known, p, share).prod(axis=1), p_mv)
        for name, mask_r in forms_r.items():
            mine = int(index.forms[name][e])
            if mine:
                pr = pr * ((mask_r == 0) | ((mask_r & mine) != 0))
        others = ref != e
        out[k] = float(pr[others].mean()) if others.any() else 1.0
    return out


def _multivariate_pass(
    index: LibraryIndex,
    prep: Prepared,
    e: int,
    cols: np.ndarray,
    u2: np.ndarray,
    mu_e: np.ndarray,
    mu_r: np.ndarray,
    typical: np.ndarray,
) -> np.ndarray:
    """Per reference: P(a batch of its source passes e's multivariate test).

    The batch's D² about μ_e is taken as non-central chi-square with non-centrality
    ``(μ_r − μ_e)ᵀ Σ_e⁻¹ (μ_r − μ_e)`` (the reference's spread taken equal to e's); a value
    the reference lacks is imputed with the references' median (a typical source).
    """
    have = np.flatnonzero(np.isfinite(mu_e))
    if have.size < 2 or prep.th.alpha_mv <= 0:
        return np.ones(mu_r.shape[0])
    sigma = entry_covariance(index, e, cols[have], u2[have])
    delta = np.where(np.isfinite(mu_r[:, have]), mu_r[:, have], typical[have]) - mu_e[have]
    delta = np.nan_to_num(delta)
    chol = np.linalg.cholesky(sigma)
    lam = np.sum(np.linalg.solve(chol, delta.T) ** 2, axis=0)
    limit = chi2_threshold(prep.th.alpha_mv, int(have.size))
    return np.asarray(stats.ncx2.cdf(limit, have.size, lam), float)
