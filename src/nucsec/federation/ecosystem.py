"""Incidents as standard STIX 2.1 objects for MISP, OpenCTI and other platforms (adapter).

The federation mapping (:mod:`.objects`, pinned byte for byte between nodes) carries our
records as extension objects (``x-nucsec-incident``) that third-party platforms cannot
read. This export puts, beside those objects, what the wider ecosystem understands:

- an ``incident`` per incident (same UUID as the ``x-nucsec-incident``, ``derived-from`` it),
  named by the record's title, described by its facts, marked with the facts' label;
- a ``location`` (the incident's country, ISO 3166-1 alpha-2; the model has no
  coordinates), ``located-at`` from the incident;
- ``identity`` objects of the originating government and agency (``related-to``);
- a ``note`` per narrative paragraph, marked with that paragraph's own label;
- a ``report`` per incident collecting all of them (MISP makes one event of each report),
  marked with the banner, its ``name`` granularly marked with the facts' label;
- a ``report`` per document: title and body as name and description, each granularly
  marked with its portion's label.

Markings are the federation's (labels as marking definitions, TLP 2.0 only for
unclassified material). The records are those the federation export would give the
principal (the policy's SQL twin; ORCON: originator only), less every record whose banner
is NOFORN (or REL TO its own nation only): this file is meant to leave the country.
Audited as an export (``record.export``, format ``stix-ecosystem``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from nucsec.errors import InputError
from nucsec.federation import stix
from nucsec.federation.objects import ObjectBuilder, export_bundle, times_of
from nucsec.incidents import incident_to_record
from nucsec.incidents.countries import country_name
from nucsec.markings.label import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.service.incidents import INCIDENT, exportable_ids, incident_of_portions
from nucsec.service.trail import digest, emit, reading
from nucsec.store.labels import LABEL_TABLES
from nucsec.store.records import RecordRow, RecordStore, VersionRow
from nucsec.store.schema import records

__all__ = [
    "EXPORTED",
    "ecosystem_bundle",
    "export_ecosystem",
    "export_incidents_ecosystem",
    "facts_summary",
]

#: the kinds this export carries
EXPORTED = ("incident", "document")

_SUMMARY_KEYS = (
    "incident_type",
    "itdb_group",
    "material_class",
    "detection_mode",
    "status",
    "incident_date",
    "incident_date_precision",
    "discovery_date",
    "report_date",
    "place",
)


def facts_summary(facts: Mapping[str, Any]) -> str:
    """The facts of an incident as plain text lines (``key: value``; items one a line).

    >>> facts_summary({"reference": "R-1", "country": "US", "status": "open", "items": []})
    'reference: R-1\\ncountry: US\\nstatus: open'
    """
    lines = [f"reference: {facts.get('reference')}", f"country: {facts.get('country')}"]
    lines += [f"{k}: {facts[k]}" for k in _SUMMARY_KEYS if facts.get(k) not in (None, "")]
    for item in facts.get("items") or ():
        parts = ", ".join(f"{k}={v}" for k, v in sorted(item.items()) if v not in (None, ""))
        lines.append(f"item: {parts}")
    return "\n".join(lines)


def _organisation(name: str, key: str) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": stix.derived_id("identity", f"nucsec-organisation\n{key}"),
        "created_by_ref": stix.PROJECT_IDENTITY,
        "created": stix.EPOCH,
        "modified": stix.EPOCH,
        "name": name,
        "identity_class": "organization",
        "sectors": ["government-national"],
    }


class _Incident:
    """The standard objects of one incident version (markings through ``builder``)."""

    def __init__(
        self,
        builder: ObjectBuilder,
        row: RecordRow,
        version: VersionRow,
        times: Sequence[str],
    ) -> None:
        self.builder = builder
        self.row = row
        self.version = version
        self.created, self.modified = times[0], times[version.version - 1]
        self.creator = builder.creator(row)["id"]
        self.definitions: dict[str, dict[str, Any]] = {}
        self.objects: list[dict[str, Any]] = []

    def marks(self, label_id: int) -> list[str]:
        """Marking refs of material under ``label_id``: its label, TLP where it maps."""
        marking = self.builder.marking(label_id)
        self.definitions[marking["id"]] = marking
        refs = [marking["id"]]
        level = stix.tlp_level(self.builder.label(label_id), self.builder.node.ctx)
        if level is not None:
            tlp = stix.tlp_markings()[level]
            self.definitions[tlp["id"]] = tlp
            refs.append(tlp["id"])
        return refs

    def _sdo(self, stix_type: str, stix_id: str, label_id: int, **props: Any) -> dict[str, Any]:
        obj = {
            "type": stix_type,
            "spec_version": "2.1",
            "id": stix_id,
            "created_by_ref": self.creator,
            "created": self.created,
            "modified": self.modified,
            **props,
            "object_marking_refs": self.marks(label_id),
        }
        self.objects.append(obj)
        return obj

    def _relation(self, kind: str, source: str, target: str, label_id: int) -> None:
        key = f"nucsec-relationship\n{kind}\n{source}\n{target}"
        self._sdo(
            "relationship",
            stix.derived_id("relationship", key),
            label_id,
            relationship_type=kind,
            source_ref=source,
            target_ref=target,
        )

    def build(self) -> list[dict[str, Any]]:
        values = {n: p.value for n, p in self.version.portions.items()}
        incident = incident_of_portions(values)
        facts = incident_to_record(incident)
        facts_label = self.version.portions["facts"].label_id
        summary = facts_summary(facts)
        rid = self.row.id
        inc = self._sdo(
            "incident",
            f"incident--{rid}",
            facts_label,
            name=self.row.title,
            description=summary,
            external_references=[{"source_name": "nucsec", "external_id": incident.reference}],
        )
        place = self._sdo(
            "location",
            stix.derived_id("location", f"nucsec-incident-location\n{rid}"),
            facts_label,
            name=incident.place or country_name(incident.country),
            country=incident.country,
        )
        self._relation("located-at", inc["id"], place["id"], facts_label)
        self._relation("derived-from", inc["id"], f"x-nucsec-incident--{rid}", facts_label)
        for org in self._organisations(self.builder.label(facts_label)):
            self.definitions.setdefault(org["id"], org)
            self._relation("related-to", inc["id"], org["id"], facts_label)
        paragraphs = sorted(
            (k for k in values if k.startswith("narrative.")), key=lambda k: int(k.split(".")[1])
        )
        for key in paragraphs:
            self._sdo(
                "note",
                stix.derived_id("note", f"nucsec-narrative\n{rid}\n{key}"),
                self.version.portions[key].label_id,
                abstract=f"{incident.reference}, {key.replace('.', ' paragraph ')}",
                content=values[key],
                object_refs=[inc["id"], f"x-nucsec-incident--{rid}"],
            )
        refs = [o["id"] for o in self.objects]
        orgs = [o for o in self.definitions.values() if o["type"] == "identity"]
        text = "\n\n".join([summary, *(values[k] for k in paragraphs)])
        report = self._sdo(
            "report",
            f"report--{rid}",
            self.version.label_id,
            name=self.row.title,
            description=text,
            report_types=["threat-report"],
            published=self.modified,
            object_refs=[*refs, *(o["id"] for o in orgs), f"x-nucsec-incident--{rid}"],
        )
        report["granular_markings"] = [
            {"marking_ref": self.marks(facts_label)[0], "selectors": ["name"]}
        ]
        return self.objects

    @staticmethod
    def _organisations(label: Label) -> list[dict[str, Any]]:
        """The originating government (the label's authority) and agency (its originator)."""
        out = [_organisation(f"Government of {label.authority}", label.authority)]
        if label.originator:
            out.append(_organisation(label.originator, label.originator))
        return out


def _stays_home(label: Label) -> bool:
    """NOFORN, or releasable to no nation but its authority's (REL TO that nation only)."""
    return label.noforn or (
        bool(label.rel_to_nations) and label.rel_to_nations <= {label.authority}
    )


def _document(
    builder: ObjectBuilder, row: RecordRow, version: VersionRow, times: Sequence[str]
) -> _Incident:
    """A document as a ``report``: its title the name, its body the description, each
    granularly marked with its portion's label; the banner on the object."""
    built = _Incident(builder, row, version, times)
    title, body = version.portions["title"], version.portions["body"]
    report = built._sdo(
        "report",
        f"report--{row.id}",
        version.label_id,
        name=title.value,
        description=body.value,
        report_types=["threat-report"],
        published=built.modified,
        object_refs=[f"x-nucsec-document--{row.id}"],
    )
    report["granular_markings"] = [
        {"marking_ref": built.marks(title.label_id)[0], "selectors": ["name"]},
        {"marking_ref": built.marks(body.label_id)[0], "selectors": ["description"]},
    ]
    return built


def ecosystem_bundle(
    node: Node, conn: Connection, rows: Mapping[str, Sequence[RecordRow]]
) -> dict[str, Any]:
    """The federation export of ``rows`` by kind (incidents, documents; already decided by
    the caller) with the standard objects of each record after it; NOFORN rows are left
    out here."""
    store = RecordStore(conn, node.ctx)
    builder = ObjectBuilder(node, conn)
    base_objects: dict[str, dict[str, Any]] = {}
    standard: list[dict[str, Any]] = []
    definitions: list[dict[str, Any]] = []
    built_all: list[_Incident] = []
    for kind_name, kind_rows in rows.items():
        versions = store.head_versions(kind_rows)
        kept = [r for r in kind_rows if not _stays_home(builder.label(versions[r.pk].label_id))]
        kind = node.kinds.get(kind_name)
        for obj in export_bundle(node, conn, kind, kept)["objects"]:
            base_objects.setdefault(obj["id"], obj)
        times = times_of(conn, [r.pk for r in kept])
        for row in kept:
            if kind_name == INCIDENT.name:
                built = _Incident(builder, row, versions[row.pk], times[row.pk])
                built.build()
            else:
                built = _document(builder, row, versions[row.pk], times[row.pk])
            built_all.append(built)
    records = [o for o in base_objects.values() if o["type"].startswith("x-nucsec-")]
    seen = {o["id"] for o in base_objects.values()}
    for built in built_all:
        standard += built.objects
        for d in built.definitions.values():
            if d["id"] not in seen:
                seen.add(d["id"])
                definitions.append(d)
    head = [o for o in base_objects.values() if not o["type"].startswith("x-nucsec-")]
    objects = [*head, *definitions, *records, *standard]
    body = json.dumps(objects, sort_keys=True, ensure_ascii=False)
    return stix.bundle(stix.derived_id("bundle", "ecosystem\n" + digest(body)), objects)


def _exportable(node: Node, conn: Connection, principal: Principal, kind: str) -> list[str]:
    if kind == INCIDENT.name:
        return exportable_ids(node, conn, principal)
    labels = visible_label_ids(principal, node.ctx, LABEL_TABLES, "export")
    query = (
        select(records.c.id)
        .where(
            records.c.kind == kind, records.c.recalled.is_(False), records.c.label_id.in_(labels)
        )
        .order_by(records.c.pk)
    )
    return list(conn.execute(query).scalars())


def export_ecosystem(node: Node, principal: Principal, kinds: Sequence[str] = ("incident",)) -> str:
    """A STIX 2.1 bundle (JSON text) for MISP, OpenCTI and other platforms: every record of
    ``kinds`` (incident, document) the principal may export (the policy's SQL twin; ORCON:
    originator only) and that is not NOFORN, as our extension objects and standard STIX
    objects. Audited as an export (``record.export``, format ``stix-ecosystem``)."""
    unknown = sorted(set(kinds) - set(EXPORTED))
    if unknown:
        raise InputError(f"no ecosystem export of {unknown[0]} records", field="kind")
    with reading(node) as (conn, recorder):
        store = RecordStore(conn, node.ctx)
        rows = {
            kind: [
                row
                for rid in _exportable(node, conn, principal, kind)
                if (row := store.get(kind, rid)) is not None
            ]
            for kind in kinds
        }
        data = ecosystem_bundle(node, conn, rows)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        for kind in kinds:
            wire = node.kinds.get(kind).wire
            prefix = f"{wire.stix_type}--" if wire else ""
            exported = sorted(
                o["id"].removeprefix(prefix) for o in data["objects"] if o["id"].startswith(prefix)
            )
            emit(
                node,
                recorder,
                actor=principal.id,
                action="record.export",
                details={
                    "kind": kind,
                    "format": "stix-ecosystem",
                    "ids": exported,
                    "sha256": digest(text),
                },
            )
    return text


def export_incidents_ecosystem(node: Node, principal: Principal) -> str:
    """:func:`export_ecosystem` of the incidents (``nucsec incident export --format
    stix-ecosystem``)."""
    return export_ecosystem(node, principal, ("incident",))
