"""Facilities and their self-assessments as labelled records: categories computed from
the holdings, questions chosen by them, scores computed (never typed in) and recomputed
by hand, typed errors with nothing written, hidden records not found."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from nucsec.errors import InputError, NotFoundError
from nucsec.markings import parse_banner
from nucsec.practices import ScaleError, shipped_frameworks
from nucsec.service.assessments import assess_facility, facility_assessments, get_assessment
from nucsec.service.facilities import add_facility, get_facility, list_facilities
from nucsec.service.users import principal_of
from nucsec.store.schema import records

REL = "SECRET//REL TO USA, JPN"

REACTOR = {
    "name": "University research reactor",
    "operator": "State university",
    "type": "research_reactor",
    "holdings": [
        {
            "area": "fresh fuel vault",
            "items": [{"kind": "material", "material": "U", "mass_g": 8000, "enrichment_pct": 93}],
        }
    ],
}
HOSPITAL = {
    "name": "City hospital",
    "operator": "City",
    "type": "source_user",
    "holdings": [
        {
            "area": "teletherapy room",
            "items": [
                {
                    "kind": "source",
                    "nuclide": "Co-60",
                    "activity_bq": 2e14,
                    "reference_date": "2025-06-01",
                }
            ],
        }
    ],
}


def _add(node, user, record, banner=REL):
    return add_facility(node, principal_of(node, user), record, parse_banner(banner, node.ctx))


def test_categories_are_computed_from_the_holdings(demo_node):
    reactor = _add(demo_node, "doe.analyst", REACTOR)
    hospital = _add(demo_node, "doe.analyst", HOSPITAL)
    assert reactor.profile["material_categories"] == ["I"]
    assert "cat:I" in reactor.profile["tags"] and "sabotage" in reactor.profile["tags"]
    assert hospital.profile["source_categories"] == [1]
    assert hospital.profile["security_levels"] == ["A"]
    seen = get_facility(demo_node, principal_of(demo_node, "npa.analyst"), reactor.id)
    assert seen.holdings is not None and seen.code.startswith("FAC-")
    listed = list_facilities(demo_node, principal_of(demo_node, "npa.analyst"))
    assert {i.id for i in listed.items} == {reactor.id, hospital.id}


def test_assessment_scores_match_a_hand_roll_up(demo_node):
    node = demo_node
    fac = _add(node, "doe.analyst", HOSPITAL)
    doe = principal_of(node, "doe.analyst")
    blank = assess_facility(node, doe, fac.id, {"assessed_on": "2026-01-01"}, fac_label(node))
    asked = blank.portions["answers"].value["questions"]
    fw = shipped_frameworks()["nucsec-facility"]
    assert blank.scores["overall"]["maturity"] == 0  # unanswered counts as 0
    assert blank.scores["overall"]["unanswered"] == len(asked) > 0
    # a source user is asked nothing that names only nuclear material categories
    for q in asked:
        holding = fw.node(q).applicability.dimension("holding")
        assert not holding or "level:A" in holding, q
    # every applicable question fully in place except one N/A: every score is 100
    answers = [{"question": q, "value": "4"} for q in asked[1:]]
    answers.append({"question": asked[0], "na_reason": "not held here"})
    full = assess_facility(
        node, doe, fac.id, {"assessed_on": "2026-06-01", "answers": answers}, fac_label(node)
    )
    assert full.scores["overall"]["maturity"] == pytest.approx(100.0)
    assert full.scores["overall"]["not_applicable"] == 1
    assert [a.assessed_on for a in facility_assessments(node, doe, fac.id)] == [
        "2026-01-01",
        "2026-06-01",
    ]


def fac_label(node):
    return parse_banner(REL, node.ctx)


def test_scores_are_the_pure_core_roll_up(demo_node):
    """The stored scores equal the core's score of the stored answers (recomputed)."""
    from nucsec.practices import assessment_from_dict

    node = demo_node
    fac = _add(node, "doe.analyst", REACTOR)
    doe = principal_of(node, "doe.analyst")
    fw = shipped_frameworks()["nucsec-facility"]
    blank = assess_facility(node, doe, fac.id, {"assessed_on": "2026-01-01"}, fac_label(node))
    qs = [p for p in blank.portions["answers"].value["questions"]]
    answers = [{"question": q, "value": str(i % 5)} for i, q in enumerate(qs)]
    made = assess_facility(
        node, doe, fac.id, {"assessed_on": "2026-02-01", "answers": answers}, fac_label(node)
    )
    again = assessment_from_dict(
        {
            "id": made.code,
            "facility": fac.code,
            "framework": made.framework,
            "framework_version": made.framework_version,
            "weight_set": made.weight_set,
            "assessed_on": made.assessed_on,
            "questions": qs,
            "answers": list(made.answers or ()),
            "findings": [],
        }
    ).score(fw)
    assert made.scores == again.to_dict()
    assert 0 < made.scores["overall"]["maturity"] < 100


def test_bad_answers_name_the_field_and_write_nothing(demo_node):
    node = demo_node
    fac = _add(node, "doe.analyst", REACTOR)
    doe = principal_of(node, "doe.analyst")
    blank = assess_facility(node, doe, fac.id, {"assessed_on": "2026-01-01"}, fac_label(node))
    q = blank.portions["answers"].value["questions"][0]
    with node.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(records)).scalar()
    with pytest.raises(ScaleError) as err:
        assess_facility(
            node, doe, fac.id, {"answers": [{"question": q, "value": "9"}]}, fac_label(node)
        )
    assert err.value.field == f"answers[{q!r}].value"
    for record, field in (
        ({"answers": [{"question": q}]}, None),  # no value and no N/A reason
        ({"weight_set": "nope"}, "weight_set"),
        ({"colour": "red"}, "colour"),
    ):
        with pytest.raises(InputError) as bad:
            assess_facility(node, doe, fac.id, record, fac_label(node))
        if field:
            assert field in (bad.value.field or "")
    with pytest.raises(InputError) as bad_type:
        _add(node, "doe.analyst", {**REACTOR, "type": "castle"})
    assert bad_type.value.field == "type"
    with node.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar() == before


def test_hidden_facility_and_assessment_are_not_found(demo_node):
    node = demo_node
    fac = _add(node, "doe.analyst", REACTOR, "SECRET//NOFORN")
    doe = principal_of(node, "doe.analyst")
    made = assess_facility(
        node, doe, fac.id, {"assessed_on": "2026-01-01"}, parse_banner("SECRET//NOFORN", node.ctx)
    )
    npa = principal_of(node, "npa.analyst")
    for read in (
        lambda: get_facility(node, npa, fac.id),
        lambda: get_assessment(node, npa, made.id),
        lambda: facility_assessments(node, npa, fac.id),
    ):
        with pytest.raises(NotFoundError):
            read()
    assert list_facilities(node, npa).items == ()
