"""Signed receipts: what a node received from a partner, proven to the partner.

After each page it pulls, the receiving node writes a receipt — the bundle id and the
SHA-256 of its canonical JSON, the objects accepted (id, version, SHA-256), those already
held, and those refused with the reason — signs it with a detached JWS and sends it to the
sender (``POST {api root}/x-nucsec/receipts/``). Both sides keep it (``exchange_receipts``)
and log it: the receiver as part of ``exchange.receive``, the sender as ``exchange.receipt``.
A receipt that could not be delivered is re-sent at the next sync.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from nucsec.errors import InputError
from nucsec.federation.jws import JWSError, canonical_json, sign_detached, verify_detached
from nucsec.federation.peers import Peer
from nucsec.federation.tables import exchange_outbox, exchange_receipts
from nucsec.node import Node
from nucsec.service.trail import emit

__all__ = [
    "RECEIPT_TYPE",
    "accept_receipt",
    "issue_receipt",
    "mark_delivered",
    "pending_receipts",
]

RECEIPT_TYPE = "nucsec-receipt/v1"
_MAX_ENTRIES = 5000


def issue_receipt(
    node: Node,
    conn: Connection,
    peer: Peer,
    *,
    bundle_id: str,
    bundle_sha256: str | None,
    accepted: Sequence[dict[str, str]],
    unchanged: Sequence[dict[str, str]],
    rejected: Sequence[dict[str, str]],
    page_error: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Write and sign a receipt for a page received from ``peer`` (stored, undelivered)."""
    receipt: dict[str, Any] = {
        "type": RECEIPT_TYPE,
        "issuer": node.origin,
        "peer": peer.key_thumbprint or peer.name,
        "bundle": bundle_id,
        "bundle_sha256": bundle_sha256,
        "received_at": node.clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "accepted": list(accepted),
        "unchanged": list(unchanged),
        "rejected": list(rejected),
    }
    if page_error is not None:
        receipt["page_error"] = page_error
    body = canonical_json(receipt, exotic=False)
    jws = sign_detached(body, node.key, {"typ": RECEIPT_TYPE})
    existing = conn.execute(
        select(exchange_receipts.c.id).where(
            exchange_receipts.c.peer == peer.name,
            exchange_receipts.c.direction == "out",
            exchange_receipts.c.bundle_id == bundle_id,
        )
    ).first()
    if existing is None:
        conn.execute(
            insert(exchange_receipts).values(
                peer=peer.name,
                direction="out",
                bundle_id=bundle_id,
                body=body.decode(),
                jws=jws,
                delivered=False,
                created_at=node.clock(),
            )
        )
    return receipt, jws


def pending_receipts(conn: Connection, peer: Peer) -> list[tuple[int, dict[str, Any], str]]:
    """Receipts issued to ``peer`` and not yet delivered: (id, receipt, jws)."""
    rows = conn.execute(
        select(exchange_receipts.c.id, exchange_receipts.c.body, exchange_receipts.c.jws)
        .where(
            exchange_receipts.c.peer == peer.name,
            exchange_receipts.c.direction == "out",
            exchange_receipts.c.delivered.is_(False),
        )
        .order_by(exchange_receipts.c.id)
    )
    return [(r[0], json.loads(r[1]), r[2]) for r in rows]


def mark_delivered(conn: Connection, receipt_ids: Sequence[int]) -> None:
    if receipt_ids:
        conn.execute(
            update(exchange_receipts)
            .where(exchange_receipts.c.id.in_(list(receipt_ids)))
            .values(delivered=True)
        )


def _entries(receipt: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = receipt.get(name)
    if not isinstance(value, list) or len(value) > _MAX_ENTRIES:
        raise InputError(f"receipt `{name}` must be a list", field=name)
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise InputError(f"receipt `{name}` entries need an id", field=name)
    return value


def accept_receipt(
    node: Node, conn: Connection, peer: Peer, receipt: Any, jws: Any
) -> dict[str, Any]:
    """Verify a receipt from ``peer`` with its pinned key, keep it, mark what it acknowledges.

    Raises :class:`~nucsec.federation.jws.JWSError` (signature) or InputError (shape).
    """
    if not isinstance(receipt, dict) or receipt.get("type") != RECEIPT_TYPE:
        raise InputError("not a nucsec receipt", field="receipt")
    if not isinstance(receipt.get("bundle"), str) or len(receipt["bundle"]) > 64:
        raise InputError("receipt names no bundle", field="bundle")
    key = peer.public_key
    if key is None or not isinstance(jws, str):
        raise JWSError("receipt is not signed by a pinned key", field="jws")
    body = canonical_json(receipt)
    verify_detached(jws, body, key)
    accepted = _entries(receipt, "accepted")
    unchanged = _entries(receipt, "unchanged")
    rejected = _entries(receipt, "rejected")
    known = conn.execute(
        select(exchange_receipts.c.id).where(
            exchange_receipts.c.peer == peer.name,
            exchange_receipts.c.direction == "in",
            exchange_receipts.c.bundle_id == receipt["bundle"],
        )
    ).first()
    if known is None:
        conn.execute(
            insert(exchange_receipts).values(
                peer=peer.name,
                direction="in",
                bundle_id=receipt["bundle"],
                body=body.decode(),
                jws=jws,
                delivered=True,
                created_at=node.clock(),
            )
        )
        _acknowledge(node, conn, peer, [*accepted, *unchanged])
        emit(
            node,
            conn,
            actor=peer.actor,
            action="exchange.receipt",
            obj=f"peer:{peer.name}",
            outcome="failure" if receipt.get("page_error") else "success",
            details={
                "peer": peer.name,
                "bundle": receipt["bundle"],
                "accepted": len(accepted),
                "unchanged": len(unchanged),
                "rejected": [f"{e['id']}: {str(e.get('reason', ''))[:200]}" for e in rejected][
                    :100
                ],
                "page_error": str(receipt.get("page_error", ""))[:500] or None,
            },
        )
    return {"stored": known is None, "bundle": receipt["bundle"]}


def _acknowledge(node: Node, conn: Connection, peer: Peer, entries: list[dict[str, Any]]) -> None:
    pairs = [
        {"p": peer.name, "i": e["id"], "m": e.get("version"), "t": node.clock()}
        for e in entries
        if isinstance(e.get("version"), str)
    ]
    if not pairs:
        return
    o = exchange_outbox.c
    conn.execute(
        update(exchange_outbox)
        .where(o.peer == bindparam("p"), o.stix_id == bindparam("i"), o.modified == bindparam("m"))
        .values(acked_at=bindparam("t")),
        pairs,
    )
