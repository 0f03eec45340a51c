"""Half-life sets: loading, coverage conversion, layering, and the ICRP-107 transcription."""

from __future__ import annotations

import pytest
import radioactivedecay as rd

from nucsec.forensics.chronometry import (
    CHRONOMETERS,
    HalfLifeDataError,
    half_life_set_names,
    load_half_life_set,
)


def test_default_is_nubase2020_with_published_values() -> None:
    hl = load_half_life_set()
    assert hl.name == "nubase2020"
    # NUBASE2020 (Kondev et al. 2021): Th-230 75.4(3) ky, Pu-241 14.329(29) y
    assert (hl["Th-230"].half_life_y, hl["Th-230"].u_half_life_y) == (75.4e3, 0.3e3)
    assert (hl["Pu-241"].half_life_y, hl["Pu-241"].u_half_life_y) == (14.329, 0.029)
    assert hl.branching_fraction("Pu-241", "Am-241") == pytest.approx(1 - 2.45e-5, rel=1e-12)


def test_two_sigma_sources_are_converted_to_k1() -> None:
    hl = load_half_life_set("cheng2000")
    assert hl["U-234"].u_half_life_y == pytest.approx(490 / 2)
    assert hl["Th-230"].u_half_life_y == pytest.approx(230 / 2)


def test_days_are_converted_to_years() -> None:
    assert load_half_life_set()["Pa-233"].half_life_y == pytest.approx(26.975 / 365.2422)


def test_layered_set_takes_first_then_falls_back() -> None:
    hl = load_half_life_set("cheng2013+nubase2020")
    assert hl.name == "cheng2013+nubase2020"
    assert hl["Th-230"].source == "cheng2013"
    assert hl["Th-230"].status == "unverified"
    assert hl["Pu-241"].source == "nubase2020"
    assert hl.status == "unverified"


@pytest.mark.parametrize("name", ["nubase2021", "", "icrp107+nope"])
def test_unknown_set_is_a_typed_error(name: str) -> None:
    with pytest.raises(HalfLifeDataError) as err:
        load_half_life_set(name)
    assert err.value.field == "half_lives"


def test_missing_nuclide_names_the_set_and_nuclide() -> None:
    with pytest.raises(HalfLifeDataError, match="'cheng2000' has no half-life for Ra-226"):
        load_half_life_set("cheng2000")["Ra-226"]


def test_every_set_loads() -> None:
    names = half_life_set_names()
    assert {"nubase2020", "icrp107", "cheng2000", "cheng2013"} <= set(names)
    for name in names:
        assert load_half_life_set(name).half_lives


@pytest.mark.parametrize("nuclide", sorted({n for c in CHRONOMETERS.values() for n in c.chain}))
def test_icrp107_set_matches_radioactivedecay(nuclide: str) -> None:
    """The icrp107 set is a transcription of radioactivedecay 0.6.1's data: check it."""
    ours = load_half_life_set("icrp107")[nuclide].half_life_y
    assert ours == pytest.approx(rd.Nuclide(nuclide).half_life("y"), rel=1e-12)


def test_icrp107_branching_matches_radioactivedecay() -> None:
    nuc = rd.Nuclide("Pu-241")
    fraction = dict(zip(nuc.progeny(), nuc.branching_fractions(), strict=True))["Am-241"]
    assert load_half_life_set("icrp107").branching_fraction("Pu-241", "Am-241") == fraction


@pytest.mark.parametrize("set_name", ["nubase2020", "icrp107"])
def test_both_main_sets_cover_every_chronometer(set_name: str) -> None:
    hl = load_half_life_set(set_name)
    for chrono in CHRONOMETERS.values():
        for nuclide in chrono.chain:
            assert nuclide in hl, (set_name, chrono.name, nuclide)
