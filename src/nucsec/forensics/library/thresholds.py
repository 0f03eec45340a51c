"""How the stated false-exclusion rate becomes the thresholds of every test.

A sample truly drawn from an entry's source must be excluded from it with probability at
most ``alpha`` (the *false-exclusion rate*, default 1 %). One entry faces up to ``m``
univariate tests and one multivariate test, where ``m`` is the number of numeric
signatures *the library* holds (plus one for dated production histories): the most a
sample could be tested on. The rate is split by the union (Bonferroni) bound: half of
``alpha`` for the multivariate test (shared with the PCA Q-residual test where an entry has
one), the other half spread evenly over the ``m`` univariate tests; a library with a single
numeric signature has no multivariate test and gives it all to the univariate ones.
Because ``m`` belongs to the library, a sample measured on fewer signatures faces the
same per-signature thresholds: dropping a signature removes a test and never tightens
another, so missing values only ever widen the answer. Categorical and material-type
checks are exact (no error rate).

Under the normal model (value ~ N(μ, u² + s² + u_μ²)) the union bound makes the
false-exclusion rate at most ``alpha``; the synthetic tests measure it. An entry summarised
from n members uses Student-t quantiles with n − 1 degrees of freedom (and a spread already
widened by sqrt(1 + 1/n)): the predictive distribution of a new batch.

>>> t = thresholds(0.01, 30, multivariate=True)
>>> round(t.k, 2), round(t.alpha_mv, 4)
(3.76, 0.005)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from scipy import stats

from nucsec.forensics.library.errors import LibraryError

__all__ = [
    "DEFAULT_FALSE_EXCLUSION_RATE",
    "Thresholds",
    "chi2_threshold",
    "hotelling_threshold",
    "thresholds",
]

DEFAULT_FALSE_EXCLUSION_RATE = 0.01


@dataclass(frozen=True)
class Thresholds:
    """Per-test rates and coverage factors for one match."""

    alpha: float
    n_tests: int
    alpha_test: float
    alpha_mv: float
    k: float
    k1: float

    def k_for(self, n_members: int, *, one_sided: bool = False) -> float:
        """Coverage factor for an entry summarised from ``n_members`` (0: stated values)."""
        return _t_quantile(self.alpha_test if one_sided else self.alpha_test / 2, n_members)


@functools.lru_cache(maxsize=4096)
def _t_quantile(tail: float, n_members: int) -> float:
    if n_members <= 1:
        return float(stats.norm.isf(tail))
    return float(stats.t.isf(tail, n_members - 1))


def thresholds(alpha: float, n_tests: int, *, multivariate: bool) -> Thresholds:
    """Thresholds for a false-exclusion rate ``alpha`` over ``n_tests`` univariate tests."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 0.5:
        raise LibraryError(
            "the false-exclusion rate must lie between 0 and 0.5",
            field="false_exclusion_rate",
            value=alpha,
        )
    n = max(1, n_tests)
    alpha_mv = alpha / 2 if multivariate else 0.0
    per_test = (alpha - alpha_mv) / n
    return Thresholds(
        alpha=float(alpha),
        n_tests=n,
        alpha_test=per_test,
        alpha_mv=alpha_mv,
        k=_t_quantile(per_test / 2, 0),
        k1=_t_quantile(per_test, 0),
    )


@functools.lru_cache(maxsize=4096)
def chi2_threshold(alpha: float, dof: int) -> float:
    """Upper ``alpha`` quantile of chi-square with ``dof`` degrees of freedom."""
    return float(stats.chi2.isf(alpha, dof)) if dof > 0 else math.inf


@functools.lru_cache(maxsize=4096)
def hotelling_threshold(alpha: float, p: int, n: int) -> float:
    """Upper ``alpha`` quantile of the predictive Hotelling T² of a new batch.

    With mean and covariance estimated from ``n`` batches and the covariance already widened
    by (1 + 1/n), T² ~ p (n − 1) / (n − p) F(p, n − p). Needs n > p.
    """
    return float(p * (n - 1) / (n - p) * stats.f.isf(alpha, p, n - p))
