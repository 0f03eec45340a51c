"""Incident edit, version history and "who can see this, and why" pages: a new version
through the service (audited, status changeable, what the form does not show kept), a
hidden incident answering like an absent one, refusals with the monitor's reasons, history
limited to the versions the viewer may read, and one audited policy.explain per line."""

from __future__ import annotations

import html as html_text
import re
from typing import Any

from sqlalchemy import select

from nucsec.audit.tables import audit_events
from nucsec.node import Node
from nucsec.service import incidents as register
from nucsec.service.users import principal_of
from tests.web.conftest import TestClient, client_of, csrf_of, sign_in

ABSENT = "00000000-0000-4000-8000-000000000000"
SHARED = "DEMO-US-2023-007"  # CONFIDENTIAL//REL TO USA, JPN; six Cs-137 gauges, "truck"
NOFORN = "DEMO-US-2024-003"  # SECRET//NOFORN: hidden from the Japanese users


def _id(client: TestClient, reference: str) -> str:
    page = client.get("/incidents", params={"q": reference}).text
    found = re.findall(r'href="/incidents/([0-9a-f-]{36})"', page)
    assert found, reference
    return found[0]


def _signed_in(node: Node, username: str) -> tuple[TestClient, str]:
    client = client_of(node)
    return client, sign_in(client, username)


def _form_of(client: TestClient, incident_id: str) -> dict[str, Any]:
    """The edit form's pre-filled values, as a browser would post them back."""
    page = client.get(f"/incidents/{incident_id}/edit")
    assert page.status_code == 200, page.text[:300]
    html = page.text
    action = f'<form method="post" action="/incidents/{incident_id}/edit"'
    form = re.search(re.escape(action) + r"(.*?)</form>", html, re.S)
    assert form is not None, html[:500]
    body = form.group(1)
    data: dict[str, Any] = {}

    def put(name: str, value: str) -> None:
        data.setdefault(name, []).append(value)

    for tag in re.findall(r"<input [^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or (
            (kind and kind.group(1) in {"checkbox", "radio"}) and ("checked" not in tag)
        ):
            continue
        put(name.group(1), html_text.unescape(value.group(1)) if value else "")
    textareas = r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>'
    for name, text in re.findall(textareas, body, re.S):
        put(name, html_text.unescape(text))
    selects = r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>'
    for name, options in re.findall(selects, body, re.S):
        for chosen in re.findall(r'<option value="([^"]*)"[^>]*selected', options):
            put(name, chosen)
    return {k: v[0] if len(v) == 1 else v for k, v in data.items()}


def _explains(node: Node, incident_id: str) -> list[tuple[str, str]]:
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.actor, audit_events.c.object_ref).where(
                audit_events.c.action == "policy.explain"
            )
        ).all()
    return [(r[0], r[1]) for r in rows if r[1] and incident_id in r[1]]


def test_edit_saves_version_2_with_the_new_status_and_keeps_what_the_form_hides(
    fresh_node: Node,
) -> None:
    client, csrf = _signed_in(fresh_node, "dhs.chief")
    incident_id = _id(client, SHARED)
    page = client.get(f"/incidents/{incident_id}").text
    assert f'href="/incidents/{incident_id}/edit"' in page
    assert f'href="/incidents/{incident_id}/versions"' in page
    assert f'href="/incidents/{incident_id}/access"' in page
    form = _form_of(client, incident_id)
    assert form["status"] == "closed" and form["facts_level"] == "CONFIDENTIAL"
    assert form["base_version"] == "1" and "Six fixed gauges" in form["n0_text"]
    assert form["sources"].count("Cs-137:") == 6
    form.update(status="open", note="reopened", csrf_token=csrf)
    r = client.post(f"/incidents/{incident_id}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    chief = principal_of(fresh_node, "dhs.chief")
    view = register.get_incident(fresh_node, chief, incident_id)
    assert view.version == 2 and view.incident["status"] == "open"
    assert view.incident["discovery_date"] == "2023-03-21"  # not on the form: carried
    assert {i["holding"] for i in view.incident["items"]} == {"truck"}  # items unchanged
    assert view.label == register.incident_history(fresh_node, chief, incident_id)[0][0].label
    with fresh_node.engine.connect() as conn:
        refs = conn.execute(
            select(audit_events.c.actor, audit_events.c.outcome).where(
                audit_events.c.action == "record.update",
                audit_events.c.object_ref.like(f"%{incident_id}%"),
            )
        ).all()
    assert [tuple(r) for r in refs] == [(chief.id, "success")]
    detail = client.get(f"/incidents/{incident_id}").text
    assert "<dt>Status</dt><dd>open</dd>" in detail


def test_edit_refusals_conflict_and_csrf(fresh_node: Node) -> None:
    chief, csrf = _signed_in(fresh_node, "dhs.chief")
    incident_id = _id(chief, SHARED)
    form = {**_form_of(chief, incident_id), "csrf_token": csrf}
    npa, npa_csrf = _signed_in(fresh_node, "npa.analyst")
    page = npa.get(f"/incidents/{incident_id}").text  # may read, may not edit
    assert "/edit" not in page and "/access" not in page
    assert f'href="/incidents/{incident_id}/versions"' in page
    japanese = npa.post(
        f"/incidents/{incident_id}/edit", data={**form, "csrf_token": npa_csrf, "status": "open"}
    )
    assert japanese.status_code == 422 and 'data-field="facts_level"' in japanese.text
    doe, doe_csrf = _signed_in(fresh_node, "doe.analyst")  # a US analyst of another agency
    assert "/edit" not in doe.get(f"/incidents/{incident_id}").text
    refused = doe.post(
        f"/incidents/{incident_id}/edit", data={**form, "csrf_token": doe_csrf, "status": "open"}
    )
    assert refused.status_code == 403
    error = re.search(r'id="form-error"[^>]*>([^<]+)<', refused.text)
    assert error is not None and "originator" in error.group(1).lower(), refused.text[:500]
    forged = chief.post(f"/incidents/{incident_id}/edit", data={**form, "csrf_token": "x"})
    assert forged.status_code == 403
    bad = chief.post(f"/incidents/{incident_id}/edit", data={**form, "country": "XX"})
    assert bad.status_code == 422 and 'data-field="country"' in bad.text
    ok = chief.post(f"/incidents/{incident_id}/edit", data=form, follow_redirects=False)
    assert ok.status_code == 303
    stale = chief.post(f"/incidents/{incident_id}/edit", data={**form, "status": "withdrawn"})
    assert stale.status_code == 409 and "someone saved version 2" in stale.text
    principal = principal_of(fresh_node, "dhs.chief")
    view = register.get_incident(fresh_node, principal, incident_id)
    assert view.version == 2 and view.incident["status"] == "closed"  # refused ones wrote nothing


def test_hidden_incident_answers_like_an_absent_one(fresh_node: Node) -> None:
    us, _ = _signed_in(fresh_node, "dhs.chief")
    hidden = _id(us, NOFORN)
    npa, csrf = _signed_in(fresh_node, "npa.analyst")
    for suffix in ("edit", "versions", "access"):
        got = npa.get(f"/incidents/{hidden}/{suffix}")
        ref = npa.get(f"/incidents/{ABSENT}/{suffix}")
        assert got.status_code == ref.status_code == 404, suffix
        assert got.text.replace(hidden, "X") == ref.text.replace(ABSENT, "X"), suffix
    form = {"csrf_token": csrf, "reference": NOFORN, "status": "closed"}
    got = npa.post(f"/incidents/{hidden}/edit", data=form)
    ref = npa.post(f"/incidents/{ABSENT}/edit", data=form)
    assert got.status_code == ref.status_code == 404
    assert got.text.replace(hidden, "X") == ref.text.replace(ABSENT, "X")


def _save(client: TestClient, incident_id: str, csrf: str, **changes: Any) -> None:
    form = {**_form_of(client, incident_id), "csrf_token": csrf, **changes}
    r = client.post(f"/incidents/{incident_id}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:800]


def test_history_lists_only_the_versions_the_viewer_may_read(fresh_node: Node) -> None:
    chief, csrf = _signed_in(fresh_node, "dhs.chief")
    incident_id = _id(chief, SHARED)
    secret = {"n1_text": "Informant detail.", "n1_level": "SECRET", "n1_dissem": "noforn"}
    _save(chief, incident_id, csrf, n1_same="", **secret)  # v2: NOFORN
    page = chief.get(f"/incidents/{incident_id}").text
    assert "(S//NF)</span> Informant detail." in page
    _save(chief, incident_id, csrf, n1_text="", status="open")  # v3: REL TO JPN again
    mine = chief.get(f"/incidents/{incident_id}/versions").text
    assert re.findall(r'data-version="(\d+)"', mine) == ["3", "2", "1"]
    assert "Informant detail." in mine and "(S//NF)" in mine
    npa, _ = _signed_in(fresh_node, "npa.analyst")
    theirs = npa.get(f"/incidents/{incident_id}/versions")
    assert theirs.status_code == 200
    assert re.findall(r'data-version="(\d+)"', theirs.text) == ["3", "1"]
    assert "Informant detail." not in theirs.text and "NOFORN" not in theirs.text
    assert re.findall(r'data-testid="version-status">(\w+)<', theirs.text) == ["open", "closed"]


def test_who_can_see_lists_agencies_with_reasons_each_audited(fresh_node: Node) -> None:
    chief, _ = _signed_in(fresh_node, "dhs.chief")
    incident_id = _id(chief, NOFORN)
    before = len(_explains(fresh_node, incident_id))
    r = chief.get(f"/incidents/{incident_id}/access")
    assert r.status_code == 200
    html = r.text
    assert f'href="/incidents/{incident_id}"' in html and NOFORN in html
    agencies = re.findall(
        r'<tr class="(allowed|denied)">\s*<th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S
    )
    decided = {name: verdict for verdict, name, _ in agencies}
    assert decided["USA.DHS"] == "allowed"
    assert decided["JPN.NPA"] == "denied"
    reasons = next(body for verdict, name, body in agencies if name == "JPN.NPA")
    assert "NOFORN" in reasons or "nation" in reasons.lower(), reasons
    lines = len(agencies)
    assert len(_explains(fresh_node, incident_id)) - before == lines  # one per line
    security, _ = _signed_in(fresh_node, "usa.security")
    assert security.get(f"/incidents/{incident_id}/access").status_code == 200
    analyst, _ = _signed_in(fresh_node, "doe.analyst")  # reads the shared one, other agency
    shared = _id(chief, SHARED)
    assert analyst.get(f"/incidents/{shared}").status_code == 200
    assert analyst.get(f"/incidents/{shared}/access").status_code == 403


def test_edit_form_keeps_csrf_token_and_fits_narrow_screens(fresh_node: Node) -> None:
    chief, csrf = _signed_in(fresh_node, "dhs.chief")
    incident_id = _id(chief, SHARED)
    html = chief.get(f"/incidents/{incident_id}/edit").text
    assert csrf_of(html) == csrf
    assert not re.search(r'style="[^"]*width:\s*\d+px', html)
