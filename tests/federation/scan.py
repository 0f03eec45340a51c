"""Scanning a receiving node's database: is anything there its nation may not receive?

This is a third, deliberately plain statement of the release rules (besides the reference
monitor and the boundary check), read straight from the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from nucsec.federation.tables import exchange_inbound
from nucsec.service.incident_tables import incident_counts, incident_facts
from nucsec.store.schema import labels, record_versions, records
from tests.federation.nodes import NodeProcess

#: level names of common rank 0 (unclassified) in the test data
UNCLASSIFIED = {"UNCLASSIFIED", "SHITEI NASHI", "PYEONGMUN"}


@dataclass(frozen=True)
class Received:
    id: str
    kind: str
    origin: str
    recalled: bool
    title: str  # the record's title (a document's title portion)
    body: str  # a document's body ("" for other kinds)
    banner: dict[str, Any]
    portions: dict[str, dict[str, Any]]  # portion name -> its label
    values: dict[str, Any]  # portion name -> its value
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
                    records.c.kind,
                    records.c.origin,
                    records.c.recalled,
                    records.c.label_id,
                    records.c.head_version,
                    records.c.title,
                ).where(records.c.origin.is_not(None))
            ).all()
            for pk, rid, kind, origin, recalled, label_id, head, title in rows:
                content = conn.execute(
                    select(record_versions.c.content).where(
                        record_versions.c.record_pk == pk, record_versions.c.version == head
                    )
                ).scalar_one()
                portions = json.loads(content)
                out[rid] = Received(
                    id=rid,
                    kind=kind,
                    origin=origin,
                    recalled=bool(recalled),
                    title=title,
                    body=portions["body"]["value"] if kind == "document" else "",
                    banner=json.loads(label_json[label_id]),
                    portions={
                        k: json.loads(label_json[v["label_id"]]) for k, v in portions.items()
                    },
                    values={k: v["value"] for k, v in portions.items()},
                    versions=int(head),
                )
            return out
    finally:
        n.close()


def counted(node: NodeProcess) -> dict[int, tuple[dict[str, Any], int, int]]:
    """Per label of the incident statistics: (label, incidents counted, of which received).

    Read from ``incident_counts`` (the ITDB-group dimension: one per incident) and from
    ``incident_facts`` joined with ``records``."""
    n = node.open()
    try:
        with n.engine.connect() as conn:
            label_json = dict(conn.execute(select(labels.c.id, labels.c.json)).all())
            c = incident_counts.c
            totals = dict(
                conn.execute(
                    select(c.label_id, func.sum(c.n))
                    .where(c.dimension == "itdb_group")
                    .group_by(c.label_id)
                ).all()
            )
            f = incident_facts.c
            rows = conn.execute(
                select(
                    f.label_id, records.c.label_id, f.counted, records.c.recalled, records.c.origin
                ).join(records, records.c.pk == f.record_pk)
            ).all()
    finally:
        n.close()
    out: dict[int, tuple[dict[str, Any], int, int]] = {}
    for facts_label, record_label, is_counted, recalled, origin in rows:
        assert facts_label == record_label, "incident_facts under another label than its record"
        assert bool(is_counted) == (not recalled), "a recalled incident is still counted"
        if is_counted:
            label, n_all, n_received = out.get(
                facts_label, (json.loads(label_json[facts_label]), 0, 0)
            )
            out[facts_label] = (label, n_all + 1, n_received + (origin is not None))
    for label_id, total in totals.items():
        held = out.get(label_id, ({}, 0, 0))[1]
        assert int(total or 0) == held, ("counts differ from the counted incidents", label_id)
    return out


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
            kept = [k for k, v in rec.values.items() if v not in ("", {})]
            assert rec.title == "" and not kept, f"recalled {rec.id} kept its content {kept}"
        elif rec.kind == "analysis":
            source = rec.values["method"].get("source") or {}
            if "id" in source:  # a reference to a record the node did not receive: a leak
                assert source["id"] in held, f"analysis {rec.id} names an unreleased record"
    nations = set(origins.values())
    for label, n_counted, n_received in counted(node).values():
        if label["authority"] != node.nation:  # a partner's label in the statistics: only
            assert n_received == n_counted > 0, label  # received incidents carry it, and
            assert label["authority"] in nations, label  # (ORCON checked per record above)
            assert not may_receive(label, node.nation, label["authority"], True), label
    return held
