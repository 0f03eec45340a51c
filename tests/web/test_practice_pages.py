"""Practice catalogue pages: search with total and facets as filters, a hidden practice
absent from results, counts and facets and 404 like an absent id, the Markdown body
rendered safely (no raw HTML, no script, no javascript: link), version history, the
add form and the officers' propose and endorse actions (through the service, audited)."""

from __future__ import annotations

import re

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.practices import add_practice, get_practice
from nucsec.service.users import principal_of
from tests.web.conftest import client_of, sign_in

ABSENT = "00000000-0000-4000-8000-000000000000"
EVIL = (
    "Two-person rule.\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
    "[click](javascript:alert(1)) and **bold**"
)


def _ids(page: str) -> list[str]:
    return re.findall(r'<li data-practice="([^"]+)">', page)


def _seed(node: Node) -> tuple[str, str]:
    doe = principal_of(node, "doe.analyst")
    shared = add_practice(
        node, doe,
        {"id": "BP-1", "title": "核物質の二人規則", "summary": "Insiders.", "body": EVIL,
         "topic": "insider_threat", "applicability": ["cat:I"]},
        parse_banner("SECRET//REL TO USA, JPN", node.ctx),
    )  # fmt: skip
    hidden = add_practice(
        node, doe,
        {"id": "BP-2", "title": "Insider files", "summary": "S.", "topic": "sabotage"},
        parse_banner("SECRET//NOFORN", node.ctx),
    )  # fmt: skip
    return shared.id, hidden.id


def test_catalogue_search_facets_and_hidden_practice(fresh_node: Node) -> None:
    shared, hidden = _seed(fresh_node)
    us = client_of(fresh_node)
    sign_in(us, "doe.analyst")
    page = us.get("/practices?q=insider").text
    assert sorted(_ids(page)) == sorted([shared, hidden])
    assert 'data-value="sabotage"' in page
    # a facet is a filter: its link narrows the results
    link = re.search(r'<a href="([^"]+)"[^>]*data-value="sabotage"', page)
    assert link is not None
    narrowed = us.get(link.group(1).replace("&amp;", "&")).text
    assert _ids(narrowed) == [hidden]

    jp = client_of(fresh_node)
    sign_in(jp, "npa.analyst")
    page = jp.get("/practices?q=insider").text
    assert _ids(page) == [shared]
    assert "1 practice that you may read" in page
    assert 'data-value="sabotage"' not in page and "Insider files" not in page
    assert _ids(jp.get("/practices?q=核物質").text) == [shared]  # Japanese search
    assert _ids(jp.get("/practices?topic=sabotage").text) == []
    h, a = jp.get(f"/practices/{hidden}"), jp.get(f"/practices/{ABSENT}")
    assert h.status_code == a.status_code == 404
    assert h.text.replace(hidden, "") == a.text.replace(ABSENT, "")
    bad = jp.get("/practices?topic=gardening")
    assert bad.status_code == 422 and 'data-field="topic"' in bad.text


def test_practice_body_is_rendered_safely_with_history(fresh_node: Node) -> None:
    shared, _ = _seed(fresh_node)
    client = client_of(fresh_node)
    sign_in(client, "npa.analyst")
    page = client.get(f"/practices/{shared}")
    assert page.status_code == 200
    body = re.search(r'data-testid="practice-body">(.*?)</div></section>', page.text, re.S)
    assert body is not None
    html = body.group(1)
    assert "<strong>bold</strong>" in html  # Markdown is rendered
    assert "<script" not in html and "<img" not in html and "href=" not in html
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, never as markup
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert all('src="/static/' in s for s in scripts), scripts
    assert 'data-version="1"' in page.text


def test_add_propose_and_endorse_through_the_forms(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "doe.chief")
    r = client.post(
        "/practices/new",
        data={"csrf_token": csrf, "title": "Vault access logs", "summary": "Review weekly.",
              "body": "Logs are *reviewed*.", "topic": "insider_threat",
              "applicability": ["cat:I", "cat:II"], "part_level": "SECRET",
              "part_dissem": "relto", "part_rel": "JPN"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:3000]
    pid = r.headers["location"].rsplit("/", 1)[1]
    bad = client.post(
        "/practices/new",
        data={"csrf_token": csrf, "title": "x", "summary": "y", "body": "z",
              "topic": "gardening", "part_level": "SECRET"},
    )  # fmt: skip
    assert bad.status_code == 422 and "gardening" not in _ids(bad.text)
    assert client.post(f"/practices/{pid}/propose", data={"csrf_token": csrf}).status_code == 200
    chief = principal_of(fresh_node, "doe.chief")
    assert get_practice(fresh_node, chief, pid).status == "proposed"
    r = client.post(
        f"/practices/{pid}/endorse",
        data={"csrf_token": csrf, "meeting": "JWG 12", "on": "2026-11-30",
              "officers": "JPN NPA Sato"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:3000]
    view = get_practice(fresh_node, chief, pid)
    assert view.status == "endorsed" and view.endorsement is not None
    assert {o["nation"] for o in view.endorsement["officers"]} == {"USA", "JPN"}
    page = client.get(f"/practices/{pid}").text
    assert "endorsed at JWG 12" in page and 'data-version="3"' in page
    # an analyst is no officer: refused with the reason, nothing written
    analyst = client_of(fresh_node)
    token = sign_in(analyst, "doe.analyst")
    r = analyst.post(
        f"/practices/{pid}/endorse",
        data={"csrf_token": token, "meeting": "x", "on": "2026-11-30", "officers": "JPN NPA S"},
    )
    assert r.status_code == 403
    assert get_practice(fresh_node, chief, pid).version == 3
