"""Audit checkpoints exchanged between partners and countersigned (witnessing).

At the end of a sync the puller asks the partner for its latest signed checkpoint, with a
consistency proof from the last checkpoint it witnessed (``GET {api root}/x-nucsec/
checkpoint/?since=N``). It verifies the partner's signature with the pinned key and the
proof (the partner's log only grew), cosigns the note (C2SP ``cosignature/v1``, see
:mod:`nucsec.audit.checkpoint`), keeps the cosigned note, and returns it (``POST
{api root}/x-nucsec/cosignatures/``); the partner checks the cosignature with the
puller's pinned key and keeps it too. Each node thus holds a copy of the other's history
that a truncation of the other's log cannot explain away.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from nucsec.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    SignedNote,
    cosign,
    open_checkpoint,
    verify_cosignature,
)
from nucsec.audit.merkle import verify_consistency
from nucsec.audit.queries import prove_consistency
from nucsec.errors import InputError, IntegrityError
from nucsec.federation.peers import Peer
from nucsec.federation.tables import exchange_cosignatures
from nucsec.node import Node
from nucsec.service.trail import emit

__all__ = [
    "Witnessed",
    "accept_cosignature",
    "checkpoint_offer",
    "last_witnessed",
    "witness",
]


def checkpoint_offer(node: Node, conn: Connection, since: int) -> dict[str, Any]:
    """This node's checkpoint now, with a consistency proof from tree size ``since``."""
    stored = node.audit.checkpoint(conn)
    size = stored.checkpoint.tree_size
    if not 0 <= since <= size:
        raise InputError(f"since must be between 0 and {size}", field="since", value=since)
    proof = prove_consistency(conn, since, size) if 0 < since < size else []
    return {
        "note": stored.note,
        "tree_size": size,
        "since": since,
        "consistency": [base64.b64encode(h).decode() for h in proof],
    }


def accept_cosignature(
    node: Node, conn: Connection, peer: Peer, note: Any, witness_name: Any
) -> dict[str, Any]:
    """Keep a peer's cosignature of one of this node's checkpoints (verified)."""
    if not isinstance(note, str) or not isinstance(witness_name, str):
        raise InputError("a cosignature needs `note` and `witness`", field="note")
    key = peer.public_key
    if key is None:
        raise IntegrityError("the peer has no pinned key", field="peer")
    checkpoint = open_checkpoint(note, [node.key.public_key()], origin=node.origin)
    timestamp = verify_cosignature(note, witness_name, key)
    stored = _store(conn, node, peer, "ours", checkpoint.tree_size, note)
    emit(
        node,
        conn,
        actor=peer.actor,
        action="exchange.checkpoint",
        obj=f"peer:{peer.name}",
        details={
            "peer": peer.name,
            "direction": "cosigned_ours",
            "tree_size": checkpoint.tree_size,
            "cosigned_at": timestamp,
        },
    )
    return {"stored": stored, "tree_size": checkpoint.tree_size}


def _store(conn: Connection, node: Node, peer: Peer, direction: str, size: int, note: str) -> bool:
    c = exchange_cosignatures.c
    found = conn.execute(
        select(c.id).where(c.peer == peer.name, c.direction == direction, c.tree_size == size)
    ).first()
    if found is not None:
        return False
    conn.execute(
        insert(exchange_cosignatures).values(
            peer=peer.name, direction=direction, tree_size=size, note=note, created_at=node.clock()
        )
    )
    return True


@dataclass(frozen=True)
class Witnessed:
    tree_size: int
    root_hash: bytes
    note: str


def last_witnessed(conn: Connection, peer: Peer) -> Witnessed | None:
    """The largest checkpoint of ``peer`` this node has cosigned."""
    c = exchange_cosignatures.c
    row = conn.execute(
        select(c.tree_size, c.note)
        .where(c.peer == peer.name, c.direction == "witnessed")
        .order_by(c.tree_size.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    cp = Checkpoint.parse_body(SignedNote.parse(row[1]).text)
    return Witnessed(int(row[0]), cp.root_hash, row[1])


def witness(node: Node, conn: Connection, peer: Peer, offer: Any) -> tuple[str, Checkpoint]:
    """Verify a peer's checkpoint offer and cosign it; returns (cosigned note, checkpoint).

    Raises CheckpointError (signature, shrinking or inconsistent log) — the caller logs it.
    """
    key = peer.public_key
    if key is None or not isinstance(offer, dict) or not isinstance(offer.get("note"), str):
        raise CheckpointError("no checkpoint offered", field="note")
    checkpoint = open_checkpoint(offer["note"], [key])
    previous = last_witnessed(conn, peer)
    if previous is not None:
        if checkpoint.tree_size < previous.tree_size:
            raise CheckpointError(
                f"the peer's log shrank from {previous.tree_size} to {checkpoint.tree_size}",
                field="tree_size",
            )
        try:
            proof = [base64.b64decode(h, validate=True) for h in offer.get("consistency", [])]
        except (binascii.Error, TypeError, ValueError):
            raise CheckpointError("malformed consistency proof", field="consistency") from None
        if offer.get("since") != previous.tree_size or not verify_consistency(
            previous.tree_size,
            checkpoint.tree_size,
            previous.root_hash,
            checkpoint.root_hash,
            proof,
        ):
            raise CheckpointError(
                f"checkpoint {checkpoint.tree_size} is not consistent with the witnessed "
                f"checkpoint {previous.tree_size}",
                field="consistency",
            )
    cosigned = cosign(offer["note"], node.key, node.origin, int(node.clock().timestamp()))
    if _store(conn, node, peer, "witnessed", checkpoint.tree_size, cosigned):
        emit(
            node,
            conn,
            actor="system",
            action="exchange.checkpoint",
            obj=f"peer:{peer.name}",
            details={
                "peer": peer.name,
                "direction": "witnessed",
                "tree_size": checkpoint.tree_size,
            },
        )
    return cosigned, checkpoint
