"""The home page's dashboard (issue 18): open forensic work — cases whose current stage is
due, soonest first — and how many records of each kind the viewer may read, both through
the monitor: a case the viewer may not read is not listed and not counted."""

from __future__ import annotations

import re

from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service import cases
from nucsec.service.users import get_user
from tests.web.conftest import client_of, sign_in


def _open(node: Node, author: str, title: str, banner: str) -> str:
    with node.engine.connect() as conn:
        principal = get_user(conn, author).principal
    return str(cases.open_case(node, principal, title, parse_banner(banner, node.ctx)).id)


def _count(page: str, test_id: str) -> int:
    found = re.search(rf'data-testid="{test_id}">(\d+)', page)
    assert found, test_id
    return int(found.group(1))


def test_open_work_and_counts_only_of_what_the_viewer_may_read(fresh_node: Node) -> None:
    shared = _open(fresh_node, "doe.chief", "Shared case (test)", "SECRET//REL TO USA, JPN")
    hidden = _open(fresh_node, "doe.chief", "US-only case (test)", "SECRET//NOFORN")
    jp, us = client_of(fresh_node), client_of(fresh_node)
    sign_in(jp, "npa.chief")
    sign_in(us, "doe.chief")
    jp_home, us_home = jp.get("/").text, us.get("/").text
    assert f'data-case="{shared}"' in jp_home and f'data-case="{hidden}"' not in jp_home
    assert f'data-case="{shared}"' in us_home and f'data-case="{hidden}"' in us_home
    jp_cases = re.search(r'<li data-kind="cases">.*?<strong>(\d+)</strong>', jp_home)
    us_cases = re.search(r'<li data-kind="cases">.*?<strong>(\d+)</strong>', us_home)
    assert jp_cases and us_cases
    assert int(us_cases.group(1)) == int(jp_cases.group(1)) + 1  # the NOFORN case
    # the documents count is the one the page already gave (another query of the monitor)
    docs = re.search(r'<li data-kind="documents">.*?<strong>(\d+)</strong>', jp_home)
    assert docs and int(docs.group(1)) == _count(jp_home, "visible-count")
    # the incidents count matches the incident list's count for the same reader
    listed = re.search(r'data-testid="incident-count">\D*(\d+)', jp.get("/incidents").text)
    incidents = re.search(r'<li data-kind="incidents">.*?<strong>(\d+)</strong>', jp_home)
    assert listed and incidents and incidents.group(1) == listed.group(1)
