"""Correlation between incidents, as MISP analysts know it: the other incidents that share a
nuclide, a nuclear material or a place with one incident, each with what it shares.

Only incidents the viewer may read take part: candidates are selected in the database
through the reference monitor's SQL twin (``records.label_id IN visible labels``, not
recalled), narrowed by the shared values as whole words of the record's search text; what
each candidate shares is then read from its structured facts (the item's nuclide, the
material, the place), so a word in a narrative does not make a link. A hidden incident is
never read, so it neither appears nor changes a count. The listing is audited like any
other (``record.list``, with the ids shown).

The incident model has no route or person fields: those are not correlated (links an
officer records between incidents are shown on the incident itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, or_, select

from nucsec.incidents.model import Incident
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.service.incident_tables import incident_facts
from nucsec.service.incidents import incident_of_portions
from nucsec.service.trail import emit, reading
from nucsec.store.labels import LABEL_TABLES, load_label
from nucsec.store.records import RECORD_COLUMNS, RecordStore, record_row
from nucsec.store.schema import records

__all__ = ["Correlation", "correlated_incidents", "shared_keys"]

#: at most this many candidates are examined, newest first
CANDIDATES = 200


@dataclass(frozen=True)
class Correlation:
    """Another readable incident and what it shares with the one shown."""

    id: str
    reference: str
    event_date: str
    label: Any  # its record label (the page banner counts it)
    shared: tuple[tuple[str, str], ...]  # (dimension, value): ("nuclide", "Co-60")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _item_value(item: Any) -> tuple[str, str]:
    """``(dimension, value)`` of an item, given as a record dict or a model item."""
    get = item.get if isinstance(item, dict) else lambda k: getattr(item, k, None)
    if get("kind") == "source":
        return "nuclide", str(get("nuclide") or "")
    return "material", str(get("material") or "")


def _values(facts: dict[str, Any] | Incident) -> dict[tuple[str, str], str]:
    """The shared values of an incident as written, by ``(dimension, normalised value)``:
    each nuclide of its sources, each material of its nuclear material items, its place."""
    if isinstance(facts, Incident):
        items, place = list(facts.items), facts.place
    else:
        items, place = list(facts.get("items") or ()), str(facts.get("place") or "")
    pairs = [_item_value(i) for i in items] + [("place", place)]
    return {(dim, _norm(value)): value for dim, value in pairs if _norm(value)}


def shared_keys(facts: dict[str, Any] | Incident) -> set[tuple[str, str]]:
    """``(dimension, normalised value)`` of what an incident may share with another."""
    return set(_values(facts))


def correlated_incidents(
    node: Node, principal: Principal, incident_id: str, facts: dict[str, Any]
) -> list[Correlation]:
    """The readable incidents sharing a nuclide, material or place with ``facts`` (the
    shown incident's facts, already read through the monitor), most shared first."""
    keys = shared_keys(facts)
    if not keys:
        return []
    padded = literal(" ") + records.c.search_text + literal(" ")
    where = [
        records.c.kind == "incident",
        records.c.recalled.is_(False),
        records.c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES)),
        records.c.id != incident_id,
        or_(*(padded.contains(f" {value} ", autoescape=True) for _, value in sorted(keys))),
    ]
    query = (
        select(*RECORD_COLUMNS, incident_facts.c.reference, incident_facts.c.event_date)
        .select_from(records.join(incident_facts, incident_facts.c.record_pk == records.c.pk))
        .where(*where)
        .order_by(records.c.pk.desc())
        .limit(CANDIDATES)
    )
    found: list[Correlation] = []
    with reading(node) as (conn, recorder):
        rows = conn.execute(query).all()
        heads = RecordStore(conn, node.ctx).head_versions(
            [record_row(r[: len(RECORD_COLUMNS)]) for r in rows]
        )
        for r in rows:
            row = record_row(r[: len(RECORD_COLUMNS)])
            other = incident_of_portions({k: p.value for k, p in heads[row.pk].portions.items()})
            common = keys & shared_keys(other)
            if not common:
                continue  # the words matched elsewhere (a narrative), not the facts
            shown = _values(other)
            shared = tuple(sorted((dim, shown[(dim, value)]) for dim, value in common))
            label = load_label(conn, row.label_id)
            found.append(Correlation(row.id, r[-2], r[-1].isoformat(), label, shared))
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.list",
            details={
                "kind": "incident",
                "correlated_with": incident_id,
                "ids": [c.id for c in found],
                "count": len(found),
            },
        )
    found.sort(key=lambda c: (-len(c.shared), c.reference))
    return found
