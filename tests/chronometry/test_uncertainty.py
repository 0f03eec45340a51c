"""GUM budget and Monte Carlo: sums, independent sensitivities, agreement, non-linearity."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from nucsec.forensics.chronometry import InitialDaughter, load_half_life_set, model_age
from nucsec.forensics.chronometry.halflives import HalfLifeSet
from nucsec.forensics.chronometry.measurement import RatioModel

NUBASE = load_half_life_set()


def _ratio_at(name: str, t_y: float, kind: str = "atom") -> float:
    from nucsec.forensics.chronometry import get_chronometer

    return float(RatioModel(get_chronometer(name), NUBASE, kind).ratio(t_y))


CASES = [("Th-230/U-234", 50.0), ("Am-241/Pu-241", 20.0), ("Ra-226/Th-230", 60.0),
         ("Ac-227/Pa-231", 30.0), ("U-235/Pu-239", 15.0)]  # fmt: skip


@pytest.mark.parametrize(("name", "t_y"), CASES)
def test_budget_contributions_sum_to_combined_variance(name: str, t_y: float) -> None:
    r = _ratio_at(name, t_y)
    res = model_age(
        name, r, 0.004 * r, relative_uncertainties={"spike": 0.001, "mass_bias": 0.0005}
    )
    total = math.fsum(row.contribution_years**2 for row in res.budget)
    assert total == pytest.approx(res.u_age_years**2, rel=1e-12)
    assert math.fsum(row.variance_share for row in res.budget) == pytest.approx(1.0)
    assert {row.input for row in res.budget} >= {"ratio", "relative:spike", "relative:mass_bias"}


def _shifted(hl: HalfLifeSet, nuclide: str, dt: float) -> HalfLifeSet:
    entry = hl[nuclide]
    entries = {
        **hl.half_lives,
        nuclide: dataclasses.replace(entry, half_life_y=entry.half_life_y + dt),
    }
    return dataclasses.replace(hl, half_lives=entries)


@pytest.mark.parametrize(("name", "t_y"), CASES)
def test_half_life_sensitivities_match_recomputed_ages(name: str, t_y: float) -> None:
    """Independent check of each sensitivity: re-solve the age with a shifted half-life."""
    r = _ratio_at(name, t_y)
    res = model_age(name, r, 0.004 * r)
    for row in res.budget:
        if not row.input.startswith("half_life:"):
            continue
        nuclide = row.input.split(":", 1)[1]
        h = 1e-4 * row.value
        up = model_age(name, r, 0.0, half_lives=_shifted(NUBASE, nuclide, h)).age_years
        down = model_age(name, r, 0.0, half_lives=_shifted(NUBASE, nuclide, -h)).age_years
        assert row.sensitivity == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-12)


@pytest.mark.parametrize(("name", "t_y"), CASES)
def test_ratio_sensitivity_matches_recomputed_age(name: str, t_y: float) -> None:
    r = _ratio_at(name, t_y)
    res = model_age(name, r, 0.004 * r)
    h = 1e-6 * r
    numeric = model_age(name, r + h, 0.0).age_years - model_age(name, r - h, 0.0).age_years
    assert res.budget[0].sensitivity == pytest.approx(numeric / (2 * h), rel=1e-6)


@pytest.mark.parametrize(("name", "t_y"), CASES)
def test_gum_and_monte_carlo_agree_where_linear(name: str, t_y: float) -> None:
    r = _ratio_at(name, t_y)
    res = model_age(name, r, 0.005 * r, monte_carlo=100_000, rng=np.random.default_rng(7))
    mc = res.monte_carlo
    assert mc is not None
    assert mc.gum_validated
    assert res.uncertainty_method == "gum"
    assert mc.std_years == pytest.approx(res.gum.u_age_years, rel=0.02)
    assert mc.median_years == pytest.approx(res.age_years, abs=0.02 * res.gum.u_age_years + 1e-9)
    lo, hi = mc.interval_k2
    assert lo == pytest.approx(res.age_years - 2 * res.gum.u_age_years, abs=0.05 * mc.std_years)
    assert hi == pytest.approx(res.age_years + 2 * res.gum.u_age_years, abs=0.05 * mc.std_years)


def test_monte_carlo_is_reproducible_with_the_same_seed() -> None:
    a = model_age("Th-230/U-234", 1.4e-4, 1e-6, monte_carlo=1000, rng=np.random.default_rng(3))
    b = model_age("Th-230/U-234", 1.4e-4, 1e-6, monte_carlo=1000, rng=np.random.default_rng(3))
    assert a.monte_carlo == b.monte_carlo


def test_near_equilibrium_monte_carlo_is_preferred() -> None:
    """Close to equilibrium the age is strongly non-linear in the ratio: GUM fails."""
    name = "Ac-227/Pa-231"
    r = _ratio_at(name, 120.0)  # ~5.5 Ac-227 half-lives
    res = model_age(name, r, 0.01 * r, monte_carlo=50_000, rng=np.random.default_rng(11))
    assert res.gum.nonlinearity > 0.05
    assert res.monte_carlo is not None and not res.monte_carlo.gum_validated
    assert res.uncertainty_method == "monte-carlo"
    lo, hi = res.interval_k2_years
    assert hi - res.age_years > 1.05 * (res.age_years - lo)  # skewed towards old ages


def test_gum_alone_warns_when_non_linear() -> None:
    name = "Ac-227/Pa-231"
    r = _ratio_at(name, 120.0)
    res = model_age(name, r, 0.01 * r)
    assert any("non-linear" in w for w in res.warnings)


def test_initial_daughter_enters_the_budget() -> None:
    r = _ratio_at("Am-241/Pu-241", 10.0)
    res = model_age("Am-241/Pu-241", r, 0.002 * r, initial_daughter=InitialDaughter(0.01, 0.002))
    row = next(b for b in res.budget if b.input == "initial_daughter")
    assert row.sensitivity < 0  # more residual daughter -> younger
    assert res.age_bounds_years is not None
    lower, upper = res.age_bounds_years
    assert lower < res.age_years < upper
    assert upper == pytest.approx(model_age("Am-241/Pu-241", r, 0.0).age_years)


def test_activity_and_atom_ratios_give_the_same_age() -> None:
    name = "Th-230/U-234"
    atom = model_age(name, _ratio_at(name, 33.0), 1e-7)
    act = model_age(name, _ratio_at(name, 33.0, "activity"), 1e-7, kind="activity")
    assert act.age_years == pytest.approx(atom.age_years, rel=1e-12)
    assert act.age_years == pytest.approx(33.0, rel=1e-10)
