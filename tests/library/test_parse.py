"""Samples and entries from JSON: validation names every bad field; shapes round-trip."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nucsec.forensics.library.errors import LibraryError, LibraryImportError, UnknownSignatureError
from nucsec.forensics.library.model import decimal_year, from_decimal_year
from nucsec.forensics.library.parse import entries_from_list, entry_from_dict, sample_from_dict

U235 = {"name": "n(235U)/n(238U)", "value": 0.00725, "u": 0.00001, "unit": "mol/mol"}


def _sample(*items: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"id": "S-1", "material_type": "uoc", "signatures": list(items), **top}


def test_issue_sample_shape_parses_and_round_trips() -> None:
    data = _sample(U235, {"name": "w(Th)", "below": 0.5, "unit": "µg/g U"})
    sample = sample_from_dict(data)
    assert sample.to_dict() == data
    assert sample.get("w(Th)") is not None and sample.get("w(Th)").is_below  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("item", "field", "error"),
    [
        ({**U235, "name": "n(235U)/n(239U)"}, "signatures[0].name", UnknownSignatureError),
        ({**U235, "unit": "ppm"}, "signatures[0].unit", LibraryError),
        ({k: v for k, v in U235.items() if k != "unit"}, "signatures[0].unit", LibraryError),
        ({k: v for k, v in U235.items() if k != "u"}, "signatures[0].u", LibraryError),
        ({**U235, "u": 0}, "signatures[0].u", LibraryError),
        ({**U235, "value": -0.1}, "signatures[0].value", LibraryError),
        ({**U235, "value": "abc"}, "signatures[0].value", LibraryError),
        ({**U235, "value": float("nan")}, "signatures[0].value", LibraryError),
        ({**U235, "value": True}, "signatures[0].value", LibraryError),
        ({**U235, "below": 0.1}, "signatures[0].value", LibraryError),
        ({**U235, "spread": 0.1}, "signatures[0].spread", LibraryError),
        ({**U235, "purification": "incomplete"}, "signatures[0].purification", LibraryError),
        ({"name": "chemical form", "value": "kryptonite"}, "signatures[0].value", LibraryError),
        (
            {"name": "model date", "value": "2015-13-01", "u": 1, "unit": "year CE"},
            "signatures[0].value",
            LibraryError,
        ),
        (
            {"name": "model date", "value": 1492, "u": 1, "unit": "year CE"},
            "signatures[0].value",
            LibraryError,
        ),
        ("not an object", "signatures[0]", LibraryError),
    ],
)
def test_bad_sample_values_name_their_field(item: Any, field: str, error: type) -> None:
    with pytest.raises(error) as err:
        sample_from_dict(_sample(item))
    assert err.value.field == field


def test_every_problem_is_listed_and_the_first_is_typed() -> None:
    bad = _sample({**U235, "name": "nope"}, {**U235, "u": -1}, U235, extra=1)
    with pytest.raises(UnknownSignatureError) as err:
        sample_from_dict(bad)
    text = str(err.value)
    assert "extra" in text and "signatures[1].u" in text
    assert err.value.field == "signatures[0].name"


def test_dates_and_categories_are_normalised() -> None:
    sample = sample_from_dict(
        _sample(
            {
                "name": "model date",
                "value": "2015-07-02",
                "u": 0.2,
                "unit": "year",
                "purification": "incomplete",
            },
            {"name": "chemical form", "value": "ammonium diuranate"},
        )
    )
    date_item, form = sample.signatures
    assert abs(float(date_item.value) - 2015.5) < 0.01  # type: ignore[arg-type]
    assert date_item.unit == "year CE" and date_item.purification == "incomplete"
    assert form.value == ("ADU",)


def test_sample_without_material_type_or_signatures_is_valid() -> None:
    sample = sample_from_dict({"id": 7, "signatures": []})
    assert sample.id == "7" and sample.material_type is None and sample.signatures == ()


ENTRY = {
    "id": "MILL-A",
    "material_type": "uranium ore concentrate",
    "description": "line A",
    "holder_agency": "DOE",
    "production_site": "somewhere",
    "history": [{"step": "milling", "site": "mill", "start": "1990-01-01", "end": "2001-06-30"}],
    "signatures": [
        {**U235, "spread": 2e-6, "method": "MC-ICP-MS", "laboratory": "L1", "date": "2020-02-02"},
        {"name": "w(V)", "value": 120.0, "u": 5.0, "spread": 30.0, "unit": "µg/g U"},
        {"name": "w(Mo)", "value": 300.0, "u": 9.0, "spread": 60.0, "unit": "µg/g U"},
        {"name": "w(Th)", "below": 0.5, "unit": "µg/g U"},
        {"name": "chemical form", "value": ["ADU", "U3O8"]},
    ],
    "correlations": [{"a": "w(V)", "b": "w(Mo)", "r": 0.4}],
    "members": [
        {"id": f"b{i}", "values": {"w(V)": 100.0 + i, "w(Mo)": 290.0 + 2 * i}} for i in range(4)
    ],
}


def test_entry_show_shape_is_the_sample_shape_plus_spread() -> None:
    entry = entry_from_dict(ENTRY)
    shown = entry.to_dict()
    assert shown["material_type"] == "uoc"
    u235 = shown["signatures"][0]
    assert set(u235) >= {"name", "value", "u", "unit", "spread"}
    assert shown["signatures"][3] == {"name": "w(Th)", "below": 0.5, "unit": "µg/g U"}
    assert entry_from_dict(shown) == entry


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"id": ""}, "id"),
        ({"material_type": "plutonium soup"}, "material_type"),
        ({"history": [{"step": "smelting"}]}, "history[0].step"),
        (
            {"history": [{"step": "milling", "start": "2001-01-01", "end": "2000-01-01"}]},
            "history[0].end",
        ),
        ({"correlations": [{"a": "w(V)", "b": "w(V)", "r": 0.5}]}, "correlations[0]"),
        ({"correlations": [{"a": "w(V)", "b": "w(Mo)", "r": 1.5}]}, "correlations[0].r"),
        ({"members": [{"id": "b", "values": {"w(V)": -1}}]}, "members[0].values.w(V)"),
    ],
)
def test_bad_entries_name_their_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(LibraryError) as err:
        entry_from_dict({**ENTRY, **patch})
    assert err.value.field == field


def test_import_lists_every_problem_and_imports_nothing() -> None:
    good = {**ENTRY, "id": "GOOD"}
    items = [
        good,
        {**ENTRY, "id": "B1", "material_type": "?"},
        good,
        {**ENTRY, "id": "B2", "signatures": [*ENTRY["signatures"], {**U235, "name": "zz"}]},
    ]
    with pytest.raises(LibraryImportError) as err:
        entries_from_list(items)
    problems = err.value.problems
    assert [(p.where, p.entry, p.field) for p in problems] == [
        ("entries[1]", "B1", "material_type"),
        ("entries[2]", "GOOD", "id"),  # duplicate id
        ("entries[3]", "B2", "signatures[5].name"),
    ]
    assert err.value.to_dict()["problems"][1]["message"] == "duplicate entry id"
    assert entries_from_list({"entries": [good]})[0].id == "GOOD"


@given(st.dates(min_value=date(1801, 1, 1), max_value=date(2199, 12, 31)))
def test_decimal_year_round_trip(day: date) -> None:
    assert from_decimal_year(decimal_year(day)) == day
