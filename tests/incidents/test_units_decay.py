"""Activity units and decay correction, checked against published half-lives."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nucsec.incidents.decay import YEAR_S, activity_at, half_life_s, load_half_lives
from nucsec.incidents.errors import IncidentError, UnitError
from nucsec.incidents.units import ACTIVITY_UNITS_BQ, format_activity, parse_activity
from nucsec.nuclides import NuclideError


@pytest.mark.parametrize(
    "text,bq",
    [
        ("555TBq", 555e12),
        ("555 TBq", 555e12),
        ("0.19TBq", 0.19e12),
        ("2.5 GBq", 2.5e9),
        ("40 MBq", 40e6),
        ("3 kBq", 3e3),
        ("12 Bq", 12.0),
        ("1 Ci", 3.7e10),
        ("15 mCi", 5.55e8),
        ("10 uCi", 3.7e5),
        ("10 µCi", 3.7e5),
        ("1e3 Ci", 3.7e13),
        ("5 mBq", 5e-3),
        ("5 tbq", 5e12),
    ],
)
def test_units(text: str, bq: float) -> None:
    assert parse_activity(text).value_bq == pytest.approx(bq, rel=1e-15)


def test_uncertainty_is_carried() -> None:
    for text in ("2.5±0.1 TBq", "2.5 +- 0.1 TBq", "2.5+/-0.1TBq"):
        act = parse_activity(text)
        assert act.value_bq == pytest.approx(2.5e12)
        assert act.uncertainty_bq == pytest.approx(0.1e12)


@pytest.mark.parametrize("text", ["555", "555 ", "1.5"])
def test_activity_without_unit_is_a_unit_error(text: str) -> None:
    with pytest.raises(UnitError) as err:
        parse_activity(text)
    assert err.value.field == "activity"


@pytest.mark.parametrize("text", ["5 mbq", "5 MBQ", "5 furlongs", "5 Sv"])
def test_unknown_or_ambiguous_unit(text: str) -> None:
    with pytest.raises(UnitError):
        parse_activity(text)


@pytest.mark.parametrize("text", ["-5 TBq", "abc", "", "nan TBq", "1e999 TBq", "5 ± -1 TBq"])
def test_bad_numbers(text: str) -> None:
    with pytest.raises(IncidentError):
        parse_activity(text)


@given(st.floats(min_value=1e-3, max_value=1e20), st.sampled_from(sorted(ACTIVITY_UNITS_BQ)))
def test_format_then_parse_is_close(bq: float, unit: str) -> None:
    assert parse_activity(format_activity(bq, unit)).value_bq == pytest.approx(bq, rel=1e-3)


def _published(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "halflives_nubase2020.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_half_lives_agree_with_nubase2020(data_dir: Path) -> None:
    rows = _published(data_dir)
    assert len(rows) == 5
    for row in rows:
        assert row["unit"] == "y"
        ours_y = half_life_s(row["nuclide"]) / YEAR_S
        # ICRP-107 (2008) vs NUBASE2020: agree within 1 %
        assert ours_y == pytest.approx(float(row["half_life"]), rel=0.01), row["nuclide"]


def test_one_half_life_halves_the_activity() -> None:
    hl = load_half_lives()
    t_half = hl.get("Cs-137")
    start = date(2000, 1, 1)
    later = date.fromordinal(start.toordinal() + round(t_half / 86400))
    assert activity_at(100.0, "Cs-137", start, later, hl) == pytest.approx(50.0, rel=1e-4)
    # backwards in time the activity was higher
    assert activity_at(50.0, "Cs-137", later, start, hl) == pytest.approx(100.0, rel=1e-4)


def test_stable_and_unknown_nuclides() -> None:
    assert math.isinf(half_life_s("Fe-56"))
    with pytest.raises(NuclideError):
        half_life_s("Cs-200")
