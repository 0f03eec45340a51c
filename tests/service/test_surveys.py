"""Security-culture surveys as labelled records: results by staff group and round worked
out by hand, N/A apart from the shares, no overall number, a hidden survey absent from
a reader's results, typed errors with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from nucsec.errors import NotFoundError
from nucsec.markings import parse_banner
from nucsec.practices import SurveyError
from nucsec.service.facilities import add_facility
from nucsec.service.surveys import add_survey, facility_surveys, get_survey, survey_results
from nucsec.service.users import principal_of
from nucsec.store.schema import records

REL = "SECRET//REL TO USA, JPN"
NOFORN = "SECRET//NOFORN"
GROUPS = ["operations", "security"]


def _facility(node):
    record = {"name": "Lab", "operator": "Op", "type": "laboratory", "holdings": []}
    return add_facility(
        node, principal_of(node, "doe.analyst"), record, parse_banner(REL, node.ctx)
    )


def _r(group, cs01, cs02="agree", comment=None):
    out = {"staff_group": group, "answers": {"CS-01": cs01, "CS-02": cs02}}
    if comment:
        out["comments"] = {"CS-01": comment}
    return out


def _add(node, fac, held_on, responses, banner=REL):
    record = {"held_on": held_on, "staff_groups": GROUPS, "responses": responses}
    return add_survey(
        node, principal_of(node, "doe.analyst"), fac.id, record, parse_banner(banner, node.ctx)
    )


def _cell(res, round_, group, key):
    return next(
        c for c in res["cells"] if (c["round"], c["staff_group"], c["key"]) == (round_, group, key)
    )


def test_results_by_staff_group_and_round_worked_by_hand(demo_node):
    node = demo_node
    fac = _facility(node)
    # 2024: operations 3 agree, 1 strongly_disagree, 1 N/A on CS-01; security 5 neutral
    first = [_r("operations", v) for v in ["agree"] * 3 + ["strongly_disagree", None]]
    first[0]["comments"] = {"CS-01": "Night shift rarely sees the guards."}
    first += [_r("security", "neutral", "strongly_agree") for _ in range(5)]
    _add(node, fac, "2024-03-01", first)
    # 2025: operations 5 agree; security only 2 respondents (suppressed below 5)
    _add(node, fac, "2025-03-01", [_r("operations", "agree") for _ in range(5)]
         + [_r("security", "disagree") for _ in range(2)])  # fmt: skip
    res = survey_results(node, principal_of(node, "npa.analyst"), fac.id)
    assert res["rounds"] == ["2024-03-01", "2025-03-01"]
    assert [s["respondents"] for s in res["surveys"]] == [10, 7]
    ops = _cell(res, "2024-03-01", "operations", "CS-01")
    # N/A leaves the denominator: 3 agree of 4 answered, 1 of 4 disagree
    assert ops["respondents"] == 5 and ops["not_applicable"] == 1
    assert ops["counts"]["agree"] == 3 and ops["counts"]["strongly_disagree"] == 1
    assert ops["agree_pct"] == 75.0 and ops["disagree_pct"] == 25.0
    sec = _cell(res, "2024-03-01", "security", "CS-01")
    assert sec["agree_pct"] == 0.0 and sec["disagree_pct"] == 0.0 and sec["counts"]["neutral"] == 5
    # the beliefs layer (CS-01, CS-02) pools both items: security 5 neutral + 5 strongly agree
    layer = _cell(res, "2024-03-01", "security", "layer:beliefs")
    assert layer["agree_pct"] == 50.0 and sum(layer["counts"].values()) == 10
    small = _cell(res, "2025-03-01", "security", "CS-01")
    assert small["suppressed"] and small["counts"] == {} and small["agree_pct"] is None
    series = next(
        s for s in res["series"] if (s["staff_group"], s["key"]) == ("operations", "layer:beliefs")
    )
    # 2024: CS-01 3 agree + CS-02 5 agree of 9 answered; 2025: 10 of 10
    assert series["agree_pct"] == [pytest.approx(100 * 8 / 9), 100.0]
    assert "overall" not in res and "score" not in res  # never one single number


def test_a_hidden_survey_is_absent_from_a_readers_results(demo_node):
    node = demo_node
    fac = _facility(node)
    shared = _add(node, fac, "2024-03-01", [_r("operations", "agree") for _ in range(5)])
    hidden = _add(node, fac, "2025-03-01", [_r("operations", "disagree") for _ in range(5)], NOFORN)
    jp = principal_of(node, "npa.analyst")
    res = survey_results(node, jp, fac.id)
    assert [s["id"] for s in res["surveys"]] == [shared.id]
    assert res["rounds"] == ["2024-03-01"]
    assert all(c["round"] == "2024-03-01" for c in res["cells"])
    with pytest.raises(NotFoundError):
        get_survey(node, jp, hidden.id)
    us = survey_results(node, principal_of(node, "doe.analyst"), fac.id)
    assert us["rounds"] == ["2024-03-01", "2025-03-01"]
    assert [s.id for s in facility_surveys(node, jp, fac.id)] == [shared.id]


def test_no_readable_survey_gives_empty_results_not_zero(demo_node):
    node = demo_node
    fac = _facility(node)
    res = survey_results(node, principal_of(node, "npa.analyst"), fac.id)
    assert res["surveys"] == [] and res["cells"] == [] and res["rounds"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"responses": [_r("operations", "maybe")]}, "responses[0].answers['CS-01']"),
        ({"responses": [_r("cleaners", "agree")]}, "responses[0].staff_group"),
        ({"responses": [{"staff_group": "operations", "answers": {"CS-99": "agree"}}]},
         "responses[0].answers['CS-99']"),
        ({"responses": []}, "responses"),
        ({"staff_groups": ["ops", "ops"]}, "staff_groups"),
        ({"held_on": "2024-13-01"}, "held_on"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_writes_nothing(demo_node, change, field):
    node = demo_node
    fac = _facility(node)
    record = {
        "held_on": "2024-03-01",
        "staff_groups": GROUPS,
        "responses": [_r("operations", "agree")],
    }
    record.update(change)
    with node.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(records)).scalar()
    with pytest.raises(SurveyError) as err:
        add_survey(
            node, principal_of(node, "doe.analyst"), fac.id, record, parse_banner(REL, node.ctx)
        )
    assert err.value.field == field
    with node.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar() == before


def test_a_hidden_facility_cannot_be_surveyed_or_queried(demo_node):
    node = demo_node
    record = {"name": "Lab", "operator": "Op", "type": "laboratory", "holdings": []}
    fac = add_facility(
        node, principal_of(node, "doe.analyst"), record, parse_banner(NOFORN, node.ctx)
    )
    jp = principal_of(node, "npa.analyst")
    with pytest.raises(NotFoundError):
        survey_results(node, jp, fac.id)
    with pytest.raises(NotFoundError):
        add_survey(
            node,
            jp,
            fac.id,
            {
                "held_on": "2024-03-01",
                "staff_groups": GROUPS,
                "responses": [_r("operations", "agree")],
            },
            parse_banner(REL, node.ctx),
        )


def test_the_meeting_report_shows_culture_by_group_and_layer(demo_node):
    from nucsec.service.practice_report import meeting_data, meeting_report

    node = demo_node
    fac = _facility(node)
    _add(node, fac, "2024-03-01", [_r("operations", "agree", "disagree") for _ in range(5)])
    hidden = _add(node, fac, "2025-03-01", [_r("operations", "disagree") for _ in range(5)], NOFORN)
    jp = principal_of(node, "npa.analyst")
    data = meeting_data(node, jp, "USA")
    assert [s.id for s in data.surveys[fac.id]] != [] and hidden.id not in {
        s.id for s in data.surveys[fac.id]
    }
    section = next(
        s for s in meeting_report(node, data).sections if s.heading == "Security culture"
    )
    rows = [r for b in section.blocks for r in getattr(b, "rows", ())]
    # beliefs: CS-01 5 agree, CS-02 5 disagree -> 50 % / 50 %; the NOFORN round absent
    assert ("2024-03-01", "operations", "beliefs", "5", "50.0", "50.0", "0") in rows
    assert not any(r[0] == "2025-03-01" for r in rows)


def test_the_demo_seeds_two_survey_rounds_per_facility(demo_node):
    from nucsec.demo_practices import SURVEY_GROUPS, SURVEY_SIZE, seed_practices
    from nucsec.service.facilities import list_facilities

    node = demo_node
    seed_practices(node, {"USA", "JPN"})
    doe = principal_of(node, "doe.analyst")
    fac = list_facilities(node, doe, limit=50).items[0]
    res = survey_results(node, doe, fac.id)
    assert len(res["rounds"]) == 2 and res["staff_groups"] == list(SURVEY_GROUPS)
    assert [s["respondents"] for s in res["surveys"]] == [SURVEY_SIZE * len(SURVEY_GROUPS)] * 2
    cells = [c for c in res["cells"] if not c["suppressed"]]
    assert cells and any(c["not_applicable"] for c in cells)
