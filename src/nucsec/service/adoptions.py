"""Adoption of best practices as labelled records (the ``adoption`` kind) and their rates.

An adoption says that an agency, or one of its facilities, adopted (or plans, or is
adopting) a practice of the catalogue, on a date, with evidence. It is one portion,
``adoption``, under its own label: the practice's record id and code, the adopter
(``NATION.AGENCY`` or ``facility:<record id>``), the facility's record id (or None), the
date, the status (``planned``, ``in_progress``, ``adopted``) and the evidence text.
Evidence files attach through :mod:`nucsec.service.attachments` (``attachment.N``
portions, each its own label; by default the adoption's).

The author must be able to read the practice and the facility it names (a hidden one
answers "not found" exactly like an absent one). Adoptions federate by label as
``x-nucsec-adoption`` (the ``adoption`` portion; evidence files stay home); a received
adoption names the practice and facility by their record ids, which travel unchanged.

:func:`adoption_summary` is what a reader sees of adoption across the catalogue: per
readable practice its adopters, and per year the share of the facilities the reader may
read that had adopted each endorsed practice by the end of that year (the pure core's
:func:`nucsec.practices.adoption_rates`). Only adoptions the reader may read, of
practices and facilities the reader may read, count: a hidden adoption is absent from
the lists, the counts and the rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.portions import PortionRule
from nucsec.practices import AdoptionRecord, PracticeError, adoption_rates
from nucsec.practices._fields import as_date, as_table
from nucsec.service import labelled
from nucsec.service.facilities import FACILITY, get_facility
from nucsec.service.files import check_file_portions, portion_file_draft, portion_files
from nucsec.service.kinds import Attachable, Draft, RecordKind, Values, Wire
from nucsec.service.practices import PracticeView, export_practices, get_practice
from nucsec.service.views import RecordView
from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "ADOPTION",
    "STATUSES",
    "AdoptionView",
    "add_adoption",
    "adoption_summary",
    "get_adoption",
    "list_adoptions",
    "summarise",
]

STATUSES = ("planned", "in_progress", "adopted")
KEYS = ("practice", "practice_code", "adopter", "facility", "adopted_on", "status", "evidence")
MAX_EVIDENCE_CHARS = 20_000


@dataclass(frozen=True, kw_only=True, slots=True)
class AdoptionView(RecordView):
    """An adoption as its readers see it."""

    practice: str  # the practice's record id
    practice_code: str
    adopter: str  # NATION.AGENCY or facility:<record id>
    facility: str | None  # the facility's record id
    adopted_on: str  # ISO date
    status: str
    evidence: str


def _checked(values: Values) -> Mapping[str, Any]:
    """The ``adoption`` portion, checked (PracticeError naming the field otherwise)."""
    a = as_table(values.get("adoption"), set(KEYS), "adoption", PracticeError)
    for key in ("practice", "practice_code", "adopter", "status"):
        if not isinstance(a.get(key), str) or not a[key].strip():
            raise PracticeError(f"{key} must be non-empty text", field=f"adoption.{key}")
    if a["status"] not in STATUSES:
        raise PracticeError(
            f"status must be one of {', '.join(STATUSES)}",
            field="adoption.status",
            value=a["status"],
        )
    facility = a.get("facility")
    if facility is not None and (not isinstance(facility, str) or not facility):
        raise PracticeError("facility must be a record id or null", field="adoption.facility")
    evidence = a.get("evidence")
    if not isinstance(evidence, str) or len(evidence) > MAX_EVIDENCE_CHARS:
        raise PracticeError(
            f"evidence must be text of at most {MAX_EVIDENCE_CHARS} characters",
            field="adoption.evidence",
        )
    on = as_date(a.get("adopted_on"), "adoption.adopted_on", PracticeError)
    try:
        AdoptionRecord(a["practice"], a["adopter"], on)
    except PracticeError as exc:
        exc.field = f"adoption.{exc.field}"
        raise
    expected = f"facility:{facility}" if facility else None
    if expected is not None and a["adopter"] != expected:
        raise PracticeError("a facility's adoption has it as adopter", field="adoption.adopter")
    return a


def _check(values: Values) -> None:
    _checked(values)
    check_file_portions(values)


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> AdoptionView:
    a = version.portions["adoption"].value
    return AdoptionView(
        **labelled.base_fields(node, conn, row, version),
        practice=a["practice"],
        practice_code=a["practice_code"],
        adopter=a["adopter"],
        facility=a.get("facility"),
        adopted_on=a["adopted_on"],
        status=a["status"],
        evidence=a["evidence"],
    )


def _title(values: Values) -> str:
    a = values["adoption"]
    return f"{a['practice_code']} {a['status'].replace('_', ' ')} by {a['adopter']}"


ADOPTION = RecordKind(
    name="adoption",
    collection="adoptions",
    view=_view,
    title=_title,
    check=_check,
    attachable=Attachable(portion_files, portion_file_draft("adoption")),
    wire=Wire(
        stix_type="x-nucsec-adoption",
        extension_id="extension-definition--da6896c7-2635-4e9e-ac19-87b43f95a987",
        portions=(PortionRule("adoption", "object", required=True),),
        layout="list",
        description="The adoption of a best practice by an agency or a facility: the "
        "practice (record id and code), the adopter, the date, the status (planned, "
        "in progress, adopted) and the evidence in words, one portion with its own "
        "marking. Evidence files stay on the node that holds them.",
    ),
)


def add_adoption(
    node: Node,
    principal: Principal,
    practice_id: str,
    *,
    on: dt.date,
    evidence: str,
    label: Label,
    facility_id: str | None = None,
    status: str = "adopted",
    note: str = "",
) -> AdoptionView:
    """Record that the author's agency (or ``facility_id``) adopted a practice.

    The practice and the facility must be readable by the author (NotFoundError,
    hidden or absent alike); a bad status, date or evidence raises a PracticeError naming
    the field. Nothing is written on error.
    """
    practice = get_practice(node, principal, practice_id)
    if facility_id is not None:
        get_facility(node, principal, facility_id)
        adopter = f"facility:{facility_id}"
    else:
        adopter = principal.qualified_agency or ""
    portion = {
        "practice": practice.id,
        "practice_code": practice.code,
        "adopter": adopter,
        "facility": facility_id,
        "adopted_on": on.isoformat() if isinstance(on, dt.date) else on,
        "status": status,
        "evidence": evidence,
    }
    values = {"adoption": portion}
    _checked(values)
    view: AdoptionView = labelled.create(
        node, principal, ADOPTION, Draft(values=values, labels={"adoption": label}, note=note)
    )
    return view


def get_adoption(node: Node, principal: Principal, record_id: str) -> AdoptionView:
    """The current version, or NotFoundError (hidden or absent alike)."""
    view: AdoptionView = labelled.read(node, principal, ADOPTION, record_id)
    return view


def _all(node: Node, principal: Principal, kind: RecordKind) -> Iterator[str]:
    after: str | None = None
    while True:
        page = labelled.page(node, principal, kind, limit=500, after=after)
        yield from (item.id for item in page.items)
        if page.next is None:
            return
        after = page.next


def list_adoptions(
    node: Node, principal: Principal, practice_id: str | None = None
) -> list[AdoptionView]:
    """Every adoption the principal may read (of ``practice_id`` only, if given), oldest
    first by date (each read audited)."""
    found = [get_adoption(node, principal, i) for i in _all(node, principal, ADOPTION)]
    if practice_id is not None:
        found = [a for a in found if a.practice == practice_id]
    return sorted(found, key=lambda a: (a.adopted_on, a.created_at))


def _endorsed_on(p: PracticeView) -> dt.date | None:
    if p.endorsement is None:
        return None
    return dt.date.fromisoformat(str(p.endorsement["on"]))


def adoption_summary(node: Node, principal: Principal) -> dict[str, Any]:
    """Adoption across the catalogue as the principal may see it (each read audited):
    :func:`summarise` over the practices, facilities and adoptions it may read."""
    practices = export_practices(node, principal)
    facilities = list(_all(node, principal, FACILITY))
    adoptions = list_adoptions(node, principal)
    return summarise(practices, facilities, adoptions, node.clock().date())


def summarise(
    practices: Sequence[PracticeView],
    facility_ids: Sequence[str],
    adoptions: Sequence[AdoptionView],
    today: dt.date,
) -> dict[str, Any]:
    """Adoption of ``practices`` by the facilities ``facility_ids`` (pure).

    Returns ``{"years", "facilities", "overall", "practices"}``: ``facilities`` is the
    denominator (how many facilities); each practice entry (by code) has its id, code,
    title, status, adopters by status, its adoption ids and, for an endorsed practice,
    ``rates``: per year, the percent of the facilities that had adopted it by 31
    December (None before its endorsement year). ``overall`` is the share of (facility,
    endorsed practice) pairs per year. Adoptions of other practices are left out; only
    status ``adopted`` by a listed facility counts towards a rate.
    """
    by_id = {p.id: p for p in practices}
    facilities = [f"facility:{i}" for i in facility_ids]
    adoptions = [a for a in adoptions if a.practice in by_id]
    endorsed = {pid: _endorsed_on(p) for pid, p in by_id.items() if p.status == "endorsed"}
    first = [dt.date.fromisoformat(a.adopted_on).year for a in adoptions]
    first += [d.year for d in endorsed.values() if d is not None]
    years = list(range(min(first, default=today.year), today.year + 1))
    counted = [
        AdoptionRecord(a.practice, a.adopter, dt.date.fromisoformat(a.adopted_on))
        for a in adoptions
        if a.status == "adopted" and a.practice in endorsed and a.adopter in facilities
    ]
    rates = adoption_rates(counted, endorsed, facilities, [dt.date(y, 12, 31) for y in years])
    out = []
    for pid, p in sorted(by_id.items(), key=lambda kv: kv[1].code):
        mine = [a for a in adoptions if a.practice == pid]
        out.append(
            {
                "id": pid,
                "code": p.code,
                "title": p.title,
                "status": p.status,
                "adopters": {
                    s: sorted({a.adopter for a in mine if a.status == s}) for s in STATUSES
                },
                "adoptions": [a.id for a in mine],
                "rates": rates["by_practice"].get(pid) if facilities else None,
            }
        )
    return {
        "years": years,
        "facilities": len(facilities),
        "overall": rates["overall"],
        "practices": out,
    }
