"""What the release pages show besides ``release explain``: the ORCON approval queue and
each peer's exchange status.

:func:`orcon_queue` lists the ORCON records a principal may read (the monitor's SQL twin
filters them in the database) that still wait for the originator's approval for some
active partner's nation. :func:`peer_status` sums up one partner from the exchange tables:
the last pages pulled from it and the last bundles it acknowledged (time, direction,
counts), the latest refusals (errors), and what waits in its outbox. Both are audited
like a listing (``record.list``).

:func:`release_state` classifies a :func:`nucsec.federation.explain.explain_release`
answer for a page (sent, pending, withheld, withdrawn, received); the reasons stay those of
the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, case, func, select

from nucsec.federation.peers import Peer, list_peers
from nucsec.federation.tables import (
    exchange_cursors,
    exchange_inbound,
    exchange_outbox,
    exchange_rejections,
)
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.service.trail import emit, reading
from nucsec.store.labels import LABEL_TABLES, load_label
from nucsec.store.schema import labels, orcon_approvals, records

__all__ = [
    "QueueItem",
    "nucsec_peers",
    "orcon_queue",
    "peer_status",
    "release_state",
]

QUEUE_LIMIT = 200
RUNS_SHOWN = 5
ERRORS_SHOWN = 10


def nucsec_peers(conn: Connection) -> list[Peer]:
    """The active partners records are released to (plain TAXII sources receive nothing)."""
    return [p for p in list_peers(conn) if p.kind == "nucsec"]


def release_state(explained: dict[str, Any]) -> str:
    """``received``, ``withdrawn``, ``withheld``, ``sent`` or ``pending`` for an answer of
    :func:`~nucsec.federation.explain.explain_release` (the same order of checks as its
    summary)."""
    sent = explained["outbox"]
    if explained["origin"] is not None:
        return "received"
    if any(s["withheld"] and not s["acknowledged_at"] for s in sent):
        return "withheld"
    if sent and sent[-1]["revocation"]:
        return "withdrawn"
    if not explained["allowed"]:
        return "withheld"
    head = [s for s in sent if s["version"] == explained["version"]]
    return "sent" if head and head[-1]["acknowledged_at"] else "pending"


@dataclass(frozen=True)
class QueueItem:
    """An ORCON record and the partners' nations its originator has not approved yet."""

    kind: str
    collection: str
    id: str
    title: str
    label_id: int
    originator: str | None
    approved: tuple[str, ...]
    waiting: tuple[Peer, ...] = field(default=())


def orcon_queue(node: Node, principal: Principal, *, mine_only: bool) -> list[QueueItem]:
    """ORCON records ``principal`` may read that wait for approval for some active peer,
    newest first (at most :data:`QUEUE_LIMIT`); ``mine_only``: originated by the
    principal's agency (those it may approve). Audited as a listing."""
    kinds = {k.name: k for k in node.kinds.federated}
    where: list[Any] = [
        records.c.kind.in_(sorted(kinds)),
        records.c.origin.is_(None),
        records.c.recalled.is_(False),
        labels.c.orcon.is_(True),
        records.c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES)),
    ]
    if mine_only:
        where.append(labels.c.originator == (principal.qualified_agency or ""))
    columns = (records.c.pk, records.c.kind, records.c.id, records.c.title, records.c.label_id)
    with reading(node) as (conn, recorder):
        peers = nucsec_peers(conn)
        rows = conn.execute(
            select(*columns, labels.c.originator)
            .select_from(records.join(labels, labels.c.id == records.c.label_id))
            .where(*where)
            .order_by(records.c.pk.desc())
            .limit(QUEUE_LIMIT)
        ).all()
        approvals: dict[int, set[str]] = {}
        pks = [r[0] for r in rows]
        for pk, nation in conn.execute(
            select(orcon_approvals.c.record_pk, orcon_approvals.c.nation).where(
                orcon_approvals.c.record_pk.in_(pks)
            )
        ):
            approvals.setdefault(pk, set()).add(nation)
        items = []
        for pk, kind, rid, title, label_id, originator in rows:
            done = approvals.get(pk, set())
            waiting = tuple(p for p in peers if p.nation not in done)
            if waiting:
                approved = tuple(sorted(done))
                collection = kinds[kind].collection
                items.append(
                    QueueItem(kind, collection, rid, title, label_id, originator, approved, waiting)
                )
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.list",
            details={"kind": "orcon-queue", "ids": [i.id for i in items], "count": len(items)},
        )
    return items


def queue_labels(node: Node, items: list[QueueItem]) -> list[Any]:
    """The labels of the queued records (the page banner is computed from them)."""
    with node.engine.connect() as conn:
        return [load_label(conn, i.label_id) for i in items]


def _runs_in(conn: Connection, peer: str) -> list[dict[str, Any]]:
    """The last pages pulled from the peer: time, objects stored, of which revocations."""
    i = exchange_inbound.c
    rows = conn.execute(
        select(
            i.bundle_id,
            func.max(i.received_at),
            func.count(),
            func.sum(case((i.revoked.is_(True), 1), else_=0)),
        )
        .where(i.peer == peer)
        .group_by(i.bundle_id)
        .order_by(func.max(i.received_at).desc())
        .limit(RUNS_SHOWN)
    ).all()
    return [
        {"direction": "in", "at": r[1], "objects": int(r[2]), "revoked": int(r[3] or 0)}
        for r in rows
    ]


def _runs_out(conn: Connection, peer: str) -> list[dict[str, Any]]:
    """The last bundles the peer acknowledged (its signed receipts): time and objects."""
    o = exchange_outbox.c
    rows = conn.execute(
        select(o.acked_at, func.count(), func.count(o.record_id))
        .where(o.peer == peer, o.acked_at.is_not(None))
        .group_by(o.acked_at)
        .order_by(o.acked_at.desc())
        .limit(RUNS_SHOWN)
    ).all()
    return [
        {"direction": "out", "at": r[0], "objects": int(r[1]), "records": int(r[2])} for r in rows
    ]


def _waiting(conn: Connection, peer: str) -> list[dict[str, Any]]:
    """Record versions and revocations queued for the peer, not acknowledged yet, by type."""
    o = exchange_outbox.c
    rows = conn.execute(
        select(o.stix_type, o.revoked, func.count(), func.min(o.queued_at))
        .where(o.peer == peer, o.acked_at.is_(None), o.record_id.is_not(None))
        .group_by(o.stix_type, o.revoked)
        .order_by(o.stix_type, o.revoked)
    ).all()
    return [
        {"stix_type": r[0], "revocation": bool(r[1]), "count": int(r[2]), "oldest": r[3]}
        for r in rows
    ]


def _errors(conn: Connection, peer: str) -> list[dict[str, Any]]:
    r = exchange_rejections.c
    rows = conn.execute(
        select(r.at, r.stix_id, r.reason)
        .where(r.peer == peer)
        .order_by(r.id.desc())
        .limit(ERRORS_SHOWN)
    ).all()
    return [{"at": x[0], "object": x[1], "reason": x[2]} for x in rows]


def peer_status(node: Node, actor: str) -> list[dict[str, Any]]:
    """Every active peer with its last runs both ways, last errors and what waits for it
    (audited as a listing of peers)."""
    out: list[dict[str, Any]] = []
    names: list[str] = []
    with reading(node) as (conn, recorder):
        for peer in list_peers(conn):
            names.append(peer.name)
            cursor = conn.execute(
                select(exchange_cursors.c.updated_at, exchange_cursors.c.pages).where(
                    exchange_cursors.c.peer == peer.name
                )
            ).first()
            runs = sorted(
                _runs_in(conn, peer.name) + _runs_out(conn, peer.name),
                key=lambda r: r["at"],
                reverse=True,
            )
            out.append(
                {
                    "peer": peer,
                    "last_pull": cursor[0] if cursor else None,
                    "pages": int(cursor[1]) if cursor else 0,
                    "runs": runs,
                    "errors": _errors(conn, peer.name),
                    "waiting": _waiting(conn, peer.name) if peer.kind == "nucsec" else [],
                }
            )
        emit(
            node,
            recorder,
            actor=actor,
            action="record.list",
            details={"kind": "peer", "ids": names, "count": len(names)},
        )
    return out
