"""Forward model and inverse: round trips, precision, and an independent forward model.

The independent model is radioactivedecay 0.6.1 (its own ICRP-107 data). Our ``icrp107``
set carries exactly those half-lives and branching fractions (checked in
test_halflives.py), so ratios must agree to 1e-6 relative. radioactivedecay also follows
short-lived intermediates we treat as instantaneous (Th-231, 25.5 h, before Pa-231;
U-235m, 26 min, before U-235): for those chains the tolerance adds the delay they cause,
``τ/t`` with τ the intermediate's mean life (read from radioactivedecay).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import radioactivedecay as rd
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.forensics.chronometry import CHRONOMETERS, get_chronometer, load_half_life_set
from nucsec.forensics.chronometry.bateman import atom_ratio, solve_age
from nucsec.forensics.chronometry.measurement import RatioModel

ICRP = load_half_life_set("icrp107")
NUBASE = load_half_life_set("nubase2020")
SKIPPED_INTERMEDIATE = {"Pa-231/U-235": "Th-231", "Ac-227/Pa-231": "Th-231",
                        "U-235/Pu-239": "U-235m"}  # fmt: skip


def _rd_atom_ratio(name: str, t_y: float) -> float:
    chrono = get_chronometer(name)
    numbers = rd.Inventory({chrono.chain[0]: 1.0}, "num").decay(t_y, "y").numbers()
    return float(numbers[chrono.numerator] / numbers[chrono.denominator])


def _tolerance(name: str, t_y: float) -> float:
    skipped = SKIPPED_INTERMEDIATE.get(name)
    if skipped is None:
        return 1e-6
    tau_y = rd.Nuclide(skipped).half_life("y") / math.log(2)
    return 1e-6 + 1.5 * tau_y / t_y


@pytest.mark.parametrize("t_y", [5.0, 20.0, 50.0, 300.0])
@pytest.mark.parametrize("name", list(CHRONOMETERS))
def test_agrees_with_radioactivedecay(name: str, t_y: float) -> None:
    ours = float(RatioModel(get_chronometer(name), ICRP).ratio(t_y))
    theirs = _rd_atom_ratio(name, t_y)
    assert ours == pytest.approx(theirs, rel=_tolerance(name, t_y))


@pytest.mark.parametrize("name", ["Th-230/U-234", "Am-241/Pu-241", "U-236/Pu-240"])
def test_activity_ratio_agrees_with_radioactivedecay(name: str) -> None:
    chrono = get_chronometer(name)
    act = rd.Inventory({chrono.chain[0]: 1.0}, "num").decay(30.0, "y").activities()
    ours = float(RatioModel(chrono, ICRP, "activity").ratio(30.0))
    assert ours == pytest.approx(act[chrono.numerator] / act[chrono.denominator], rel=1e-6)


def test_young_material_keeps_precision_where_floats_cancel() -> None:
    """At 0.01 y the naive Bateman sum loses digits; the high-precision (SymPy) mode of
    radioactivedecay does not. Our stable formula must match it to 1e-9."""
    numbers = rd.InventoryHP({"U-234": 1.0}, "num").decay(0.01, "y").numbers()
    exact = float(numbers["Ra-226"] / numbers["Th-230"])
    ours = float(RatioModel(get_chronometer("Ra-226/Th-230"), ICRP).ratio(0.01))
    assert ours == pytest.approx(exact, rel=1e-9)


def _age_strategy(name: str) -> st.SearchStrategy[float]:
    """Ages across the valid range: from hours to ~20 half-lives of the fast member."""
    chrono = get_chronometer(name)
    t_hi = 20 * min(NUBASE[n].half_life_y for n in chrono.chain)
    return st.floats(min_value=-8.0, max_value=math.log10(t_hi)).map(lambda e: 10.0**e)


@pytest.mark.parametrize("name", list(CHRONOMETERS))
def test_round_trip_age_ratio_age(name: str) -> None:
    model = RatioModel(get_chronometer(name), NUBASE)

    @settings(max_examples=60, deadline=None)
    @given(t_y=_age_strategy(name), kind_activity=st.booleans())
    def check(t_y: float, kind_activity: bool) -> None:
        m = RatioModel(model.chronometer, NUBASE, "activity") if kind_activity else model
        ratio = float(m.ratio(t_y))
        if ratio >= m.equilibrium_ratio() * (1 - 1e-9):
            return  # numerically at equilibrium: no age to recover
        back = float(m.age(ratio))
        # error grows like 1/(1 - R/R_eq) near equilibrium (ill-conditioned inverse)
        closeness = 1 - ratio / m.equilibrium_ratio()
        assert back == pytest.approx(t_y, rel=1e-10 / min(1.0, closeness) + 1e-12)

    check()


@pytest.mark.parametrize("name", [n for n, c in CHRONOMETERS.items() if c.generation == 2])
def test_second_generation_ratio_is_increasing_and_concave(name: str) -> None:
    model = RatioModel(get_chronometer(name), NUBASE)
    t = np.geomspace(1e-3, 30 * min(model.half_lives_y), 4000)
    r = model.ratio(t)
    assert np.all(np.diff(r) > 0)
    slope = np.diff(r) / np.diff(t)
    assert np.all(np.diff(slope) <= 1e-12 * slope[:-1])


def test_second_generation_matches_naive_bateman_where_it_is_exact() -> None:
    lam = [math.log(2) / NUBASE[n].half_life_y for n in ("U-234", "Th-230", "Ra-226")]
    l1, l2, l3 = lam
    t = 5000.0
    n2 = l1 / (l2 - l1) * (math.exp(-l1 * t) - math.exp(-l2 * t))
    n3 = (
        l1
        * l2
        * sum(
            math.exp(-a * t) / ((b - a) * (c - a))
            for a, b, c in ((l1, l2, l3), (l2, l1, l3), (l3, l1, l2))
        )
    )
    assert float(atom_ratio(t, lam, [1.0, 1.0])) == pytest.approx(n3 / n2, rel=1e-9)


def test_initial_daughter_forward_and_inverse() -> None:
    lam = [math.log(2) / 245500.0, math.log(2) / 75380.0]
    r0 = 2e-5
    ratio = float(atom_ratio(40.0, lam, [1.0], r0))
    assert float(solve_age(ratio, lam, [1.0], r0)) == pytest.approx(40.0, rel=1e-12)
    assert float(solve_age(ratio, lam, [1.0])) > 40.0  # ignoring the residual: older


def test_beyond_equilibrium_is_infinite() -> None:
    lam = [math.log(2) / 245500.0, math.log(2) / 75380.0]
    assert math.isinf(float(solve_age(0.5, lam, [1.0])))
    lam3 = [*lam, math.log(2) / 1600.0]
    assert math.isinf(float(solve_age(0.03, lam3, [1.0, 1.0])))


def test_vectorised_inverse_matches_scalar() -> None:
    model = RatioModel(get_chronometer("Ac-227/Pa-231"), NUBASE)
    t = np.array([0.5, 10.0, 42.0, 150.0])
    ratios = model.ratio(t)
    assert model.age(ratios) == pytest.approx(t, rel=1e-10)
    assert [float(model.age(r)) for r in ratios] == pytest.approx(list(t), rel=1e-10)
