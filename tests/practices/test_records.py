"""Facility and assessment records: round trips and field paths of bad records."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from nucsec.errors import InputError
from nucsec.incidents.items import MaterialItem, SourceItem
from nucsec.practices import (
    Answer,
    AssessmentError,
    EvidenceRef,
    Facility,
    FacilityError,
    Finding,
    Holding,
    generate_assessment,
    shipped_frameworks,
)
from nucsec.practices.records import assessment_from_dict, facility_from_dict, facility_to_dict

FW = shipped_frameworks()["nucsec-facility"]
FAC = Facility(
    "JRR",
    "Research reactor",
    "Institute",
    "research_reactor",
    (
        Holding(
            "vault",
            (
                MaterialItem("U", mass_g=3000, enrichment_pct=93),
                SourceItem("Cs-137", activity_bq=1e12, reference_date=date(2020, 1, 1)),
            ),
        ),
    ),
    activities=frozenset({"transport"}),
    nation="JPN",
)


def test_facility_round_trip_through_json() -> None:
    record = json.loads(json.dumps(facility_to_dict(FAC)))
    again = facility_from_dict(record)
    assert again == FAC
    assert again.profile(date(2024, 1, 1)).to_dict() == FAC.profile(date(2024, 1, 1)).to_dict()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.update(type="bakery"), "type"),
        (lambda r: r.update(colour="red"), "colour"),
        (lambda r: r["holdings"][0]["items"][0].update(mass_g=-1), "holdings[0].items[0].mass_g"),
        (
            lambda r: r["holdings"][0]["items"][1].update(nuclide="Xx-999"),
            "holdings[0].items[1].nuclide",
        ),
        (lambda r: r["holdings"][0].update(area=""), "holdings[0].area"),
        (lambda r: r["holdings"][0].update(shelf=1), "holdings[0].shelf"),
    ],
)
def test_bad_facility_record_names_the_field(change: Any, field: str) -> None:
    record = facility_to_dict(FAC)
    change(record)
    with pytest.raises(InputError) as info:
        facility_from_dict(record)
    assert info.value.field == field


def _assessment() -> Any:
    a = generate_assessment(FW, "A1", FAC.id, FAC.profile(date(2024, 1, 1)).tags, date(2024, 2, 1))
    a = a.answer(FW, Answer("TH-II-02.q", "3", evidence=(EvidenceRef("sha256:aa", "log"),)))
    a = a.answer(FW, Answer("TH-II-06.q", None, na_reason="guards on call", comment="c"))
    return a.with_finding(FW, Finding("F1", "suggestion", "TH-II-06", "s", "o", date(2024, 9, 1)))


def test_assessment_round_trip_scores_the_same() -> None:
    a = _assessment()
    again = assessment_from_dict(json.loads(json.dumps(a.to_dict())))
    again.check(FW)
    assert again == a
    assert again.score(FW).to_dict() == a.score(FW).to_dict()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["answers"][0].update(value="9"), "answers['TH-II-02.q'].value"),
        (lambda r: r["answers"][1].update(na_reason=""), "answers['TH-II-06.q'].na_reason"),
        (lambda r: r["answers"][0].update(mood="x"), "answers[0].mood"),
        (lambda r: r["answers"].append(dict(r["answers"][0])), "answers[2]"),
        (lambda r: r["findings"][0].update(due="soon"), "findings[0].due"),
        (lambda r: r["findings"][0].update(type="note"), "findings['F1'].type"),
        (lambda r: r.update(assessed_on="2024-13-01"), "assessed_on"),
        (lambda r: r.update(framework=""), "framework"),
    ],
)
def test_bad_assessment_record_names_the_field(change: Any, field: str) -> None:
    record = _assessment().to_dict()
    change(record)
    with pytest.raises(AssessmentError) as info:
        assessment_from_dict(record).check(FW)
    assert info.value.field == field


def test_facility_errors_are_facility_errors() -> None:
    with pytest.raises(FacilityError):
        facility_from_dict([])
