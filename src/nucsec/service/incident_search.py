"""Incident listing with filters (year, ITDB group, country, type), policy-filtered in SQL.

The register's own listing (:func:`nucsec.service.incidents.list_incidents`) filters by
text only. The incident pages and the REST API also filter by the counted facts kept in
``incident_facts``; the rows come from the same SQL twin of the reference monitor
(``records.label_id IN visible labels``), so a filter never reveals an incident the caller
may not read, and the count is of readable incidents only. Each call is audited like a
listing (``record.list`` or ``record.search``, with the ids shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from nucsec.errors import InputError
from nucsec.incidents.countries import country_code, country_name
from nucsec.incidents.stats import display_name
from nucsec.incidents.vocabulary import INCIDENT_TYPES, ITDB_GROUPS
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.nuclides import NuclideError, canonical
from nucsec.policy import Principal
from nucsec.policy.sql import visible_label_ids
from nucsec.service.incident_tables import incident_counts, incident_facts
from nucsec.service.labelled import summary_fields
from nucsec.service.trail import emit, keyed, reading
from nucsec.service.views import IncidentPage, IncidentSummary
from nucsec.store.labels import LABEL_TABLES, load_label
from nucsec.store.record_filter import (
    RecordFilter,
    after_cursor,
    checked_sort,
    filter_clauses,
    order_by,
)
from nucsec.store.records import RECORD_COLUMNS, record_row
from nucsec.store.schema import records

__all__ = ["IncidentFilter", "counted_labels", "search_incidents"]

_FACTS = (
    incident_facts.c.reference,
    incident_facts.c.event_date,
    incident_facts.c.itdb_group,
    incident_facts.c.incident_type,
    incident_facts.c.material_class,
    incident_facts.c.country,
    incident_facts.c.detection_mode,
)


@dataclass(frozen=True)
class IncidentFilter:
    """What to list: text, year, ITDB group, country (alpha-2 or name), incident type."""

    query: str | None = None
    year: int | None = None
    group: str | None = None
    country: str | None = None
    incident_type: str | None = None
    #: marking, nation, agency, dates changed (checked against the node's markings)
    records: RecordFilter | None = None

    def checked(self) -> IncidentFilter:
        """The filter with codes normalised; InputError naming a bad field."""
        group = self.group or None
        if group is not None and group not in ITDB_GROUPS.codes:
            raise InputError("group must be I, II or III", field="group", value=group)
        kind = self.incident_type or None
        if kind is not None and kind not in INCIDENT_TYPES.codes:
            raise InputError("unknown incident type", field="type", value=kind)
        if self.year is not None and not 1900 <= self.year <= 2200:
            raise InputError("year must be between 1900 and 2200", field="year", value=self.year)
        country = country_code(self.country, field="country") if self.country else None
        return IncidentFilter(self.query or None, self.year, group, country, kind, self.records)

    def active(self) -> dict[str, Any]:
        out = {
            k: v
            for k, v in self.__dict__.items()
            if v not in (None, "") and k not in ("query", "records")
        }
        return out | (self.records.params() if self.records is not None else {})


def _where(principal: Principal, node: Node, f: IncidentFilter) -> list[Any]:
    c = incident_facts.c
    where: list[Any] = [
        records.c.kind == "incident",
        records.c.recalled.is_(False),
        records.c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES)),
    ]
    if f.query:  # narrative text, facts (a listed item's nuclide too), or the title
        texts = {f.query.lower(), _nuclide_spelling(f.query)} - {""}
        where.append(
            or_(
                *(records.c.search_text.contains(text, autoescape=True) for text in texts),
                func.lower(records.c.title).contains(f.query.lower(), autoescape=True),
            )
        )
    if f.year is not None:
        where.append(c.year == f.year)
    if f.group:
        where.append(c.itdb_group == f.group)
    if f.country:
        where.append(c.country == f.country)
    if f.incident_type:
        where.append(c.incident_type == f.incident_type)
    if f.records is not None:
        where.extend(filter_clauses(f.records.checked(node.ctx)))
    return where


def _nuclide_spelling(query: str) -> str:
    """The stored spelling of a query that names a nuclide ("60Co" -> "co-60"), else ""."""
    try:
        return canonical(query.strip()).lower()
    except NuclideError:
        return ""


def _joined(*columns: Any) -> Select[Any]:
    return select(*columns).select_from(
        records.join(incident_facts, incident_facts.c.record_pk == records.c.pk)
    )


def search_incidents(
    node: Node,
    principal: Principal,
    flt: IncidentFilter | None = None,
    *,
    limit: int = 25,
    after: str | None = None,
    sort: str | None = None,
) -> IncidentPage:
    """A page of the incidents the principal may read, newest first (or in the order
    ``sort`` names: ``new``, ``old``, ``title``), and their total.

    Each item is a listing summary (id, title, banner, ...) with the incident's reference,
    event date, group, type, material class, country (code and name).
    """
    if not 1 <= limit <= 500:
        raise InputError("limit must be between 1 and 500", field="limit", value=limit)
    f = (flt or IncidentFilter()).checked()
    order = checked_sort(sort)
    where = _where(principal, node, f)
    with reading(node) as (conn, recorder):
        if after is not None:
            cursor = conn.execute(
                _joined(records.c.pk, records.c.title).where(*where, records.c.id == after)
            ).first()
            if cursor is None:
                raise InputError("invalid page cursor", field="next", value=after)
            page_where = [*where, after_cursor(order, cursor[0], cursor[1])]
        else:
            page_where = where
        rows = conn.execute(
            _joined(*RECORD_COLUMNS, *_FACTS)
            .where(*page_where)
            .order_by(*order_by(order))
            .limit(limit + 1)
        ).all()
        total = int(conn.execute(_joined(func.count()).where(*where)).scalar() or 0)
        items = [_item(node, conn, r) for r in rows[:limit]]
        emit(
            node,
            recorder,
            actor=principal.id,
            action="record.search" if f.query or f.active() else "record.list",
            details={
                "kind": "incident",
                "query": keyed(node, f.query or ""),
                "filters": {k: str(v) for k, v in f.active().items()},
                "after": after,
                "ids": [i.id for i in items],
                "count": total,
            },
        )
    nxt = items[-1].id if len(rows) > limit else None
    return IncidentPage(items=tuple(items), next=nxt, total=total)


def _item(node: Node, conn: Any, r: Any) -> IncidentSummary:
    row = record_row(r[: len(RECORD_COLUMNS)])
    facts = dict(
        zip(("reference", "event_date", *_FACTS_NAMES), r[len(RECORD_COLUMNS) :], strict=True)
    )
    return IncidentSummary(
        **summary_fields(node, conn, row),
        reference=facts["reference"],
        event_date=facts["event_date"].isoformat(),
        itdb_group=facts["itdb_group"],
        incident_type=facts["incident_type"],
        incident_type_name=display_name("incident_type", facts["incident_type"]),
        material_class=facts["material_class"],
        country=facts["country"],
        country_name=country_name(facts["country"]),
        detection_mode=facts["detection_mode"],
    )


_FACTS_NAMES = ("itdb_group", "incident_type", "material_class", "country", "detection_mode")


def counted_labels(
    node: Node, principal: Principal, *, year_from: int | None = None, year_to: int | None = None
) -> list[Label]:
    """The distinct labels of the incidents a statistic of ``principal`` counts (the page
    banner of a chart is computed from them: a count carries the marking of what it counts)."""
    c = incident_counts.c
    query = (
        select(c.label_id)
        .where(c.label_id.in_(visible_label_ids(principal, node.ctx, LABEL_TABLES)), c.n != 0)
        .distinct()
    )
    if year_from is not None:
        query = query.where(c.year >= year_from)
    if year_to is not None:
        query = query.where(c.year <= year_to)
    with node.engine.connect() as conn:
        return [load_label(conn, int(label_id)) for (label_id,) in conn.execute(query)]
