"""REST API of forensic cases, under ``/api/v1``.

- ``GET /cases``: the cases the caller may read, each with its stage, due time and overdue
  flag;
- ``GET /cases/{case_id}``: one case (frozen reports' bodies left out);
- ``GET /cases/{case_id}/report?format=html|pdf&stage=``: the latest (or that stage's)
  issued report rendered for the caller, screened portion by portion and audited;
- writes (scope ``write``), each through the same service function as ``nucsec case``:
  ``POST /cases`` (open), ``POST /cases/{id}/samples`` (add a sample),
  ``POST /cases/{id}/custody`` (a hand-over received by the caller, who signs it),
  ``POST /cases/{id}/analyses`` (link an analysis), ``POST /cases/{id}/matches`` (keep a
  library match: the sample and the answer of ``POST /library/match``),
  ``POST /cases/{id}/assessments``
  and ``POST /cases/{id}/reports`` (issue the current stage's report). Each answers with
  the new version of the case (201 for a new case).

A case the caller may not read answers 404, exactly like an absent one.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from nucsec.node import Node
from nucsec.service import case_reports, cases
from nucsec.web.api.common import READ, WRITE, errs, json_response, label_input
from nucsec.web.api.schemas import LabelText, _In
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read, Write

__all__ = ["router"]

router = APIRouter()
_MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@router.get(
    "/cases",
    response_model=None,
    responses={200: {"model": list[cases.CaseSummary]}, **READ},
    summary="The cases the caller may read, with stage, due time and overdue flag",
)
def list_cases(
    limit: int = Query(50, ge=1, le=500), caller: Caller = Read, node: Node = NodeDep
) -> Response:
    return json_response(list(cases.list_cases(node, caller.principal, limit=limit)))


@router.get(
    "/cases/{case_id}",
    response_model=None,
    responses={200: {"model": cases.CaseView}, **errs(401, 403, 404)},
    summary="One case (404 if absent or not visible)",
)
def get_case(case_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(cases.case_json(cases.get_case(node, caller.principal, case_id)))


@router.get(
    "/cases/{case_id}/report",
    response_model=None,
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}, **errs(400, 401, 403, 404)},
    summary="An issued report of a case, rendered for the caller (PDF or HTML)",
)
def get_report(
    case_id: str,
    format: Literal["pdf", "html"] = Query("html"),
    stage: Literal["preliminary", "interim", "final"] | None = Query(None),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    data = case_reports.render_report(node, caller.principal, case_id, format, stage=stage)
    return Response(data, media_type=_MEDIA[format])


# -- writes -------------------------------------------------------------------------------
_WRITTEN = {200: {"model": cases.CaseView}, **WRITE, **errs(404, 422)}


class CaseIn(_In):
    title: str = Field(max_length=300)
    label: LabelText = Field(description="label of the title (and of the facts by default)")
    facts_label: LabelText | None = None
    incidents: list[str] = Field(default_factory=list, max_length=100)
    cites: list[str] = Field(default_factory=list, max_length=100)


class SampleIn(_In):
    sample_id: str = Field(max_length=64)
    description: str = Field(max_length=4000)
    mass_g: float
    container: str = Field(max_length=4000)
    where: str = Field(max_length=4000)
    label: LabelText
    holder: str | None = Field(None, max_length=300)


class CustodyIn(_In):
    sample_id: str = Field(max_length=64)
    where: str = Field(max_length=4000)
    holder: str | None = Field(None, max_length=300)


class CandidateIn(_In):
    name: str = Field(max_length=200)
    first_year: float
    last_year: float


class LinkIn(_In):
    analysis: str = Field(max_length=64)
    label: LabelText
    candidates: list[CandidateIn] = Field(default_factory=list, max_length=50)


class MatchIn(_In):
    sample: dict[str, Any]
    match: dict[str, Any]
    label: LabelText


class AssessmentIn(_In):
    finding: str = Field(max_length=4000)
    evidence: list[str] = Field(default_factory=list, max_length=100)
    confidence: str = Field(max_length=40)
    label: LabelText


class IssueIn(_In):
    stage: Literal["preliminary", "interim", "final"]
    cite_only: bool = False


def _case(view: cases.CaseView, status: int = 200) -> Response:
    return json_response(cases.case_json(view), status_code=status)


@router.post(
    "/cases", status_code=201, response_model=None, responses=_WRITTEN, summary="Open a case"
)
def open_case(
    body: CaseIn, caller: Caller = Write, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    facts = label_input(body.facts_label, node, "facts_label") if body.facts_label else None
    view = cases.open_case(
        node, caller.principal, body.title, label_input(body.label, node, "label"),
        incidents=body.incidents, facts_label=facts, cites=body.cites,
    )  # fmt: skip
    return _case(view, 201)


@router.post(
    "/cases/{case_id}/samples", response_model=None, responses=_WRITTEN, summary="Add a sample"
)
def add_sample(
    case_id: str, body: SampleIn, caller: Caller = Write, node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:  # fmt: skip
    view = cases.add_sample(
        node, caller.principal, case_id, sample_id=body.sample_id,
        description=body.description, mass_g=body.mass_g, container=body.container,
        where=body.where, label=label_input(body.label, node, "label"), holder=body.holder,
    )  # fmt: skip
    return _case(view)


@router.post(
    "/cases/{case_id}/custody",
    response_model=None,
    responses=_WRITTEN,
    summary="Record a hand-over received (and signed) by the caller",
)
def custody(
    case_id: str, body: CustodyIn, caller: Caller = Write, node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:  # fmt: skip
    view = cases.hand_over(
        node, caller.principal, case_id, body.sample_id, where=body.where, holder=body.holder
    )
    return _case(view)


@router.post(
    "/cases/{case_id}/analyses",
    response_model=None,
    responses=_WRITTEN,
    summary="Link an analysis the caller may read",
)
def attach(
    case_id: str, body: LinkIn, caller: Caller = Write, node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:  # fmt: skip
    view = cases.attach_analysis(
        node, caller.principal, case_id, body.analysis, label_input(body.label, node, "label"),
        candidates=[(c.name, c.first_year, c.last_year) for c in body.candidates],
    )  # fmt: skip
    return _case(view)


@router.post(
    "/cases/{case_id}/matches",
    response_model=None,
    responses=_WRITTEN,
    summary="Keep a library match with the case (the sample and the library's answer)",
)
def attach_match(
    case_id: str, body: MatchIn, caller: Caller = Write, node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:  # fmt: skip
    view = cases.attach_match(
        node, caller.principal, case_id, body.sample, body.match,
        label_input(body.label, node, "label"),
    )  # fmt: skip
    return _case(view)


@router.post(
    "/cases/{case_id}/assessments",
    response_model=None,
    responses=_WRITTEN,
    summary="Add an assessment on the verbal scale",
)
def assess(
    case_id: str, body: AssessmentIn, caller: Caller = Write, node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:  # fmt: skip
    view = cases.assess(
        node, caller.principal, case_id, finding=body.finding, evidence=body.evidence,
        confidence=body.confidence, label=label_input(body.label, node, "label"),
    )  # fmt: skip
    return _case(view)


@router.post(
    "/cases/{case_id}/reports",
    response_model=None,
    responses=_WRITTEN,
    summary="Issue the report of the case's current stage (frozen in a new version)",
)
def issue_report(
    case_id: str, body: IssueIn, caller: Caller = Write, node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:  # fmt: skip
    view = case_reports.issue_report(
        node, caller.principal, case_id, body.stage, cite_only=body.cite_only
    )
    return _case(view)
