"""Uncertainty of a model age: first-order GUM budget and Monte Carlo (GUM Supplement 1).

Inputs (all standard uncertainties, k=1, uncorrelated):

- the measured ratio ``Q`` and its ``u(Q)``;
- relative correction terms ``δ_j`` (spike concentration, mass bias, detector
  efficiency...): the true ratio is ``Q·Π(1 + δ_j)`` with ``δ_j = 0 ± u_j``;
- the half-life of every chain member, from the half-life set;
- optionally the initial (residual) daughter ratio ``r0 ± u(r0)``.

GUM: sensitivity coefficients come from implicit differentiation of
``ratio_model(t, θ) = Q`` (``∂t/∂θ = -(∂ratio/∂θ)/(∂ratio/∂t)``, the half-life partials by
central differences), so each budget row's contribution is ``|c_i| u(x_i)`` and the squared
contributions add up to the combined variance.

Monte Carlo: all inputs sampled from normal distributions with a caller-supplied
``numpy.random.Generator``; the age is solved for every sample at once. Intervals are
probabilistically symmetric (68.27 % for k=1, 95.45 % for k=2). The GUM result is
*validated* (GUM-S1 §8) when both ends of its k=2 interval lie within a tolerance of the
Monte Carlo ends: the GUM-S1 numerical tolerance for u given to two significant digits,
widened to three standard errors of the Monte Carlo quantiles so that sampling noise alone
does not fail a linear model. Otherwise the Monte Carlo result is preferred.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nucsec.forensics.chronometry.measurement import RatioModel

__all__ = ["BudgetRow", "GumResult", "MonteCarloResult", "gum", "monte_carlo"]

K1_PROB = 0.682689492137086  # coverage of ±1σ of a normal distribution
K2_PROB = 0.954499736103642  # coverage of ±2σ


@dataclass(frozen=True)
class BudgetRow:
    """One input of the GUM budget (all uncertainties k=1)."""

    input: str
    description: str
    value: float
    u: float
    unit: str
    sensitivity: float
    contribution_years: float
    variance_share: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "description": self.description,
            "value": self.value,
            "u": self.u,
            "unit": self.unit,
            "sensitivity": self.sensitivity,
            "sensitivity_unit": f"y/{self.unit}" if self.unit not in ("1", "relative") else "y",
            "contribution_years": self.contribution_years,
            "variance_share": self.variance_share,
        }


@dataclass(frozen=True)
class GumResult:
    """First-order GUM result: age, combined standard uncertainty (k=1) and budget."""

    age_years: float
    u_age_years: float
    budget: tuple[BudgetRow, ...]
    nonlinearity: float

    @property
    def interval_k1(self) -> tuple[float, float]:
        return (self.age_years - self.u_age_years, self.age_years + self.u_age_years)

    @property
    def interval_k2(self) -> tuple[float, float]:
        return (self.age_years - 2 * self.u_age_years, self.age_years + 2 * self.u_age_years)


@dataclass(frozen=True)
class MonteCarloResult:
    """Summary of the Monte Carlo age distribution (intervals probabilistically symmetric)."""

    n_samples: int
    mean_years: float
    std_years: float
    median_years: float
    interval_k1: tuple[float, float]
    interval_k2: tuple[float, float]
    n_beyond_equilibrium: int
    gum_validated: bool
    tolerance_years: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_samples": self.n_samples,
            "mean_years": self.mean_years,
            "std_years": self.std_years,
            "median_years": self.median_years,
            "interval_k1_years": list(self.interval_k1),
            "interval_k2_years": list(self.interval_k2),
            "coverage": "k=1: 68.27 %, k=2: 95.45 %, probabilistically symmetric",
            "n_beyond_equilibrium": self.n_beyond_equilibrium,
            "gum_validated": self.gum_validated,
            "validation_tolerance_years": self.tolerance_years,
        }


@dataclass(frozen=True)
class _Inputs:
    ratio: float
    u_ratio: float
    relative: Mapping[str, float]
    r0: float
    u_r0: float | None


def gum(
    model: RatioModel,
    ratio: float,
    u_ratio: float,
    *,
    relative: Mapping[str, float] | None = None,
    r0: float = 0.0,
    u_r0: float | None = None,
) -> GumResult:
    """Age and first-order GUM budget (k=1) for one measured ratio."""
    inputs = _Inputs(ratio, u_ratio, dict(relative or {}), r0, u_r0)
    age = float(model.age(ratio, r0=r0))
    slope = float(model.ratio_dt(age, r0=r0))
    rows: list[tuple[str, str, float, float, str, float]] = [
        (
            "ratio",
            f"measured {model.kind} ratio {model.chronometer.name}",
            ratio,
            u_ratio,
            "1",
            1.0 / slope,
        ),
    ]
    for name, u_rel in inputs.relative.items():
        rows.append(
            (
                f"relative:{name}",
                f"relative correction {name!r} to the ratio",
                0.0,
                u_rel,
                "relative",
                ratio / slope,
            )
        )
    partials = _half_life_partials(model, age, r0)
    for i, entry in enumerate(model.entries):
        c = -partials[i] / slope
        rows.append(
            (
                f"half_life:{entry.nuclide}",
                f"half-life of {entry.nuclide} ({entry.source})",
                entry.half_life_y,
                entry.u_half_life_y or 0.0,
                "y",
                c,
            )
        )
    if u_r0 is not None:
        rows.append(
            (
                "initial_daughter",
                "initial daughter ratio at purification",
                r0,
                u_r0,
                "1",
                -_r0_partial(model, age, r0, u_r0) / slope,
            )
        )
    contributions = [abs(c) * u for *_, u, _, c in rows]
    variance = math.fsum(x * x for x in contributions)
    u_age = math.sqrt(variance)
    budget = tuple(
        BudgetRow(
            name,
            desc,
            value,
            u,
            unit,
            c,
            contrib,
            (contrib * contrib / variance) if variance > 0 else 0.0,
        )
        for (name, desc, value, u, unit, c), contrib in zip(rows, contributions, strict=True)
    )
    return GumResult(age, u_age, budget, _nonlinearity(model, inputs, age, slope))


def _half_life_partials(model: RatioModel, age: float, r0: float) -> list[float]:
    """∂ratio/∂T_i at fixed age for every half-life, by central differences (one
    vectorised evaluation: column 2i raises T_i by h_i, column 2i+1 lowers it)."""
    base = np.asarray(model.half_lives_y, dtype=np.float64)
    n = base.size
    steps = base * 1e-6
    grid = np.repeat(base[:, None], 2 * n, axis=1)
    for i in range(n):
        grid[i, 2 * i] += steps[i]
        grid[i, 2 * i + 1] -= steps[i]
    values = np.asarray(model.ratio(age, list(grid), r0), dtype=np.float64)
    return [float((values[2 * i] - values[2 * i + 1]) / (2 * steps[i])) for i in range(n)]


def _r0_partial(model: RatioModel, age: float, r0: float, u_r0: float) -> float:
    h = max(abs(r0), u_r0, 1e-30) * 1e-6
    return float((model.ratio(age, r0=r0 + h) - model.ratio(age, r0=r0 - h)) / (2 * h))


def _nonlinearity(model: RatioModel, inputs: _Inputs, age: float, slope: float) -> float:
    """Largest relative departure of the exact age at Q ± 2u(Q) from the linear prediction."""
    worst = 0.0
    step = 2 * inputs.u_ratio
    if step <= 0:
        return 0.0
    signs = (-1.0, 1.0)
    points = np.array([inputs.ratio + sign * step for sign in signs])
    exact = np.asarray(model.age(points, r0=inputs.r0, t_start=age), dtype=np.float64)
    for sign, exact_age in zip(signs, exact, strict=True):  # both solved in one call
        linear = age + sign * step / slope
        spread = abs(linear - age)
        if spread > 0 and math.isfinite(spread):
            worst = max(worst, abs(float(exact_age) - linear) / spread)
    return worst


def monte_carlo(
    model: RatioModel,
    ratio: float,
    u_ratio: float,
    n_samples: int,
    rng: np.random.Generator,
    *,
    relative: Mapping[str, float] | None = None,
    r0: float = 0.0,
    u_r0: float | None = None,
    gum_result: GumResult | None = None,
) -> MonteCarloResult:
    """Propagate all inputs by Monte Carlo with ``n_samples`` draws from ``rng``."""
    q = ratio + u_ratio * rng.standard_normal(n_samples)
    for u_rel in (relative or {}).values():
        q = q * (1.0 + u_rel * rng.standard_normal(n_samples))
    half_lives = [
        e.half_life_y + (e.u_half_life_y or 0.0) * rng.standard_normal(n_samples)
        if e.u_half_life_y
        else e.half_life_y
        for e in model.entries
    ]
    r0_s: np.ndarray | float = r0
    if u_r0 is not None:
        r0_s = r0 + u_r0 * rng.standard_normal(n_samples)
    t_start = gum_result.age_years if gum_result is not None else None
    # 1e-10 relative is far below Monte Carlo noise and saves a Newton iteration
    ages = model.age(q, half_lives, r0_s, t_start=t_start, rtol=1e-10)
    ages = np.broadcast_to(ages, (n_samples,))
    return _summarise(ages, gum_result)


def _summarise(ages: np.ndarray, gum_result: GumResult | None) -> MonteCarloResult:
    n = ages.size
    finite = ages[np.isfinite(ages)]
    n_beyond = int(np.count_nonzero(ages == np.inf))
    lo1, hi1 = (1 - K1_PROB) / 2, (1 + K1_PROB) / 2
    lo2, hi2 = (1 - K2_PROB) / 2, (1 + K2_PROB) / 2
    ranks = [max(0, min(n - 1, math.ceil(p * n) - 1)) for p in (lo2, lo1, 0.5, hi1, hi2)]
    part = np.partition(ages, ranks)
    q_lo2, q_lo1, med, q_hi1, q_hi2 = (float(part[r]) for r in ranks)
    mean = float(finite.mean()) if finite.size else math.nan
    std = float(finite.std(ddof=1)) if finite.size > 1 else math.nan
    validated, tol = False, math.nan
    if gum_result is not None and gum_result.u_age_years > 0:
        quantile_se = 2.77 * std / math.sqrt(n) if math.isfinite(std) else 0.0
        tol = max(_tolerance(gum_result.u_age_years), 3.0 * quantile_se)
        g_lo, g_hi = gum_result.interval_k2
        validated = abs(g_lo - q_lo2) <= tol and abs(g_hi - q_hi2) <= tol
    return MonteCarloResult(
        n_samples=n,
        mean_years=mean,
        std_years=std,
        median_years=med,
        interval_k1=(q_lo1, q_hi1),
        interval_k2=(q_lo2, q_hi2),
        n_beyond_equilibrium=n_beyond,
        gum_validated=validated,
        tolerance_years=tol,
    )


def _tolerance(u: float) -> float:
    """GUM-S1 §7.9.2 numerical tolerance for u with two significant digits (0.5 × 10^l)."""
    exponent = math.floor(math.log10(u)) - 1
    return 0.5 * 10.0**exponent
