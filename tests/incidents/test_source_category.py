"""IAEA source categories: the worked examples of the shared data, every bound, aggregation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.incidents.categorize import band_for, categorize_sources
from nucsec.incidents.errors import IncidentError
from nucsec.incidents.items import SourceItem
from nucsec.incidents.reference import ReferenceData
from nucsec.incidents.units import parse_activity

TBQ = 1e12


def _cat(*specs: tuple[str, float], on: date | None = None) -> int | None:
    return categorize_sources([SourceItem(n, a * TBQ) for n, a in specs], on_date=on).category


# Worked examples: source_categories.csv example_from_source, and the issue text.
@pytest.mark.parametrize(
    "items,category",
    [
        pytest.param([("Co-60", 555.0)], 1, id="teletherapy-555TBq-Co60-cat1"),
        pytest.param([("Ir-192", 2.5)], 2, id="radiography-2.5TBq-Ir192-cat2"),
        pytest.param([("Ir-192", 0.44)], 3, id="HDR-brachytherapy-0.44TBq-Ir192-cat3"),
        pytest.param([("Cs-137", 0.19)] * 6, 2, id="six-0.19TBq-Cs137-gauges-together-cat2"),
        pytest.param([("Cs-137", 0.19)], 3, id="one-0.19TBq-Cs137-gauge-cat3"),
    ],
)
def test_worked_examples(items: list[tuple[str, float]], category: int) -> None:
    assert _cat(*items) == category


def test_example_sources_in_curies() -> None:
    # 15,000 Ci = 555 TBq exactly (1 Ci = 3.7e10 Bq)
    item = SourceItem("Co-60", parse_activity("15000 Ci").value_bq)
    assert item.activity_bq == pytest.approx(555 * TBQ, rel=1e-15)
    assert categorize_sources([item]).category == 1


def _d_rows(ref: ReferenceData) -> list[tuple[str, float]]:
    return [(k, d.d_value_tbq) for k, d in ref.d_values.items() if d.d_value_tbq is not None]


@pytest.mark.parametrize("factor,category", [(1000, 1), (10, 2), (1, 3), (0.01, 4)])
def test_each_lower_bound_is_inclusive_for_every_nuclide(
    ref: ReferenceData, factor: float, category: int
) -> None:
    for key, d in _d_rows(ref):
        assert _cat((key, factor * d)) == category, key
        below = factor * d * (1 - 1e-9)
        assert _cat((key, below)) == category + 1, key


def test_threshold_columns_of_the_table_give_their_category(ref: ReferenceData) -> None:
    # the published thresholds, as decimal text, exactly on the bound
    import csv
    from importlib import resources

    text = resources.files("nucsec.data.iaea").joinpath("d_values.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        if row["status"] == "unverified":
            continue
        name = row["radionuclide"]
        for column, category in (
            ("cat1_threshold_tbq_1000D", 1),
            ("cat2_threshold_tbq_10D", 2),
            ("cat3_threshold_tbq_1D", 3),
        ):
            act = parse_activity(f"{row[column]} TBq")
            assert categorize_sources([SourceItem(name, act.value_bq)]).category == category


@pytest.mark.parametrize(
    "ratio,category", [(0.0, 5), (0.009999, 5), (0.01, 4), (0.999, 4), (1.0, 3), (1e9, 1)]
)
def test_band_for(ref: ReferenceData, ratio: float, category: int) -> None:
    assert band_for(ratio, ref).category == category


def test_band_for_refuses_negative(ref: ReferenceData) -> None:
    with pytest.raises(IncidentError):
        band_for(-1.0, ref)


def test_no_d_value_means_unknown_never_a_guess() -> None:
    result = categorize_sources([SourceItem("Co-60", 555 * TBQ), SourceItem("I-131", 1 * TBQ)])
    assert result.category is None
    assert result.sum_a_over_d is None
    assert result.reasons[0].startswith("category unknown: no D-value for I-131")
    assert "unverified" in result.reasons[0]
    assert result.items[0].category == 1  # the known item is still assessed alone


def test_nuclide_absent_from_the_table_is_unknown() -> None:
    result = categorize_sources([SourceItem("Ba-140", 1 * TBQ)])
    assert result.category is None
    assert result.reasons == ("category unknown: no D-value for Ba-140 (not in the D-value table)",)


def test_derived_d_value_is_flagged() -> None:
    result = categorize_sources([SourceItem("Au-198", 2 * TBQ)])
    assert result.category == 2
    assert any("Au-198" in r and "derived" in r for r in result.reasons)


def test_unverified_bound_is_flagged_for_categories_4_and_5() -> None:
    result = categorize_sources([SourceItem("Cs-137", 0.01 * TBQ)])
    assert result.category == 4
    assert any("unverified" in r for r in result.reasons)


def test_uncertainty_reaching_another_category_is_said() -> None:
    item = SourceItem("Co-60", 29 * TBQ, activity_unc_bq=1 * TBQ)
    result = categorize_sources([item])
    assert result.category == 2
    assert result.sum_a_over_d_unc == pytest.approx(1 / 0.03)
    assert any("(k=2) reaches Category 1" in r for r in result.reasons)


def test_decay_to_the_incident_date() -> None:
    # Co-60 555 TBq in 2000: after 10.85 y (about 2.06 half-lives) it is ~133 TBq, still Cat 1
    item = SourceItem("Co-60", 555 * TBQ, reference_date=date(2000, 1, 1))
    result = categorize_sources([item], on_date=date(2010, 11, 8))
    assert result.items[0].activity_at_date_bq / TBQ == pytest.approx(133.2, abs=0.1)
    assert result.category == 1
    assert any("decay-corrected" in r for r in result.reasons)


def test_decay_can_lower_the_category() -> None:
    # Ir-192 (73.8 d): 2.5 TBq is Cat 2; two years later about 2.6 GBq (A/D 0.03): Cat 4
    item = SourceItem("Ir-192", 2.5 * TBQ, reference_date=date(2020, 1, 1))
    assert categorize_sources([item], on_date=date(2020, 1, 1)).category == 2
    assert categorize_sources([item], on_date=date(2022, 1, 1)).category == 4


def test_reference_date_without_target_date_is_an_error() -> None:
    item = SourceItem("Co-60", 1 * TBQ, reference_date=date(2000, 1, 1))
    with pytest.raises(IncidentError) as err:
        categorize_sources([item])
    assert err.value.field == "date"


def test_no_items_is_an_error() -> None:
    with pytest.raises(IncidentError):
        categorize_sources([])


_known = st.sampled_from(["Co-60", "Cs-137", "Ir-192", "Am-241", "Sr-90", "Am-241/Be", "Fe-55"])
_activity = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_known, _activity), min_size=1, max_size=5), _known, _activity)
def test_adding_an_item_never_lowers_the_danger(
    items: list[tuple[str, float]], extra: str, activity: float
) -> None:
    before = _cat(*items)
    after = _cat(*items, (extra, activity))
    assert before is not None and after is not None
    assert after <= before  # category 1 is the most dangerous


@settings(max_examples=60, deadline=None)
@given(_known, _activity, _activity)
def test_more_activity_never_lowers_the_danger(name: str, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert _cat((name, hi)) <= _cat((name, lo))  # type: ignore[operator]
