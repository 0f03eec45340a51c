"""Scanning a receiving node's database: is anything there its nation may not receive?

This is a third, deliberately plain statement of the release rules (besides the reference
monitor and the boundary check), read straight from the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from nucsec.exchange.tables import exchange_inbound
from nucsec.store.schema import labels, record_versions, records
from tests.federation.nodes import NodeProcess

#: level names of common rank 0 (unclassified) in the test data
UNCLASSIFIED = {"UNCLASSIFIED", "SHITEI NASHI", "PYEONGMUN"}


@dataclass(frozen=True)
class Received:
    id: str
    origin: str
    recalled: bool
    title: str
    body: str
    banner: dict[str, Any]
    portions: dict[str, dict[str, Any]]
    versions: int


def received(node: NodeProcess) -> dict[str, Received]:
    """Every record the node received from a peer, with its head version's labels."""
    n = node.open()
    try:
        with n.engine.connect() as conn:
            label_json = dict(conn.execute(select(labels.c.id, labels.c.json)).all())
            out = {}
            rows = conn.execute(
                select(
                    records.c.pk,
                    records.c.id,
                    records.c.origin,
                    records.c.recalled,
                    records.c.label_id,
                    records.c.head_version,
                ).where(records.c.origin.is_not(None))
            ).all()
            for pk, rid, origin, recalled, label_id, head in rows:
                content = conn.execute(
                    select(record_versions.c.content).where(
                        record_versions.c.record_pk == pk, record_versions.c.version == head
                    )
                ).scalar_one()
                portions = json.loads(content)
                out[rid] = Received(
                    id=rid,
                    origin=origin,
                    recalled=bool(recalled),
                    title=portions["title"]["value"],
                    body=portions["body"]["value"],
                    banner=json.loads(label_json[label_id]),
                    portions={
                        k: json.loads(label_json[v["label_id"]]) for k, v in portions.items()
                    },
                    versions=int(head),
                )
            return out
    finally:
        n.close()


def inbound_keys(node: NodeProcess) -> list[tuple[str, str]]:
    n = node.open()
    try:
        with n.engine.connect() as conn:
            return [
                (r[0], r[1])
                for r in conn.execute(
                    select(exchange_inbound.c.stix_id, exchange_inbound.c.modified)
                )
            ]
    finally:
        n.close()


def may_receive(label: dict[str, Any], recipient: str, sender: str, orcon_ok: bool) -> list[str]:
    """Why ``recipient`` may not hold this label from ``sender`` (empty: it may)."""
    problems = []
    if label["authority"] != sender:
        problems.append("not the sender's own material")
    if label.get("noforn"):
        problems.append("NOFORN")
    nations = {e.split(".")[0] for e in label.get("rel_to", [])}
    if nations and recipient not in nations:
        problems.append("recipient not in REL TO")
    controls = label.get("orcon") or label.get("compartments")
    if not nations and (label["level"] not in UNCLASSIFIED or controls):
        problems.append("no REL TO on controlled or classified material")
    if label.get("orcon") and not orcon_ok:
        problems.append("ORCON without approval")
    return problems


def assert_nothing_forbidden(
    node: NodeProcess, origins: dict[str, str], orcon_approved: frozenset[str] = frozenset()
) -> dict[str, Received]:
    """Fail if the node holds anything its nation may not receive; return what it holds.

    ``origins`` maps each peer name to its nation; ``orcon_approved`` are record ids whose
    originator approved release to this node's nation.
    """
    held = received(node)
    for rec in held.values():
        sender = origins[rec.origin]
        for label in (rec.banner, *rec.portions.values()):
            problems = may_receive(label, node.nation, sender, rec.id in orcon_approved)
            assert not problems, (rec.id, rec.title, label, problems)
        if rec.recalled:
            assert rec.title == "" and rec.body == "", f"recalled {rec.id} kept its content"
    return held
