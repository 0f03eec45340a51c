"""What an auditor may see of audit events: decided by the reference monitor.

An auditor reviews everyone's acts, but an auditor's clearance does not cover every
record: the details of an event about a record (its label's keyed hash, the monitor's
denial reasons, the ids a listing returned, a search's result count) tell something
about records the auditor may not read. So, for each event shown to an auditor:

- every record it names — its object (``document:<id>#v2``) and the record ids in its
  details (a listing's ``ids``, a release's ``records`` or ``objects``) — is decided by
  :func:`nucsec.policy.decide` (``read``) for the auditor, on the label of the version
  the event names (else the current one);
- if the auditor may not read one of them, or the event counts records the auditor
  cannot check (``count`` or ``total`` in the details of another principal's search or
  statistics), the event is **reduced** to who, when, action and outcome (``object`` and
  ``details`` withheld, ``"reduced": true``).

The log is untouched: ``verify`` and proofs read every byte; only what is shown changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select, tuple_

from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.store.labels import load_label
from nucsec.store.schema import record_versions, records

__all__ = ["for_auditor", "reduce"]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VERSIONED = re.compile(rf"({_UUID.pattern})#v(\d+)")
#: details that count what the actor could see, without naming it
_AGGREGATES = ("count", "total")
_KEPT = ("seq", "time", "actor", "action", "outcome", "v")


def _refs(event: dict[str, Any]) -> set[tuple[str, int | None]]:
    """(record id, version or None) of every UUID the event's object and details name."""
    text = repr((event.get("object"), event.get("details")))
    versioned = {(m.group(1), int(m.group(2))) for m in _VERSIONED.finditer(text)}
    named = {m.group(0) for m in _UUID.finditer(text)} - {rid for rid, _ in versioned}
    return versioned | {(rid, None) for rid in named}


_CHUNK = 500  # ids per query (an auditor's page may name tens of thousands)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    return (items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK))


def _records(conn: Connection, ids: list[str]) -> dict[str, Any]:
    """pk, kind and current label id of each id that is a record here."""
    r = records.c
    query = select(r.id, r.pk, r.kind, r.label_id)
    return {
        row.id: row for part in _chunks(ids) for row in conn.execute(query.where(r.id.in_(part)))
    }


def _version_labels(conn: Connection, keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The label id of each (record pk, version)."""
    v = record_versions.c
    query = select(v.record_pk, v.version, v.label_id)
    out = {}
    for part in _chunks(keys):
        for pk, version, label_id in conn.execute(
            query.where(tuple_(v.record_pk, v.version).in_(part))
        ):
            out[(pk, version)] = label_id
    return out


def _labels(
    conn: Connection, refs: set[tuple[str, int | None]]
) -> dict[tuple[str, int | None], tuple[str, int]]:
    """(kind, label id) of each reference that is a record here (users, tokens, bundles
    are not: nothing to decide)."""
    rows = _records(conn, sorted({rid for rid, _ in refs}))
    versioned = sorted({(rows[rid].pk, v) for rid, v in refs if rid in rows and v is not None})
    by_version = _version_labels(conn, versioned)
    out = {}
    for rid, version in refs:
        row = rows.get(rid)
        if row is None:
            continue
        label_id = row.label_id if version is None else by_version.get((row.pk, version))
        out[(rid, version)] = (str(row.kind), int(label_id or row.label_id))
    return out


def reduce(event: dict[str, Any]) -> dict[str, Any]:
    """Who, when, action and outcome of an event (the rest withheld)."""
    out = {k: event[k] for k in _KEPT if k in event}
    out.update(object=None, details={}, reduced=True)
    return out


def for_auditor(
    node: Node, conn: Connection, auditor: Principal, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``events`` (``AuditEvent.to_dict`` with ``seq``) as ``auditor`` may see them."""
    refs = [_refs(e) for e in events]
    labels = _labels(conn, set().union(*refs)) if refs else {}
    readable: dict[tuple[str, int], bool] = {}

    def may_read(key: tuple[str, int]) -> bool:  # the marking decides, not a recall
        if key not in readable:
            kind, label_id = key
            resource = Resource(load_label(conn, label_id), kind=kind)
            readable[key] = decide(auditor, "read", resource, node.ctx).allowed
        return readable[key]

    out = []
    for event, named in zip(events, refs, strict=True):
        hidden = any(ref in labels and not may_read(labels[ref]) for ref in named)
        details = event.get("details") or {}
        counts_unseen = event.get("actor") != auditor.id and any(k in details for k in _AGGREGATES)
        out.append(reduce(event) if hidden or counts_unseen else event)
    return out
