"""Findings into the node: labelled analyses stored in batches, one audit event each,
exactly once, through the reference monitor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nucsec.archive.findings import is_finding, store
from nucsec.archive.simulated import make_archive
from nucsec.archive.sources import plan
from nucsec.archive.worker import Options, analyze_chunk
from nucsec.audit.events import decode_event
from nucsec.audit.tables import audit_events
from nucsec.errors import AccessDenied, NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.analyses import get_analysis, list_analyses
from nucsec.service.users import principal_of

LABEL = "SECRET//REL TO USA, JPN"


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = make_archive(tmp_path_factory.mktemp("findings"), 12, seed=11)[0].parent
    items = [i for i, _ in plan([str(folder)], 1 << 26)]
    return analyze_chunk(items, Options()).drop_columns(["features"]).to_pylist()


def _archive_events(node: Node) -> list[Any]:
    with node.engine.connect() as conn:
        bodies = conn.execute(select(audit_events.c.body).order_by(audit_events.c.seq)).scalars()
        events = [decode_event(b) for b in bodies]
    return [e for e in events if (e.object_ref or "").startswith("archive:")]


def test_findings_are_stored_in_audited_batches_exactly_once(
    demo_node: Node, rows: list[dict[str, Any]]
) -> None:
    analyst = principal_of(demo_node, "doe.analyst")
    label = parse_banner(LABEL, demo_node.ctx)
    classes = ("SNM", "anomaly", "industrial", "medical")
    wanted = [r for r in rows if is_finding(r, classes, 0.5)]
    assert 3 <= len(wanted) < len(rows)  # some background spectra are no finding
    out = store(demo_node, analyst, label, "job-1", rows, min_confidence=0.5, batch=2)
    assert out["stored"] == out["findings"] == len(wanted)
    events = _archive_events(demo_node)
    assert len(events) == out["batches"] == (len(wanted) + 1) // 2  # one event per batch
    listed = [i for e in events for i in e.details["ids"]]
    assert sorted(listed) == sorted(out["ids"])
    assert all(e.action == "record.create" and e.actor == analyst.id for e in events)
    assert [e.object_ref for e in events] == [f"archive:job-1#b{n}" for n in range(len(events))]

    view = get_analysis(demo_node, principal_of(demo_node, "npa.analyst"), out["ids"][0])
    assert view["method"] == "spectrum" and view["banner"] == LABEL
    assert view["result"]["triage"]["class"] in classes
    assert view["source"] == {
        "archive_job": "job-1",
        "file_sha256": view["result"]["archive"]["file_sha256"],
    }
    page = list_analyses(demo_node, analyst, limit=100)
    assert set(out["ids"]) <= {i["id"] for i in page["items"]}
    with pytest.raises(NotFoundError):  # CONFIDENTIAL clearance: not even told it exists
        get_analysis(demo_node, principal_of(demo_node, "dhs.analyst"), out["ids"][0])

    again = store(demo_node, analyst, label, "job-1", rows, min_confidence=0.5, batch=2)
    assert again["stored"] == 0 and again["findings"] == len(wanted)
    assert len(_archive_events(demo_node)) == len(events)  # nothing new, nothing audited


def test_a_label_the_user_may_not_write_is_refused_and_audited(
    demo_node: Node, rows: list[dict[str, Any]]
) -> None:
    low = principal_of(demo_node, "dhs.analyst")  # CONFIDENTIAL clearance
    label = parse_banner("TOP SECRET//REL TO USA", demo_node.ctx)
    with pytest.raises(AccessDenied):
        store(demo_node, low, label, "job-2", rows, min_confidence=0.5)
    with demo_node.engine.connect() as conn:
        events = [decode_event(b) for b in conn.execute(select(audit_events.c.body)).scalars()]
    denied = [e for e in events if e.outcome == "denied" and e.action == "record.create"]
    assert len(denied) == 1 and denied[0].details["kind"] == "analysis"


def test_unknown_finding_classes_are_refused(demo_node: Node, tmp_path: Path) -> None:
    from nucsec.errors import InputError

    analyst = principal_of(demo_node, "doe.analyst")
    with pytest.raises(InputError):
        store(demo_node, analyst, parse_banner(LABEL, demo_node.ctx), "j", [], classes=("bad",))


def test_a_finding_shows_on_the_analysis_page(demo_node: Node, rows: list[dict[str, Any]]) -> None:
    from tests.web.conftest import client_of, sign_in

    analyst = principal_of(demo_node, "doe.analyst")
    out = store(demo_node, analyst, parse_banner(LABEL, demo_node.ctx), "job-3", rows)
    assert out["stored"] >= 1
    client = client_of(demo_node)
    sign_in(client, "doe.analyst")
    page = client.get(f"/analyses/{out['ids'][0]}")
    assert page.status_code == 200
    view = get_analysis(demo_node, analyst, out["ids"][0])
    first = view["result"]["nuclides"][0]["name"]
    assert first in page.text and "Archive spectrum" in page.text
