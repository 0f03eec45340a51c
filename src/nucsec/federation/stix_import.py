"""A third-party STIX 2.1 bundle imported as labelled records (adapter).

:func:`import_stix` reads the bundle (:mod:`.ingest`: what becomes an incident or a
document, what is refused and why), checks the label the importing officer assigns
against each object's own markings (:func:`.ingest.label_within`: never wider), asks the
reference monitor for each record, and writes everything in **one transaction**: a bundle
is imported whole as far as its objects are acceptable, and a failure while writing leaves
nothing behind.

Each record's id is derived from the STIX id it came from and the assigned label
(:func:`.ingest.record_uuid`: a record the officer could not read never collides with
theirs; the same object under another label is another record), and its version note
keeps the provenance (bundle id, STIX id and ``modified``, the STIX ids it was made of, the
producer, the source markings). Importing the same object again changes nothing; a newer
``modified`` adds a version. Audited: each record written as a
``record.create``/``record.update`` decision.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import InputError
from nucsec.federation.ingest import (
    LIMITS,
    Limits,
    Plan,
    Planned,
    Refusal,
    label_within,
    plan_bundle,
    record_uuid,
)
from nucsec.incidents import incident_from_record, incident_to_record
from nucsec.markings.label import Label
from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.service.documents import DOCUMENT, DocumentInput
from nucsec.service.guard import check, record_decision
from nucsec.service.incidents import INCIDENT
from nucsec.service.kinds import Draft, RecordKind
from nucsec.service.labelled import after_write
from nucsec.store.labels import intern_label, load_label, resolve_basis
from nucsec.store.records import Portion, RecordStore

__all__ = ["import_stix"]

_KINDS: dict[str, RecordKind] = {"incident": INCIDENT, "document": DOCUMENT}


def _draft(item: Planned, label: Label, note: str) -> Draft:
    """The record's draft, every portion under ``label`` (IncidentError/InputError)."""
    if item.kind == "document":
        title, body = str(item.values["title"]), str(item.values["body"])
        return DocumentInput(title, body, label, label, note).draft()
    paragraphs = [p for p in item.values["narrative"] if p.strip()]
    text = "UNCLASSIFIED"  # placeholder: the draft's labels are set below
    incident = incident_from_record(
        {**item.values["facts"], "narrative": [{"label": text, "text": p} for p in paragraphs]}
    )
    facts = incident_to_record(incident)
    facts.pop("narrative")
    values: dict[str, Any] = {"facts": facts}
    values.update({f"narrative.{i}": p for i, p in enumerate(paragraphs)})
    return Draft(values=values, labels=dict.fromkeys(values, label), note=note)


def _provenance(plan: Plan, item: Planned) -> str:
    return json.dumps(
        {
            "imported_from": "stix",
            "bundle": plan.bundle_id,
            "stix_id": item.stix_id,
            "modified": item.modified,
            "producer": plan.producer,
            "sources": list(item.sources),
            "markings": list(item.restriction.names),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _stored_modified(note: str) -> str | None:
    try:
        data = json.loads(note)
    except ValueError:
        return None
    return str(data.get("modified")) if isinstance(data, Mapping) else None


class _Writer:
    def __init__(self, node: Node, conn: Connection, principal: Principal, label: Label) -> None:
        self.node = node
        self.conn = conn
        self.principal = principal
        self.label = label
        self.store = RecordStore(conn, node.ctx)
        self.result: dict[str, list[Any]] = {
            "created": [],
            "updated": [],
            "unchanged": [],
            "refused": [],
        }

    def refuse(self, item: Planned, reason: str, message: str) -> None:
        refusal = Refusal(item.stix_id, item.stix_id.partition("--")[0], reason, message)
        self.result["refused"].append(refusal.to_dict())

    def write(self, plan: Plan, item: Planned) -> None:
        why = label_within(self.label, item.restriction, self.principal.nation, self.node.ctx)
        if why:
            self.refuse(item, "label_wider", why)
            return
        kind = _KINDS[item.kind]
        try:
            draft = _draft(item, self.label, _provenance(plan, item))
        except InputError as exc:
            self.refuse(item, "invalid", exc.message)
            return
        rid = record_uuid(item.stix_id, self.label.to_json())
        row = self.store.get(kind.name, rid)
        if row is not None:
            self._update(kind, row, item, draft)
            return
        resource = Resource(self.label, kind=kind.name)
        decision = decide(self.principal, "create", resource, self.node.ctx)
        if not decision.allowed:
            record_decision(self.node, self.conn, self.principal, "create", resource, decision)
            self.refuse(item, "denied", "; ".join(decision.reasons))
            return
        row = self.store.create(
            kind.name,
            self._portions(draft),
            intern_label(self.conn, self.label, self.node.ctx),
            author_id=self.principal.id,
            now=self.node.clock(),
            title=kind.title(draft.values),
            record_id=rid,
            note=draft.note,
        )
        record_decision(
            self.node, self.conn, self.principal, "create", resource, decision, kind.ref(row)
        )
        after_write(self.node, self.conn, kind, row, self.store.version(row), self.label)
        self.result["created"].append({"kind": kind.name, "id": rid, "stix_id": item.stix_id})

    def _portions(self, draft: Draft) -> dict[str, Portion]:
        label_id = intern_label(self.conn, self.label, self.node.ctx)
        return {name: Portion(value, label_id) for name, value in draft.values.items()}

    def _update(self, kind: RecordKind, row: Any, item: Planned, draft: Draft) -> None:
        current = self.store.version(row)
        seen = decide(
            self.principal,
            "read",
            Resource(load_label(self.conn, row.label_id), kind=kind.name),
            self.node.ctx,
        )
        if not seen.allowed or row.recalled:
            # imported before under a label this officer cannot read (or recalled): say so
            # without saying more; nothing is written
            self.refuse(item, "not_importable", "imported before and not readable by you")
            return
        stored = _stored_modified(current.note)
        if stored is not None and item.modified <= stored:
            self.result["unchanged"].append(
                {"kind": kind.name, "id": row.id, "stix_id": item.stix_id}
            )
            return
        current_label = load_label(self.conn, row.label_id)
        resource = Resource(current_label, kind=kind.name, ref=kind.ref(row), new_label=self.label)
        decision = check(self.node, self.conn, self.principal, "update", resource)
        if not decision.allowed:
            self.refuse(item, "denied", "; ".join(decision.reasons))
            return
        row = self.store.add_version(
            row,
            self._portions(draft),
            intern_label(self.conn, self.label, self.node.ctx),
            author_id=self.principal.id,
            now=self.node.clock(),
            title=kind.title(draft.values),
            note=draft.note,
        )
        after_write(self.node, self.conn, kind, row, self.store.version(row), self.label)
        self.result["updated"].append({"kind": kind.name, "id": row.id, "stix_id": item.stix_id})


def _assigned(node: Node, principal: Principal, label: Label) -> Label:
    """The officer's label made explicit as a stored label (originator, legal basis)."""
    agency = principal.qualified_agency
    if label.originator is None and agency and agency.startswith(label.authority + "."):
        label = label.with_(originator=agency)
    return resolve_basis(label, node.ctx).validate(node.ctx, stored=True)


def import_stix(
    node: Node,
    principal: Principal,
    data: bytes | str,
    label: Label,
    *,
    limits: Limits = LIMITS,
) -> dict[str, Any]:
    """Import a STIX 2.1 bundle under ``label`` (the officer's): ``bundle``, ``producer``,
    ``created``, ``updated``, ``unchanged`` (kind, id, STIX id), ``refused`` (STIX id, type,
    reason, message) and ``supporting`` (objects used but not stored).

    IngestError if the file is not a bundle within ``limits``; LabelError if the label is
    not valid here. Everything acceptable is written in one transaction.
    """
    assigned = _assigned(node, principal, label)
    plan = plan_bundle(data, node.ctx, limits)
    with node.engine.begin() as conn:
        writer = _Writer(node, conn, principal, assigned)
        for item in plan.planned:
            writer.write(plan, item)
    refused = [r.to_dict() for r in plan.refused] + writer.result["refused"]
    return {
        "bundle": plan.bundle_id,
        "producer": plan.producer,
        **{k: writer.result[k] for k in ("created", "updated", "unchanged")},
        "refused": sorted(refused, key=lambda r: (r["id"], r["reason"])),
        "supporting": plan.supporting,
    }
