"""Concordance of several chronometers on one material."""

from __future__ import annotations

from datetime import date

import pytest

from nucsec.forensics.chronometry import (
    ChronometryError,
    concordance,
    get_chronometer,
    load_half_life_set,
    model_age,
)
from nucsec.forensics.chronometry.measurement import RatioModel
from nucsec.forensics.chronometry.sample import concordance_from_dict

NUBASE = load_half_life_set()
MEASURED = date(2024, 5, 1)


def _measured(name: str, t_y: float, rel_u: float = 0.005) -> dict[str, object]:
    ratio = float(RatioModel(get_chronometer(name), NUBASE).ratio(t_y))
    return {"chronometer": name, "ratio": ratio, "ratio_unc": rel_u * ratio}


def test_chronometers_of_one_purification_are_concordant() -> None:
    names = ["Th-230/U-234", "Pa-231/U-235", "Ra-226/Th-230"]
    res = concordance_from_dict(
        {"measured_on": "2024-05-01", "chronometers": [_measured(n, 40.0) for n in names]}
    )
    assert res.concordant
    assert res.chi2 == pytest.approx(0.0, abs=1e-12)
    assert res.weighted_mean_years == pytest.approx(40.0, rel=1e-9)
    assert res.to_dict()["weighted_mean_model_date"] == "1984-05-01"


def test_incomplete_purification_is_discordant() -> None:
    """Th removed 40 y ago but Ra only partly: Ra/Th looks older -> discordant."""
    entries = [_measured("Th-230/U-234", 40.0, 0.002), _measured("Ra-226/Th-230", 55.0, 0.002)]
    res = concordance_from_dict({"measured_on": "2024-05-01", "chronometers": entries})
    assert not res.concordant
    pair = res.pairs[0]
    assert pair["difference_years"] == pytest.approx(-15.0, rel=1e-6)
    assert pair["z"] > 5
    assert "DISCORDANT" in res.summary()


def test_shared_half_life_gives_covariance() -> None:
    a = model_age("Th-230/U-234", **_kw("Th-230/U-234"))
    b = model_age("Ra-226/Th-230", **_kw("Ra-226/Th-230"))
    c = model_age("Am-241/Pu-241", **_kw("Am-241/Pu-241"))
    res = concordance([a, b, c])
    cov = res.covariance
    assert cov[0][1] != 0.0  # U-234 and Th-230 half-lives are shared
    assert cov[0][2] == 0.0  # nothing shared with the Pu chronometer
    assert cov[0][1] == pytest.approx(cov[1][0])


def _kw(name: str) -> dict[str, object]:
    m = _measured(name, 30.0)
    return {"ratio": m["ratio"], "u_ratio": m["ratio_unc"], "measured_on": MEASURED}


def test_different_measurement_dates_compare_model_dates() -> None:
    a = model_age(
        "Am-241/Pu-241", **{**_kw_at("Am-241/Pu-241", 10.0), "measured_on": date(2014, 5, 1)}
    )
    b = model_age("U-235/Pu-239", **{**_kw_at("U-235/Pu-239", 20.0), "measured_on": MEASURED})
    res = concordance([a, b])
    assert res.reference_date == MEASURED
    assert res.ages_years[0] == pytest.approx(20.0, abs=0.01)  # re-referenced to 2024
    assert res.concordant


def _kw_at(name: str, t_y: float) -> dict[str, object]:
    m = _measured(name, t_y)
    return {"ratio": m["ratio"], "u_ratio": m["ratio_unc"]}


@pytest.mark.parametrize(
    "data",
    [
        {"chronometers": [_measured("Th-230/U-234", 10.0)]},
        {"chronometers": "nope"},
        {"chronometers": [{"chronometer": "Th-230/U-234", "ratio": 1e-5}] * 2},
        {"chronometers": [{**_measured("Th-230/U-234", 10.0), "colour": "red"}] * 2},
    ],
    ids=["one-entry", "not-a-list", "missing-unc", "unknown-key"],
)
def test_bad_sample_files_are_typed_errors(data: dict[str, object]) -> None:
    with pytest.raises(ChronometryError.__mro__[1]):  # InputError
        concordance_from_dict(data)


def test_mixed_dates_are_refused() -> None:
    a = model_age("Th-230/U-234", 1e-4, 1e-6, measured_on=MEASURED)
    b = model_age("Pa-231/U-235", 4.9e-8, 1e-9)
    with pytest.raises(ChronometryError, match="every chronometer or for none"):
        concordance([a, b])
