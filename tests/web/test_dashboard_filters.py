"""The home dashboard's counts, "new since your last visit", trends and their drill-down
links; the list pages' filters in the URL; typed errors on pages in the reader's language.

The counts go through the monitor's SQL twin: a record the viewer may not read is absent
from the lists AND from the counts; the dashboard's banner covers what it counts."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.documents import DocumentInput, create_document
from nucsec.service.record_counts import week_starts
from nucsec.service.users import principal_of
from nucsec.web.pages.dashboard import trend_svg
from tests.web.conftest import bearer, client_of, sign_in


def _doc(node: Node, user: str, title: str, banner: str) -> str:
    label = parse_banner(banner, node.ctx)
    doc = DocumentInput(title, "x", label, label)
    return str(create_document(node, principal_of(node, user), doc)["id"])


def _top_banner(html: str) -> str:
    found = re.search(r'data-testid="banner-top">\s*<span[^>]*>([^<]*)<', html)
    assert found, "no banner"
    return found.group(1)


def _kind_row(html: str, kind: str) -> str:
    found = re.search(rf'<li data-kind="{kind}">(.*?)</li>', html, re.S)
    assert found, kind
    return found.group(1)


def test_dashboard_banner_covers_what_it_counts(fresh_node: Node) -> None:
    hidden = _doc(fresh_node, "doe.analyst", "Counted not listed (test)", "SECRET//NOFORN")
    for i in range(12):  # push it out of the ten latest documents the home page lists
        _doc(fresh_node, "doe.analyst", f"Plain {i} (test)", "UNCLASSIFIED")
    us = client_of(fresh_node)
    sign_in(us, "doe.analyst")
    home = us.get("/").text
    assert hidden not in home and "Counted not listed" not in home
    assert "NOFORN" in _top_banner(home)
    # the Japanese analyst may not read it: not counted, and the banner does not say NOFORN
    jp = client_of(fresh_node)
    sign_in(jp, "npa.analyst")
    jp_home = jp.get("/").text
    us_docs = int(re.search(r"<strong>(\d+)</strong>", _kind_row(home, "documents")).group(1))  # type: ignore[union-attr]
    jp_docs = int(re.search(r"<strong>(\d+)</strong>", _kind_row(jp_home, "documents")).group(1))  # type: ignore[union-attr]
    assert us_docs == jp_docs + 1 + _noforn_demo_docs(fresh_node)


def _noforn_demo_docs(node: Node) -> int:
    from nucsec.service.documents import count_documents

    us = count_documents(node, principal_of(node, "doe.analyst"))
    jp = count_documents(node, principal_of(node, "npa.analyst"))
    return us - jp - 1  # the demo's own documents the Japanese analyst may not read


def test_new_since_last_visit_counts_and_links_to_the_filtered_list(fresh_node: Node) -> None:
    first = client_of(fresh_node)
    sign_in(first, "npa.analyst")  # the first visit
    assert 'class="new-since"' not in first.get("/").text
    made = _doc(fresh_node, "doe.analyst", "New since (test)", "SECRET//REL TO USA, JPN")
    hidden = _doc(fresh_node, "doe.chief", "Hidden new (test)", "SECRET//NOFORN")
    jp = client_of(fresh_node)
    sign_in(jp, "npa.analyst")  # the next visit: both records are newer than the first
    row = _kind_row(jp.get("/").text, "documents")
    new = re.search(r'href="([^"]+)" class="new-since" data-new="(\d+)"', row)
    assert new, row
    url, count = unescape(new.group(1)), int(new.group(2))
    assert parse_qs(urlsplit(url).query)["changed_after"]
    listed = jp.get(url).text
    assert made in listed and hidden not in listed
    shown = re.search(r'data-testid="result-count">(\d+)', listed)
    assert shown and int(shown.group(1)) == count


def test_trend_bars_link_to_their_week(fresh_node: Node) -> None:
    made = _doc(fresh_node, "doe.analyst", "This week (test)", "SECRET//REL TO USA, JPN")
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    row = _kind_row(client.get("/").text, "documents")
    monday = week_starts(dt.datetime.now(dt.UTC).date())[-1]
    bar = re.search(
        rf'<a href="([^"]+)" aria-label="[^"]*"><rect[^>]*data-week="{monday}" data-count="(\d+)"',
        row,
    )
    assert bar, row
    url, count = unescape(bar.group(1)), int(bar.group(2))
    assert count >= 1
    listed = client.get(url).text
    assert made in listed
    shown = re.search(r'data-testid="result-count">(\d+)', listed)
    assert shown and int(shown.group(1)) == count


def test_trend_svg_names_every_bar() -> None:
    starts = week_starts(dt.date(2026, 12, 9), 3)
    svg = trend_svg("Docs", (1, 0, 4), starts, str, lambda d: f"/documents?date_from={d}")
    assert svg.count("<a href=") == 3 and svg.count("aria-label=") == 4
    assert 'data-week="2026-11-23" data-count="1"' in svg
    assert 'data-week="2026-12-07" data-count="4"' in svg


def test_filters_stay_in_the_url_across_pages(fresh_node: Node) -> None:
    for i in range(4):
        _doc(fresh_node, "npa.analyst", f"Japanese {i} (test)", "HI//REL TO USA, JPN")
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    page = client.get("/documents", params={"nation": "JPN", "sort": "title", "limit": 2}).text
    nxt = re.search(r'href="([^"]+)" rel="next"', page)
    assert nxt
    query = parse_qs(urlsplit(unescape(nxt.group(1))).query)
    assert query["nation"] == ["JPN"] and query["sort"] == ["title"]
    assert 'value="JPN" selected' in page


def test_incident_list_filters_by_nation(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    every = client.get("/incidents").text
    us = client.get("/incidents", params={"nation": "USA"}).text
    jp = client.get("/incidents", params={"nation": "JPN"}).text

    def n(html: str) -> int:
        found = re.search(r'data-testid="incident-count">\D*(\d+)', html)
        assert found
        return int(found.group(1))

    assert n(us) + n(jp) == n(every)


def test_errors_on_pages_come_in_the_readers_language(fresh_node: Node) -> None:
    jp, us = client_of(fresh_node), client_of(fresh_node)
    csrf = sign_in(jp, "npa.analyst")
    switched = jp.post("/language", data={"language": "ja", "csrf_token": csrf, "next": "/"})
    assert switched.status_code == 200 and '<html lang="ja"' in switched.text
    sign_in(us, "doe.analyst")
    bad = {"level": "ULTRA"}
    jp_page, us_page = jp.get("/documents", params=bad), us.get("/documents", params=bad)
    assert jp_page.status_code == us_page.status_code == 422
    assert "unknown classification level" in us_page.text
    assert "unknown classification level" not in jp_page.text
    assert "不明な秘密区分" in jp_page.text
    missing = "00000000-0000-0000-0000-000000000000"
    jp_404, us_404 = jp.get(f"/documents/{missing}"), us.get(f"/documents/{missing}")
    assert jp_404.status_code == us_404.status_code == 404
    assert f"document {missing} not found" in us_404.text
    assert "見つかりません" in jp_404.text and "not found" not in jp_404.text
    # the API's JSON error is unchanged, in English
    api = jp.get(f"/api/v1/documents/{missing}", headers=bearer(fresh_node, "npa.analyst"))
    assert api.json()["message"] == f"document {missing} not found"


def _incident_count(html: str) -> int:
    found = re.search(r'data-testid="incident-count">\D*(\d+)', html)
    assert found
    return int(found.group(1))


def test_trends_and_map_drill_down_to_the_filtered_list(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    sign_in(client, "npa.analyst")
    trends = client.get("/incidents/trends").text
    links = re.findall(
        r'<a href="(/incidents\?[^"]+)" aria-label="[^"]*"><rect[^>]*data-count="(\d+)"', trends
    )
    assert links, "no drill-down link on the trends page"
    for url, count in links[:4] + links[-4:]:  # by year and group, and by group
        assert _incident_count(client.get(unescape(url)).text) == int(count), url
    mapped = client.get("/incidents/map").text
    countries = re.findall(
        r'<a href="(/incidents\?country=[A-Z]{2})" aria-label="[^"]*"><path[^>]*data-count="(\d+)"',
        mapped,
    )
    assert countries
    for url, count in countries[:3]:
        assert _incident_count(client.get(unescape(url)).text) == int(count), url
    # a range of several years has no drill-down (the list filters on one year at most)
    ranged = client.get("/incidents/trends", params={"year_from": 2000, "year_to": 2020}).text
    assert "/incidents?type=" not in ranged
    assert 'name="year_from" type="number" min="1900" max="2200" value="2000"' in ranged
