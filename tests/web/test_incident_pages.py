"""Incident pages: list with filters and paging, detail (assessment, portion marks,
attachments), create with the label picker, CSV import with its row report, trends (SVG
charts with English and Japanese names) and the offline map, each under the banner of
what it shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from nucsec.node import Node
from tests.web.conftest import TestClient, bearer, client_of, sign_in

Session = Callable[[str], tuple[TestClient, str]]
ABSENT = "00000000-0000-4000-8000-000000000000"
SPECTRUM = Path(__file__).resolve().parents[1] / "data" / "spectra" / "suro_rc101_cs137_EG3X.xml"


def _ids(html: str) -> list[str]:
    return re.findall(r'href="/incidents/([0-9a-f-]{36})"', html)


def _banner(html: str) -> list[str]:
    top = re.search(r'data-testid="banner-top">(.*?)</div>', html, re.S)
    assert top is not None
    return re.findall(r'<span class="marking[^"]*"[^>]*>([^<]+)</span>', top.group(1))


def test_list_filters_page_and_count(session_of: Session) -> None:
    client, _ = session_of("dhs.chief")
    page = client.get("/incidents").text
    total = int(re.search(r'data-testid="incident-count">(\d+)', page).group(1))  # type: ignore[union-attr]
    assert total == len(_ids(page)) == 9
    jp = client.get("/incidents", params={"country": "JP"}).text
    assert re.search(r'data-testid="incident-count">3 incidents', jp)
    assert "ITDB-2005-JP-FUKUI" in jp and "ITDB-2005-US-NJ" not in jp
    first = client.get("/incidents", params={"limit": 4}).text
    nxt = re.search(r'href="(/incidents\?[^"]*after=[^"]+)" rel="next"', first)
    assert nxt is not None and len(_ids(first)) == 4
    second = client.get(nxt.group(1).replace("&amp;", "&")).text
    assert not set(_ids(first)) & set(_ids(second))
    bad = client.get("/incidents", params={"group": "IV"})
    assert bad.status_code == 422


def test_list_banner_and_noforn_for_npa(session_of: Session) -> None:
    us, _ = session_of("dhs.chief")
    jp, _ = session_of("npa.analyst")
    assert _banner(us.get("/incidents").text)[0] == "SECRET//NOFORN"
    page = jp.get("/incidents").text
    assert "DEMO-US-2024-003" not in page
    assert _banner(page)[0].startswith("極秘") or "REL TO" in _banner(page)[0]
    hidden = _ids(us.get("/incidents", params={"q": "DEMO-US-2024-003"}).text)[0]
    got, ref = jp.get(f"/incidents/{hidden}"), jp.get(f"/incidents/{ABSENT}")
    assert got.status_code == ref.status_code == 404
    assert got.text.replace(hidden, "X") == ref.text.replace(ABSENT, "X")


def test_detail_shows_assessment_and_portion_marks(session_of: Session) -> None:
    client, _ = session_of("dhs.chief")
    georgia = _ids(client.get("/incidents", params={"q": "ITDB-2006-GE-HEU"}).text)[0]
    page = client.get(f"/incidents/{georgia}").text
    assert re.search(r'data-testid="weapons-usable">Weapons-usable material: <strong>YES', page)
    assert "<strong>III</strong>" in page  # ~80 g of 89 % HEU is Category III
    assert "(U)" in page  # the narrative's portion mark
    assert "ジョージア" in page


def test_create_with_a_narrative_paragraph_of_its_own(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "dhs.chief")
    form = {
        "csrf_token": csrf,
        "prefixes": ["facts", "n0", "n1", "n2"],
        "reference": "UI-2024-7",
        "report_date": "2024-04-02",
        "country": "US",
        "incident_type": "theft",
        "itdb_group": "I",
        "detection_mode": "police_intelligence",
        "sources": "\n".join(["Cs-137:0.19TBq"] * 6),
        "facts_level": "CONFIDENTIAL",
        "facts_dissem": "relto",
        "facts_rel": "JPN",
        "n0_text": "Six gauges recovered.",
        "n0_same": "on",
        "n1_text": "Informant detail.",
        "n1_level": "SECRET",
        "n1_dissem": "noforn",
    }
    preview = client.post("/ui/banner-preview", data=form).json()
    assert preview["ok"] and preview["banner"][0]["text"] == "SECRET//NOFORN"
    r = client.post("/incidents/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    page = client.get(r.headers["location"]).text
    assert "(C//REL TO USA, JPN)</span> Six gauges recovered." in page
    assert "(S//NF)</span> Informant detail." in page
    assert _banner(page)[0] == "SECRET//NOFORN"
    assert "<strong>2</strong>" in page  # six 0.19 TBq Cs-137 gauges together: Category 2
    npa = client_of(fresh_node)
    sign_in(npa, "npa.analyst")
    assert npa.get(r.headers["location"]).status_code == 404  # the roll-up is NOFORN
    bad = client.post("/incidents/new", data={**form, "country": "XX"})
    assert bad.status_code == 422 and 'data-field="country"' in bad.text
    no_csrf = client.post("/incidents/new", data={**form, "csrf_token": "x"})
    assert no_csrf.status_code == 403


def test_csv_import_page_reports_every_bad_row(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "npa.chief")
    listing = client.get("/incidents").text
    assert 'href="/api/v1/incidents/export?format=stix"' in listing
    stix = client.get("/api/v1/incidents/export?format=stix")  # the page's link, signed in
    assert stix.status_code == 200 and stix.json()["type"] == "bundle"
    header = client.get("/api/v1/incidents/export").text.splitlines()[0]
    cols = header.split(",")

    def row(**v: str) -> str:
        return ",".join(v.get(c, "") for c in cols)

    base = {"record": "incident", "report_date": "2023-05-01", "incident_type": "loss"}
    text = "\r\n".join(
        [
            header,
            row(reference="P-1", country="JP", itdb_group="III", **base),
            row(reference="P-2", country="JP", itdb_group="VII", **base),
            row(reference="P-3", country="Atlantis", itdb_group="II", **base),
        ]
    )
    form = {"csrf_token": csrf, "facts_level": "HI", "facts_dissem": "relto", "facts_rel": "USA"}
    files = {"file": ("in.csv", text.encode(), "text/csv")}
    r = client.post("/incidents/import", data=form, files=files)
    assert r.status_code == 422
    assert "Created <strong>0</strong>" in r.text and "bad rows <strong>2</strong>" in r.text
    errors = re.findall(
        r"<tr><td class=\"num\">(\d+)</td><td>([^<]+)</td><td><code>([^<]*)</code>", r.text
    )
    assert errors == [("3", "P-2", "itdb_group"), ("4", "P-3", "country")]
    r = client.post("/incidents/import", data={**form, "partial": "on"}, files=files)
    assert r.status_code == 200 and "Created <strong>1</strong>" in r.text
    created = re.findall(r'<a href="/incidents/([0-9a-f-]{36})">([^<]+)</a>', r.text)
    assert [ref for _, ref in created] == ["P-1"]  # listed by reference, not "1"
    assert "P-1" in client.get("/incidents", params={"q": "P-1"}).text
    again = client.post("/incidents/import", data={**form, "partial": "on"}, files=files)
    updated = 'data-testid="import-updated">Updated: <a href="/incidents/' + created[0][0]
    assert updated in again.text


def test_csv_import_page_lists_every_problem_of_a_row_and_links_what_it_created(
    fresh_node: Node,
) -> None:
    """A row with three bad cells shows three lines of the report (field and message
    each), a narrative marking the node does not know is one more, nothing is imported;
    once fixed, the result links each created incident by its reference."""
    client = client_of(fresh_node)
    csrf = sign_in(client, "npa.chief")
    cols = client.get("/api/v1/incidents/export").text.splitlines()[0].split(",")

    def row(**v: str) -> str:
        return ",".join(v.get(c, "") for c in cols)

    bad = {"report_date": "2023-02-30", "country": "Atlantis", "itdb_group": "IX"}
    text = "\r\n".join(
        [
            ",".join(cols),
            row(reference="Q-1", record="incident", incident_type="loss", **bad),
            row(reference="Q-1", record="portion", label="SEKRIT//NOWHERE", text="found"),
            row(reference="Q-2", record="incident", report_date="2023-05-01", country="JP",
                incident_type="loss", itdb_group="III"),
        ]
    )  # fmt: skip
    form = {"csrf_token": csrf, "facts_level": "HI", "facts_dissem": "relto", "facts_rel": "USA"}
    files = {"file": ("in.csv", text.encode(), "text/csv")}
    before = client.get("/incidents", params={"q": "Q-2"}).text
    r = client.post("/incidents/import", data=form, files=files)
    assert r.status_code == 422
    assert "bad rows <strong>2</strong> (4 problems)" in r.text
    assert 'id="form-error">2 bad rows: nothing was imported.</p>' in r.text
    client.post("/language", data={"language": "ja", "csrf_token": csrf, "next": "/"})
    ja = client.post("/incidents/import", data=form, files=files)
    assert 'id="form-error">不正な行が 2 件あるため、何も取り込んでいません。</p>' in ja.text
    client.post("/language", data={"language": "en", "csrf_token": csrf, "next": "/"})
    shown = re.findall(
        r"<tr><td class=\"num\">(\d+)</td><td>([^<]+)</td><td><code>([^<]*)</code></td>"
        r"<td>([^<]+)</td>",
        r.text,
    )
    assert [(line, ref, field) for line, ref, field, _ in shown] == [
        ("2", "Q-1", "report_date"),
        ("2", "Q-1", "country"),
        ("2", "Q-1", "itdb_group"),
        ("3", "Q-1", "label"),
    ]
    assert "not a date" in shown[0][3] and "IX" in shown[2][3]
    assert client.get("/incidents", params={"q": "Q-2"}).text.count("Q-2") == before.count("Q-2")
    fixed = text.replace("2023-02-30", "2023-02-28").replace("Atlantis", "JP")
    fixed = "\r\n".join(
        line for line in fixed.replace(",IX,", ",III,").split("\r\n") if "SEKRIT" not in line
    )
    ok = client.post(
        "/incidents/import", data=form, files={"file": ("in.csv", fixed.encode(), "text/csv")}
    )
    assert ok.status_code == 200, ok.text
    links = re.findall(
        r'<a href="/incidents/([0-9a-f-]{36})">([^<]+)</a>',
        ok.text.split('data-testid="import-created"')[1].split("</p>")[0],
    )
    assert sorted(ref for _, ref in links) == ["Q-1", "Q-2"]
    for record_id, ref in links:
        assert ref in client.get(f"/incidents/{record_id}").text


def test_trends_count_only_what_the_viewer_may_read(session_of: Session) -> None:
    us, _ = session_of("dhs.chief")
    jp, _ = session_of("npa.analyst")
    for client, user in ((us, "dhs.chief"), (jp, "npa.analyst")):
        page = client.get("/incidents/trends").text
        total = int(re.search(r'data-testid="stats-total">Counted: <strong>(\d+)', page).group(1))  # type: ignore[union-attr]
        listed = len(_ids(client.get("/incidents").text))
        assert total == listed, user
        bars = [
            int(n)
            for n in re.findall(r'data-year="\d+" data-group="[IV]+" data-count="(\d+)"', page)
        ]
        assert sum(bars) == total, user
        assert "盗取" in page and "グループI" in page  # Japanese names
    assert (
        _banner(us.get("/incidents/trends").text)[0] == "SECRET//NOFORN"
    )  # counts a NOFORN incident
    assert "NOFORN" not in _banner(jp.get("/incidents/trends").text)[0]


def test_map_colours_countries_by_readable_counts(session_of: Session) -> None:
    us, _ = session_of("dhs.chief")
    jp, _ = session_of("npa.analyst")
    us_page, jp_page = us.get("/incidents/map").text, jp.get("/incidents/map").text
    us_n = int(re.search(r'data-country="US" data-count="(\d+)"', us_page).group(1))  # type: ignore[union-attr]
    jp_n = int(re.search(r'data-country="US" data-count="(\d+)"', jp_page).group(1))  # type: ignore[union-attr]
    assert us_n == jp_n + 1  # the SECRET//NOFORN US incident is not on the NPA analyst's map
    assert 'data-country="JP" data-count="3"' in jp_page
    assert "tile" not in jp_page.lower() and "https://" not in jp_page


def test_attach_on_the_incident_page(fresh_node: Node) -> None:
    client = client_of(fresh_node)
    csrf = sign_in(client, "dhs.chief")
    incident = _ids(client.get("/incidents", params={"q": "DEMO-US-2023-007"}).text)[0]
    files = {"file": ("cs.xml", SPECTRUM.read_bytes(), "application/xml")}
    r = client.post(
        f"/incidents/{incident}/attachments",
        data={"csrf_token": csrf, "description": "RIID"},
        files=files,
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/incidents/{incident}").text
    assert "cs.xml" in page and "Analyse spectrum" in page
    assert f"/api/v1/incidents/{incident}/attachments/" in page
    forged = client.post(
        f"/incidents/{incident}/attachments", data={"csrf_token": "no"}, files=files
    )
    assert forged.status_code == 403
    token = bearer(fresh_node, "dhs.chief")
    assert (
        len(client.get(f"/api/v1/incidents/{incident}/attachments", headers=token).json()["items"])
        == 1
    )


def test_csv_import_page_refused_by_the_monitor_writes_and_queues_nothing(
    fresh_node: Node,
) -> None:
    """All or nothing on the web form: the page lists the refused row, nothing is written
    or queued for the partner (twice)."""
    from tests.incidents.import_cases import IMPORTER, add_partner, refused_row_csv, written

    add_partner(fresh_node)
    client = client_of(fresh_node)
    csrf = sign_in(client, IMPORTER)
    before = written(fresh_node)
    form = {"csrf_token": csrf, "facts_level": "SECRET", "facts_dissem": "relto"}
    form["facts_rel"] = "JPN"
    files = {"file": ("refused.csv", refused_row_csv().encode(), "text/csv")}
    for _ in range(2):
        r = client.post("/incidents/import", data=form, files=files)
        assert r.status_code == 422, r.text
        assert "AON-2" in r.text and "Created <strong>0</strong>" in r.text
        assert written(fresh_node) == before
