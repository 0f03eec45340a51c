"""The REST API: documents (shapes kept for later checks), markings, the caller, users,
tokens and audit, each through the reference monitor."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.policy import Resource, decide
from nucsec.service.users import list_users
from tests.web.conftest import TestClient

Api = Callable[..., tuple[TestClient, dict[str, str]]]

SECRET_REL = {
    "title": "Seized HEU sample Q-21: preliminary gamma results",
    "body": "U-235 186 keV line present; enrichment estimate pending.",
    "label": "SECRET//REL TO USA, JPN",
}


def _titles(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    r = client.get("/api/v1/documents", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [d["title"] for d in r.json()["items"]]


def test_health_needs_no_login(api_of: Api) -> None:
    client, _ = api_of("doe.analyst")
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("status", "database")} == {"status": "ok", "database": "ok"}
    assert body["warming"] in {"idle", "running", "done", "failed"}  # test_warm: which when
    assert re.fullmatch(r"[0-9a-f]{12}", body["worker"])


def test_openapi_document_lists_the_api(api_of: Api) -> None:
    client, _ = api_of("doe.analyst")
    doc = client.get("/api/openapi.json").json()
    paths = set(doc["paths"])
    assert {"/api/v1/documents", "/api/v1/documents/{doc_id}", "/api/health", "/api/v1/me"} <= paths
    assert not any(p.startswith("/documents") for p in paths), "HTML pages are not API"


def test_list_shape_is_items_and_next(api_of: Api) -> None:
    client, headers = api_of("doe.analyst")
    body = client.get("/api/v1/documents", headers=headers, params={"limit": 2}).json()
    assert set(body) == {"items", "next"}
    assert len(body["items"]) == 2
    assert {"id", "title", "banner"} <= set(body["items"][0])
    second = client.get(
        "/api/v1/documents", headers=headers, params={"limit": 2, "after": body["next"]}
    ).json()
    assert not {d["id"] for d in body["items"]} & {d["id"] for d in second["items"]}


def test_list_equals_the_monitor_for_every_demo_user(demo_node: Node, api_of: Api) -> None:
    """Whatever the list shows is exactly what decide() allows, for every user."""
    with demo_node.engine.connect() as conn:
        users = list_users(conn)
    client, headers = api_of("usa.security")
    everything = client.get("/api/v1/documents", headers=headers, params={"limit": 500}).json()
    # usa.security cannot see JPN NOFORN material: gather labels per user from the service
    for user in users:
        c, h = api_of(user.username, ("read",))
        listed = c.get("/api/v1/documents", headers=h, params={"limit": 500}).json()["items"]
        for item in listed:
            label = parse_banner(item["banner"], demo_node.ctx)
            assert decide(user.principal, "read", Resource(label), demo_node.ctx).allowed
        count = c.get("/api/v1/documents/count", headers=h).json()["count"]
        assert count == len(listed), user.username
    assert everything["items"], "the security officer sees documents"


def test_create_secret_rel_to_jpn_then_npa_reads_it_in_japanese(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    r = client.post("/api/v1/documents", headers=doe, json=SECRET_REL)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["banner"] == "SECRET//REL TO USA, JPN"
    assert doc["label"]["originator"] == "USA.DOE"
    _, npa = api_of("npa.analyst")
    seen = client.get(f"/api/v1/documents/{doc['id']}", headers=npa)
    assert seen.status_code == 200
    assert seen.json()["banner_ja"] == "極秘//REL TO USA, JPN"
    assert SECRET_REL["title"] in _titles(client, npa)


def test_noforn_document_is_absent_for_npa_everywhere(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    secret_title = "NOFORN canary: domestic sensor placement"
    r = client.post(
        "/api/v1/documents",
        headers=doe,
        json={"title": secret_title, "body": "placement map", "label": "SECRET//NOFORN"},
    )
    assert r.status_code == 201
    doc_id = r.json()["id"]
    _, npa = api_of("npa.analyst")
    before = client.get("/api/v1/documents/count", headers=npa).json()["count"]
    assert secret_title not in _titles(client, npa, limit=500)
    assert secret_title not in _titles(client, npa, q="canary")
    assert client.get("/api/v1/documents/count", headers=npa, params={"q": "canary"}).json() == {
        "count": 0
    }
    hidden = client.get(f"/api/v1/documents/{doc_id}", headers=npa)
    absent = client.get("/api/v1/documents/00000000-0000-0000-0000-000000000000", headers=npa)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["error"] == absent.json()["error"] == "not_found"
    for sub in ("history", "access"):
        assert client.get(f"/api/v1/documents/{doc_id}/{sub}", headers=npa).status_code == 404
    assert client.get("/api/v1/documents/count", headers=npa).json()["count"] == before


@pytest.mark.parametrize(
    "label",
    [
        {"authority": "USA", "level": "secret", "rel_to": ["USA", "JPN"]},
        {"authority": "usa", "level": " Secret ", "rel_to": ["usa", "jpn "]},
        {"authority": "USA", "level": "s", "rel_to": ["USA", "JPN"], "compartments": ["forensics"]},
    ],
    ids=["level-lower-case", "mixed-case-and-spaces", "abbreviation-and-compartment"],
)
def test_a_label_spelled_in_another_case_is_listed_like_any_other(
    api_of: Api, label: dict[str, Any]
) -> None:
    """A label written in another case in API JSON is one label: the monitor and its SQL
    twin agree on it, so its author finds the document by id, in the list, the search and
    the count (the review found it readable by id and absent from every listing)."""
    client, headers = api_of("doe.analyst")
    title = f"Spelled {label['level'].strip()} {uuid.uuid4().hex[:8]}"
    r = client.post(
        "/api/v1/documents", headers=headers, json={"title": title, "body": "b", "label": label}
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=headers).status_code == 200
    assert title in _titles(client, headers, limit=500)
    assert title in _titles(client, headers, q=title)
    count = client.get("/api/v1/documents/count", headers=headers, params={"q": title})
    assert count.json() == {"count": 1}
    assert doc["label"]["level"] == label["level"].strip().upper()  # stored canonical


def test_update_appends_a_version_and_history_lists_it(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    doc = client.post("/api/v1/documents", headers=doe, json=SECRET_REL).json()
    changed = {**SECRET_REL, "body": "Enrichment 89 %.", "note": "measured"}
    r = client.put(f"/api/v1/documents/{doc['id']}", headers=doe, json=changed)
    assert r.status_code == 200
    assert r.json()["version"] == 2
    history = client.get(f"/api/v1/documents/{doc['id']}/history", headers=doe).json()["items"]
    assert [v["version"] for v in history] == [1, 2]
    assert history[1]["note"] == "measured"


def test_an_update_from_an_older_version_is_a_409(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    doc = client.post("/api/v1/documents", headers=doe, json=SECRET_REL).json()
    url = f"/api/v1/documents/{doc['id']}"
    first = client.put(url, headers=doe, json={**SECRET_REL, "body": "A", "base_version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2
    late = client.put(url, headers=doe, json={**SECRET_REL, "body": "B", "base_version": 1})
    assert late.status_code == 409, late.text
    assert late.json()["field"] == "base_version"
    assert client.get(url, headers=doe).json()["body"] == "A"


def test_npa_may_not_update_a_doe_document(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    doc = client.post("/api/v1/documents", headers=doe, json=SECRET_REL).json()
    _, npa = api_of("npa.analyst")
    r = client.put(f"/api/v1/documents/{doc['id']}", headers=npa, json=SECRET_REL)
    assert r.status_code in (403, 422)  # refused by the monitor or by label validation
    assert "originator" in r.json()["message"]
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=doe).json()["version"] == 1


def test_viewer_role_cannot_create(demo_node: Node, api_of: Api) -> None:
    client, auditor = api_of("usa.auditor")
    r = client.post(
        "/api/v1/documents", headers=auditor, json={**SECRET_REL, "label": "UNCLASSIFIED"}
    )
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden"


def test_access_report_for_originator_lists_agencies_and_users(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    doc = client.post(
        "/api/v1/documents",
        headers=doe,
        json={**SECRET_REL, "label": "SECRET//REL TO USA, JPN.NPA"},
    ).json()
    report = client.get(f"/api/v1/documents/{doc['id']}/access", headers=doe).json()
    agencies = {a["subject"]: a for a in report["agencies"]}
    assert agencies["JPN.NPA"]["allowed"] is True
    assert agencies["JPN.MOFA"]["allowed"] is False
    assert any("REL TO names only JPN.NPA" in r for r in agencies["JPN.MOFA"]["reasons"])
    users = {u["subject"]: u for u in report["users"]}
    assert users["npa.analyst"]["allowed"] is True
    assert users["mofa.chief"]["allowed"] is False
    assert users["dhs.analyst"]["allowed"] is False  # CONFIDENTIAL clearance


def test_access_report_is_403_for_a_reader_who_is_not_originator(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    doc = client.post("/api/v1/documents", headers=doe, json=SECRET_REL).json()
    _, npa = api_of("npa.analyst")
    assert client.get(f"/api/v1/documents/{doc['id']}/access", headers=npa).status_code == 403


def test_render_label_gives_both_schemes(api_of: Api) -> None:
    client, doe = api_of("doe.analyst")
    r = client.post("/api/v1/labels/render", headers=doe, json={"label": "SECRET//REL TO USA, JPN"})
    assert r.status_code == 200
    assert r.json()["renderings"] == {
        "USA": "SECRET//REL TO USA, JPN",
        "JPN": "極秘//REL TO USA, JPN",
    }
    assert r.json()["portion"] == "(S//REL TO USA, JPN)"


def test_me_shows_clearance_in_each_scheme(api_of: Api) -> None:
    client, npa = api_of("npa.analyst", ("read",))
    me = client.get("/api/v1/me", headers=npa).json()
    assert me["username"] == "npa.analyst"
    assert me["clearance_in"] == {"USA": "SECRET", "JPN": "極秘"}
    assert me["scopes"] == ["read"]
    assert me["via"] == "token"


def test_markings_show_the_equivalence_table_with_version(api_of: Api) -> None:
    client, h = api_of("npa.analyst")
    data = client.get("/api/v1/markings", headers=h).json()
    (agreement,) = data["agreements"]
    assert agreement["legal_basis"] == "NSWG-DEMO/v1"
    assert {"USA": "SECRET", "JPN": "GOKUHI"} in agreement["ranks"]


@pytest.mark.parametrize(
    ("user", "scopes", "status"),
    [
        ("usa.security", ("read", "write", "admin"), 200),
        ("usa.security", ("read", "write"), 403),
        ("doe.chief", ("read", "write"), 403),
    ],
    ids=["officer-admin-scope", "officer-without-admin-scope", "not-an-officer"],
)
def test_user_administration_needs_role_and_scope(
    api_of: Api, user: str, scopes: tuple[str, ...], status: int
) -> None:
    client, h = api_of(user, scopes)
    assert client.get("/api/v1/users", headers=h).status_code == status


def test_audit_api_is_for_auditors(api_of: Api) -> None:
    client, auditor = api_of("usa.auditor", ("read",))
    r = client.get("/api/v1/audit/events", headers=auditor, params={"limit": 5})
    assert r.status_code == 200
    assert len(r.json()["items"]) == 5
    assert r.json()["items"][0]["seq"] == 0
    verify = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert verify["ok"] is True
    assert verify["events"] > 0
    _, security = api_of("usa.security", ("read", "write", "admin"))
    assert client.get("/api/v1/audit/events", headers=security).status_code == 403
