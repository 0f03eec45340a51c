"""The analyst UI, rendered in-process: banners computed from what is shown (both
schemes), the label picker, create/edit/history, who-can-see, admin and audit pages,
security headers, accessibility basics."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest

from nucsec.markings import parse_banner, render_banner
from nucsec.node import Node
from tests.web.conftest import TestClient, client_of

Session = Callable[[str], tuple[TestClient, str]]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class _Page(HTMLParser):
    """Collects banners, form controls and their labels, and <time> texts."""

    def __init__(self) -> None:
        super().__init__()
        self.banners: dict[str, list[tuple[str, str]]] = {}
        self.controls: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.times: list[str] = []
        self.datetimes: list[str] = []
        self.handlers: list[str] = []
        self.options: dict[str, list[str]] = {}
        self._banner: str | None = None
        self._marking: dict[str, str] | None = None
        self._label_depth = 0
        self._select: str | None = None
        self._in_time = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.handlers += [k for k in a if k.startswith("on")]
        if a.get("data-testid", "").startswith("banner-"):
            self._banner = a["data-testid"][len("banner-") :]
            self.banners[self._banner] = []
        elif self._banner and "marking" in a.get("class", "").split():
            self._marking = {"lang": a.get("lang", ""), "text": ""}
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.controls.append({**a, "_wrapped": "yes" if self._label_depth else ""})
        if tag == "select":
            self._select = a.get("name", "")
            self.options[self._select] = []
        if tag == "option" and self._select is not None:
            self.options[self._select].append(a.get("value", ""))
        if tag == "time":
            self._in_time = True
            self.datetimes.append(a.get("datetime", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1
        if tag == "select":
            self._select = None
        if tag == "time":
            self._in_time = False
        if tag == "span" and self._marking is not None and self._banner:
            self.banners[self._banner].append((self._marking["lang"], self._marking["text"]))
            self._marking = None
        if tag == "div" and self._banner and self._marking is None:
            self._banner = None

    def handle_data(self, data: str) -> None:
        if self._marking is not None:
            self._marking["text"] += data.strip()
        if self._in_time and data.strip():
            self.times.append(data.strip())


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _doc_id(client: TestClient, title: str) -> str:
    html = client.get("/documents", params={"q": title}).text
    found = re.search(r'href="/documents/([0-9a-f-]{36})">' + re.escape(title), html)
    assert found, f"{title} not listed"
    return found.group(1)


def _create(client: TestClient, csrf: str, title: str, **picks: object) -> str:
    data: dict[str, object] = {
        "csrf_token": csrf,
        "title": title,
        "body": "body text",
        "title_same": "on",
        "body_level": "SECRET",
        "body_dissem": "relto",
        "body_rel": ["JPN"],
        **picks,
    }
    r = client.post("/documents/new", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).rsplit("/", 1)[1]


@pytest.mark.parametrize(
    "path",
    ["/", "/documents", "/documents/new", "/account"],
    ids=["home", "list", "new", "account"],
)
def test_pages_carry_the_same_banner_at_top_and_bottom(session_of: Session, path: str) -> None:
    client, _ = session_of("doe.analyst")
    r = client.get(path)
    assert r.status_code == 200
    page = parse(r.text)
    assert page.banners["top"] == page.banners["bottom"]
    assert [lang for lang, _ in page.banners["top"]] == ["en", "ja"]


def test_list_banner_is_the_rollup_of_what_is_shown(session_of: Session, demo_node: Node) -> None:
    client, _ = session_of("dhs.analyst")  # CONFIDENTIAL, ITDB
    page = parse(client.get("/documents").text)
    shown = parse_banner(page.banners["top"][0][1], demo_node.ctx)
    assert shown.rank(demo_node.ctx) <= 2, "never above what a CONFIDENTIAL user sees"
    for _lang, text in page.banners["top"]:
        assert "//" in text or text in {"UNCLASSIFIED", "CUI", "CONFIDENTIAL"}


def test_npa_sees_the_japanese_banner_first(session_of: Session) -> None:
    doe, csrf = session_of("doe.analyst")
    doc_id = _create(doe, csrf, "Joint exercise debrief (pages)")
    npa, _ = session_of("npa.analyst")
    page = parse(npa.get(f"/documents/{doc_id}").text)
    assert page.banners["top"][0] == ("ja", "極秘//REL TO USA, JPN")
    assert page.banners["top"][1] == ("en", "SECRET//REL TO USA, JPN")
    listing = npa.get("/documents").text
    assert '<span class="fgi" title="classified by USA">USA</span>' in listing
    us_page = parse(doe.get(f"/documents/{doc_id}").text)
    assert us_page.banners["top"][0] == ("en", "SECRET//REL TO USA, JPN")


def test_document_page_marks_each_portion(session_of: Session) -> None:
    doe, csrf = session_of("doe.analyst")
    doc_id = _create(
        doe,
        csrf,
        "Portion-marked report",
        title_same="",
        title_level="CONFIDENTIAL",
        title_dissem="relto",
        title_rel=["JPN"],
    )
    html = doe.get(f"/documents/{doc_id}").text
    assert "(C//REL TO USA, JPN)" in html
    assert "(S//REL TO USA, JPN)" in html
    page = parse(html)
    assert page.banners["top"][0] == ("en", "SECRET//REL TO USA, JPN")


def test_picker_offers_levels_within_clearance_and_own_compartments(session_of: Session) -> None:
    dhs, _ = session_of("dhs.analyst")  # USA CONFIDENTIAL, ITDB
    options = parse(dhs.get("/documents/new").text).options
    assert options["body_level"] == ["", "UNCLASSIFIED", "CUI", "CONFIDENTIAL"]
    html = dhs.get("/documents/new").text
    assert 'value="ITDB"' in html and 'value="FORENSICS"' not in html
    npa, _ = session_of("npa.analyst")  # JPN GOKUHI
    assert parse(npa.get("/documents/new").text).options["body_level"] == [
        "",
        "SHITEI NASHI",
        "TORIATSUKAI CHUI",
        "HI",
        "GOKUHI",
    ]


def test_picking_above_clearance_is_refused_and_creates_nothing(session_of: Session) -> None:
    dhs, csrf = session_of("dhs.analyst")
    before = dhs.get("/api/v1/documents/count").json()["count"]
    r = dhs.post(
        "/documents/new",
        data={
            "csrf_token": csrf,
            "title": "Too high",
            "body": "x",
            "title_same": "on",
            "body_level": "SECRET",
            "body_dissem": "noforn",
        },
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "exceeds" in r.text
    assert dhs.get("/api/v1/documents/count").json()["count"] == before


def test_live_preview_renders_both_schemes(session_of: Session) -> None:
    doe, csrf = session_of("doe.analyst")
    r = doe.post(
        "/ui/label-preview",
        data={
            "csrf_token": csrf,
            "title_same": "on",
            "body_level": "SECRET",
            "body_dissem": "relto",
            "body_rel": ["JPN.NPA"],
            "body_orcon": "on",
        },
    )
    assert r.status_code == 200
    result = r.json()
    assert result["ok"] is True
    assert [b["text"] for b in result["banner"]] == [
        "SECRET//ORCON/REL TO USA, JPN.NPA",
        "極秘//ORCON/REL TO USA, JPN.NPA",
    ]
    bad = doe.post(
        "/ui/label-preview",
        data={
            "csrf_token": csrf,
            "title_same": "on",
            "body_level": "SECRET",
            "body_dissem": "relto",
            "body_rel": ["JPN", "JPN.NPA"],
        },
    ).json()
    assert bad["ok"] is False
    assert "REL TO names both JPN and JPN.NPA" in bad["message"]


def test_edit_adds_a_version_shown_in_history(session_of: Session) -> None:
    doe, csrf = session_of("doe.analyst")
    doc_id = _create(doe, csrf, "Versioned memo")
    form = doe.get(f"/documents/{doc_id}/edit").text
    assert 'value="SECRET" selected' in form
    r = doe.post(
        f"/documents/{doc_id}/edit",
        data={
            "csrf_token": csrf,
            "title": "Versioned memo",
            "body": "second text",
            "title_same": "on",
            "body_level": "SECRET",
            "body_dissem": "relto",
            "body_rel": ["JPN"],
            "note": "second",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    history = doe.get(f"/documents/{doc_id}/history").text
    assert "Version 2" in history and "Version 1" in history and "second text" in history


def test_an_edit_from_an_older_version_is_a_conflict(session_of: Session) -> None:
    """Two editors open version 1; the first saves; the second's save is refused (409)
    with the form kept, and the first's version stays current (no lost update)."""
    doe, csrf = session_of("doe.analyst")
    doc_id = _create(doe, csrf, "Raced memo")
    assert 'name="base_version" value="1"' in doe.get(f"/documents/{doc_id}/edit").text
    form = {
        "csrf_token": csrf,
        "base_version": "1",
        "title": "Raced memo",
        "title_same": "on",
        "body_level": "SECRET",
        "body_dissem": "relto",
        "body_rel": ["JPN"],
    }
    first = doe.post(f"/documents/{doc_id}/edit", data={**form, "body": "first editor"})
    assert first.status_code == 200 and "first editor" in first.text
    late = doe.post(f"/documents/{doc_id}/edit", data={**form, "body": "second editor"})
    assert late.status_code == 409
    assert "version 2, not 1" in late.text and "second editor" in late.text  # form kept
    history = doe.get(f"/documents/{doc_id}/history").text
    assert "Version 2" in history and "Version 3" not in history
    assert "second editor" not in history


def test_who_can_see_for_originator_and_officer_only(session_of: Session) -> None:
    doe, csrf = session_of("doe.analyst")
    doc_id = _create(doe, csrf, "Who-can-see memo", body_rel=["JPN.NPA"])
    html = doe.get(f"/documents/{doc_id}/access").text
    assert 'id="access-agencies"' in html
    assert re.search(r"JPN\.NPA</th>.*?can read", html, re.S)
    officer, _ = session_of("usa.security")
    assert officer.get(f"/documents/{doc_id}/access").status_code == 200
    npa, _ = session_of("npa.analyst")
    page = npa.get(f"/documents/{doc_id}").text
    assert "/access" not in page and "/edit" not in page, "no links a reader may not follow"
    assert npa.get(f"/documents/{doc_id}/access").status_code == 403
    mofa, _ = session_of("mofa.chief")
    assert mofa.get(f"/documents/{doc_id}/access").status_code == 404


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/admin/users", "usa.security"),
        ("/admin/users/new", "jpn.security"),
        ("/admin/compartments", "usa.security"),
        ("/admin/equivalence", "jpn.security"),
        ("/audit", "usa.auditor"),
    ],
)
def test_admin_and_audit_pages_by_role(session_of: Session, path: str, allowed: str) -> None:
    ok, _ = session_of(allowed)
    assert ok.get(path).status_code == 200
    for other in ("doe.analyst", "npa.chief"):
        client, _ = session_of(other)
        assert client.get(path).status_code == 403


def test_equivalence_page_shows_the_table_and_its_version(session_of: Session) -> None:
    client, _ = session_of("usa.security")
    html = client.get("/admin/equivalence").text
    assert 'data-testid="legal-basis">NSWG-DEMO/v1<' in html
    assert 'data-testid="agreement-version">1<' in html
    assert re.search(r"SECRET.*?GOKUHI.*?極秘", html, re.S)


def test_audit_page_verifies_on_request(session_of: Session) -> None:
    client, _ = session_of("usa.auditor")
    html = client.get("/audit").text
    assert "Verification: not run on this visit" in html
    assert 'href="/audit?verify=1"' in html
    assert "auth.login" in html
    assert "<td>audit.verify</td>" not in html  # no verification ran, none was recorded
    html = client.get("/audit", params={"verify": "1"}).text
    assert "Verification: OK" in html
    assert "events recomputed" in html
    assert "<td>audit.verify</td>" in client.get("/audit").text  # the one just run, recorded


def test_security_officer_creates_a_user(session_of: Session) -> None:
    client, csrf = session_of("usa.security")
    data = {
        "csrf_token": csrf,
        "username": "dos.analyst2",
        "display_name": "DOS analyst",
        "agency": "USA.DOS",
        "clearance": "CONFIDENTIAL",
        "roles": ["analyst"],
        "password": "a-long-enough-password",
    }
    r = client.post("/admin/users/new", data=data, follow_redirects=False)
    assert r.status_code == 303
    assert "dos.analyst2" in client.get("/admin/users").text
    again = client.post("/admin/users/new", data=data, follow_redirects=False)
    assert again.status_code == 409
    assert "exists" in again.text


def test_pages_need_sign_in_and_return_to_where_they_were(demo_node: Node) -> None:
    client = client_of(demo_node)
    r = client.get("/documents?q=gamma", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fdocuments%3Fq%3Dgamma"
    form = client.get(r.headers["location"]).text
    assert 'name="next" value="/documents?q=gamma"' in form


def test_no_open_redirect_after_sign_in(demo_node: Node) -> None:
    client = client_of(demo_node)
    form = client.get("/login", params={"next": "//evil.example/"}).text
    assert 'name="next" value="/"' in form


def test_security_headers_on_pages(session_of: Session) -> None:
    client, _ = session_of("doe.analyst")
    r = client.get("/documents")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert client.get("/static/app.css").headers["cache-control"].startswith("public")


def test_no_inline_scripts_or_styles(session_of: Session) -> None:
    client, _ = session_of("usa.security")
    for path in ("/", "/documents", "/documents/new", "/admin/users", "/admin/equivalence"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not parse(html).handlers, path


@pytest.mark.parametrize(
    "path",
    ["/documents", "/documents/new", "/admin/users/new", "/admin/users/doe.analyst", "/login"],
)
def test_every_form_control_has_a_label(session_of: Session, demo_node: Node, path: str) -> None:
    client = client_of(demo_node) if path == "/login" else session_of("usa.security")[0]
    page = parse(client.get(path).text)
    assert page.controls
    for control in page.controls:
        labelled = control["_wrapped"] or control.get("id") in page.label_for
        assert labelled, f"{path}: {control.get('name')} has no label"


def test_dates_are_iso_8601_for_machines_and_readable_for_people(session_of: Session) -> None:
    """``<time datetime>`` is ISO 8601 UTC; the text is the reader's locale (English here,
    Japanese in ``test_languages.py``), in UTC."""
    client, _ = session_of("doe.analyst")
    page = parse(client.get("/documents").text)
    assert page.times and len(page.datetimes) == len(page.times)
    assert all(ISO.match(t) for t in page.datetimes), page.datetimes
    people = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d\d:\d\d UTC$")
    assert all(people.match(t) for t in page.times), page.times


def test_banner_texts_parse_back(session_of: Session, demo_node: Node) -> None:
    """What the page shows as English banner is a well-formed banner of the same label."""
    client, _ = session_of("usa.security")
    page = parse(client.get("/documents").text)
    text = page.banners["top"][0][1]
    assert render_banner(parse_banner(text, demo_node.ctx), demo_node.ctx) == text
