"""Do several chronometers on one material give the same model date?

Ages are compared on a common reference date (the latest measurement date), so their
differences are differences of model dates. Covariances between ages come from shared
inputs in the GUM budgets (e.g. the Th-230 half-life, shared by Th-230/U-234 and
Ra-226/Th-230 with the same data set). The test is a generalised-least-squares weighted
mean with ``chi2 = r^T V^-1 r`` on ``n-1`` degrees of freedom: the dates are *concordant*
when ``p >= alpha``. Pairwise differences with their z-scores say which pair disagrees
and by how much. Discordance is itself a signature: incomplete purification of one
daughter, mixing of materials of different ages, or later partial reprocessing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from nucsec.forensics.chronometry.errors import ChronometryError
from nucsec.forensics.chronometry.halflives import DAYS_PER_YEAR
from nucsec.forensics.chronometry.model_age import AgeResult, _decimal_year, _shift, json_safe

__all__ = ["ConcordanceResult", "concordance"]


@dataclass(frozen=True)
class ConcordanceResult:
    """Agreement of several model ages of one material (uncertainties k=1)."""

    results: tuple[AgeResult, ...]
    reference_date: date | None
    ages_years: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    weighted_mean_years: float
    u_weighted_mean_years: float
    chi2: float
    dof: int
    p_value: float
    alpha: float
    pairs: tuple[dict[str, Any], ...]

    @property
    def concordant(self) -> bool:
        return self.p_value >= self.alpha

    @property
    def mswd(self) -> float:
        """Reduced chi-square (mean square weighted deviation)."""
        return self.chi2 / self.dof

    @property
    def weighted_mean_model_date(self) -> date | None:
        if self.reference_date is None:
            return None
        return _shift(self.reference_date, -self.weighted_mean_years)

    def to_dict(self) -> dict[str, Any]:
        worst = max(self.pairs, key=lambda p: p["z"])
        out: dict[str, Any] = {
            "concordant": self.concordant,
            "alpha": self.alpha,
            "chi2": self.chi2,
            "dof": self.dof,
            "mswd": self.mswd,
            "p_value": self.p_value,
            "weighted_mean_age_years": self.weighted_mean_years,
            "u_weighted_mean_age_years": self.u_weighted_mean_years,
            "coverage": "k=1",
            "spread_years": max(self.ages_years) - min(self.ages_years),
            "max_abs_z": worst["z"],
            "most_discordant_pair": [worst["a"], worst["b"]],
            "pairs": list(self.pairs),
            "summary": self.summary(),
        }
        if self.reference_date is not None:
            model_date = self.weighted_mean_model_date
            out["reference_date"] = self.reference_date.isoformat()
            out["weighted_mean_model_date"] = model_date.isoformat() if model_date else None
            if model_date is None:
                out["weighted_mean_model_year"] = _decimal_year(
                    self.reference_date, -self.weighted_mean_years
                )
            out["u_weighted_mean_model_date_days"] = self.u_weighted_mean_years * DAYS_PER_YEAR
        out["results"] = [r.to_dict() for r in self.results]
        return json_safe(out)

    def summary(self) -> str:
        """One sentence for a report."""
        worst = max(self.pairs, key=lambda p: p["z"])
        verdict = "concordant" if self.concordant else "DISCORDANT"
        return (
            f"{len(self.results)} model dates are {verdict} (chi2 = {self.chi2:.2f} on "
            f"{self.dof} dof, p = {self.p_value:.3g}); largest difference "
            f"{worst['a']} vs {worst['b']}: {worst['difference_years']:+.3g} y "
            f"({worst['z']:.1f} sigma)"
        )


def concordance(results: Sequence[AgeResult], *, alpha: float = 0.05) -> ConcordanceResult:
    """Test whether model ages of one material agree (see the module docstring)."""
    items = tuple(results)
    if len(items) < 2:
        raise ChronometryError(
            "concordance needs at least two model ages", field="results", value=len(items)
        )
    if not 0.0 < alpha < 1.0:
        raise ChronometryError(
            f"alpha must be in (0, 1), not {alpha!r}", field="alpha", value=alpha
        )
    reference = _reference_date(items)
    ages = np.array([r.age_on(reference) if reference else r.age_years for r in items])
    cov = _covariance(items)
    if not (np.all(np.isfinite(ages)) and np.all(np.isfinite(cov))):
        raise ChronometryError("concordance needs finite ages and uncertainties", field="results")
    try:
        inv_one = np.linalg.solve(cov, np.ones(len(items)))
    except np.linalg.LinAlgError:
        raise ChronometryError(
            "the age covariance matrix is singular (zero uncertainty?)", field="results"
        ) from None
    var_mean = 1.0 / float(inv_one.sum())
    mean = var_mean * float(inv_one @ ages)
    resid = ages - mean
    chi2 = float(resid @ np.linalg.solve(cov, resid))
    dof = len(items) - 1
    from scipy.stats import chi2 as chi2_dist

    p_value = float(chi2_dist.sf(chi2, dof))
    return ConcordanceResult(
        results=items,
        reference_date=reference,
        ages_years=tuple(float(a) for a in ages),
        covariance=tuple(tuple(float(x) for x in row) for row in cov),
        weighted_mean_years=mean,
        u_weighted_mean_years=math.sqrt(var_mean),
        chi2=chi2,
        dof=dof,
        p_value=p_value,
        alpha=alpha,
        pairs=tuple(_pairs(items, ages, cov)),
    )


def _reference_date(items: tuple[AgeResult, ...]) -> date | None:
    dates = [r.measured_on for r in items]
    if all(d is None for d in dates):
        return None
    if any(d is None for d in dates):
        raise ChronometryError(
            "give a measurement date for every chronometer or for none", field="measured_on"
        )
    return max(d for d in dates if d is not None)


def _sensitivities(result: AgeResult) -> Mapping[tuple[str, float, float], float]:
    """Half-life inputs (nuclide, value, u) -> sensitivity of the age."""
    out: dict[tuple[str, float, float], float] = {}
    for row in result.budget:
        if row.input.startswith("half_life:") and row.u > 0:
            out[(row.input, row.value, row.u)] = row.sensitivity
    return out


def _covariance(items: tuple[AgeResult, ...]) -> np.ndarray:
    n = len(items)
    cov = np.zeros((n, n))
    sens = [_sensitivities(r) for r in items]
    for i in range(n):
        cov[i, i] = items[i].u_age_years ** 2
        for j in range(i + 1, n):
            shared = set(sens[i]) & set(sens[j])
            c = math.fsum(sens[i][k] * sens[j][k] * k[2] ** 2 for k in shared)
            cov[i, j] = cov[j, i] = c
    return cov


def _pairs(items: tuple[AgeResult, ...], ages: np.ndarray, cov: np.ndarray) -> list[dict[str, Any]]:
    out = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            diff = float(ages[i] - ages[j])
            var = float(cov[i, i] + cov[j, j] - 2 * cov[i, j])
            u = math.sqrt(max(var, 0.0))
            out.append(
                {
                    "a": items[i].chronometer.name,
                    "b": items[j].chronometer.name,
                    "difference_years": diff,
                    "u_difference_years": u,
                    "z": abs(diff) / u if u > 0 else math.inf,
                }
            )
    return out
