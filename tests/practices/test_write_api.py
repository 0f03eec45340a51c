"""REST write routes of practices and facilities: the CLI's services and checks, typed
errors naming the field (422, nothing written), the monitor on every step (a hidden
practice cannot be endorsed: 404 like an absent one)."""

from __future__ import annotations

from sqlalchemy import func, select

from nucsec.store.schema import records
from tests.web.conftest import bearer, client_of

REL = "SECRET//REL TO USA, JPN"
API = "/api/v1"


def _records(node, kind):
    with node.engine.connect() as conn:
        return conn.execute(select(func.count()).where(records.c.kind == kind)).scalar()


def test_add_propose_endorse_a_practice_and_refuse_bad_input(demo_node):
    node = demo_node
    client = client_of(node)
    analyst, chief = bearer(node, "doe.analyst"), bearer(node, "doe.chief")
    body = {
        "title": "核物質の二人規則",
        "summary": "No one is alone with Category I material.",
        "topic": "insider_threat",
        "label": REL,
        "code": "BP-77",
        "applicability": ["cat:I", "theft"],
        "citations": ["NSS-8:preventive measures"],
    }
    made = client.post(f"{API}/practices", json=body, headers=analyst)
    assert made.status_code == 201, made.text
    view = made.json()
    assert (view["code"], view["status"], view["owner_agency"]) == ("BP-77", "draft", "USA.DOE")
    npa = bearer(node, "npa.analyst")
    found = client.get(f"{API}/practices", params={"q": "核物質"}, headers=npa).json()
    assert [i["id"] for i in found["items"]] == [view["id"]]
    # bad input: 422 naming the field, nothing written
    before = _records(node, "practice")
    for change, field in (
        ({"topic": "gardening"}, "topic"),
        ({"applicability": ["cat:IV"]}, "applicability[0]"),
        ({"label": "SECRET//NO SUCH CONTROL"}, "label.compartments"),
        ({"status": "endorsed"}, "status"),
        ({"extra": 1}, "extra"),
    ):
        bad = client.post(f"{API}/practices", json={**body, **change}, headers=analyst)
        assert bad.status_code == 422, (change, bad.text)
        assert bad.json()["field"] == field, (change, bad.json())
    assert _records(node, "practice") == before
    # endorsement: proposed first, an officer, an officer of each nation, a real date
    pid = view["id"]
    endorse = {"meeting": "NSWG 9", "date": "2026-06-01", "officers": ["JPN.MEXT:mext.chief"]}
    early = client.post(f"{API}/practices/{pid}/endorse", json=endorse, headers=chief)
    assert early.status_code == 409
    assert client.post(f"{API}/practices/{pid}/propose", headers=analyst).json()["status"] == (
        "proposed"
    )
    denied = client.post(f"{API}/practices/{pid}/endorse", json=endorse, headers=analyst)
    assert denied.status_code == 403
    for change, field in (
        ({"date": "1 June"}, "date"),
        ({"officers": ["mext.chief"]}, "officers[0]"),
        ({"officers": []}, "endorsement.officers"),
    ):
        bad = client.post(
            f"{API}/practices/{pid}/endorse", json={**endorse, **change}, headers=chief
        )
        assert bad.status_code == 422 and bad.json()["field"] == field, bad.json()
    done = client.post(f"{API}/practices/{pid}/endorse", json=endorse, headers=chief)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "endorsed" and done.json()["version"] == 3
    officers = done.json()["endorsement"]["officers"]
    assert {(o["nation"], o["name"]) for o in officers} == {
        ("USA", "doe.chief"),
        ("JPN", "mext.chief"),
    }


def test_hidden_practice_cannot_be_endorsed_or_proposed_through_the_api(demo_node):
    node = demo_node
    client = client_of(node)
    body = {"title": "US only", "summary": "S.", "topic": "sabotage", "label": "SECRET//NOFORN"}
    pid = client.post(f"{API}/practices", json=body, headers=bearer(node, "doe.analyst")).json()[
        "id"
    ]
    jp = bearer(node, "mext.chief")
    absent = "00000000-0000-4000-8000-000000000000"
    for target in (pid, absent):
        answer = client.post(f"{API}/practices/{target}/propose", headers=jp)
        assert answer.status_code == 404
    assert client.get(f"{API}/practices/{pid}", headers=bearer(node, "doe.analyst")).json()[
        "status"
    ] == ("draft")


def test_add_a_facility_and_record_an_assessment(demo_node):
    node = demo_node
    client = client_of(node)
    doe = bearer(node, "doe.analyst")
    facility = {
        "name": "Hospital",
        "operator": "City",
        "type": "source_user",
        "holdings": [
            {
                "area": "teletherapy room",
                "items": [
                    {
                        "kind": "source",
                        "nuclide": "Co-60",
                        "activity_bq": 2.2e14,
                        "reference_date": "2026-01-15",
                    }
                ],
            }
        ],
    }
    made = client.post(f"{API}/facilities", json={"facility": facility, "label": REL}, headers=doe)
    assert made.status_code == 201, made.text
    fac = made.json()
    assert fac["profile"]["source_categories"] == [1]  # computed, not typed in
    before = (_records(node, "facility"), _records(node, "assessment"))
    bad_type = client.post(
        f"{API}/facilities",
        json={"facility": {**facility, "type": "castle"}, "label": REL},
        headers=doe,
    )
    assert bad_type.status_code == 422 and bad_type.json()["field"] == "type"
    assessment = {"assessed_on": "2026-03-01", "answers": [{"question": "NOPE", "value": "3"}]}
    bad = client.post(
        f"{API}/facilities/{fac['id']}/assessments",
        json={"assessment": assessment, "label": REL},
        headers=doe,
    )
    assert bad.status_code == 422 and "NOPE" in (bad.json()["field"] or ""), bad.json()
    assert (_records(node, "facility"), _records(node, "assessment")) == before
    ok = client.post(
        f"{API}/facilities/{fac['id']}/assessments",
        json={"assessment": {"assessed_on": "2026-03-01"}, "label": REL},
        headers=doe,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["scores"]["overall"]["maturity"] == 0  # unanswered counts as 0
    hidden = client.post(
        f"{API}/facilities/00000000-0000-4000-8000-000000000000/assessments",
        json={"label": REL},
        headers=doe,
    )
    assert hidden.status_code == 404
    listed = client.get(f"{API}/facilities", headers=bearer(node, "npa.analyst")).json()
    assert [i["id"] for i in listed["items"]] == [fac["id"]]


def test_a_culture_survey_round_through_the_api_and_its_results(demo_node):
    node = demo_node
    client = client_of(node)
    doe, npa = bearer(node, "doe.analyst"), bearer(node, "npa.analyst")
    facility = {"name": "Lab", "operator": "Uni", "type": "laboratory", "holdings": []}
    fac = client.post(f"{API}/facilities", json={"facility": facility, "label": REL}, headers=doe)
    fid = fac.json()["id"]
    points = ["agree", "strongly_agree", "disagree", "neutral", None]
    survey = {
        "held_on": "2026-04-01",
        "staff_groups": ["operations"],
        "responses": [{"staff_group": "operations", "answers": {"CS-05": p}} for p in points],
    }
    url = f"{API}/facilities/{fid}/culture-surveys"
    bad = {**survey, "responses": [{"staff_group": "operations", "answers": {"CS-05": "yes"}}]}
    refused = client.post(url, json={"survey": bad, "label": REL}, headers=doe)
    assert refused.status_code == 422
    assert refused.json()["field"] == "responses[0].answers['CS-05']"
    assert _records(node, "culture_survey") == 0
    made = client.post(url, json={"survey": survey, "label": REL}, headers=doe)
    assert made.status_code == 201, made.text
    res = client.get(f"{API}/facilities/{fid}/culture", headers=npa).json()
    cell = next(c for c in res["cells"] if c["key"] == "CS-05")
    # 2 of the 4 who answered agree, 1 disagrees, 1 N/A
    assert (cell["agree_pct"], cell["disagree_pct"], cell["not_applicable"]) == (50.0, 25.0, 1)
    small = client.get(f"{API}/facilities/{fid}/culture?min_group_size=6", headers=npa).json()
    assert next(c for c in small["cells"] if c["key"] == "CS-05")["suppressed"]
    nobody = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"{API}/facilities/{nobody}/culture", headers=npa).status_code == 404
