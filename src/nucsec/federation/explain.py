""" "Why was this released to that partner, or not?" — for one record and one peer.

The answer puts side by side the two independent decisions a release needs (the reference
monitor's ``release`` decision with its reasons, and the boundary check of the object as
it would leave now), the ORCON approvals on record, and what actually happened: the
versions queued in the peer's outbox, whether each is withheld at send time (a version
queued before the label was tightened does not leave while the record's current state is
not released: :func:`nucsec.federation.envelopes.current_release`), and whether the peer's
signed receipt acknowledged them. A record received from a partner is never released
(third-party rule): the answer says so. Asking is audited (``policy.explain``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from nucsec.errors import NotFoundError
from nucsec.federation import boundary, stix
from nucsec.federation.envelopes import current_release
from nucsec.federation.outbox import Releaser, _times, orcon_nations
from nucsec.federation.peers import Peer, get_peer
from nucsec.federation.tables import exchange_outbox
from nucsec.markings.banner import render_banner, render_in
from nucsec.markings.errors import LabelError
from nucsec.node import Node
from nucsec.service.trail import emit
from nucsec.store.records import RecordRow, RecordStore

__all__ = ["explain_release"]


def _outbox(node: Node, conn: Connection, peer: Peer, record_id: str) -> list[dict[str, Any]]:
    current = current_release(node, conn, peer, [record_id]).get(record_id)
    held_back = current is None or bool(current.withheld)
    o = exchange_outbox.c
    rows = conn.execute(
        select(o.record_version, o.modified, o.date_added, o.revoked, o.acked_at)
        .where(o.peer == peer.name, o.record_id == record_id)
        .order_by(o.seq)
    )
    return [
        {
            "version": r[0],
            "modified": r[1],
            "queued": r[2],
            "revocation": bool(r[3]),
            "withheld": held_back and not r[3],  # content that would not leave now
            "acknowledged_at": r[4].isoformat() if r[4] else None,
        }
        for r in rows
    ]


def _boundary(
    node: Node, conn: Connection, peer: Peer, kind: str, row: RecordRow
) -> dict[str, Any]:
    releaser = Releaser(node, conn, peer)
    releaser._sent_definitions = set()  # we want every marking the object references
    version = RecordStore(conn, node.ctx).version(row)
    approvals = orcon_nations(conn, row.pk)
    rows = releaser.record_rows(kind, row, version, _times(conn, row.pk), approvals)
    bodies = [json.loads(r["body"]) for r in rows]
    markings = {b["id"]: b for b in bodies if b["type"] == "marking-definition"}
    verdict = boundary.check_object(
        bodies[-1],
        markings,
        sender=node.nation,
        recipient=peer.nation,
        ctx=node.ctx,
        orcon_approvals=approvals,
        recalled=row.recalled,
    )
    return verdict.to_dict()


def _summary(monitor: bool, bound: bool, sent: list[dict[str, Any]], row: RecordRow) -> str:
    if row.origin is not None:
        return f"received from {row.origin}: never released onward (third-party rule)"
    held = [s["version"] for s in sent if s["withheld"] and not s["acknowledged_at"]]
    if held:
        versions = ", ".join(str(v) for v in held)
        return (
            f"withheld at send: the record's current state is not released to the partner, "
            f"so queued version(s) {versions} do not leave"
            + ("; only the revocation notice does" if sent[-1]["revocation"] else "")
        )
    if sent and sent[-1]["revocation"]:
        return "the partner held it; it was then recalled or withdrawn there"
    if monitor and bound:
        head = [s for s in sent if s["version"] == row.version]
        if head and head[-1]["acknowledged_at"]:
            return "released; the partner's signed receipt acknowledged it"
        return "released (queued in the partner's outbox)" if head else "releasable, not queued yet"
    return "not released"


def explain_release(
    node: Node, record_id: str, peer_name: str, *, actor: str = "operator", kind: str = "document"
) -> dict[str, Any]:
    """The release decision for a record and a peer, with the reasons of both checks."""
    with node.engine.begin() as conn:
        peer = get_peer(conn, peer_name)
        if peer is None:
            raise NotFoundError(f"no active peer {peer_name!r}", field="peer", value=peer_name)
        row = RecordStore(conn, node.ctx).get(kind, record_id)
        if row is None:
            raise NotFoundError(f"{kind} {record_id} not found", field="id", value=record_id)
        releaser = Releaser(node, conn, peer)
        approvals = orcon_nations(conn, row.pk)
        decision = releaser.decide(kind, row, approvals, audit=False)
        label = releaser.label(row.label_id)
        bound = _boundary(node, conn, peer, kind, row) if row.origin is None else None
        sent = _outbox(node, conn, peer, record_id)
        emit(
            node,
            conn,
            actor=actor,
            action="policy.explain",
            obj=f"{kind}:{row.id}#v{row.version}",
            details={"peer": peer.name, "action": "release", "allowed": decision.allowed},
        )
    bound_ok = bool(bound and bound["allowed"])
    return {
        "document": row.id,
        "peer": peer.name,
        "nation": peer.nation,
        "version": row.version,
        "banner": render_banner(label, node.ctx),
        "banner_for_peer": _render_for(label, node, peer.nation),
        "origin": row.origin,
        "allowed": decision.allowed and bound_ok,
        "monitor": decision.to_dict(),
        "boundary": bound
        or {"allowed": False, "reasons": ["records received from a partner never leave"]},
        "orcon_approvals": sorted(approvals),
        "outbox": sent,
        "summary": _summary(decision.allowed, bound_ok, sent, row),
        "stix_id": f"{_stix_type(node, kind)}--{row.id}",
    }


def _stix_type(node: Node, kind: str) -> str:
    wire = node.kinds.get(kind).wire
    if wire is None:
        raise stix.StixError(f"{kind} records do not leave the node", field="kind")
    return wire.stix_type


def _render_for(label: Any, node: Node, nation: str) -> str | None:
    try:
        return render_in(label, node.ctx, nation, "en")
    except LabelError:  # a label with no equivalent in the peer's scheme
        return None
