"""REST read routes of the practice catalogue and facilities: the search answer (items,
total, facets) and the detail obey the monitor exactly like the CLI; a hidden practice
is absent from the search and "not found" like an absent one."""

from __future__ import annotations

from nucsec.markings import parse_banner
from nucsec.service.assessments import assess_facility
from nucsec.service.facilities import add_facility
from nucsec.service.practices import add_practice
from nucsec.service.users import principal_of
from tests.web.conftest import bearer, client_of


def test_practice_search_detail_and_facility_score(fresh_node):
    node = fresh_node
    doe = principal_of(node, "doe.analyst")
    shared = add_practice(
        node,
        doe,
        {
            "id": "BP-1",
            "title": "核物質の二人規則",
            "summary": "Insiders.",
            "topic": "insider_threat",
        },
        parse_banner("SECRET//REL TO USA, JPN", node.ctx),
    )
    hidden = add_practice(
        node,
        doe,
        {"id": "BP-2", "title": "Insider files", "summary": "S.", "topic": "sabotage"},
        parse_banner("SECRET//NOFORN", node.ctx),
    )
    client = client_of(node)
    npa, us = bearer(node, "npa.analyst"), bearer(node, "doe.analyst")
    found = client.get("/api/v1/practices", params={"q": "insider"}, headers=npa).json()
    assert [i["id"] for i in found["items"]] == [shared.id] and found["total"] == 1
    assert "sabotage" not in found["facets"]["topic"]
    assert client.get("/api/v1/practices", params={"q": "insider"}, headers=us).json()["total"] == 2
    ja = client.get("/api/v1/practices", params={"q": "核物質"}, headers=npa).json()
    assert ja["total"] == 1
    assert client.get(f"/api/v1/practices/{shared.id}", headers=npa).json()["code"] == "BP-1"
    gone = client.get(f"/api/v1/practices/{hidden.id}", headers=npa)
    absent = client.get("/api/v1/practices/00000000-0000-4000-8000-000000000000", headers=npa)
    assert gone.status_code == absent.status_code == 404
    assert gone.json()["error"] == absent.json()["error"]
    bad = client.get("/api/v1/practices", params={"topic": "gardening"}, headers=npa)
    assert bad.status_code == 422 and bad.json()["field"] == "topic"
    label = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    fac = add_facility(node, doe, {"name": "Lab", "operator": "O", "type": "laboratory"}, label)
    assess_facility(node, doe, fac.id, {"assessed_on": "2026-01-01"}, label)
    listed = client.get("/api/v1/facilities", headers=npa).json()
    assert [i["id"] for i in listed["items"]] == [fac.id]
    scored = client.get(f"/api/v1/facilities/{fac.id}/score", headers=npa).json()
    assert scored["overall"]["maturity"] == 0 and scored["nodes"]


def test_adoption_post_and_rates(fresh_node):
    node = fresh_node
    doe = principal_of(node, "doe.analyst")
    rel = parse_banner("SECRET//REL TO USA, JPN", node.ctx)
    bp = add_practice(
        node, doe, {"id": "BP-1", "title": "T", "summary": "S.", "topic": "insider_threat"}, rel
    )
    fac = add_facility(node, doe, {"name": "Lab", "operator": "O", "type": "laboratory"}, rel)
    client = client_of(node)
    us, npa = bearer(node, "doe.analyst"), bearer(node, "npa.analyst")
    body = {"date": "2013-04-01", "evidence": "Procedure.", "label": "SECRET//NOFORN"}
    made = client.post(
        f"/api/v1/practices/{bp.id}/adoptions", json={**body, "facility": fac.id}, headers=us
    )
    assert made.status_code == 201, made.text
    assert made.json()["adopter"] == f"facility:{fac.id}"
    bad = client.post(
        f"/api/v1/practices/{bp.id}/adoptions", json={**body, "date": "x"}, headers=us
    )
    assert bad.status_code == 422 and bad.json()["field"] == "date"
    mine = client.get("/api/v1/adoptions", headers=us).json()
    assert mine["practices"][0]["adoptions"] == [made.json()["id"]]
    theirs = client.get("/api/v1/adoptions", headers=npa).json()  # the adoption is NOFORN
    assert theirs["practices"][0]["adoptions"] == [] and theirs["facilities"] == 1
