"""Correlation on the incident page (issue 18): the other incidents that share a nuclide, a
material or the place, each with what it shares — only through incidents the viewer may
read. A hidden incident sharing the nuclide neither appears nor changes the count; a word
in a narrative is not a shared fact; the listing is audited with the ids shown."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from nucsec.audit.tables import audit_events
from nucsec.incidents.convert import incident_from_record
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.incidents import add_incident
from nucsec.service.users import get_user
from tests.web.conftest import TestClient, client_of, fresh_db_url, make_demo_node, sign_in

SOURCE = {"kind": "source", "nuclide": "Co-60", "activity": "3 TBq"}
PLACE = "Port of Example (fictional)"


def _add(node: Node, author: str, banner: str, reference: str, **record: Any) -> str:
    with node.engine.connect() as conn:
        principal = get_user(conn, author).principal
    facts = {
        "reference": reference,
        "report_date": "2024-02-01",
        "country": "US",
        "incident_type": "theft",
        "itdb_group": "I",
        "narrative": [{"label": banner, "text": record.pop("text", "Fictional test case.")}],
        **record,
    }
    view = add_incident(
        node, principal, incident_from_record(facts), parse_banner(banner, node.ctx)
    )
    return str(view.id)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("correlation")
    with fresh_db_url(home) as url:
        n = make_demo_node(home / "home", url)
        yield n
        n.close()


def _session(node: Node, user: str) -> TestClient:
    client = client_of(node)
    sign_in(client, user)
    return client


def _related(page: str) -> tuple[str, list[str]]:
    """The related-incidents section and the ids it lists."""
    found = re.search(
        r'<section aria-labelledby="related-h" id="related">(.*?)</section>', page, re.S
    )
    assert found, page[:1000]
    return found.group(1), re.findall(r'<tr data-id="([0-9a-f-]{36})">', found.group(1))


def test_shared_facts_link_incidents_and_a_hidden_one_changes_nothing(node: Node) -> None:
    anchor = _add(node, "dhs.chief", "UNCLASSIFIED", "CORR-A-1", items=[SOURCE], place=PLACE)
    both = _add(
        node,
        "dhs.chief",
        "UNCLASSIFIED",
        "CORR-B-1",
        items=[SOURCE, {"kind": "material", "material": "U", "mass_g": 1.0}],
        place=PLACE.upper(),
    )
    words = _add(  # names the nuclide and the place in its narrative only
        node, "dhs.chief", "UNCLASSIFIED", "CORR-N-1", text=f"Co-60 at {PLACE}?"
    )
    analyst = _session(node, "npa.analyst")  # a Japanese reader
    before, ids = _related(analyst.get(f"/incidents/{anchor}").text)
    assert both in ids and words not in ids and anchor not in ids
    row = re.search(rf'<tr data-id="{both}">(.*?)</tr>', before, re.S)
    assert row is not None
    assert "nuclide: <strong>Co-60</strong>" in row.group(1)
    assert f"place: <strong>{PLACE.upper()}</strong>" in row.group(1)
    assert "material" not in row.group(1)  # the anchor holds no material
    assert f"{len(ids)} related incident" in before

    hidden = _add(  # shares the nuclide and the place, but NOFORN: not for the JPN reader
        node, "dhs.chief", "SECRET//NOFORN", "CORR-H-1", items=[SOURCE], place=PLACE
    )
    after, ids_after = _related(analyst.get(f"/incidents/{anchor}").text)
    assert hidden not in ids_after
    assert after == before  # same rows, same count

    us = _session(node, "dhs.chief")  # who may read it sees the link
    _, ids_us = _related(us.get(f"/incidents/{anchor}").text)
    assert hidden in ids_us and both in ids_us and len(ids_us) == len(ids) + 1

    # the hidden incident's own page answers "not found" to the JPN reader, and its
    # correlations are not reachable either
    assert analyst.get(f"/incidents/{hidden}").status_code == 404

    with node.engine.connect() as conn:
        bodies = conn.execute(
            select(audit_events.c.body).where(audit_events.c.action == "record.list")
        ).scalars()
        listed = [json.loads(b)["details"] for b in bodies]
    mine = [d for d in listed if d.get("correlated_with") == anchor]
    assert mine and all(hidden not in d["ids"] for d in mine[:2])
    assert any(hidden in d["ids"] for d in mine)


def test_an_incident_without_items_or_place_lists_none(node: Node) -> None:
    lone = _add(node, "dhs.chief", "UNCLASSIFIED", "CORR-L-1")
    page = _session(node, "dhs.chief").get(f"/incidents/{lone}").text
    section, ids = _related(page)
    assert ids == [] and "No related incident that you may read." in section
