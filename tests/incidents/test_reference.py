"""The packaged IAEA tables: faithful copies, marks kept, spellings resolved."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from nucsec.incidents.reference import ReferenceData, source_key
from nucsec.nuclides import NuclideError


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("nucsec.data.iaea").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_every_d_value_row_is_loaded_with_its_status(ref: ReferenceData) -> None:
    rows = _rows("d_values.csv")
    assert len(ref.d_values) == len(rows)
    for row in rows:
        loaded = ref.d_value(row["radionuclide"])
        assert loaded is not None, row["radionuclide"]
        assert loaded.status == row["status"]
        assert loaded.table_name == row["radionuclide"]


def test_unverified_rows_have_no_value_and_stay_unverified(ref: ReferenceData) -> None:
    unverified = [d for d in ref.d_values.values() if d.status == "unverified"]
    assert len(unverified) == 16
    assert all(d.d_value_tbq is None for d in unverified)
    assert {"I-131", "Tc-99m", "Ba-133", "Eu-152", "Pu-239", "U"} <= {d.key for d in unverified}


@pytest.mark.parametrize("status,count", [("confirmed", 16), ("derived", 10)])
def test_status_counts(ref: ReferenceData, status: str, count: int) -> None:
    assert sum(d.status == status for d in ref.d_values.values()) == count


def test_threshold_columns_are_1000_10_and_1_times_d(ref: ReferenceData) -> None:
    for row in _rows("d_values.csv"):
        if not row["d_value_tbq"]:
            continue
        d = float(row["d_value_tbq"])
        for column, factor in (("cat1_threshold_tbq_1000D", 1000), ("cat2_threshold_tbq_10D", 10)):
            assert float(row[column]) == pytest.approx(factor * d, rel=1e-12), row["radionuclide"]
        assert float(row["cat3_threshold_tbq_1D"]) == pytest.approx(d, rel=1e-12)


@pytest.mark.parametrize(
    "spelling,key",
    [
        ("Co-60", "Co-60"),
        ("60Co", "Co-60"),
        ("am241/be", "Am-241/Be"),
        ("Pu-239/Be", "Pu-239/Be"),
        ("Sr-90 (Y-90)", "Sr-90"),
        ("sr90", "Sr-90"),
        ("Ru-106 (Rh-106)", "Ru-106"),
        ("Pu-239 (metal/oxide, not Be source)", "Pu-239"),
        ("U (depleted/natural/enriched)", "U"),
    ],
)
def test_source_key_spellings(spelling: str, key: str) -> None:
    assert source_key(spelling) == key


@pytest.mark.parametrize("bad", ["Xx-60", "Co-60/Qq", "", "12"])
def test_source_key_refuses_non_names(bad: str) -> None:
    with pytest.raises(NuclideError):
        source_key(bad)


def test_source_bands_cover_all_ratios_in_order(ref: ReferenceData) -> None:
    bands = ref.source_bands
    assert [b.category for b in bands] == [1, 2, 3, 4, 5]
    assert [(b.lo, b.hi) for b in bands] == [
        (1000, None), (10, 1000), (1, 10), (0.01, 1), (None, 0.01)
    ]  # fmt: skip
    assert [b.bounds_status == "confirmed" for b in bands] == [True, True, True, False, False]


def test_material_rows_keep_their_flags(ref: ReferenceData) -> None:
    rows = _rows("infcirc225_categories.csv")
    assert len(ref.material_bands) == len(rows)
    for band, row in zip(ref.material_bands, rows, strict=True):
        assert band.category == row["category"]
        assert band.min_inclusive == (row["min_inclusive"] == "True")
        assert band.max_inclusive == (row["max_inclusive"] == "True")
