"""Facility pages: the list, a facility with its computed INFCIRC/225 categories (from
the holdings: 7 kg of 93 % U is category I), its assessments with scores per node and
overall, the score-over-time chart (one point per readable assessment, at its score),
and a hidden facility: absent from the list and 404 like an absent id."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.assessments import assess_facility, assessment_questions
from nucsec.service.facilities import add_facility
from nucsec.service.users import principal_of
from tests.web.conftest import client_of, sign_in

ABSENT = "00000000-0000-4000-8000-000000000000"
REACTOR = {
    "id": "FAC-T-1", "name": "Test research reactor", "operator": "Test University",
    "type": "research_reactor", "nation": "USA",
    "holdings": [{"area": "vault", "items": [
        {"kind": "material", "material": "U", "mass_g": 7000, "enrichment_pct": 93}]}],
}  # fmt: skip


def _answers(node: Node, who: Any, fac: str, on: str, value: str) -> dict[str, Any]:
    import datetime as dt

    questions = assessment_questions(node, who, fac, dt.date.fromisoformat(on))
    return {"assessed_on": on, "answers": [{"question": q, "value": value} for q in questions]}


def test_facility_page_categories_scores_and_chart(fresh_node: Node) -> None:
    node = fresh_node
    doe = principal_of(node, "doe.analyst")
    shared = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    fac = add_facility(node, doe, dict(REACTOR), shared)
    first = assess_facility(
        node, doe, fac.id, _answers(node, doe, fac.id, "2025-03-01", "1"), shared
    )
    second = assess_facility(
        node, doe, fac.id, _answers(node, doe, fac.id, "2026-03-01", "3"), shared
    )
    noforn = parse_banner("SECRET//NOFORN", node.ctx)
    hidden_assessment = assess_facility(
        node, doe, fac.id, _answers(node, doe, fac.id, "2026-06-01", "4"), noforn
    )
    hidden_fac = add_facility(
        node, doe, {**REACTOR, "id": "FAC-T-2", "name": "Secret site"}, noforn
    )

    us = client_of(node)
    sign_in(us, "doe.analyst")
    reads = _reads(node, fac.id)
    page = us.get(f"/facilities/{fac.id}").text
    assert _reads(node, fac.id) == reads + 1  # one audited read of the facility per page
    assert re.search(r'data-testid="material-categories">I<', page)  # computed, not typed
    points = re.findall(r'class="point-maturity" data-date="([^"]+)" data-value="([^"]+)"', page)
    assert [d for d, _ in points] == ["2025-03-01", "2026-03-01", "2026-06-01"]
    overall = [float(v) for _, v in points]
    assert overall == sorted(overall) and overall[0] < overall[-1]  # better answers, higher
    assert first.scores["overall"]["maturity"] == overall[0]
    assert f'data-assessment="{hidden_assessment.id}"' in page
    assert _banner_of(page) == "SECRET//NOFORN"  # the page shows a NOFORN assessment

    jp = client_of(node)
    sign_in(jp, "npa.analyst")
    listing = jp.get("/facilities").text
    assert fac.id in listing and hidden_fac.id not in listing and "Secret site" not in listing
    page = jp.get(f"/facilities/{fac.id}").text
    dates = re.findall(r'class="point-maturity" data-date="([^"]+)"', page)
    assert dates == ["2025-03-01", "2026-03-01"]  # the NOFORN assessment is not there
    assert hidden_assessment.id not in page and f'data-assessment="{second.id}"' in page
    assert _banner_of(page) == "極秘//REL TO USA, JPN"  # the reader's scheme first
    assert 'data-node="' in page and "overall maturity" in page
    h, a = jp.get(f"/facilities/{hidden_fac.id}"), jp.get(f"/facilities/{ABSENT}")
    assert h.status_code == a.status_code == 404
    assert h.text.replace(hidden_fac.id, "") == a.text.replace(ABSENT, "")


def _reads(node: Node, record_id: str) -> int:
    """How many audited reads of the facility ``record_id`` the log holds."""
    with node.engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(
                audit_events.c.action == "record.read",
                audit_events.c.object_ref.like(f"facility:{record_id}#%"),
            )
        ).scalar_one()


def _banner_of(page: str) -> str:
    top = re.search(r'data-testid="banner-top">\s*<span[^>]*>([^<]+)<', page)
    assert top is not None
    return top.group(1)


def test_facility_page_shows_culture_by_layer_and_staff_group(fresh_node: Node) -> None:
    """The facility page's "Security culture" section: per round, each layer's shares for
    each staff group (a group below the minimum suppressed), no overall number; a survey the
    reader may not read is absent, and the banner covers the surveys shown."""
    from nucsec.service.surveys import add_survey

    node = fresh_node
    doe = principal_of(node, "doe.analyst")
    shared = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    fac = add_facility(node, doe, dict(REACTOR), shared)

    def answers(group: str, value: str) -> dict[str, Any]:
        return {"staff_group": group, "answers": {"CS-01": value, "CS-02": value}}

    groups = ["operations", "security"]
    responses = [answers("operations", "agree")] * 5 + [answers("security", "disagree")] * 2
    record = {"held_on": "2025-04-01", "staff_groups": groups, "responses": responses}
    add_survey(node, doe, fac.id, record, shared)
    hidden = {**record, "held_on": "2026-04-01"}
    add_survey(node, doe, fac.id, hidden, parse_banner("SECRET//NOFORN", node.ctx))

    us = client_of(node)
    sign_in(us, "doe.analyst")
    page = us.get(f"/facilities/{fac.id}").text
    assert re.findall(r'class="culture" data-round="([^"]+)"', page) == [
        "2025-04-01",
        "2026-04-01",
    ]
    assert "100.0% agree, 0.0% disagree" in page  # operations: five agree
    assert "fewer than the minimum of respondents" in page  # security: two respondents

    jp = client_of(node)
    sign_in(jp, "npa.analyst")
    page = jp.get(f"/facilities/{fac.id}").text
    assert re.findall(r'class="culture" data-round="([^"]+)"', page) == ["2025-04-01"]
    assert "2026-04-01" not in page
    assert _banner_of(page) == "極秘//REL TO USA, JPN"
