"""What an auditor sees of the log is decided by the reference monitor: an event about a
record the auditor may not read shows who, when, action and outcome only; so does an
event whose details count records the auditor cannot check (another user's search
count, statistics). Events about records the auditor reads keep their details. The log
itself is untouched (``verify`` and proofs see every byte). Both views: the web's (and
the REST API's) and ``nucsec audit log``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nucsec.errors import NotFoundError
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.documents import (
    DocumentInput,
    count_documents,
    create_document,
    get_document,
)
from nucsec.service.users import principal_of
from nucsec.web import audit_view

DETAILED = {"kind", "label", "denials", "count", "ids", "query"}


@pytest.fixture
def noforn(demo_node: Node) -> dict[str, Any]:
    """A US NOFORN document, read by its author, refused to a Japanese analyst, and
    counted in a US search; plus a REL TO JPN document read by its author."""
    doe = principal_of(demo_node, "doe.analyst")
    label = parse_banner("SECRET//NOFORN", demo_node.ctx)
    hidden = create_document(demo_node, doe, DocumentInput("Hidden", "x", label, label))
    rel = parse_banner("CONFIDENTIAL//REL TO USA, JPN", demo_node.ctx)
    shared = create_document(demo_node, doe, DocumentInput("Shared", "x", rel, rel))
    get_document(demo_node, doe, hidden["id"])
    get_document(demo_node, doe, shared["id"])
    with pytest.raises(NotFoundError):  # the refusal is what the log must hold
        get_document(demo_node, principal_of(demo_node, "npa.analyst"), hidden["id"])
    count_documents(demo_node, doe, "Hidden")
    return {"hidden": hidden["id"], "shared": shared["id"], "doe": doe.id}


def _seen(node: Node, username: str) -> list[dict[str, Any]]:
    auditor = principal_of(node, username)
    return list(audit_view.query(node, auditor.id, who=None, since=None, limit=10_000)["items"])


def _about(events: list[dict[str, Any]], node: Node, record_id: str) -> list[dict[str, Any]]:
    """Events the log holds about ``record_id`` (by sequence number), as shown."""
    import nucsec.audit.queries as q

    with node.engine.connect() as conn:
        logged, _ = q.query_events(conn, limit=100_000)
    seqs = {e.seq for e in logged if record_id in json.dumps(e.to_dict())}
    return [e for e in events if e["seq"] in seqs]


def test_events_about_records_the_auditor_may_not_read_are_reduced(
    demo_node: Node, noforn: dict[str, Any]
) -> None:
    shown = _seen(demo_node, "jpn.auditor")  # HI (CONFIDENTIAL), Japanese: no NOFORN
    about = _about(shown, demo_node, noforn["hidden"])
    assert len(about) >= 3  # create, the author's read, the NPA analyst's refusal
    for event in about:
        assert set(event) >= {"seq", "time", "actor", "action", "outcome"}
        assert not (set(event.get("details") or {}) & DETAILED), event
        assert event.get("object") is None and event["reduced"] is True
    counted = [e for e in shown if e["action"] == "record.search" and e["actor"] == noforn["doe"]]
    assert counted and all("count" not in (e.get("details") or {}) for e in counted)
    shared = _about(shown, demo_node, noforn["shared"])
    assert shared and all("kind" in e["details"] for e in shared)  # readable: kept


def test_an_auditor_who_may_read_the_records_sees_the_details(
    demo_node: Node, noforn: dict[str, Any]
) -> None:
    shown = _seen(demo_node, "usa.auditor")  # SECRET, American: reads the NOFORN document
    about = _about(shown, demo_node, noforn["hidden"])
    assert about and all(not e.get("reduced") for e in about)
    denied = [e for e in about if e["outcome"] == "denied"]
    assert denied and denied[0]["details"]["denials"]
