"""The case API's read paths: list with stages, one case, the rendered report; a case the
caller may not read answers 404 exactly like an absent one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.case_reports import issue_report
from nucsec.service.cases import add_sample, open_case
from nucsec.service.users import principal_of

ABSENT = "00000000-0000-4000-8000-000000000000"


def test_case_routes(demo_node: Node, api_of: Callable[..., Any]) -> None:
    chief = principal_of(demo_node, "doe.chief")
    label = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    case = open_case(demo_node, chief, "API vial", label)
    add_sample(
        demo_node, chief, case.id, sample_id="S-1", description="API powder", mass_g=1.0,
        container="vial", where="port", label=label,
    )  # fmt: skip
    issue_report(demo_node, chief, case.id, "preliminary")
    client, doe = api_of("doe.chief")
    listed = client.get("/api/v1/cases", headers=doe).json()
    row = next(c for c in listed if c["id"] == case.id)
    assert row["stage"] == "interim" and row["overdue"] is False
    shown = client.get(f"/api/v1/cases/{case.id}", headers=doe).json()
    assert shown["samples"][0]["id"] == "S-1"
    assert "report" not in shown["portions"]["report.0"]["value"]
    html = client.get(f"/api/v1/cases/{case.id}/report", headers=doe)
    assert html.status_code == 200 and "API powder" in html.text
    assert html.headers["content-type"].startswith("text/html")
    # dhs.analyst (CONFIDENTIAL) may not read the SECRET case: 404 like an absent one
    client, dhs = api_of("dhs.analyst")
    for suffix in ("", "/report"):
        hidden = client.get(f"/api/v1/cases/{case.id}{suffix}", headers=dhs)
        absent = client.get(f"/api/v1/cases/{ABSENT}{suffix}", headers=dhs)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["error"] == absent.json()["error"]
    assert case.id not in [c["id"] for c in client.get("/api/v1/cases", headers=dhs).json()]


def test_attach_a_library_match(demo_node: Node, api_of: Callable[..., Any]) -> None:
    """``POST /cases/{id}/matches`` keeps the answer of ``POST /library/match`` with the case
    (the same service function as ``nucsec case attach-match``); a malformed answer is a
    422 naming the field and changes nothing; a hidden case answers 404."""
    from nucsec.service import library
    from tests.cases.test_case_library import SAMPLE, _entry

    chief = principal_of(demo_node, "doe.chief")
    rel = parse_banner("CUI//REL TO USA, JPN", demo_node.ctx)
    library.add_entry(demo_node, chief, _entry("MILL-API", 88.0, 0.0072392, "2010-01-01"), rel)
    secret = parse_banner("SECRET//REL TO USA, JPN", demo_node.ctx)
    case = open_case(demo_node, chief, "API drum", secret)
    client, doe = api_of("doe.chief")
    answer = client.post("/api/v1/library/match", json={"sample": SAMPLE}, headers=doe).json()
    assert "MILL-API" in [c["entry"] for c in answer["candidates"]]
    url = f"/api/v1/cases/{case.id}/matches"
    body = {"sample": SAMPLE, "match": answer, "label": "SECRET//REL TO USA, JPN"}
    bad = client.post(url, json={**body, "match": {"conclusion": "x"}}, headers=doe)
    assert bad.status_code == 422 and "match" in bad.json()["field"], bad.text
    kept = client.post(url, json=body, headers=doe)
    assert kept.status_code == 200, kept.text
    assert [p for p in kept.json()["portions"] if p.startswith("match.")] == ["match.0"]
    client, dhs = api_of("dhs.analyst")  # may not read the SECRET case: 404 like an absent one
    hidden = client.post(url, json=body, headers=dhs)
    absent = client.post(f"/api/v1/cases/{ABSENT}/matches", json=body, headers=dhs)
    assert hidden.status_code == absent.status_code, (hidden.text, absent.text)
    assert hidden.json()["error"] == absent.json()["error"]
