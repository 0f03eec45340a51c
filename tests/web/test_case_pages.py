"""Case pages and the case API's writes: list (stage, due, overdue, sorting), case page
(samples with custody, linked analyses, assessments on the verbal scale, issued reports
with their HTML and PDF), the forms that write a case (each through the service, audited),
and a hidden case: absent from the list, 404 like an absent id on every page and route."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from nucsec.audit.tables import audit_events
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import cases
from nucsec.service.users import principal_of
from tests.web.conftest import TestClient, bearer, client_of, sign_in

ABSENT = "00000000-0000-4000-8000-000000000000"
PICK = {"part_level": "SECRET", "part_dissem": "relto", "part_rel": "JPN"}


def _banner(page: str) -> str:
    top = re.search(r'data-testid="banner-top">\s*<span[^>]*>([^<]+)<', page)
    assert top is not None
    return top.group(1)


def _post(client: TestClient, url: str, csrf: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf, **data}, follow_redirects=False)


def _case_id(response: Any) -> str:
    assert response.status_code == 303, response.text[:2000]
    return str(response.headers["location"]).rsplit("/", 1)[1]


def _events(node: Node, action: str, record: str) -> int:
    """Audit events of ``action`` whose body names ``record``."""
    with node.engine.connect() as conn:
        query = select(audit_events.c.body).where(audit_events.c.action == action)
        return sum(1 for body in conn.execute(query).scalars() if record in str(body))


def test_open_a_case_add_sample_custody_assess_issue_and_read_the_report(
    fresh_node: Node,
) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.chief")
    form = client.get("/cases/new")
    assert form.status_code == 200 and 'name="part_level"' in form.text
    case_id = _case_id(_post(client, "/cases/new", csrf, title="Seized vial, port", **PICK))

    r = _post(
        client, f"/cases/{case_id}/samples/new", csrf, sample_id="S-1",
        description="grey powder", mass_g="2.5", container="glass vial", where="port lab",
        **PICK,
    )  # fmt: skip
    assert r.status_code == 303
    # the receiving user signs the hand-over: the signed-in user, never a typed name
    r = _post(client, f"/cases/{case_id}/custody", csrf, sample_id="S-1", where="DOE lab")
    assert r.status_code == 303
    view = cases.get_case(fresh_node, principal_of(fresh_node, "doe.chief"), case_id)
    custody = view.samples[0]["custody"]
    assert [c["where"] for c in custody] == ["port lab", "DOE lab"]
    assert custody[1]["received_by"] == principal_of(fresh_node, "doe.chief").id

    r = _post(
        client, f"/cases/{case_id}/assessments/new", csrf,
        finding="The powder is natural uranium ore concentrate.", confidence="moderate", **PICK,
    )  # fmt: skip
    assert r.status_code == 303
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "moderate support" in page.text and "LR 10 to 100" in page.text
    assert "(S//REL TO USA, JPN)" in page.text and _banner(page.text) == "SECRET//REL TO USA, JPN"
    assert 'data-testid="stage"><strong>preliminary' in page.text
    assert _events(fresh_node, "record.update", case_id) >= 3  # sample, custody, assessment

    r = _post(client, f"/cases/{case_id}/reports", csrf, stage="preliminary")
    assert r.status_code == 303
    page = client.get(f"/cases/{case_id}")
    assert 'data-testid="report-html-preliminary"' in page.text
    assert 'data-testid="stage"><strong>interim' in page.text
    html = client.get(f"/cases/{case_id}/report?stage=preliminary&format=html")
    assert html.status_code == 200 and "grey powder" in html.text
    assert "script-src" not in html.headers["content-security-policy"]  # no script at all
    assert "sha256-" in html.headers["content-security-policy"]  # only its own stylesheet
    pdf = client.get(f"/cases/{case_id}/report?stage=preliminary&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert _events(fresh_node, "record.report", case_id) == 2  # each rendering audited

    # bad input: the form again with the reason, nothing written
    version = cases.get_case(fresh_node, principal_of(fresh_node, "doe.chief"), case_id).version
    r = _post(
        client, f"/cases/{case_id}/samples/new", csrf, sample_id="S-2", description="x",
        mass_g="heavy", container="bag", where="lab", **PICK,
    )  # fmt: skip
    assert r.status_code == 422 and 'data-field="mass_g"' in r.text
    r = _post(
        client, f"/cases/{case_id}/assessments/new", csrf, finding="x", confidence="certain",
        **PICK,
    )  # fmt: skip
    assert r.status_code == 422 and 'data-field="confidence"' in r.text
    r = _post(client, f"/cases/{case_id}/reports", csrf, stage="final")
    assert r.status_code == 422
    assert 'id="case-form"' in client.get(f"/cases/{case_id}/analyses/new").text
    r = _post(client, f"/cases/{case_id}/analyses/new", csrf, analysis=ABSENT, **PICK)
    assert r.status_code == 404 and 'id="case-form"' in r.text  # the form again, saying why
    r = _post(client, "/cases/new", csrf, title="x", incidents=ABSENT, **PICK)
    assert r.status_code == 404 and "not found" in r.text
    after = cases.get_case(fresh_node, principal_of(fresh_node, "doe.chief"), case_id)
    assert after.version == version


def test_list_shows_stage_due_and_overdue_and_sorts(fresh_node: Node, monkeypatch: Any) -> None:
    chief = principal_of(fresh_node, "doe.chief")
    label = parse_banner("SECRET//REL TO USA, JPN", fresh_node.ctx)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    monkeypatch.setattr(fresh_node, "clock", lambda: start)
    old = cases.open_case(fresh_node, chief, "Alpha old case", label)
    monkeypatch.setattr(fresh_node, "clock", lambda: start + dt.timedelta(days=10))
    new = cases.open_case(fresh_node, chief, "Bravo new case", label)
    monkeypatch.setattr(fresh_node, "clock", lambda: start + dt.timedelta(days=10, hours=1))
    client = client_of(fresh_node)
    sign_in(client, "doe.chief")
    page = client.get("/cases").text
    rows = re.findall(r'<tr data-case="([^"]+)"( class="is-overdue")?>', page)
    assert [r[0] for r in rows] == [old.id, new.id]  # due soonest first
    assert rows[0][1] and not rows[1][1]  # the old case's preliminary report is overdue
    assert "1 overdue" in page
    by_updated = re.findall(r'<tr data-case="([^"]+)"', client.get("/cases?sort=updated").text)
    assert by_updated == [new.id, old.id]
    only = re.findall(r'<tr data-case="([^"]+)"', client.get("/cases?overdue=true").text)
    assert only == [old.id]


def test_hidden_case_is_absent_and_404_like_an_absent_one(fresh_node: Node) -> None:
    chief = principal_of(fresh_node, "doe.chief")
    noforn = parse_banner("SECRET//NOFORN", fresh_node.ctx)
    hidden = cases.open_case(fresh_node, chief, "NOFORN seizure", noforn)
    client = client_of(fresh_node)
    csrf = sign_in(client, "npa.analyst")
    assert hidden.id not in client.get("/cases").text
    assert "NOFORN seizure" not in client.get("/cases").text
    gets = ("", "/report", "/report?format=pdf", "/samples/new", "/analyses/new", "/nothing/new")
    for suffix in gets:
        h = client.get(f"/cases/{hidden.id}{suffix}")
        a = client.get(f"/cases/{ABSENT}{suffix}")
        assert h.status_code == a.status_code == 404, suffix
        assert h.text.replace(hidden.id, "") == a.text.replace(ABSENT, ""), suffix
    for suffix, data in (("/custody", {"sample_id": "S-1", "where": "x"}), ("/reports", {})):
        h = _post(client, f"/cases/{hidden.id}{suffix}", csrf, **data)
        a = _post(client, f"/cases/{ABSENT}{suffix}", csrf, **data)
        assert h.status_code == a.status_code == 404
    # the API alike
    headers = bearer(fresh_node, "npa.analyst")
    body = {"sample_id": "S-9", "where": "x"}
    h = client.post(f"/api/v1/cases/{hidden.id}/custody", json=body, headers=headers)
    a = client.post(f"/api/v1/cases/{ABSENT}/custody", json=body, headers=headers)
    assert h.status_code == a.status_code == 404
    assert h.text.replace(hidden.id, "") == a.text.replace(ABSENT, "")


def test_case_api_writes(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    doe = bearer(fresh_node, "doe.chief")
    label = "SECRET//REL TO USA, JPN"
    r = client.post("/api/v1/cases", json={"title": "API case", "label": label}, headers=doe)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    base = f"/api/v1/cases/{case_id}"
    sample = {"sample_id": "S-1", "description": "pellet", "mass_g": 4.2,
              "container": "tin", "where": "port", "label": label}  # fmt: skip
    r = client.post(f"{base}/samples", json=sample, headers=doe)
    assert r.status_code == 200 and r.json()["samples"][0]["mass_g"] == 4.2
    # the hand-over is signed by the caller (the receiving user)
    analyst = bearer(fresh_node, "doe.analyst")
    r = client.post(f"{base}/custody", json={"sample_id": "S-1", "where": "lab"}, headers=analyst)
    assert r.status_code == 200, r.text
    entry = r.json()["samples"][0]["custody"][-1]
    assert entry["received_by"] == principal_of(fresh_node, "doe.analyst").id
    r = client.post(
        f"{base}/assessments",
        json={"finding": "fresh fuel pellet", "confidence": "strong", "label": label},
        headers=doe,
    )
    assert r.status_code == 200 and r.json()["assessments"][0]["confidence"] == "strong"
    r = client.post(f"{base}/reports", json={"stage": "preliminary"}, headers=doe)
    assert r.status_code == 200 and r.json()["stage"] == "interim"
    # typed errors naming the field; nothing written
    version = r.json()["version"]
    bad = [
        ("/assessments", {"finding": "x", "confidence": "sure", "label": label}, "confidence"),
        ("/samples", {**sample, "sample_id": "S-1"}, "sample_id"),
        ("/custody", {"sample_id": "S-404", "where": "x"}, "sample_id"),
        ("/analyses", {"analysis": ABSENT, "label": label}, None),
        ("/reports", {"stage": "final"}, "stage"),
        ("/samples", {**sample, "sample_id": "S-3", "label": "SECRET//BOGUS"}, "label"),
    ]
    for suffix, body, field in bad:
        r = client.post(f"{base}{suffix}", json=body, headers=doe)
        assert r.status_code in (404, 422), (suffix, r.status_code, r.text)
        if field:
            assert r.json()["field"].startswith(field), (suffix, r.json())
    assert client.get(base, headers=doe).json()["version"] == version
    # read scope only: refused
    reader = bearer(fresh_node, "doe.chief", ("read",))
    r = client.post(f"{base}/reports", json={"stage": "interim"}, headers=reader)
    assert r.status_code == 403


def test_open_case_form_needs_the_csrf_token(session_of: Callable[[str], Any]) -> None:
    client, _ = session_of("doe.chief")
    r = client.post("/cases/new", data={"title": "x", **PICK}, follow_redirects=False)
    assert r.status_code == 403


AGE = {
    "chronometer": "Th-230/U-234",
    "ratio": 1.41148e-4,
    "ratio_unc": 7.06e-7,
    "measured_on": "2024-05-01",
    "age_on": "2024-05-01",
}
CUI = {"part_level": "CUI", "part_dissem": "relto", "part_rel": "JPN"}


def test_linked_analyses_show_only_what_the_viewer_may_read(fresh_node: Node) -> None:
    from nucsec.service.analyses import save_age_analysis

    node = fresh_node
    chief = principal_of(node, "doe.chief")
    case = cases.open_case(
        node, chief, "Linked analyses", parse_banner("CUI//REL TO USA, JPN", node.ctx)
    )
    secret = save_age_analysis(
        node, chief, params=AGE, title="Forensics-only age",
        label=parse_banner("TOP SECRET//FORENSICS//NOFORN", node.ctx),
    )  # fmt: skip
    shared = save_age_analysis(
        node, chief, params=AGE, title="Shared age",
        label=parse_banner("CUI//REL TO USA, JPN", node.ctx),
    )  # fmt: skip
    client = client_of(node)
    csrf = sign_in(client, "doe.chief")
    for analysis in (secret.id, shared.id):
        r = _post(client, f"/cases/{case.id}/analyses/new", csrf, analysis=analysis, **CUI)
        assert r.status_code == 303, r.text[:2000]
    r = _post(
        client, f"/cases/{case.id}/assessments/new", csrf, finding="Same production run.",
        confidence="weak", evidence=[secret.id, shared.id], **CUI,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    page = client.get(f"/cases/{case.id}").text
    assert "Forensics-only age" in page and "Shared age" in page
    assert _banner(page).startswith("TOP SECRET//FORENSICS//NOFORN")  # rolls up what it shows

    other = client_of(node)
    token = sign_in(other, "dhs.chief")  # SECRET, no FORENSICS: reads the case, not the analysis
    page = other.get(f"/cases/{case.id}").text
    assert "Shared age" in page and "Forensics-only age" not in page
    assert "cited by reference only" in page
    assert _banner(page) == "CUI//REL TO USA, JPN"
    hidden = _post(other, f"/cases/{case.id}/analyses/new", token, analysis=secret.id, **CUI)
    absent = _post(other, f"/cases/{case.id}/analyses/new", token, analysis=ABSENT, **CUI)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text.replace(secret.id, "") == absent.text.replace(ABSENT, "")
