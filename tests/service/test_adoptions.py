"""Adoption of practices as labelled records: rates recomputed by hand, hidden adoptions,
practices and facilities absent from lists, counts and rates, typed errors with nothing
written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from nucsec.errors import NotFoundError
from nucsec.markings import parse_banner
from nucsec.practices import Officer, PracticeError
from nucsec.service import labelled
from nucsec.service.adoptions import (
    ADOPTION,
    add_adoption,
    adoption_summary,
    get_adoption,
    list_adoptions,
)
from nucsec.service.facilities import add_facility
from nucsec.service.practices import add_practice, endorse_practice, propose_practice
from nucsec.service.users import principal_of
from nucsec.store.schema import records

REL = "SECRET//REL TO USA, JPN"
NOFORN = "SECRET//NOFORN"
JPN_REL = "極秘//REL TO USA, JPN"


def _label(node, banner):
    return parse_banner(banner, node.ctx)


def _practice(node, code, banner=REL):
    record = {"id": code, "title": f"Practice {code}", "summary": "S.", "topic": "insider_threat"}
    return add_practice(node, principal_of(node, "doe.analyst"), record, _label(node, banner))


def _facility(node, name, banner=REL):
    record = {"name": name, "operator": "Op", "type": "laboratory", "holdings": []}
    return add_facility(node, principal_of(node, "doe.analyst"), record, _label(node, banner))


def _adopt(node, practice, on, facility=None, status="adopted", banner=REL, user="doe.analyst"):
    return add_adoption(
        node,
        principal_of(node, user),
        practice.id,
        on=on,
        evidence="Procedure revised; audit record.",
        label=_label(node, banner),
        facility_id=None if facility is None else facility.id,
        status=status,
    )


@pytest.fixture
def adopted(demo_node):
    node = demo_node
    chief = principal_of(node, "doe.chief")
    bp1, bp2 = _practice(node, "BP-1"), _practice(node, "BP-2")
    propose_practice(node, chief, bp1.id)
    endorse_practice(
        node,
        chief,
        bp1.id,
        meeting="NSWG 3",
        on=date(2011, 6, 1),
        officers=(Officer("JPN", "MEXT", "mext.chief"),),
        officer_name="doe.chief",
    )
    f1, f2, f3 = (
        _facility(node, "Lab one"),
        _facility(node, "Lab two"),
        _facility(node, "Lab 3", NOFORN),
    )
    made = {
        "agency": _adopt(node, bp1, date(2011, 7, 1)),
        "f1": _adopt(node, bp1, date(2012, 3, 1), f1),
        "f2_going": _adopt(node, bp1, date(2012, 5, 1), f2, status="in_progress"),
        "f2": _adopt(node, bp1, date(2013, 2, 1), f2),
        "f3": _adopt(node, bp1, date(2012, 1, 1), f3, banner=NOFORN),
        "f2_hidden": _adopt(node, bp1, date(2011, 9, 1), f2, banner=NOFORN),
        "bp2": _adopt(node, bp2, date(2012, 1, 1), f1),
    }
    return node, {"bp1": bp1, "bp2": bp2, "f1": f1, "f2": f2, "f3": f3}, made


def _rates(summary, practice_id):
    entry = next(p for p in summary["practices"] if p["id"] == practice_id)
    return dict(zip(summary["years"], entry["rates"] or [], strict=False)), entry


def test_rates_per_year_are_the_share_of_readable_facilities(adopted):
    node, rec, _ = adopted
    # USA reads 3 facilities. BP-1 adopted by the end of 2011: f2 (the NOFORN adoption
    # of 2011-09-01) -> 1/3; by the end of 2012: f1, f2, f3 -> 3/3.
    usa = adoption_summary(node, principal_of(node, "doe.analyst"))
    assert usa["years"][0] == 2011 and usa["facilities"] == 3
    rates, _ = _rates(usa, rec["bp1"].id)
    assert rates[2011] == pytest.approx(100 / 3)
    assert rates[2012] == rates[2013] == 100.0
    # Japan reads 2 facilities (f3 is NOFORN) and not the NOFORN adoptions: by the end of
    # 2011 none, 2012 f1 (1/2), 2013 f1 and f2 (the in-progress one does not count).
    jpn = adoption_summary(node, principal_of(node, "npa.analyst"))
    assert jpn["facilities"] == 2
    rates, entry = _rates(jpn, rec["bp1"].id)
    assert (rates[2011], rates[2012], rates[2013]) == (0.0, 50.0, 100.0)
    assert jpn["overall"][:3] == [0.0, 50.0, 100.0]  # only BP-1 is endorsed
    f1, f2 = f"facility:{rec['f1'].id}", f"facility:{rec['f2'].id}"
    assert entry["adopters"] == {
        "planned": [],
        "in_progress": [f2],
        "adopted": sorted(["USA.DOE", f1, f2]),
    }
    assert f"facility:{rec['f3'].id}" not in str(jpn)


def test_a_practice_never_endorsed_is_listed_without_rates(adopted):
    node, rec, _ = adopted
    summary = adoption_summary(node, principal_of(node, "npa.analyst"))
    rates, entry = _rates(summary, rec["bp2"].id)
    assert rates == {} and entry["adopters"]["adopted"] == [f"facility:{rec['f1'].id}"]


def test_hidden_adoptions_are_absent_and_not_found(adopted):
    node, rec, made = adopted
    jpn = principal_of(node, "npa.analyst")
    seen = {a.id for a in list_adoptions(node, jpn)}
    assert seen == {made[k].id for k in ("agency", "f1", "f2_going", "f2", "bp2")}
    assert labelled.count(node, jpn, ADOPTION) == 5
    assert labelled.count(node, principal_of(node, "doe.analyst"), ADOPTION) == 7
    with pytest.raises(NotFoundError):
        get_adoption(node, jpn, made["f3"].id)
    assert {a.id for a in list_adoptions(node, jpn, rec["bp2"].id)} == {made["bp2"].id}


def _count(node):
    with node.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(records).where(records.c.kind == "adoption")
        ).scalar_one()


def test_bad_adoption_names_the_field_and_writes_nothing(demo_node):
    node = demo_node
    bp = _practice(node, "BP-9")
    hidden = _practice(node, "BP-8", NOFORN)
    lab = _facility(node, "Hidden lab", NOFORN)
    with pytest.raises(PracticeError) as bad:
        _adopt(node, bp, date(2012, 1, 1), status="done")
    assert bad.value.field == "adoption.status"
    with pytest.raises(PracticeError) as long:
        add_adoption(
            node,
            principal_of(node, "doe.analyst"),
            bp.id,
            on=date(2012, 1, 1),
            evidence="x" * 20_001,
            label=_label(node, REL),
        )
    assert long.value.field == "adoption.evidence"
    with pytest.raises(NotFoundError):  # a practice the author may not read
        _adopt(node, hidden, date(2012, 1, 1), banner=JPN_REL, user="npa.analyst")
    with pytest.raises(NotFoundError):  # a facility the author may not read
        _adopt(node, bp, date(2012, 1, 1), lab, banner=JPN_REL, user="npa.analyst")
    assert _count(node) == 0
    made = _adopt(node, bp, date(2012, 1, 1), banner=JPN_REL, user="npa.analyst")
    assert made.adopter == "JPN.NPA" and made.practice_code == "BP-9" and _count(node) == 1


def test_meeting_report_has_an_adoption_section(adopted):
    from nucsec.service.practice_report import RATE_YEARS, meeting_data, meeting_report

    node, rec, _ = adopted
    npa = principal_of(node, "npa.analyst")
    report = meeting_report(node, meeting_data(node, npa, "USA"))
    section = next(s for s in report.sections if s.heading == "Adoption")
    adopters, rates = section.blocks
    row = next(r for r in adopters.rows if r[0] == "BP-1")
    assert row[2] == ", ".join(
        sorted(["USA.DOE", f"facility:{rec['f1'].id}", f"facility:{rec['f2'].id}"])
    )
    assert row[3] == f"facility:{rec['f2'].id}" and row[4] == "-"
    assert rec["f3"].id not in str(adopters.rows)
    # BP-1 rate over the two facilities Japan reads: 100 % from 2013 on
    assert len(rates.columns) == 1 + RATE_YEARS and rates.rows[0][0] == "BP-1"
    assert rates.rows[0][1:] == ("100.0",) * RATE_YEARS
    assert rates.rows[-1][0] == "all endorsed"
