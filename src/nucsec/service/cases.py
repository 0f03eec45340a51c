"""Forensic cases: from a seizure to a conclusion, as one labelled, versioned record.

A case links incidents, the questioned samples with their chain of custody, the analyses
made of them and the assessments drawn from those, and keeps the report issued at each
stage. Every part is a portion under its own label (the case's banner is their roll-up):

- ``title`` (string) and ``facts`` (``opened_at``, ``opened_by``, ``incidents`` and,
  for a case answering another, e.g. a partner's assessment of a shared case, ``cases``);
- ``sample.N``: ``id``, ``description``, ``mass_g``, ``container`` and ``custody``, the
  hand-overs in order (``holder``, ``at``, ``where``, ``received_by``);
- ``analysis.N``: a linked analysis (``id``; for an age, the ``candidates``' production
  ranges it is compared with);
- ``match.N``: a library match kept with the case: ``sample`` (the sample compared, in the
  library's sample JSON), ``match`` (the answer of ``library match``: conclusion,
  candidates with their verdict, score and per-signature verdicts) and ``link_label`` (the
  label the match and its entries are cited under), stored under the roll-up of the link
  label and the labels of the entries the answer names;
- ``assessment.N``: ``finding``, ``evidence`` (ids of linked analyses), ``confidence`` (a
  step of :mod:`nucsec.forensics.verbal_scale`), ``author``, ``at``;
- ``report.N``: a report issued at a stage, frozen (:mod:`nucsec.service.case_reports`).

Each change is a new version written through :mod:`nucsec.service.labelled` (the monitor
decides, the audit log records it): a custody hand-over is appended by the receiving user,
whose id and the time are the entry's; nothing is ever edited in place.

Stages follow the IAEA's guidance on nuclear forensics in support of investigations (NSS
2-G Rev.1): a preliminary report within 24 hours of the case's opening, an interim one
within a week, a final one within two months. A case's current stage is the first whose
report is not issued; it is overdue when that stage's due time has passed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import InputError
from nucsec.forensics.library import LibraryError, sample_from_dict
from nucsec.forensics.verbal_scale import level
from nucsec.markings import Label, rollup
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.portions import PortionRule, numbered, portion_order
from nucsec.service import labelled
from nucsec.service.analyses import get_analysis
from nucsec.service.incidents import get_incident
from nucsec.service.kinds import Draft, RecordKind, Values, Wire
from nucsec.service.views import JsonView, RecordView
from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "CASE",
    "STAGES",
    "CaseSummary",
    "CaseView",
    "add_sample",
    "assess",
    "attach_analysis",
    "attach_match",
    "case_json",
    "due_dates",
    "get_case",
    "hand_over",
    "list_cases",
    "open_case",
    "update_case",
]

#: the stages, in order, and how long after the case's opening each report is due
STAGES: tuple[str, ...] = ("preliminary", "interim", "final")
_SAMPLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_MAX_TEXT = 4000


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    """``when`` plus calendar months (the day clamped to the month's last)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = (nxt - dt.timedelta(days=1)).day
    return when.replace(year=year, month=month, day=min(when.day, last))


def due_dates(opened_at: dt.datetime) -> dict[str, dt.datetime]:
    """When each stage's report is due: 24 hours, one week and two calendar months after
    the case was opened.

    >>> t = dt.datetime(2024, 12, 31, 9, tzinfo=dt.UTC)
    >>> {k: v.isoformat() for k, v in due_dates(t).items()}["final"]
    '2025-02-28T09:00:00+00:00'
    """
    return {
        "preliminary": opened_at + dt.timedelta(hours=24),
        "interim": opened_at + dt.timedelta(days=7),
        "final": _add_months(opened_at, 2),
    }


# -- views ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseView(RecordView):
    """A case as its readers see it: the parts (each with its portion mark), the stage,
    each stage's due time and report, and whether the current stage is overdue."""

    title: str
    opened_at: str
    opened_by: str
    incidents: tuple[str, ...]
    cites: tuple[str, ...]  # cases this one answers (a partner's shared case)
    samples: tuple[dict[str, Any], ...]
    analyses: tuple[dict[str, Any], ...]
    matches: tuple[dict[str, Any], ...]  # library matches: sample, match
    assessments: tuple[dict[str, Any], ...]
    reports: tuple[dict[str, Any], ...]  # stage, issued_at, issued_by, sha256, portion
    stages: tuple[dict[str, Any], ...]  # stage, due, issued_at (None: not yet)
    stage: str  # the first stage not issued, or "closed"
    due: str | None
    overdue: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseSummary(JsonView):
    """A line of the case list: the case, its banner, stage, due time and overdue flag."""

    id: str
    title: str
    banner: str
    banners: dict[str, str]
    portion: str
    version: int
    updated_at: str
    origin: str | None
    stage: str
    due: str | None
    overdue: bool


def case_json(view: CaseView) -> dict[str, Any]:
    """A case as JSON for the CLI and the API: each frozen report's body left out (its
    stage, time, author and content hash stay; ``case report`` renders the body)."""
    data: dict[str, Any] = view.to_json()
    for name, portion in data["portions"].items():
        if name.startswith("report."):
            portion["value"] = {k: v for k, v in portion["value"].items() if k != "report"}
    return data


def _family(values: Mapping[str, Any], stem: str) -> list[str]:
    names = [n for n in values if (m := numbered(n)) is not None and m[0] == stem]
    return sorted(names, key=portion_order)


def _parts(fields: dict[str, Any], stem: str) -> tuple[dict[str, Any], ...]:
    portions = fields["portions"]
    return tuple(
        {**portions[n].value, "portion": portions[n].portion, "name": n}
        for n in _family(portions, stem)
    )


def _stages(
    opened_at: dt.datetime, reports: Sequence[Mapping[str, Any]], now: dt.datetime
) -> tuple[tuple[dict[str, Any], ...], str, str | None, bool]:
    issued = {r["stage"]: r["issued_at"] for r in reports}
    due = due_dates(opened_at)
    rows = tuple(
        {"stage": s, "due": due[s].isoformat(), "issued_at": issued.get(s)} for s in STAGES
    )
    current = next((s for s in STAGES if s not in issued), None)
    if current is None:
        return rows, "closed", None, False
    return rows, current, due[current].isoformat(), now > due[current]


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> CaseView:
    fields = labelled.base_fields(node, conn, row, version)
    p = version.portions
    facts = p["facts"].value
    reports = tuple({k: v for k, v in r.items() if k != "report"} for r in _parts(fields, "report"))
    opened = dt.datetime.fromisoformat(facts["opened_at"])
    stages, stage, due, overdue = _stages(opened, reports, node.clock())
    return CaseView(
        **fields,
        title=p["title"].value,
        opened_at=facts["opened_at"],
        opened_by=facts["opened_by"],
        incidents=tuple(facts["incidents"]),
        cites=tuple(facts.get("cases", [])),
        samples=_parts(fields, "sample"),
        analyses=_parts(fields, "analysis"),
        matches=_parts(fields, "match"),
        assessments=_parts(fields, "assessment"),
        reports=reports,
        stages=stages,
        stage=stage,
        due=due,
        overdue=overdue,
    )


# -- checks -----------------------------------------------------------------------------


def _text(value: Any, field: str, *, empty: bool = False, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > limit:
        raise InputError(f"{field} is text of 1 to {limit} characters", field=field)
    return value.strip()


def _time(value: Any, field: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"{field} is an ISO 8601 time", field=field) from None
    if when.tzinfo is None:
        raise InputError(f"{field} must carry its time zone", field=field)
    return when


def _ids(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"{field} is a list of ids", field=field)
    return value


def _check_sample(value: Mapping[str, Any], field: str) -> None:
    if not _SAMPLE_ID.match(str(value.get("id", ""))):
        raise InputError(f"{field}.id: letters, digits and ._/- (1-64)", field=f"{field}.id")
    _text(value.get("description"), f"{field}.description")
    _text(value.get("container"), f"{field}.container", empty=True, limit=300)
    mass = value.get("mass_g")
    if (
        isinstance(mass, bool)
        or not isinstance(mass, int | float)
        or not (math.isfinite(mass) and mass > 0)
    ):
        raise InputError(f"{field}.mass_g is a positive number of grams", field=f"{field}.mass_g")
    custody = value.get("custody")
    if not isinstance(custody, list) or not custody:
        raise InputError(f"{field}.custody lists the hand-overs", field=f"{field}.custody")
    for i, entry in enumerate(custody):
        where = f"{field}.custody[{i}]"
        if not isinstance(entry, Mapping):
            raise InputError(f"{where} is an object", field=where)
        _text(entry.get("holder"), f"{where}.holder", limit=300)
        _text(entry.get("where"), f"{where}.where", limit=300)
        _text(entry.get("received_by"), f"{where}.received_by", limit=300)
        _time(entry.get("at"), f"{where}.at")


def _check_assessment(value: Mapping[str, Any], field: str) -> None:
    _text(value.get("finding"), f"{field}.finding")
    _ids(value.get("evidence"), f"{field}.evidence")
    level(value.get("confidence"))
    _text(value.get("author"), f"{field}.author", limit=300)
    _time(value.get("at"), f"{field}.at")


def _check_match(value: Mapping[str, Any], field: str) -> None:
    try:
        sample_from_dict(value.get("sample"))
    except LibraryError as exc:
        raise InputError(f"{field}.sample: {exc.message}", field=f"{field}.sample") from None
    if not isinstance(value.get("link_label"), Mapping):
        raise InputError(f"{field}.link_label is a label", field=f"{field}.link_label")
    match = value.get("match")
    if not isinstance(match, Mapping) or not isinstance(match.get("candidates"), list):
        raise InputError(f"{field}.match is a library match answer", field=f"{field}.match")
    _text(match.get("conclusion"), f"{field}.match.conclusion", limit=300)
    for i, c in enumerate(match["candidates"]):
        where = f"{field}.match.candidates[{i}]"
        if not isinstance(c, Mapping) or not isinstance(c.get("signatures"), list):
            raise InputError(f"{where} is a candidate with its signatures", field=where)
        _text(c.get("entry"), f"{where}.entry", limit=200)
        if not isinstance(c.get("score"), int | float) or isinstance(c.get("score"), bool):
            raise InputError(f"{where}.score is a number", field=f"{where}.score")


def _check_report(value: Mapping[str, Any], field: str) -> None:
    if value.get("stage") not in STAGES:
        raise InputError(f"{field}.stage is one of {', '.join(STAGES)}", field=f"{field}.stage")
    _time(value.get("issued_at"), f"{field}.issued_at")
    _text(value.get("issued_by"), f"{field}.issued_by", limit=300)
    if not re.fullmatch(r"[0-9a-f]{64}", str(value.get("sha256", ""))):
        raise InputError(f"{field}.sha256 is a SHA-256", field=f"{field}.sha256")
    if not isinstance(value.get("report"), Mapping):
        raise InputError(f"{field}.report is the frozen report", field=f"{field}.report")


def _check(values: Values) -> None:
    """What every version of a case (written here or received) must hold."""
    _text(values.get("title"), "title", limit=300)
    facts = values.get("facts")
    if not isinstance(facts, Mapping):
        raise InputError("facts is an object", field="facts")
    _time(facts.get("opened_at"), "facts.opened_at")
    _text(facts.get("opened_by"), "facts.opened_by", limit=300)
    _ids(facts.get("incidents"), "facts.incidents")
    _ids(facts.get("cases", []), "facts.cases")
    checks = {
        "sample": _check_sample,
        "assessment": _check_assessment,
        "report": _check_report,
        "match": _check_match,
    }
    stages = []
    for name, value in values.items():
        stem = (numbered(name) or (name, 0))[0]
        if stem in checks or stem == "analysis":
            if not isinstance(value, Mapping):
                raise InputError(f"{name} is an object", field=name)
            if stem == "analysis":
                _text(value.get("id"), f"{name}.id", limit=64)
            else:
                checks[stem](value, name)
            if stem == "report":
                stages.append(value["stage"])
        elif name not in ("title", "facts"):
            raise InputError(f"a case has no portion {name!r}", field=name)
    if len(set(stages)) != len(stages):
        raise InputError("one report per stage", field="report")


def _title(values: Values) -> str:
    return str(values["title"])[:300]


CASE = RecordKind(
    name="case",
    collection="cases",
    view=_view,
    title=_title,
    check=_check,
    wire=Wire(
        stix_type="x-nucsec-case",
        extension_id="extension-definition--5e0a6f1c-8d4b-4c7e-9a2f-1b3d6e8c4f70",
        portions=(
            PortionRule("title", "string", required=True),
            PortionRule("facts", "object", required=True),
            PortionRule("sample.N", "object"),
            PortionRule("analysis.N", "object"),
            PortionRule("match.N", "object"),
            PortionRule("assessment.N", "object"),
            PortionRule("report.N", "object"),
        ),
        layout="list",
        description="A forensic case: title, facts (opening time and author, linked "
        "incidents), questioned samples with their chain of custody, links to analyses, "
        "assessments with a confidence on the ENFSI verbal scale of likelihood ratios, and "
        "the report frozen at each stage, each a portion with its own marking. Linked "
        "analyses are cited by id only; their content is not carried.",
    ),
)


# -- operations -------------------------------------------------------------------------


def get_case(node: Node, principal: Principal, case_id: str) -> CaseView:
    """A case the principal may read (NotFoundError otherwise, hidden or absent alike)."""
    view: CaseView = labelled.read(node, principal, CASE, case_id)
    return view


def _current(view: CaseView) -> tuple[dict[str, Any], dict[str, Label]]:
    values = {n: p.value for n, p in view.portions.items()}
    labels = {n: Label.from_dict(p.label) for n, p in view.portions.items()}
    return values, labels


def update_case(
    node: Node,
    principal: Principal,
    view: CaseView,
    add: Mapping[str, tuple[Any, Label]],
    note: str,
) -> CaseView:
    """The next version of the case ``view`` was read from: every portion of ``view`` kept
    as it is, the portions in ``add`` (name -> value, label) added or replaced; checked as
    a whole first. ConflictError if someone wrote a version after ``view`` (the caller
    built ``add`` from it: a custody entry or a portion name must not be lost)."""
    values, labels = _current(view)
    for name, (value, label) in add.items():
        values[name], labels[name] = value, label
    _check(values)
    draft = Draft(values=values, labels=labels, note=note, base_version=view.version)
    out: CaseView = labelled.update(node, principal, CASE, view.id, draft)
    return out


def _next(values: Mapping[str, Any], stem: str) -> str:
    return f"{stem}.{len(_family(values, stem))}"


def open_case(
    node: Node,
    principal: Principal,
    title: str,
    label: Label,
    *,
    incidents: Sequence[str] = (),
    facts_label: Label | None = None,
    cites: Sequence[str] = (),
) -> CaseView:
    """Open a case under ``label`` (its title; ``facts_label`` for the facts, default the
    same) linking ``incidents`` and citing other ``cases`` (a partner's shared case its
    own assessment answers), each of which the principal must be able to read."""
    for incident_id in incidents:
        get_incident(node, principal, incident_id)  # NotFoundError if hidden or absent
    for case_id in cites:
        get_case(node, principal, case_id)
    facts: dict[str, Any] = {
        "opened_at": node.clock().isoformat(),
        "opened_by": principal.id,
        "incidents": list(dict.fromkeys(incidents)),
    }
    if cites:
        facts["cases"] = list(dict.fromkeys(cites))
    values = {"title": _text(title, "title", limit=300), "facts": facts}
    _check(values)
    draft = Draft(values=values, labels={"title": label, "facts": facts_label or label})
    view: CaseView = labelled.create(node, principal, CASE, draft)
    return view


def add_sample(
    node: Node,
    principal: Principal,
    case_id: str,
    *,
    sample_id: str,
    description: str,
    mass_g: float,
    container: str,
    where: str,
    label: Label,
    holder: str | None = None,
) -> CaseView:
    """Add a questioned sample, first held by ``holder`` (default: the principal) at
    ``where``; the principal signs the first custody entry."""
    view = get_case(node, principal, case_id)
    if any(s["id"] == sample_id for s in view.samples):
        raise InputError(f"case already has a sample {sample_id!r}", field="sample_id")
    entry = _custody(node, principal, holder, where)
    sample = {
        "id": sample_id,
        "description": description,
        "mass_g": mass_g,
        "container": container,
        "custody": [entry],
    }
    _check_sample(sample, "sample")
    name = _next(view.portions, "sample")
    return update_case(node, principal, view, {name: (sample, label)}, f"sample {sample_id}")


def _custody(node: Node, principal: Principal, holder: str | None, where: str) -> dict[str, Any]:
    return {
        "holder": holder or principal.id,
        "at": node.clock().isoformat(),
        "where": where,
        "received_by": principal.id,
    }


def hand_over(
    node: Node,
    principal: Principal,
    case_id: str,
    sample_id: str,
    *,
    where: str,
    holder: str | None = None,
) -> CaseView:
    """Record that the principal received ``sample_id`` (for ``holder``, default the
    principal) at ``where``, now: a new version written by the receiving user, decided by
    the monitor and audited like every update. The sample's label does not change."""
    view = get_case(node, principal, case_id)
    found = next((s for s in view.samples if s["id"] == sample_id), None)
    if found is None:
        raise InputError(f"case has no sample {sample_id!r}", field="sample_id")
    name = found["name"]
    sample = dict(view.portions[name].value)
    sample["custody"] = [*sample["custody"], _custody(node, principal, holder, where)]
    label = Label.from_dict(view.portions[name].label)
    note = f"custody of {sample_id} received by {principal.id}"
    return update_case(node, principal, view, {name: (sample, label)}, note)


def attach_analysis(
    node: Node,
    principal: Principal,
    case_id: str,
    analysis_id: str,
    label: Label,
    *,
    candidates: Sequence[tuple[str, float, float]] = (),
) -> CaseView:
    """Link an analysis the principal may read (NotFoundError otherwise) under ``label``
    (the link's own: the analysis keeps its label); ``candidates``, for an age, are the
    production ranges ``(name, first_year, last_year)`` its model date is compared with."""
    view = get_case(node, principal, case_id)
    analysis = get_analysis(node, principal, analysis_id)
    if any(a["id"] == analysis_id for a in view.analyses):
        raise InputError(f"analysis {analysis_id} is already linked", field="analysis")
    if candidates and analysis.method != "age":
        raise InputError("candidates compare a model age", field="candidates")
    link: dict[str, Any] = {"id": analysis_id}
    if candidates:
        link["candidates"] = [
            {"name": _text(n, "candidates.name", limit=200), "first_year": a, "last_year": b}
            for n, a, b in candidates
        ]
    name = _next(view.portions, "analysis")
    return update_case(node, principal, view, {name: (link, label)}, f"link {analysis_id}")


def attach_match(
    node: Node,
    principal: Principal,
    case_id: str,
    sample: Mapping[str, Any],
    match: Mapping[str, Any],
    label: Label,
) -> CaseView:
    """Keep a library match with the case: the sample compared (the library's sample
    JSON) and the answer of ``library match`` for it (InputError if either is malformed).

    ``label`` is the link's: the report cites the match and its entries by reference under
    it. The answer itself (scores, reasons quoting entry values) is stored under the
    roll-up of ``label`` and the labels of the entries it names, read through the monitor
    now (an entry the principal cannot read: NotFoundError), so it is never marked below
    what it quotes; an entry under another authority cannot roll up and is refused
    (InputError). The entries stay in the library."""
    from nucsec.service.library import get_entry

    view = get_case(node, principal, case_id)
    value = {"sample": dict(sample), "match": dict(match), "link_label": label.to_dict()}
    name = _next(view.portions, "match")
    _check_match(value, name)
    labels = [label]
    for c in value["match"]["candidates"]:
        labels.append(Label.from_dict(get_entry(node, principal, c["entry"]).label))
        if labels[-1].authority != label.authority:
            raise InputError(
                f"entry {c['entry']} is held under another authority: cite it separately",
                field=f"{name}.match",
            )
    stored = rollup(labels, node.ctx)
    note = f"library match of {value['sample'].get('id')}"
    return update_case(node, principal, view, {name: (value, stored)}, note)


def assess(
    node: Node,
    principal: Principal,
    case_id: str,
    *,
    finding: str,
    evidence: Sequence[str],
    confidence: str,
    label: Label,
) -> CaseView:
    """Add an assessment by the principal: a finding, the linked analyses it rests on and
    its confidence on the verbal scale."""
    view = get_case(node, principal, case_id)
    linked = {a["id"] for a in view.analyses}
    unknown = [e for e in evidence if e not in linked]
    if unknown:
        raise InputError(f"evidence {unknown[0]} is not linked to the case", field="evidence")
    value = {
        "finding": finding,
        "evidence": list(dict.fromkeys(evidence)),
        "confidence": confidence,
        "author": principal.id,
        "at": node.clock().isoformat(),
    }
    _check_assessment(value, "assessment")
    name = _next(view.portions, "assessment")
    return update_case(node, principal, view, {name: (value, label)}, "assessment")


def list_cases(node: Node, principal: Principal, *, limit: int = 50) -> tuple[CaseSummary, ...]:
    """The cases the principal may read, newest first, each with its stage, due time and
    overdue flag (one listing through the monitor's SQL twin, one audited event)."""
    listed, views = labelled.page_views(node, principal, CASE, limit=limit)
    return tuple(
        CaseSummary(
            id=item.id,
            title=item.title,
            banner=item.banner,
            banners=item.banners,
            portion=item.portion,
            version=item.version,
            updated_at=item.updated_at,
            origin=item.origin,
            stage=view.stage,
            due=view.due,
            overdue=view.overdue,
        )
        for item, view in zip(listed.items, views, strict=True)
    )
