"""The outboxes: filled only by the monitor's release decision, served only through the
boundary check, definitions before the objects that need them, signed pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, update

from nucsec.audit.tables import audit_events
from nucsec.federation import envelopes, stix
from nucsec.federation.jws import verify_detached
from nucsec.federation.outbox import on_version_written
from nucsec.federation.peers import get_peer
from nucsec.federation.tables import exchange_outbox
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.service.documents import DocumentInput, create_document, update_document
from nucsec.service.users import principal_of
from nucsec.store.records import RecordStore
from tests.federation.conftest import local_nodes, pin

RELEASED_TO_JPN = {
    "Gamma survey of seized container, Port of Long Beach (exercise)",
    "Forensics library comparison protocol, draft 3",
    "Radiation portal monitor alarm statistics, FY2010",
    "Working group meeting minutes, November 2010",
}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with local_nodes(tmp_path_factory.mktemp("outbox")) as make:
        usa, jpn = make("USA"), make("JPN")
        peer, counts = pin(usa, jpn, "jpn")
        yield {"usa": usa, "jpn": jpn, "peer": peer, "backfill": counts}


def rows(node: Node, peer: str = "jpn") -> list[Any]:
    with node.engine.connect() as conn:
        return list(
            conn.execute(
                select(exchange_outbox)
                .where(exchange_outbox.c.peer == peer)
                .order_by(exchange_outbox.c.seq)
            )
        )


def titles(node: Node) -> set[str]:
    """Titles of the documents in the outbox (not revoked)."""
    bodies = [json.loads(r.body) for r in rows(node) if r.record_id and not r.revoked]
    return {b["title"] for b in bodies if b["type"] == "x-nucsec-document"}


#: USA demo incidents the policy releases to JPN: the public cases and two REL TO JPN ones
INCIDENTS_TO_JPN = 6


def doc(
    node: Node, user: str, title: str, banner: str, body_banner: str | None = None
) -> dict[str, Any]:
    label = parse_banner(banner, node.ctx)
    body = parse_banner(body_banner, node.ctx) if body_banner else label
    return create_document(
        node, principal_of(node, user), DocumentInput(title, "body", label, body)
    )


def test_backfill_releases_only_what_the_monitor_allows(nodes: dict[str, Any]) -> None:
    assert titles(nodes["usa"]) == RELEASED_TO_JPN
    queued = len(RELEASED_TO_JPN) + INCIDENTS_TO_JPN
    assert nodes["backfill"] == {"queued": queued, "denied": 3 + 1, "recalled": 0}


def test_release_decisions_are_audited_with_denials(nodes: dict[str, Any]) -> None:
    with nodes["usa"].engine.connect() as conn:
        bodies = [
            json.loads(b)
            for b in conn.execute(
                select(audit_events.c.body).where(audit_events.c.action == "release.decide")
            ).scalars()
        ]
    denied = [b for b in bodies if b["outcome"] == "denied"]
    assert {tuple(b["details"]["denials"]) for b in denied} >= {
        ("nationality",),
        ("orcon_release",),
    }
    decided = [ref for b in bodies for ref in b["details"]["records"]]
    kinds = [ref.partition(":")[0] for ref in decided]
    assert (kinds.count("document"), kinds.count("incident")) == (7, 7)  # every USA demo record


def test_definitions_come_before_the_objects_that_reference_them(nodes: dict[str, Any]) -> None:
    seen: set[str] = set()
    added = []
    for r in rows(nodes["usa"]):
        obj = json.loads(r.body)
        added.append(r.date_added)
        if r.record_id is None:
            seen.add(obj["id"])
            continue
        refs = obj["object_marking_refs"] + [
            g["marking_ref"] for g in obj.get("granular_markings", [])
        ]
        assert set(refs) <= seen, obj["id"]
        assert obj["extensions"].keys() <= seen
        assert obj["created_by_ref"] in seen
    assert added == sorted(added) and len(set(added)) == len(added)  # date_added increases


def test_a_new_document_is_released_in_the_same_transaction(nodes: dict[str, Any]) -> None:
    usa = nodes["usa"]
    released = doc(usa, "doe.analyst", "Released now", "SECRET//REL TO USA, JPN")
    kept = doc(usa, "doe.analyst", "Kept home", "SECRET//NOFORN")
    ids = {r.record_id for r in rows(usa)}
    assert released["id"] in ids and kept["id"] not in ids


def test_a_portion_marked_noforn_keeps_the_whole_record_home(nodes: dict[str, Any]) -> None:
    usa = nodes["usa"]
    mixed = doc(usa, "doe.analyst", "Mixed", "SECRET//REL TO USA, JPN", "CONFIDENTIAL//NOFORN")
    assert mixed["banner"] == "SECRET//NOFORN"
    assert mixed["id"] not in {r.record_id for r in rows(usa)}


def test_tightening_a_released_label_queues_a_revocation(nodes: dict[str, Any]) -> None:
    usa = nodes["usa"]
    d = doc(usa, "doe.analyst", "Soon NOFORN", "CONFIDENTIAL//REL TO USA, JPN")
    analyst = principal_of(usa, "doe.analyst")
    noforn = parse_banner("CONFIDENTIAL//NOFORN", usa.ctx)
    update_document(usa, analyst, d["id"], DocumentInput("Soon NOFORN", "x", noforn, noforn))
    mine = [r for r in rows(usa) if r.record_id == d["id"]]
    assert [(r.record_version, r.revoked) for r in mine] == [(1, False), (2, True)]
    revocation = json.loads(mine[-1].body)
    assert "title" not in revocation and "body" not in revocation
    assert revocation["object_marking_refs"] == json.loads(mine[0].body)["object_marking_refs"][:1]


def test_widening_a_label_releases_the_new_version(nodes: dict[str, Any]) -> None:
    usa = nodes["usa"]
    d = doc(usa, "doe.analyst", "Later releasable", "SECRET//NOFORN")
    analyst = principal_of(usa, "doe.analyst")
    rel = parse_banner("SECRET//REL TO USA, JPN", usa.ctx)
    update_document(usa, analyst, d["id"], DocumentInput("Later releasable", "x", rel, rel))
    mine = [r for r in rows(usa) if r.record_id == d["id"]]
    assert [(r.record_version, r.revoked) for r in mine] == [(2, False)]


def test_received_records_are_never_released(nodes: dict[str, Any]) -> None:
    usa = nodes["usa"]
    made = doc(usa, "doe.analyst", "x", "UNCLASSIFIED")
    with usa.engine.begin() as conn:
        row = RecordStore(conn, usa.ctx).get("document", made["id"])
        assert row is not None
        assert on_version_written(usa, conn, "document", replace(row, origin="jpn")) == {}
        assert on_version_written(usa, conn, "document", row) == {"jpn": "unchanged"}


def _page(node: Node, peer_name: str, **filters: str) -> tuple[dict[str, Any], dict[str, str]]:
    with node.engine.begin() as conn:
        peer = get_peer(conn, peer_name)
        assert peer is not None
        page = envelopes.object_page(
            node, conn, peer, envelopes.Filters.parse(filters), {"nonce": "n"}
        )
        assert page is not None
    return json.loads(page.body), page.headers


def test_pages_are_signed_bundles_with_taxii_paging(nodes: dict[str, Any]) -> None:
    usa = nodes["usa"]
    first, headers = _page(usa, "jpn", limit="5", **{"match[version]": "all"})
    assert first["more"] is True and len(first["objects"]) == 5
    payload = json.dumps(
        {"id": first["x_nucsec_bundle"], "objects": first["objects"], "type": "bundle"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    claims = verify_detached(first["x_nucsec_jws"], payload, usa.key.public_key())
    assert claims["nonce"] == "n"
    nxt, _ = _page(
        usa,
        "jpn",
        limit="5",
        added_after=headers["X-TAXII-Date-Added-Last"],
        **{"match[version]": "all"},
    )
    assert not {o["id"] for o in nxt["objects"]} & {o["id"] for o in first["objects"]}


def test_the_boundary_withholds_what_the_first_path_let_through(nodes: dict[str, Any]) -> None:
    """Simulate a fault in the first path: an outbox row whose object now carries a NOFORN
    marking. The boundary reads the object as it is about to leave and withholds it."""
    usa = nodes["usa"]
    d = doc(usa, "doe.analyst", "Corrupted in the outbox", "SECRET//REL TO USA, JPN")
    noforn = parse_banner("SECRET//NOFORN", usa.ctx).with_(
        originator="USA.DOE", legal_basis=usa.ctx.default_basis
    )
    identity = stix.node_identity(usa.nation, usa.origin)["id"]
    marking = stix.label_marking(noforn, usa.ctx, identity)
    with usa.engine.begin() as conn:
        row = conn.execute(
            select(exchange_outbox.c.seq, exchange_outbox.c.body).where(
                exchange_outbox.c.record_id == d["id"]
            )
        ).one()
        obj = json.loads(row.body)
        obj["object_marking_refs"] = [marking["id"]]
        conn.execute(
            update(exchange_outbox)
            .where(exchange_outbox.c.seq == row.seq)
            .values(body=json.dumps(obj))
        )
        conn.execute(
            exchange_outbox.insert().values(
                peer="jpn",
                stix_id=marking["id"],
                stix_type="marking-definition",
                revoked=False,
                modified=marking["created"],
                date_added="2000-01-01T00:00:00.000000Z",
                body=json.dumps(marking),
                sha256="0" * 64,
                queued_at=usa.clock(),
            )
        )
    page, _ = _page(usa, "jpn", **{"match[id]": f"x-nucsec-document--{d['id']}"})
    assert page["objects"] == []
    with usa.engine.connect() as conn:
        denied = [
            json.loads(b)
            for b in conn.execute(
                select(audit_events.c.body).where(
                    audit_events.c.action == "release.send", audit_events.c.outcome == "denied"
                )
            ).scalars()
        ]
    assert any("NOFORN" in r for e in denied for r in e["details"]["reasons"])


def test_versions_queued_before_a_tightening_are_withheld_at_send(nodes: dict[str, Any]) -> None:
    """A document released as SECRET//REL TO USA, JPN and re-marked NOFORN before the peer
    pulled: version 1 is still in the outbox (followed by a revocation). At send time the
    monitor must release the record's *current* state, so version 1 is withheld (audited,
    explained) and only the content-free revocation leaves."""
    from nucsec.federation.explain import explain_release

    usa = nodes["usa"]
    d = doc(usa, "doe.analyst", "Re-marked before the send", "SECRET//REL TO USA, JPN")
    analyst = principal_of(usa, "doe.analyst")
    noforn = parse_banner("SECRET//NOFORN", usa.ctx)
    update_document(usa, analyst, d["id"], DocumentInput("Re-marked", "text", noforn, noforn))
    assert [r.record_version for r in rows(usa) if r.record_id == d["id"]] == [1, 2]
    match = {"match[id]": f"x-nucsec-document--{d['id']}", "match[version]": "all"}
    page, _ = _page(usa, "jpn", **match)
    sent = [o for o in page["objects"] if o["id"].endswith(d["id"])]
    assert sent and all(o.get("revoked") is True for o in sent), sent
    assert not any("title" in o or "body" in o for o in sent)
    with usa.engine.connect() as conn:
        withheld = [
            json.loads(b)
            for b in conn.execute(
                select(audit_events.c.body).where(
                    audit_events.c.action == "release.send",
                    audit_events.c.outcome == "denied",
                    audit_events.c.object_ref.like(f"%{d['id']}#v1"),
                )
            ).scalars()
        ]
    assert withheld and any("current" in r for r in withheld[-1]["details"]["reasons"])
    why = explain_release(usa, d["id"], "jpn")
    assert not why["allowed"]
    v1 = [e for e in why["outbox"] if e["version"] == 1]
    assert v1 and v1[0]["withheld"] is True
    assert "withheld" in why["summary"]
