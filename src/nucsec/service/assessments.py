"""Facility self-assessments as labelled records (the ``assessment`` kind).

An assessment is its own record (not a version of the facility), so that each has its
own label and history and a facility's assessments over time sit side by side. Portions:
``header`` (code, facility record id and name, framework, version, weight set, date,
the profile tags that chose the questions), ``answers`` (per question the answer or N/A
with a reason, evidence references, comment, compensating measure), ``findings``
(recommendation / suggestion / good practice, owner, due date) and ``scores`` (the
0-100 roll-up per node and overall, maturity apart from compliance, with the weight
set's version and fingerprint) — computed here by the pure core, never typed in.

The questions come from the framework nodes that apply to the facility's profile on the
assessment date (computed from its holdings when this node holds them). Assessments
federate as ``x-nucsec-assessment`` with header, findings and scores: the detailed
answers stay home, and so do evidence files, attached through
:mod:`nucsec.service.attachments` (``attachment.N`` portions, by default under the
answers' label; an answer's evidence reference names a file by its SHA-256).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nucsec.errors import InputError, NotFoundError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.portions import PortionRule
from nucsec.practices import (
    Assessment,
    AssessmentError,
    Framework,
    assessment_from_dict,
    generate_assessment,
    shipped_frameworks,
)
from nucsec.practices._fields import as_date, as_table
from nucsec.practices.vocabulary import TAGS
from nucsec.service import labelled
from nucsec.service.facilities import FacilityView, about_facility, facility_of, get_facility
from nucsec.service.files import check_file_portions, portion_file_draft, portion_files
from nucsec.service.kinds import Attachable, Draft, RecordKind, Values, Wire
from nucsec.service.views import RecordView
from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "ASSESSMENT",
    "AssessmentView",
    "assess_facility",
    "assessment_questions",
    "facility_assessments",
    "facility_scores",
    "framework",
    "get_assessment",
]

HEADER_KEYS = (
    "code",
    "facility",
    "facility_code",
    "facility_name",
    "framework",
    "framework_version",
    "weight_set",
    "assessed_on",
    "tags",
)
#: what ``assess_facility`` takes from its caller
INPUT_KEYS = {"id", "assessed_on", "weight_set", "answers", "findings"}


@dataclass(frozen=True, kw_only=True, slots=True)
class AssessmentView(RecordView):
    """An assessment as its readers see it (``answers`` None: they stayed home)."""

    code: str
    facility: str  # the facility's record id
    facility_name: str
    framework: str
    framework_version: str
    weight_set: str
    assessed_on: str
    tags: tuple[str, ...]
    answers: tuple[dict[str, Any], ...] | None
    findings: tuple[dict[str, Any], ...]
    scores: dict[str, Any]  # ScoreReport.to_dict(): overall and every node, 0-100


def framework(framework_id: str) -> Framework:
    """A framework nucsec ships, by id (InputError naming ``framework`` otherwise)."""
    found = shipped_frameworks().get(framework_id)
    if found is None:
        known = ", ".join(sorted(shipped_frameworks()))
        raise InputError(f"unknown framework (use {known})", field="framework", value=framework_id)
    return found


def _assessment(values: Values) -> Assessment:
    """The assessment of a version's values (with its answers: a local version)."""
    h, a = values["header"], values["answers"]
    return assessment_from_dict(
        {
            "id": h["code"],
            "facility": h["facility_code"],
            "framework": h["framework"],
            "framework_version": h["framework_version"],
            "weight_set": h["weight_set"],
            "assessed_on": h["assessed_on"],
            "questions": a.get("questions"),
            "answers": a.get("answers"),
            "findings": values["findings"].get("findings"),
        }
    )


def _check(values: Values) -> None:
    check_file_portions(values)
    header = as_table(values.get("header"), set(HEADER_KEYS), "header", AssessmentError)
    for key in HEADER_KEYS[:-1]:
        if not isinstance(header.get(key), str) or not header[key]:
            raise AssessmentError(f"{key} must be non-empty text", field=f"header.{key}")
    as_date(header["assessed_on"], "header.assessed_on", AssessmentError)
    tags = header.get("tags")
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        raise AssessmentError("tags must be applicability tags", field="header.tags")
    findings = values.get("findings")
    if not isinstance(findings, dict) or not isinstance(findings.get("findings"), list):
        raise AssessmentError("findings must be {'findings': [...]}", field="findings")
    scores = values.get("scores")
    if not isinstance(scores, dict) or not isinstance(scores.get("overall"), dict):
        raise AssessmentError("scores must hold the overall score", field="scores")
    if "answers" in values:
        if not isinstance(values["answers"], dict):
            raise AssessmentError("answers must be an object", field="answers")
        assessment = _assessment(values)
        fw = shipped_frameworks().get(assessment.framework_id)
        if fw is not None:
            assessment.check(fw)


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> AssessmentView:
    values = {name: p.value for name, p in version.portions.items()}
    h = values["header"]
    answers = values.get("answers")
    return AssessmentView(
        **labelled.base_fields(node, conn, row, version),
        code=h["code"],
        facility=h["facility"],
        facility_name=h["facility_name"],
        framework=h["framework"],
        framework_version=h["framework_version"],
        weight_set=h["weight_set"],
        assessed_on=h["assessed_on"],
        tags=tuple(h["tags"]),
        answers=None if answers is None else tuple(answers.get("answers") or ()),
        findings=tuple(values["findings"]["findings"]),
        scores=dict(values["scores"]),
    )


def _title(values: Values) -> str:
    h = values["header"]
    return f"Assessment {h['code']} of {h['facility_name']} on {h['assessed_on']}"


ASSESSMENT = RecordKind(
    name="assessment",
    collection="assessments",
    view=_view,
    title=_title,
    check=_check,
    attachable=Attachable(portion_files, portion_file_draft("answers")),
    wire=Wire(
        stix_type="x-nucsec-assessment",
        extension_id="extension-definition--6e2b9d40-71f3-4c85-a0d7-3b58f1c2e9a6",
        portions=(
            PortionRule("header", "object", required=True),
            PortionRule("findings", "object", required=True),
            PortionRule("scores", "object", required=True),
        ),
        layout="list",
        description="A facility self-assessment against a framework: its header (facility, "
        "framework, weight set, date), findings and 0-100 scores per node, each a portion "
        "with its own marking. The detailed answers stay on the assessing node.",
    ),
)


def _tags(fac: FacilityView, on: dt.date) -> frozenset[str]:
    if fac.holdings is None:  # received: the sender's computed profile
        return frozenset(fac.profile["tags"])
    values = {name: p.value for name, p in fac.portions.items()}
    return facility_of(values).profile(on).tags


def assessment_questions(
    node: Node,
    principal: Principal,
    facility_id: str,
    on: dt.date,
    framework_id: str = "nucsec-facility",
) -> tuple[str, ...]:
    """The questions of ``framework_id`` that apply to the facility on ``on`` (what an
    assessment form asks; nothing is written)."""
    fw = framework(framework_id)
    fac = get_facility(node, principal, facility_id)
    return generate_assessment(fw, "form", fac.code, _tags(fac, on), on).questions


def assess_facility(
    node: Node,
    principal: Principal,
    facility_id: str,
    record: dict[str, Any],
    label: Label,
    *,
    answers_label: Label | None = None,
    framework_id: str = "nucsec-facility",
    note: str = "",
) -> AssessmentView:
    """Assess a facility: the applicable questions of the framework, the answers and
    findings of ``record`` (``assessed_on``, ``weight_set``, ``answers``, ``findings``,
    optional ``id``), scored. An answer outside its scale is a ScaleError naming
    ``answers['CODE'].value``; nothing is written on any error."""
    as_table(record, INPUT_KEYS, "", AssessmentError)
    fw = framework(framework_id)
    fac = get_facility(node, principal, facility_id)
    on = as_date(record.get("assessed_on") or node.clock().date(), "assessed_on", AssessmentError)
    code = str(record.get("id") or f"{fac.code}/{on.isoformat()}")
    blank = generate_assessment(
        fw, code, fac.code, _tags(fac, on), on, weight_set=record.get("weight_set")
    )
    filled = assessment_from_dict(
        {
            **blank.to_dict(),
            "answers": record.get("answers") or [],
            "findings": record.get("findings") or [],
        }
    )
    filled.check(fw)
    report = filled.score(fw)
    stored = filled.to_dict()
    values = {
        "header": {
            "code": code,
            "facility": fac.id,
            "facility_code": fac.code,
            "facility_name": fac.name,
            "framework": fw.id,
            "framework_version": fw.version,
            "weight_set": filled.weight_set,
            "assessed_on": on.isoformat(),
            "tags": sorted(_tags(fac, on)),
        },
        "answers": {"questions": stored["questions"], "answers": stored["answers"]},
        "findings": {"findings": stored["findings"]},
        "scores": report.to_dict(),
    }
    labels = {name: label for name in values}
    if answers_label is not None:
        labels["answers"] = answers_label
    view: AssessmentView = labelled.create(
        node, principal, ASSESSMENT, Draft(values=values, labels=labels, note=note)
    )
    return view


def get_assessment(node: Node, principal: Principal, record_id: str) -> AssessmentView:
    """The current version, or NotFoundError (hidden or absent alike)."""
    view: AssessmentView = labelled.read(node, principal, ASSESSMENT, record_id)
    return view


def facility_assessments(
    node: Node, principal: Principal, facility: str | FacilityView
) -> list[AssessmentView]:
    """The assessments of a facility (its id, or its view just read) the principal may
    read, oldest first (NotFoundError if the facility is hidden or absent)."""
    found = about_facility(node, principal, ASSESSMENT, facility, get_assessment)
    return sorted(found, key=lambda v: (v.assessed_on, v.created_at))


def facility_scores(
    node: Node, principal: Principal, facility_id: str, assessment_id: str | None = None
) -> dict[str, Any]:
    """The 0-100 scores (overall and per node, maturity and compliance) of an assessment
    of the facility (default: its latest the principal may read), with the assessment's
    id, date and banner (a score carries the marking of what it scores). NotFoundError
    when the facility has no readable assessment."""
    if assessment_id is None:
        found = facility_assessments(node, principal, facility_id)
        if not found:
            raise NotFoundError(
                f"facility {facility_id} has no assessment", field="id", value=facility_id
            )
        view = found[-1]
    else:
        view = get_assessment(node, principal, assessment_id)
        if view.facility != facility_id:
            raise ASSESSMENT.not_found(assessment_id)
    return {
        "facility": facility_id,
        "assessment": view.id,
        "assessed_on": view.assessed_on,
        "banner": view.banner,
        **view.scores,
    }
