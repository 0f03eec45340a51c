"""Best practices as labelled, versioned records (the ``practice`` kind).

A practice is stored as four portions, each under its own label: ``title``, ``summary``,
``body`` (Markdown, rendered safely in the view) and ``meta`` (code, topic,
applicability, framework nodes, citations, owner agency, status, endorsement). The pure
core validates every version (:func:`nucsec.practices.practice_from_dict`: a typed error
naming the field, nothing written), here and when a peer's version is received.

Every status change is a new version: proposing, and the working group's endorsement, a
decision recorded by an officer (role ``officer`` or ``security_officer``) together with
an officer of each other member nation (:func:`nucsec.practices.endorse`). The kind's
after-write hook keeps the search index in step (:mod:`nucsec.service.practice_search`).
Practices federate by label as ``x-nucsec-practice``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import AccessDenied, InputError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.portions import PortionRule
from nucsec.practices import (
    Endorsement,
    Officer,
    Practice,
    PracticeError,
    check_references,
    endorse,
    practice_from_dict,
    propose,
    shipped_frameworks,
)
from nucsec.practices.practice import membership_from_context
from nucsec.service import labelled
from nucsec.service.kinds import Draft, RecordKind, Values, Wire
from nucsec.service.practice_index import index_practice
from nucsec.service.views import RecordPage, RecordView
from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "PRACTICE",
    "PracticeView",
    "add_practice",
    "endorse_practice",
    "export_practices",
    "get_practice",
    "list_practices",
    "officer_of",
    "practice_of",
    "practice_record",
    "propose_practice",
]

#: the ``meta`` portion's keys (a practice record less its text portions and id)
META_KEYS = (
    "code",
    "topic",
    "applicability",
    "nodes",
    "citations",
    "owner_agency",
    "status",
    "endorsement",
    "superseded_by",
)
TEXT_PORTIONS = ("title", "summary", "body")


@dataclass(frozen=True, kw_only=True, slots=True)
class PracticeView(RecordView):
    """A practice as its readers see it: the record fields and the practice itself."""

    code: str
    title: str
    summary: str
    body: str
    body_html: str  # the body rendered safely (raw HTML off, allow-list sanitiser)
    topic: str
    applicability: tuple[str, ...]
    nodes: tuple[str, ...]
    citations: tuple[dict[str, Any], ...]  # each with its title and verification status
    owner_agency: str
    status: str
    endorsement: dict[str, Any] | None
    superseded_by: str | None


def practice_of(values: Values) -> Practice:
    """The validated practice of a version's portion values (PracticeError naming the
    field otherwise: ``meta.topic``, ``title``, ...)."""
    meta = values.get("meta")
    if not isinstance(meta, dict):
        raise PracticeError("a practice needs its meta portion", field="meta")
    unknown = sorted(set(meta) - set(META_KEYS))
    if unknown:
        raise PracticeError(f"unknown key {unknown[0]!r}", field=f"meta.{unknown[0]}")
    raw = {k: v for k, v in meta.items() if k != "code"}
    raw.update(id=meta.get("code", ""), **{k: values.get(k, "") for k in TEXT_PORTIONS})
    try:
        return practice_from_dict(raw)
    except InputError as exc:
        if exc.field and exc.field not in TEXT_PORTIONS:
            exc.field = "meta.code" if exc.field == "id" else f"meta.{exc.field}"
        raise


def _values(practice: Practice) -> dict[str, Any]:
    record = practice.to_dict()
    meta = {k: record[k] for k in META_KEYS if k != "code"}
    meta["code"] = practice.id
    meta["citations"] = [{"doc": c.doc, "section": c.section} for c in practice.citations]
    return {**{k: record[k] for k in TEXT_PORTIONS}, "meta": meta}


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> PracticeView:
    values = {name: p.value for name, p in version.portions.items()}
    p = practice_of(values)
    d = p.to_dict()
    return PracticeView(
        **labelled.base_fields(node, conn, row, version),
        code=p.id,
        title=p.title,
        summary=p.summary,
        body=p.body,
        body_html=p.body_html,
        topic=p.topic,
        applicability=tuple(d["applicability"]),
        nodes=tuple(d["nodes"]),
        citations=tuple(d["citations"]),
        owner_agency=p.owner_agency,
        status=p.status,
        endorsement=d["endorsement"],
        superseded_by=d["superseded_by"],
    )


def _title(values: Values) -> str:
    return str(values["title"])


def _check(values: Values) -> None:
    practice_of(values)


PRACTICE = RecordKind(
    name="practice",
    collection="practices",
    view=_view,
    title=_title,
    check=_check,
    after_write=(index_practice,),
    wire=Wire(
        stix_type="x-nucsec-practice",
        extension_id="extension-definition--5f0c2b7e-8a41-4d39-b6e2-71c9e4a0d853",
        portions=(
            PortionRule("title", "string", required=True),
            PortionRule("summary", "string", required=True),
            PortionRule("body", "string", required=True),
            PortionRule("meta", "object", required=True),
        ),
        layout="list",
        description="A best practice of the working group: title, summary, Markdown body "
        "and its metadata (topic, applicability, framework nodes, guidance citations, "
        "owner agency, status and endorsement), each a portion with its own marking.",
    ),
)


def practice_record(
    *,
    title: str,
    summary: str,
    topic: str,
    body: str = "",
    code: str | None = None,
    applicability: Sequence[str] = (),
    nodes: Sequence[str] = (),
    cites: Sequence[str] = (),
    status: str = "draft",
) -> dict[str, Any]:
    """The record :func:`add_practice` takes, from the fields the CLI and the REST API
    accept (``cites``: guidance ``DOC`` or ``DOC:SECTION``; no code: ``BP-`` and eight
    random hex digits). Nothing is checked here: :func:`add_practice` checks it all."""
    return {
        "id": code or "BP-" + secrets.token_hex(4).upper(),
        "title": title,
        "summary": summary,
        "body": body,
        "topic": topic,
        "applicability": list(applicability),
        "nodes": list(nodes),
        "citations": [dict(zip(("doc", "section"), c.split(":", 1), strict=False)) for c in cites],
        "status": status,
    }


def officer_of(text: str, field: str = "officer") -> Officer:
    """An officer written ``NATION.AGENCY:NAME`` (InputError naming ``field`` otherwise)."""
    agency, sep, name = str(text).partition(":")
    nation, dot, code = agency.partition(".")
    if not (sep and dot and name.strip()):
        raise InputError("an officer reads NATION.AGENCY:NAME", field=field, value=text)
    return Officer(nation, code, name.strip())


def _checked(node: Node, practice: Practice) -> Practice:
    check_references(practice, shipped_frameworks(), membership_from_context(node.ctx))
    return practice


def add_practice(
    node: Node,
    principal: Principal,
    record: dict[str, Any],
    label: Label,
    labels: dict[str, Label] | None = None,
    note: str = "",
) -> PracticeView:
    """Create a practice from its record (the shape of ``Practice.to_dict``; ``id`` is
    its code, e.g. ``BP-001``; ``owner_agency`` defaults to the author's agency).

    Every portion is under ``label`` unless ``labels`` names another for it. A bad
    record raises a typed error naming the field and writes nothing.
    """
    record = dict(record)
    record.setdefault("owner_agency", principal.qualified_agency or "")
    practice = _checked(node, practice_from_dict(record))
    values = _values(practice)
    chosen = {name: (labels or {}).get(name, label) for name in values}
    view: PracticeView = labelled.create(
        node, principal, PRACTICE, Draft(values=values, labels=chosen, note=note)
    )
    return view


def get_practice(node: Node, principal: Principal, record_id: str) -> PracticeView:
    """The current version, or NotFoundError (hidden or absent alike)."""
    view: PracticeView = labelled.read(node, principal, PRACTICE, record_id)
    return view


def list_practices(
    node: Node, principal: Principal, *, limit: int = 50, after: str | None = None
) -> RecordPage:
    """A page of the practices the principal may read, newest first."""
    return labelled.page(node, principal, PRACTICE, limit=limit, after=after)


def _next_version(
    node: Node, principal: Principal, current: PracticeView, practice: Practice, note: str
) -> PracticeView:
    labels = {name: Label.from_dict(p.label) for name, p in current.portions.items()}
    values = _values(practice)
    draft = Draft(
        values=values,
        labels={k: labels[k] for k in values},
        note=note,
        base_version=current.version,
    )
    view: PracticeView = labelled.update(node, principal, PRACTICE, current.id, draft)
    return view


def _practice_of_view(view: PracticeView) -> Practice:
    return practice_of({name: p.value for name, p in view.portions.items()})


def propose_practice(node: Node, principal: Principal, record_id: str) -> PracticeView:
    """Draft -> proposed (a new version); LifecycleError from another status."""
    current = get_practice(node, principal, record_id)
    return _next_version(node, principal, current, propose(_practice_of_view(current)), "proposed")


def endorse_practice(
    node: Node,
    principal: Principal,
    record_id: str,
    *,
    meeting: str,
    on: date,
    officers: tuple[Officer, ...],
    officer_name: str,
) -> PracticeView:
    """Record the working group's endorsement of a proposed practice (a new version).

    The acting user must be an officer (role ``officer`` or ``security_officer``): it
    records the decision as its own nation's officer (``officer_name``); ``officers``
    names the officers of the other member nations. Every member nation needs one
    (PracticeError naming ``endorsement.officers`` otherwise); LifecycleError unless the
    practice is proposed.
    """
    if not principal.roles & {"officer", "security_officer"}:
        raise AccessDenied("an endorsement is recorded by an officer", field="roles")
    current = get_practice(node, principal, record_id)
    mine = Officer(principal.nation, principal.agency or "", officer_name)
    others = tuple(o for o in officers if o.nation != principal.nation)
    decision = Endorsement(meeting, on, (mine, *others))
    endorsed = endorse(_practice_of_view(current), decision, membership_from_context(node.ctx))
    return _next_version(node, principal, current, endorsed, f"endorsed at {meeting}")


def export_practices(node: Node, principal: Principal) -> list[PracticeView]:
    """Every practice the principal may read, newest first (each read audited)."""
    out: list[PracticeView] = []
    after: str | None = None
    while True:
        page = list_practices(node, principal, limit=500, after=after)
        out += [get_practice(node, principal, item.id) for item in page.items]
        if page.next is None:
            return out
        after = page.next
