"""Chronometer names: any nuclide spelling, typed errors listing the known ones."""

from __future__ import annotations

import pytest

from nucsec.forensics.chronometry import CHRONOMETERS, UnknownChronometerError, get_chronometer
from nucsec.nuclides import NuclideError


@pytest.mark.parametrize(
    "spec", ["Th-230/U-234", "230Th/234U", "Th230/U234", "th-230 / u-234", "230th/234u"]
)
def test_spellings(spec: str) -> None:
    assert get_chronometer(spec).name == "Th-230/U-234"


def test_required_chronometers_are_known() -> None:
    required = {"Th-230/U-234", "Pa-231/U-235", "Ra-226/Th-230", "Am-241/Pu-241",
                "Np-237/Am-241", "U-234/Pu-238", "U-235/Pu-239", "U-236/Pu-240",
                "Th-229/U-233", "Ac-227/Pa-231"}  # fmt: skip
    assert required <= set(CHRONOMETERS)


def test_second_generation_chains() -> None:
    assert get_chronometer("Ra-226/Th-230").chain == ("U-234", "Th-230", "Ra-226")
    assert get_chronometer("Ac-227/Pa-231").generation == 2


def test_unknown_pair_lists_known() -> None:
    with pytest.raises(UnknownChronometerError) as err:
        get_chronometer("Cs-137/Ba-137")
    assert "Th-230/U-234" in str(err.value)
    assert err.value.field == "chronometer"


def test_reversed_pair_gets_a_hint() -> None:
    with pytest.raises(UnknownChronometerError, match="did you mean Th-230/U-234"):
        get_chronometer("U-234/Th-230")


@pytest.mark.parametrize("spec", ["Th-230", "Th-230/U-234/Pb-206", ""])
def test_malformed(spec: str) -> None:
    with pytest.raises(UnknownChronometerError):
        get_chronometer(spec)


def test_bad_nuclide_is_a_nuclide_error() -> None:
    with pytest.raises(NuclideError):
        get_chronometer("Xx-230/U-234")
