"""Facilities (categories computed from holdings), assessments, findings, gaps, trends."""

from __future__ import annotations

import itertools
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
    Framework,
    Holding,
    ScaleError,
    compare_facilities,
    facility_trend,
    generate_assessment,
    rank_gaps,
    shipped_frameworks,
)
from nucsec.practices.errors import FrameworkError
from nucsec.practices.facility import security_level_for

FW = shipped_frameworks()["nucsec-facility"]
HEU = MaterialItem("U", mass_g=3000, enrichment_pct=93)


def reactor() -> Facility:
    return Facility(
        "JRR",
        "Research reactor",
        "Institute",
        "research_reactor",
        (
            Holding("vault", (HEU, HEU)),
            Holding(
                "core", (MaterialItem("U", mass_g=9e4, enrichment_pct=19.75, irradiated=True),)
            ),
        ),
    )


def fabrication() -> Facility:
    leu = MaterialItem("U", mass_g=5e6, enrichment_pct=4.5)
    return Facility("FAB", "Fuel plant", "Fuel Co", "fuel_fabrication", (Holding("store", (leu,)),))


def hospital() -> Facility:
    return Facility(
        "HOSP",
        "Hospital",
        "City",
        "source_user",
        (Holding("teletherapy", (SourceItem("Co-60", activity_bq=200e12),)),),
    )


def test_material_category_is_computed_and_aggregated_per_area() -> None:
    p = reactor().profile()
    vault = p.areas[0]
    # each item alone: 2790 g of U-235 -> Category II; together 5580 g -> Category I
    assert vault.material_category == "I" and vault.weapons_usable
    assert any("2 items held together" in r for r in vault.reasons)
    assert p.areas[1].material_category is not None
    assert p.material_categories >= {"I"} and p.highest == "cat:I"
    assert {"theft", "sabotage", "facility:research_reactor", "cat:I"} <= p.tags
    single = Facility("X", "x", "x", "laboratory", (Holding("a", (HEU,)),)).profile()
    assert single.material_categories == {"II"}


def test_different_bands_and_areas_are_not_added() -> None:
    leu = MaterialItem("U", mass_g=9000, enrichment_pct=15)  # 1350 g U-235 at 10-20 %
    f = Facility("L", "Lab", "Op", "laboratory", (Holding("a", (HEU,)), Holding("b", (HEU, leu))))
    cats = [a.material_category for a in f.profile().areas]
    assert cats == ["II", "II"]  # HEU and 15 % uranium are different rows of Table 1


def test_sources_give_category_and_security_level() -> None:
    p = hospital().profile()
    assert p.source_categories == {1} and p.security_levels == {"A"}
    assert p.material_categories == frozenset()
    assert p.highest == "level:A"
    assert [security_level_for(c) for c in (1, 2, 3, 4, 5)] == ["A", "B", "C", None, None]


def test_unknown_is_not_none_fail_closed() -> None:
    f = Facility(
        "U", "u", "u", "storage", (Holding("a", (MaterialItem("U", mass_g=10.0),)),)
    )  # no enrichment
    p = f.profile()
    assert p.material_categories == {"I"} and "Category I assumed" in p.assumed[0]


def test_decay_correction_needs_the_date() -> None:
    old = SourceItem("Co-60", activity_bq=40e12, reference_date=date(1990, 1, 1))
    f = Facility("H", "h", "h", "source_user", (Holding("room", (old,)),))
    with pytest.raises(InputError) as info:
        f.profile()
    assert info.value.field == "holdings[0].date"
    assert f.profile(date(1990, 1, 1)).source_categories == {1}  # A/D = 40 / 0.03 = 1333
    # 34 years = 6.45 half-lives: 40 TBq * 2**-6.45 = 0.46 TBq, A/D = 15 -> category 2
    assert f.profile(date(2024, 1, 1)).source_categories == {2}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"type": "bakery"}, "type"),
        ({"name": ""}, "name"),
        ({"activities": frozenset({"arson"})}, "activities"),
        ({"holdings": (Holding("a", ()), Holding("a", ()))}, "holdings[1].area"),
    ],
)
def test_bad_facility_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    base = {"id": "F", "name": "n", "operator": "o", "type": "storage"}
    with pytest.raises(FacilityError) as info:
        Facility(**{**base, **kwargs})
    assert info.value.field == field


def _questions(f: Facility) -> set[str]:
    return set(generate_assessment(FW, "A", f.id, f.profile().tags, date(2024, 1, 1)).questions)


def test_assessment_is_generated_from_what_applies() -> None:
    r, fab, h = _questions(reactor()), _questions(fabrication()), _questions(hospital())
    assert {"TH-I-03.q", "TH-II-02.q", "TH-III-01.q", "SB-02.q", "NTI-2.2.3.q"} <= r
    assert not {q for q in r if q.startswith("RS.")}  # no sources held
    assert "TH-III-01.q" in fab and "TH-I-03.q" not in fab and "TH-II-02.q" not in fab
    assert {"RS.A.detect.q", "GEN-07.q"} <= h
    assert not {q for q in h if q.startswith(("TH-", "RS.B", "SB-", "TR-"))}
    assert not {q for q in r | fab | h if q.startswith("TR-")}  # nobody ships here


def _assessed(fac: Facility, value: str, on: date) -> Any:
    a = generate_assessment(FW, f"{fac.id}-{on.year}", fac.id, fac.profile().tags, on)
    for q in a.questions:
        a = a.answer(FW, Answer(q, value))
    return a


def test_answers_findings_and_scores() -> None:
    fac = reactor()
    a = generate_assessment(FW, "A1", fac.id, fac.profile().tags, date(2024, 1, 1))
    ev = (EvidenceRef("sha256:ab12", "vault door test report"),)
    a = a.answer(FW, Answer("TH-I-03.q", "4", evidence=ev, comment="logged"))
    a = a.answer(
        FW,
        Answer(
            "TH-I-09.q",
            None,
            na_reason="no longer Category I in the core",
            compensating_measure="remote monitoring",
        ),
    )
    a = a.with_finding(
        FW,
        Finding(
            "F1",
            "recommendation",
            "TH-I-06",
            "Alarm the vault door",
            "site security manager",
            date(2024, 6, 30),
        ),
    )
    r = a.score(FW)
    assert r.node("TH-I-03.q").maturity == 100.0 and r.node("TH-I-09.q").not_applicable == 1
    assert r.overall.answered == 1 and r.overall.not_applicable == 1
    assert a.to_dict()["answers"][0]["evidence"][0]["ref"] == "sha256:ab12"
    with pytest.raises(ScaleError) as info:
        a.answer(FW, Answer("TH-I-03.q", "5"))
    assert info.value.field == "answers['TH-I-03.q'].value"
    with pytest.raises(AssessmentError) as info2:
        a.answer(FW, Answer("RS.A.detect.q", "2"))  # not asked of this facility
    assert info2.value.field == "answers['RS.A.detect.q']"


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Answer("Q", None), "answers['Q'].na_reason"),
        (lambda: Answer("Q", "1", na_reason="x"), "answers['Q'].na_reason"),
        (lambda: Answer("Q", 3), "answers['Q'].value"),  # type: ignore[arg-type]
        (
            lambda: Finding("F", "observation", "N", "s", "o", date(2024, 1, 1)),
            "findings['F'].type",
        ),
        (
            lambda: Finding("F", "recommendation", "N", "s", "", date(2024, 1, 1)),
            "findings['F'].owner",
        ),
        (lambda: Finding("F", "suggestion", "N", "s", "o"), "findings['F'].due"),
        (lambda: EvidenceRef(""), "evidence.ref"),
    ],
)
def test_bad_answer_or_finding_names_the_field(make: Any, field: str) -> None:
    with pytest.raises(AssessmentError) as info:
        make()
    assert info.value.field == field


def test_good_practice_needs_no_owner_or_date() -> None:
    assert Finding("G", "good practice", "GEN-07", "Strong reporting culture").due is None


def test_framework_version_must_match() -> None:
    a = _assessed(hospital(), "2", date(2024, 1, 1))
    other = Framework("nucsec-facility", "2", "x", FW.nodes, FW.scales, FW.weight_sets)
    with pytest.raises(AssessmentError):
        a.score(other)
    with pytest.raises(FrameworkError):
        FW.node("nope")


def test_gaps_rank_category_i_before_iii_and_sources() -> None:
    facs = [fabrication(), hospital(), reactor()]
    assessed = [(f.profile(), _assessed(f, "2", date(2024, 1, 1)).score(FW)) for f in facs]
    gaps = rank_gaps(FW, assessed)
    order = [g.protects for g in gaps]
    assert order[0] == "cat:I" and order[-1] == "cat:III"
    firsts = {t: order.index(t) for t in ("cat:I", "level:A", "cat:III")}
    assert firsts["cat:I"] < firsts["level:A"] < firsts["cat:III"]
    assert all(a.attractiveness >= b.attractiveness for a, b in itertools.pairwise(gaps))
    reactor_gaps = [g for g in gaps if g.facility_id == "JRR"]
    assert {g.protects for g in reactor_gaps} == {"cat:I"}  # everything at JRR guards Cat I
    assert all(g.cost > 0 and g.maturity == 50.0 for g in gaps)
    assert any(not g.verified and "[unverified]" in g.title for g in gaps)


def test_trend_and_comparison_data() -> None:
    h = hospital()
    y1, y2 = _assessed(h, "1", date(2023, 1, 1)), _assessed(h, "3", date(2024, 1, 1))
    trend = facility_trend(FW, [(date(2024, 1, 1), y2.score(FW)), (date(2023, 1, 1), y1.score(FW))])
    assert trend["dates"] == ["2023-01-01", "2024-01-01"]
    overall = trend["series"][0]
    assert overall["code"] == "" and overall["maturity"] == [25.0, 75.0]
    assert overall["compliance"] == [0.0, 100.0]
    pp = next(s for s in trend["series"] if s["code"] == "PP")
    assert pp["maturity"] == [None, None]  # a hospital has no Category I-III material
    with pytest.raises(AssessmentError) as info:
        facility_trend(
            FW, [(date(2023, 1, 1), y1.score(FW)), (date(2024, 1, 1), y2.score(FW, weight_set="2"))]
        )
    assert info.value.field == "weight_set"
    cmp = compare_facilities(
        FW, {"HOSP": y2.score(FW), "JRR": _assessed(reactor(), "4", date(2024, 1, 1)).score(FW)}
    )
    assert cmp["facilities"] == ["HOSP", "JRR"] and cmp["codes"][0] == ""
    assert [row[0] for row in cmp["maturity"]] == [75.0, 100.0]
