"""model_age: dates, re-referencing, half-life choice, warnings and typed errors."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest

from nucsec.errors import InputError
from nucsec.forensics.chronometry import (
    ChronometryError,
    HalfLifeDataError,
    InitialDaughter,
    RatioOutOfRangeError,
    UnknownChronometerError,
    get_chronometer,
    load_half_life_set,
    model_age,
)
from nucsec.forensics.chronometry.measurement import RatioModel

ISSUE_RATIO, ISSUE_U = 1.41148e-4, 7.06e-7  # example of issue 7


def test_issue_example_is_fifty_years() -> None:
    """The issue's example ratio is radioactivedecay's Th-230/U-234 after 50 y (ICRP-107)."""
    res = model_age("Th-230/U-234", ISSUE_RATIO, ISSUE_U, half_lives="icrp107")
    assert res.age_years == pytest.approx(50.0, rel=1e-5)
    assert res.half_life_set.name == "icrp107"


def test_model_date_and_uncertainty_in_days() -> None:
    res = model_age("Th-230/U-234", ISSUE_RATIO, ISSUE_U, measured_on=date(2024, 5, 1))
    d = res.to_dict()
    assert d["model_date"] == "1974-05-02"  # 50.0 y of 365.2422 d before 2024-05-01
    assert d["u_model_date_days"] == pytest.approx(res.u_age_years * 365.2422)
    early, late = (date.fromisoformat(x) for x in d["model_date_interval_k2"])
    assert early < date(1974, 5, 2) < late


@pytest.mark.parametrize("monte_carlo", [0, 20_000])
def test_a_ratio_of_zero_never_gives_a_negative_age_or_a_future_date(monte_carlo: int) -> None:
    """A zero ratio is age 0; its interval is cut at 0 and no model date follows the measurement."""
    rng = np.random.default_rng(7) if monte_carlo else None
    res = model_age(
        "Th-230/U-234", 0.0, ISSUE_U, measured_on=date(2024, 5, 1), monte_carlo=monte_carlo, rng=rng
    )
    d = res.to_dict()
    for key in ("interval_years_k1", "interval_years_k2"):
        lo, hi = d[key]
        assert lo == 0.0 < hi, key
    early, late = (date.fromisoformat(x) for x in d["model_date_interval_k2"])
    assert early < late == date(2024, 5, 1)
    assert any("cut at 0" in w for w in d["warnings"])


def test_a_clear_age_has_no_cut_warning() -> None:
    res = model_age("Th-230/U-234", ISSUE_RATIO, ISSUE_U)
    assert res.interval_k2_years[0] > 0
    assert not any("cut at 0" in w for w in res.warnings)


def test_json_shape_of_the_cli() -> None:
    res = model_age(
        "Th-230/U-234",
        ISSUE_RATIO,
        ISSUE_U,
        measured_on="2024-05-01",
        monte_carlo=1000,
        rng=np.random.default_rng(1),
    )
    d = json.loads(json.dumps(res.to_dict()))
    for key in (
        "age_years",
        "u_age_years",
        "model_date",
        "budget",
        "half_life_set",
        "half_life_set_version",
        "coverage",
        "monte_carlo",
        "uncertainty_method",
    ):
        assert key in d
    assert d["half_life_set"] == "nubase2020"
    assert d["coverage"] == "k=1"
    assert "model_date" not in model_age("Th-230/U-234", ISSUE_RATIO, ISSUE_U).to_dict()


def test_rereference_to_another_date() -> None:
    res = model_age("Am-241/Pu-241", 0.3, 0.001, measured_on=date(2020, 1, 1))
    later = res.rereferenced(date(2030, 1, 1))
    assert later.age_on(date(2030, 1, 1)) == pytest.approx(res.age_years + 3653 / 365.2422)
    d = later.to_dict()
    assert d["model_date"] == res.to_dict()["model_date"]
    assert d["age_at_reference_years"] == pytest.approx(res.age_years + 3653 / 365.2422)
    with pytest.raises(ChronometryError):
        model_age("Am-241/Pu-241", 0.3, 0.001).age_on(date(2030, 1, 1))


def test_half_life_choice_moves_am_pu_age_by_about_three_hundredths_of_a_year() -> None:
    """Issue 7: about 0.03 y for 241Am/241Pu at 20 y between NUBASE2020 and ICRP-107."""
    chrono = get_chronometer("Am-241/Pu-241")
    ratio = float(RatioModel(chrono, load_half_life_set("nubase2020")).ratio(20.0))
    nubase = model_age(chrono, ratio, 0.0).age_years
    icrp = model_age(chrono, ratio, 0.0, half_lives="icrp107").age_years
    assert nubase == pytest.approx(20.0, rel=1e-12)
    assert 0.02 < abs(icrp - nubase) < 0.04


def test_th229_icrp107_is_flagged_outdated() -> None:
    res = model_age("Th-229/U-233", 1e-4, 1e-6, half_lives="icrp107")
    assert any("outdated" in w for w in res.warnings)
    assert any("no uncertainty" in w for w in res.warnings)


def test_unverified_half_lives_are_flagged() -> None:
    res = model_age("Th-230/U-234", ISSUE_RATIO, ISSUE_U, half_lives="cheng2013+nubase2020")
    assert any("unverified" in w for w in res.warnings)
    assert res.to_dict()["half_lives"]["Th-230"]["status"] == "unverified"


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"ratio": -1e-5}, RatioOutOfRangeError, "ratio"),
        ({"ratio": float("nan")}, ChronometryError, "ratio"),
        ({"ratio": 0.5}, RatioOutOfRangeError, "ratio"),  # Th/U equilibrium is 0.443
        ({"u_ratio": None}, ChronometryError, "u_ratio"),
        ({"u_ratio": -1.0}, ChronometryError, "u_ratio"),
        ({"chronometer": "Cs-137/Ba-137"}, UnknownChronometerError, "chronometer"),
        ({"chronometer": "Qq-1/U-234"}, InputError, "nuclide"),
        ({"kind": "mass"}, ChronometryError, "ratio_kind"),
        ({"monte_carlo": 1000}, ChronometryError, "rng"),
        ({"monte_carlo": -5}, ChronometryError, "monte_carlo"),
        ({"half_lives": "nubase2030"}, HalfLifeDataError, "half_lives"),
        ({"half_lives": "cheng2000"}, HalfLifeDataError, "half_lives"),  # lacks Ra-226
        ({"measured_on": "01/05/2024"}, ChronometryError, "measured_on"),
        ({"relative_uncertainties": {"spike": -0.1}}, ChronometryError, "relative_uncertainties"),
        (
            {"initial_daughter": InitialDaughter(1e-3, 1e-5)},
            RatioOutOfRangeError,
            "initial_daughter",
        ),
    ],
    ids=[
        "negative",
        "nan",
        "beyond-equilibrium",
        "missing-u",
        "negative-u",
        "unknown-chronometer",
        "unknown-nuclide",
        "bad-kind",
        "mc-without-rng",
        "negative-mc",
        "unknown-set",
        "set-lacks-nuclide",
        "bad-date",
        "negative-rel-u",
        "initial-exceeds-ratio",
    ],
)
def test_bad_input_is_a_typed_error(
    kwargs: dict[str, object], error: type[Exception], field: str
) -> None:
    args: dict[str, object] = {
        "chronometer": "Th-230/U-234",
        "ratio": ISSUE_RATIO,
        "u_ratio": ISSUE_U,
    }
    if kwargs.get("half_lives") == "cheng2000":
        args["chronometer"] = "Ra-226/Th-230"
    args.update(kwargs)
    with pytest.raises(error) as err:
        model_age(
            args.pop("chronometer"),
            args.pop("ratio"),
            args.pop("u_ratio"),  # type: ignore[arg-type]
            **args,
        )  # type: ignore[arg-type]
    assert getattr(err.value, "field", None) == field


def test_initial_daughter_refused_for_second_generation() -> None:
    with pytest.raises(ChronometryError, match="first-generation"):
        model_age("Ra-226/Th-230", 1e-4, 1e-6, initial_daughter=InitialDaughter(0.0, 1e-6))


def test_zero_ratio_is_age_zero() -> None:
    res = model_age("U-234/Pu-238", 0.0, 1e-6)
    assert res.age_years == 0.0
    assert math.isfinite(res.u_age_years)
