"""The demo catalogue and facilities, and the meeting report built from them as a reader:
computed categories, two assessments per facility, banners from the records, nothing
the reader may not read (a NOFORN facility stays out of a Japanese reader's report)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from nucsec.markings import parse_banner
from nucsec.practices.vocabulary import topics
from nucsec.reports import render_html
from nucsec.service.assessments import assess_facility
from nucsec.service.facilities import add_facility
from nucsec.service.practice_report import meeting_csv, meeting_data, meeting_report, trend_svg
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.users import principal_of


@pytest.fixture
def seeded(demo_node):
    from nucsec.demo_practices import seed_practices

    counts = seed_practices(demo_node, {"USA", "JPN"})
    return demo_node, counts


def test_demo_seeds_the_catalogue_facilities_and_assessments(seeded):
    node, counts = seeded
    assert counts["practices"] >= 30 and counts["endorsed"] >= 2
    assert counts["facilities"] == 3 and counts["assessments"] == 6
    doe = principal_of(node, "doe.chief")
    data = meeting_data(node, doe)  # USA-classified records
    profiles = {fac.type: fac.profile for fac, _ in data.assessed}
    assert set(profiles) == {"fuel_fabrication", "source_user"}
    assert profiles["source_user"]["source_categories"][0] == 1
    assert profiles["fuel_fabrication"]["material_categories"] == ["III"]
    assert all(len(a) == 2 for _, a in data.assessed)
    jpn = meeting_data(node, principal_of(node, "npa.chief"), "JPN")
    assert [fac.profile["highest"] for fac, _ in jpn.assessed] == ["cat:I"]
    found = search_practices(node, principal_of(node, "npa.analyst"), PracticeFilter("核物質"))
    assert found.total >= 1
    assert "核物質" in found.items[0].title + found.items[0].summary
    labels = {code: t.label_ja for code, t in topics().items()}
    assert all("核物質" in i.title + i.summary + labels[i.topic] for i in found.items)


def test_meeting_report_renders_with_computed_banners(seeded):
    node, _ = seeded
    doe = principal_of(node, "doe.chief")
    data = meeting_data(node, doe)
    html = render_html(meeting_report(node, data), node.ctx, doe)
    assert "Endorsed practices" in html and "Demo city hospital (fictional)" in html
    assert "SECRET//NOFORN" in html  # one demo practice is NOFORN: the banner says so
    rows = list(csv.DictReader(io.StringIO(meeting_csv(data))))
    assert {r["facility"] for r in rows} == {fac.name for fac, _ in data.assessed}
    assert all(r["banner"] == "SECRET//REL TO USA, JPN" for r in rows)
    svg = trend_svg([("F", [(dt.date(2025, 1, 1), 50.0), (dt.date(2026, 1, 1), 70.0)])])
    line = re.search(r'<polyline[^>]* points="([^"]+)"', svg)
    assert line is not None
    xs = [float(pair.split(",")[0]) for pair in line.group(1).split()]
    assert len(xs) == 2 and 70.0 <= xs[0] < xs[1] <= 520.0  # on the chart, in date order


def test_report_leaves_out_what_the_reader_may_not_read(demo_node):
    node = demo_node
    doe = principal_of(node, "doe.analyst")
    record = {"name": "Secret site", "operator": "Op", "type": "storage"}
    hidden = add_facility(node, doe, record, parse_banner("SECRET//NOFORN", node.ctx))
    assess_facility(node, doe, hidden.id, {}, parse_banner("SECRET//NOFORN", node.ctx))
    shared = add_facility(
        node,
        doe,
        {**record, "name": "Shared site"},
        parse_banner("SECRET//REL TO USA, JPN", node.ctx),
    )
    assess_facility(node, doe, shared.id, {}, parse_banner("SECRET//REL TO USA, JPN", node.ctx))
    npa = principal_of(node, "npa.analyst")
    data = meeting_data(node, npa, "USA")
    assert [fac.name for fac, _ in data.assessed] == ["Shared site"]
    html = render_html(meeting_report(node, data), node.ctx, npa)
    assert "Secret site" not in html and "NOFORN" not in html
    assert "Secret site" not in meeting_csv(data)
    us = meeting_data(node, doe, "USA")
    assert sorted(fac.name for fac, _ in us.assessed) == ["Secret site", "Shared site"]
