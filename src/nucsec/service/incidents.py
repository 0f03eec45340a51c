"""The incident register: incidents as labelled, versioned records, and their statistics.

An incident is stored as portions: ``facts`` (everything but the narrative, under the
record's label) and ``narrative.N`` (each paragraph under its own label). Its banner is
their roll-up. ``incident_facts`` mirrors the current version's countable facts for
statistics, which filter with the policy's SQL twin: counts include only what the caller
may read.

:data:`INCIDENT` declares the kind: its view (with the IAEA assessment), its title
(``REFERENCE: place``), the statistics hook, its files (listed in the facts, under the
facts' label) and its wire form (``facts``, ``narrative.N`` and file metadata as a
``portions`` list). Its STIX export is federation's
(:func:`nucsec.federation.export.export_incidents_stix`).

References are not unique across the node on purpose: refusing a duplicate would tell a
writer that a record it may not see exists. Import updates an incident with the same
reference only when the importer can read it; otherwise it creates a new one.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from nucsec.errors import InputError
from nucsec.incidents import (
    ImportResult,
    Incident,
    IncidentStats,
    assess_incident,
    incident_from_record,
    incident_stats_from_counts,
    incident_to_record,
    read_incidents_csv,
    write_incidents_csv,
)
from nucsec.incidents.countries import country_name
from nucsec.incidents.csvio import incident_lines
from nucsec.incidents.errors import CsvImportError, IncidentError, RowError
from nucsec.markings import Label, LabelError, parse_label, render_banner
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.portions import PortionRule
from nucsec.service import labelled
from nucsec.service.files import check_file_portions
from nucsec.service.incident_tables import COUNTED_DIMENSIONS, incident_counts, incident_facts
from nucsec.service.kinds import Attachable, Draft, RecordKind, Values, Wire
from nucsec.service.trail import digest, emit, reading
from nucsec.service.views import (
    AttachmentView,
    ImportView,
    IncidentView,
    PortionView,
    RecordPage,
)
from nucsec.store.labels import LABEL_TABLES, load_label
from nucsec.store.records import RecordRow, RecordStore, VersionRow
from nucsec.store.schema import records

__all__ = [
    "INCIDENT",
    "add_incident",
    "export_incidents",
    "exportable_ids",
    "get_incident",
    "import_incidents",
    "incident_history",
    "incident_of_portions",
    "incident_statistics",
    "incident_title",
    "list_incidents",
    "recall_incident",
    "update_incident",
]


def _sync_facts(
    node: Node, conn: Connection, row: RecordRow, version: VersionRow, banner: Label
) -> None:
    """Keep ``incident_facts`` and ``incident_counts`` in step with the version just
    written (same transaction): take the old contribution out, put the new one in."""
    f = incident_facts.c
    old = conn.execute(
        select(f.label_id, f.year, f.counted, *(f[d] for d in COUNTED_DIMENSIONS)).where(
            f.record_pk == row.pk
        )
    ).first()
    if old is not None and old.counted:
        previous = {d: old._mapping[d] for d in COUNTED_DIMENSIONS}
        _bump(conn, old.label_id, old.year, previous, -1)
    if row.recalled:  # counted no more; a recall received from a peer carries no content
        conn.execute(
            incident_facts.update()
            .where(f.record_pk == row.pk)
            .values(counted=False, label_id=row.label_id)
        )
        return
    incident = _incident_of(version)
    values = {d: getattr(incident, d) for d in COUNTED_DIMENSIONS}
    year = incident.event_date.year
    conn.execute(delete(incident_facts).where(f.record_pk == row.pk))
    conn.execute(
        insert(incident_facts).values(
            record_pk=row.pk,
            reference=incident.reference,
            event_date=incident.event_date,
            year=year,
            label_id=row.label_id,
            counted=not row.recalled,
            **values,
        )
    )
    if not row.recalled:
        _bump(conn, row.label_id, year, values, +1)


def _bump(conn: Connection, label_id: int, year: int, values: dict[str, str], delta: int) -> None:
    """Add ``delta`` to the count of each (label, year, dimension, value)."""
    c = incident_counts.c
    rows = [
        {"label_id": label_id, "year": year, "dimension": d, "value": v, "n": delta}
        for d, v in values.items()
    ]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(incident_counts)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(incident_counts)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[c.label_id, c.year, c.dimension, c.value],
            set_={"n": c.n + statement.excluded.n},
        ),
        rows,
    )


def _draft(node: Node, incident: Incident, label: Label, note: str = "") -> Draft:
    facts = incident_to_record(incident)
    narrative = facts.pop("narrative")
    values: dict[str, Any] = {"facts": facts}
    labels = {"facts": label}
    for i, portion in enumerate(narrative):
        try:
            portion_label = parse_label(portion["label"], node.ctx)
        except LabelError as exc:
            raise LabelError(
                exc.message, field=f"narrative[{i}].label", value=portion["label"]
            ) from exc
        values[f"narrative.{i}"] = portion["text"]
        labels[f"narrative.{i}"] = portion_label
    return Draft(values=values, labels=labels, note=note)


def incident_title(incident: Incident) -> str:
    """A record's title: ``REFERENCE: place`` (or the country's name)."""
    return f"{incident.reference}: {incident.place or country_name(incident.country)}"[:500]


def incident_of_portions(values: Mapping[str, Any]) -> Incident:
    """The incident stored as portion values (``facts``, ``narrative.N``), validated
    (IncidentError naming the field otherwise); narrative labels are placeholders."""
    facts = values.get("facts")
    if not isinstance(facts, Mapping) or "narrative" in facts:
        raise IncidentError("facts must be an incident record without narrative", field="facts")
    keys = sorted(
        (k for k in values if k.startswith("narrative.")), key=lambda k: int(k.split(".")[1])
    )
    narrative = [{"label": "UNCLASSIFIED", "text": values[k]} for k in keys]
    return incident_from_record({**facts, "narrative": narrative})


def _incident_of(version: VersionRow) -> Incident:
    return incident_of_portions({k: p.value for k, p in version.portions.items()})


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> IncidentView:
    fields = labelled.base_fields(node, conn, row, version)
    incident = _incident_of(version)
    record = incident_to_record(incident)
    portions: dict[str, PortionView] = fields["portions"]
    record["narrative"] = [
        {"portion": portions[k].portion, "text": portions[k].value, "label": portions[k].label}
        for k in sorted(
            (k for k in portions if k.startswith("narrative.")), key=lambda k: int(k.split(".")[1])
        )
    ]
    return IncidentView(
        **fields,
        reference=incident.reference,
        title=row.title,
        incident=record,
        assessment=assess_incident(incident),
    )


def _title(values: Values) -> str:
    return incident_title(incident_of_portions(values))


def _check(values: Values) -> None:
    """A received version's values must be a valid incident record with file metadata."""
    try:
        incident_of_portions(values)
    except InputError as exc:
        raise InputError(f"not an incident record: {exc.message}", field="facts") from None
    check_file_portions(values)


def _files(view: IncidentView) -> tuple[AttachmentView, ...]:
    """The files an incident lists (in its facts), each under the facts' portion mark."""
    facts = view.portions["facts"]
    return tuple(
        AttachmentView(**a, portion=facts.portion, label=facts.label)
        for a in view.incident.get("attachments", [])
    )


def _with_file(
    node: Node, view: IncidentView, meta: dict[str, Any], label: Label | None, note: str
) -> Draft:
    """The next version's draft: the incident listing one more file, under its facts'
    label (``label`` is None: an incident's files have no label of their own)."""
    record = dict(view.incident)
    record["attachments"] = [*record.get("attachments", []), meta]
    record["narrative"] = [  # JSON labels keep their originator (banners do not)
        {"label": Label.from_dict(p["label"]).to_json(), "text": p["text"]}
        for p in record["narrative"]
    ]
    facts_label = Label.from_dict(view.portions["facts"].label)
    return _draft(node, incident_from_record(record), facts_label, note)


INCIDENT = RecordKind(
    name="incident",
    collection="incidents",
    view=_view,
    title=_title,
    check=_check,
    after_write=(_sync_facts,),
    attachable=Attachable(_files, _with_file, own_label=False),
    wire=Wire(
        stix_type="x-nucsec-incident",
        extension_id="extension-definition--c14b5346-10a5-44a2-a3ae-30e714a1cbe7",
        portions=(
            PortionRule("facts", "object", required=True),
            PortionRule("narrative.N", "string"),
            PortionRule("attachment.N", "object"),
        ),
        layout="list",
        description="An illicit-trafficking incident of the register (ITDB-style): its "
        "facts (the incident record without narrative, as nucsec.incidents.incident_to_record "
        "writes it), each narrative paragraph and each attached file's metadata as a portion "
        "with its own marking under the object's banner. File bytes are not carried.",
    ),
)


def add_incident(
    node: Node, principal: Principal, incident: Incident, label: Label, note: str = ""
) -> IncidentView:
    """Record an incident; its facts carry ``label``, each narrative paragraph its own."""
    view: IncidentView = labelled.create(
        node, principal, INCIDENT, _draft(node, incident, label, note)
    )
    return view


def update_incident(
    node: Node,
    principal: Principal,
    incident_id: str,
    incident: Incident,
    label: Label,
    note: str = "",
    *,
    base_version: int | None = None,
) -> IncidentView:
    """Append a version of an incident (NotFoundError if unreadable, AccessDenied if the
    principal may not; ConflictError if ``base_version``, the version the change was made
    on, is no longer the current one)."""
    draft = replace(_draft(node, incident, label, note), base_version=base_version)
    view: IncidentView = labelled.update(node, principal, INCIDENT, incident_id, draft)
    return view


def get_incident(node: Node, principal: Principal, incident_id: str) -> IncidentView:
    """An incident with its assessment (IAEA categories), or NotFoundError."""
    view: IncidentView = labelled.read(node, principal, INCIDENT, incident_id)
    return view


def incident_history(
    node: Node, principal: Principal, incident_id: str
) -> list[tuple[IncidentView, VersionRow]]:
    """The versions of an incident the principal may read, oldest first (each checked on
    its own label; NotFoundError if the incident is unreadable), with their stored rows
    (author, note)."""
    return labelled.versions(node, principal, INCIDENT, incident_id)


def list_incidents(
    node: Node,
    principal: Principal,
    *,
    query: str | None = None,
    origin: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> RecordPage:
    """A page of the incidents the principal may read, newest first (text search only:
    :func:`nucsec.service.incident_search.search_incidents` filters by facts too)."""
    return labelled.page(
        node, principal, INCIDENT, query=query, origin=origin, limit=limit, after=after
    )


def _visible_facts(principal: Principal, node: Node, action: str = "read") -> Any:
    return (
        select(incident_facts)
        .join(records, records.c.pk == incident_facts.c.record_pk)
        .where(
            records.c.kind == INCIDENT.name,
            records.c.recalled.is_(False),
            records.c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES, action)),
        )
    )


def incident_statistics(
    node: Node,
    principal: Principal,
    *,
    year_from: int | None = None,
    year_to: int | None = None,
) -> IncidentStats:
    """Counts by year, group, material class, type, country and detection mode — over the
    incidents the principal may read only: the maintained counts of the labels the
    policy's SQL twin lets the principal read, summed in the database."""
    c = incident_counts.c
    query = select(c.year, c.dimension, c.value, func.sum(c.n)).where(
        c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES)), c.n != 0
    )
    if year_from is not None:
        query = query.where(c.year >= year_from)
    if year_to is not None:
        query = query.where(c.year <= year_to)
    query = query.group_by(c.year, c.dimension, c.value)
    with reading(node) as (conn, recorder):
        stats = incident_stats_from_counts(
            (int(y), d, v, int(n)) for y, d, v, n in conn.execute(query)
        )
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.report",
            details={
                "kind": INCIDENT.name,
                "report": "statistics",
                "total": stats.total,
                "year_from": year_from,
                "year_to": year_to,
            },
        )
    return stats


def export_incidents(node: Node, principal: Principal) -> str:
    """CSV of every incident the principal may export (ORCON: originator only); audited."""
    with reading(node) as (conn, recorder):
        ids = exportable_ids(node, conn, principal)
        store = RecordStore(conn, node.ctx)
        incidents = []
        for record_id in ids:
            row = store.get(INCIDENT.name, record_id)
            if row is not None:
                incidents.append(_with_labels(node, conn, store.version(row)))
        out = io.StringIO(newline="")
        write_incidents_csv(incidents, out)
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.export",
            details={
                "kind": INCIDENT.name,
                "format": "csv",
                "ids": ids,
                "sha256": digest(out.getvalue()),
            },
        )
    return out.getvalue()


def exportable_ids(node: Node, conn: Connection, principal: Principal) -> list[str]:
    """Ids of the incidents the principal may export (the policy's SQL twin), oldest first."""
    exportable = select(_visible_facts(principal, node, "export").subquery().c.record_pk)
    query = select(records.c.id).where(records.c.pk.in_(exportable)).order_by(records.c.pk)
    return list(conn.execute(query).scalars())


def recall_incident(node: Node, principal: Principal, incident_id: str) -> IncidentView:
    """Recall an incident: a new version flagged recalled, hidden from every user here and
    out of the statistics; federation withdraws it from every partner that received it.
    Those who may update it (its originator agency, a security officer) may recall it."""
    current = get_incident(node, principal, incident_id)
    draft = Draft(
        values={name: p.value for name, p in current.portions.items()},
        labels={name: Label.from_dict(p.label) for name, p in current.portions.items()},
        note="recalled",
        base_version=current.version,
    )
    view: IncidentView = labelled.update(
        node, principal, INCIDENT, incident_id, draft, recalled=True
    )
    return view


def _with_labels(node: Node, conn: Connection, version: VersionRow) -> Incident:
    """The incident with each narrative paragraph's real label (banner text)."""
    ctx = node.ctx
    incident = _incident_of(version)
    keys = sorted(
        (k for k in version.portions if k.startswith("narrative.")),
        key=lambda k: int(k.split(".")[1]),
    )
    facts = incident_to_record(incident)
    facts["narrative"] = [
        {
            "label": render_banner(load_label(conn, version.portions[k].label_id), ctx),
            "text": version.portions[k].value,
        }
        for k in keys
    ]
    return incident_from_record(facts)


def import_incidents(
    node: Node,
    principal: Principal,
    csv_text: str,
    label: Label,
    *,
    partial: bool = False,
    today: dt.date | None = None,
) -> ImportView:
    """Import incidents from CSV under ``label``. Every bad row is reported with each of its
    problems (a narrative marking this node does not know among them); without
    ``partial`` nothing is imported when any row is bad (CsvImportError).

    All or nothing: the whole import is one transaction. Every incident is decided first
    (the CSV reader, the labels, then the reference monitor's create or update decision);
    a refusal is reported as a bad row (its denial audited). Then every accepted incident
    is written, queued for release to partners and audited; should any write be refused
    after all, the transaction rolls back and nothing is written or queued."""
    result: ImportResult = read_incidents_csv(
        csv_text,
        today=today or node.clock().date(),
        partial=partial,
        check_label=lambda text: parse_label(text, node.ctx),
    )
    drafts = [(i, _draft(node, i, label)) for i in result.incidents]
    with node.engine.begin() as conn:
        plan, refused = _decide_rows(node, conn, principal, drafts, csv_text)
        created: list[str] = []
        updated: list[str] = []
        reference_of = {id(draft): incident.reference for incident, draft in drafts}
        references: dict[str, str] = {}
        for draft, existing in plan if partial or not refused else []:
            if existing is None:
                new = replace(draft, note="imported")
                record_id = labelled.create_in(node, conn, principal, INCIDENT, new)
                created.append(record_id)
            else:
                new = replace(draft, note="re-imported")
                labelled.update_in(node, conn, principal, INCIDENT, existing, new)
                record_id = existing
                updated.append(existing)
            references[record_id] = reference_of[id(draft)]
    if refused and not partial:
        raise CsvImportError(refused)  # after the commit of the refusals' audit events
    errors = sorted([*result.errors, *refused], key=lambda e: e.line)
    return ImportView(
        created=tuple(created),
        updated=tuple(updated),
        errors=tuple(e.to_dict() for e in errors),
        references=references,
    )


def _decide_rows(
    node: Node,
    conn: Connection,
    principal: Principal,
    drafts: list[tuple[Incident, Draft]],
    csv_text: str,
) -> tuple[list[tuple[Draft, str | None]], list[RowError]]:
    """Each accepted incident's draft with the id it updates (None: new), and the refused
    incidents as bad rows."""
    plan: list[tuple[Draft, str | None]] = []
    refused: list[RowError] = []
    lines: dict[str, int] | None = None  # each reference's file line, read once if needed
    for incident, draft in drafts:
        existing = _visible_by_reference(node, conn, principal, incident.reference)
        reason = labelled.refusal_in(node, conn, principal, INCIDENT, existing, draft)
        if reason is None:
            plan.append((draft, existing))
            continue
        lines = incident_lines(csv_text) if lines is None else lines
        what = "cannot update it" if existing else "cannot create it"
        refused.append(
            RowError(lines.get(incident.reference, 0), incident.reference, "label",
                     f"{what}: {reason}")
        )  # fmt: skip
    return plan, refused


def _visible_by_reference(
    node: Node, conn: Connection, principal: Principal, reference: str
) -> str | None:
    pk = conn.execute(
        _visible_facts(principal, node)
        .with_only_columns(incident_facts.c.record_pk)
        .where(incident_facts.c.reference == reference)
        .order_by(incident_facts.c.record_pk.desc())
    ).scalar()
    if pk is None:
        return None
    return conn.execute(select(records.c.id).where(records.c.pk == pk)).scalar()


def parse_incident(data: Any, *, today: dt.date) -> Incident:
    """An incident from its JSON record (API, CLI ``--file``), refusing future dates."""
    if not isinstance(data, dict):
        raise InputError("an incident must be a JSON object", field="incident")
    return incident_from_record(data, today=today)
