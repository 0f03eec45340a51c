"""REST API of the practice catalogue and facility self-assessment (issue 15), under
``/api/v1``: search, one practice, facilities, one facility, its scores; and writing:
add, propose and endorse a practice, add a facility, record an assessment (answers);
adoption of a practice (``POST /practices/{id}/adoptions``) and the adoption rates
(``GET /adoptions``); security-culture survey rounds of a facility
(``POST /facilities/{id}/culture-surveys``) and their results (``GET /facilities/{id}/culture``).

The same services as the CLI, with the same records and checks (``practice_record``,
``officer_of``, ``add_facility``, ``assess_facility``): every answer is decided by the
reference monitor and audited; a hidden record is "not found" like an absent one; bad
input is a 422 naming the field (``topic``, ``applicability[0]``,
``answers['CODE'].value``, ``label``...) and writes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from nucsec.errors import InputError
from nucsec.node import Node
from nucsec.service.adoptions import add_adoption, adoption_summary
from nucsec.service.assessments import assess_facility, facility_scores
from nucsec.service.facilities import add_facility, get_facility, list_facilities
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.practices import (
    add_practice,
    endorse_practice,
    get_practice,
    officer_of,
    practice_record,
    propose_practice,
)
from nucsec.service.surveys import add_survey, survey_results
from nucsec.web.api.common import READ, WRITE, errs, json_response, label_input
from nucsec.web.api.schemas import LabelText, _In
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read, Write

__all__ = ["router"]

router = APIRouter()
ONE = errs(401, 403, 404)
ON_ONE = {**WRITE, **errs(404, 409)}


class PracticeIn(_In):
    """A new practice: the fields of ``nucsec practice add``."""

    title: str = Field(max_length=500)
    summary: str = Field(max_length=5000)
    body: str = Field("", max_length=100_000, description="Markdown")
    topic: str = Field(max_length=64, description="a topic code (docs/practices.md)")
    label: LabelText = Field(description="label of every portion")
    code: str | None = Field(None, max_length=64, description="default: generated")
    applicability: list[str] = Field([], max_length=64, description="tags, e.g. cat:I")
    nodes: list[str] = Field([], max_length=200, description="framework nodes, FW:CODE")
    citations: list[str] = Field([], max_length=200, description="guidance DOC[:SECTION]")
    status: Literal["draft", "proposed"] = "draft"


class EndorsementIn(_In):
    """The working group's decision; the caller is its own nation's officer."""

    meeting: str = Field(max_length=200)
    date: str = Field(max_length=10, description="YYYY-MM-DD")
    officers: list[str] = Field(
        [], max_length=20, description="the other nations' officers, NATION.AGENCY:NAME"
    )


class FacilityIn(_In):
    """A new facility: its record (as ``nucsec facility add --file``) and labels."""

    facility: dict[str, Any] = Field(
        description="name, operator, type, nation, activities, holdings (docs/practices.md)"
    )
    label: LabelText = Field(description="label of every portion")
    holdings_label: LabelText | None = Field(None, description="label of the holdings")


class AssessmentIn(_In):
    """A self-assessment: the answers file of ``nucsec facility assess`` and labels."""

    assessment: dict[str, Any] = Field(
        {}, description="assessed_on, weight_set, answers, findings (none: all unanswered)"
    )
    label: LabelText = Field(description="label of the assessment")
    answers_label: LabelText | None = Field(None, description="label of the answers")
    framework: str = Field("nucsec-facility", max_length=64)


class SurveyIn(_In):
    """A culture-survey round: the file of ``nucsec facility survey add`` and its label."""

    survey: dict[str, Any] = Field(
        description="held_on, staff_groups, responses (docs/practices.md)"
    )
    label: LabelText = Field(description="label of the survey and its responses")


class AdoptionIn(_In):
    """An adoption: the fields of ``nucsec practice adopt``."""

    date: str = Field(max_length=10, description="YYYY-MM-DD")
    evidence: str = Field(max_length=20_000)
    label: LabelText = Field(description="label of the adoption")
    facility: str | None = Field(None, max_length=64, description="default: your agency")
    status: Literal["planned", "in_progress", "adopted"] = "adopted"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("date must read YYYY-MM-DD", field="date", value=text) from None


_TAGS = Query([], description="applicability tags the practice must have (repeat)")


@router.get(
    "/practices",
    response_model=None,
    responses=READ,
    summary="Ranked search of the practices the caller may read, with total and facets",
)
def search(
    q: str | None = Query(None, max_length=200, description="Japanese or English text"),
    topic: str | None = Query(None, max_length=64),
    applicability: list[str] = _TAGS,
    status: str | None = Query(None, max_length=16),
    limit: int = Query(25, ge=1, le=500),
    offset: int = Query(0, ge=0, le=100_000),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    flt = PracticeFilter(q or None, topic or None, tuple(applicability), status or None)
    return json_response(search_practices(node, caller.principal, flt, limit=limit, offset=offset))


@router.get("/practices/{record_id}", response_model=None, responses=ONE, summary="A practice")
def practice(record_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(get_practice(node, caller.principal, record_id))


@router.get("/facilities", response_model=None, responses=READ, summary="Facilities, newest first")
def facilities(
    limit: int = Query(50, ge=1, le=500),
    after: str | None = Query(None, max_length=64, description="cursor from `next`"),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    return json_response(list_facilities(node, caller.principal, limit=limit, after=after))


@router.get(
    "/facilities/{record_id}",
    response_model=None,
    responses=ONE,
    summary="A facility and its computed categories",
)
def facility(record_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(get_facility(node, caller.principal, record_id))


@router.get(
    "/facilities/{record_id}/score",
    response_model=None,
    responses=ONE,
    summary="0-100 scores per node and overall of the latest (or a given) assessment",
)
def score(
    record_id: str,
    assessment: str | None = Query(None, max_length=64),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    return json_response(facility_scores(node, caller.principal, record_id, assessment))


@router.get(
    "/facilities/{record_id}/culture",
    response_model=None,
    responses=ONE,
    summary="Culture-survey results by round, staff group and item or layer (no overall number)",
)
def culture(
    record_id: str,
    min_group_size: int = Query(5, ge=1, le=1000),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    res = survey_results(node, caller.principal, record_id, min_group_size=min_group_size)
    return json_response(res)


# -- writing ---------------------------------------------------------------------------
@router.post(
    "/practices",
    status_code=201,
    response_model=None,
    responses=WRITE,
    summary="Add a practice (draft or proposed) under a label",
)
def add(
    body: PracticeIn, caller: Caller = Write, node: Node = NodeDep, _j: None = JsonBody
) -> Response:
    record = practice_record(
        title=body.title,
        summary=body.summary,
        body=body.body,
        topic=body.topic,
        code=body.code,
        applicability=body.applicability,
        nodes=body.nodes,
        cites=body.citations,
        status=body.status,
    )
    label = label_input(body.label, node, "label")
    return json_response(add_practice(node, caller.principal, record, label), status_code=201)


@router.post(
    "/practices/{record_id}/propose",
    response_model=None,
    responses=ON_ONE,
    summary="Propose a draft practice to the working group (a new version)",
)
def propose(record_id: str, caller: Caller = Write, node: Node = NodeDep) -> Response:
    return json_response(propose_practice(node, caller.principal, record_id))


@router.post(
    "/practices/{record_id}/endorse",
    response_model=None,
    responses=ON_ONE,
    summary="Record the working group's endorsement of a proposed practice (officers only)",
)
def endorse(
    record_id: str,
    body: EndorsementIn,
    caller: Caller = Write,
    node: Node = NodeDep,
    _j: None = JsonBody,
) -> Response:
    on = _day(body.date)
    officers = tuple(officer_of(o, f"officers[{i}]") for i, o in enumerate(body.officers))
    view = endorse_practice(
        node,
        caller.principal,
        record_id,
        meeting=body.meeting,
        on=on,
        officers=officers,
        officer_name=caller.user.username,
    )
    return json_response(view)


@router.post(
    "/facilities",
    status_code=201,
    response_model=None,
    responses=WRITE,
    summary="Add a facility; its categories are computed from its holdings",
)
def new_facility(
    body: FacilityIn, caller: Caller = Write, node: Node = NodeDep, _j: None = JsonBody
) -> Response:
    holdings = (
        label_input(body.holdings_label, node, "holdings_label") if body.holdings_label else None
    )
    view = add_facility(
        node,
        caller.principal,
        body.facility,
        label_input(body.label, node, "label"),
        holdings_label=holdings,
    )
    return json_response(view, status_code=201)


@router.post(
    "/facilities/{record_id}/assessments",
    status_code=201,
    response_model=None,
    responses={**WRITE, **errs(404)},
    summary="Record a self-assessment of a facility (answers, findings); scores computed",
)
def assess(
    record_id: str,
    body: AssessmentIn,
    caller: Caller = Write,
    node: Node = NodeDep,
    _j: None = JsonBody,
) -> Response:
    answers = label_input(body.answers_label, node, "answers_label") if body.answers_label else None
    view = assess_facility(
        node,
        caller.principal,
        record_id,
        body.assessment,
        label_input(body.label, node, "label"),
        answers_label=answers,
        framework_id=body.framework,
    )
    return json_response(view, status_code=201)


@router.post(
    "/facilities/{record_id}/culture-surveys",
    status_code=201,
    response_model=None,
    responses={**WRITE, **errs(404)},
    summary="Record a security-culture survey round of a facility",
)
def survey(
    record_id: str,
    body: SurveyIn,
    caller: Caller = Write,
    node: Node = NodeDep,
    _j: None = JsonBody,
) -> Response:
    label = label_input(body.label, node, "label")
    view = add_survey(node, caller.principal, record_id, body.survey, label)
    return json_response(view, status_code=201)


@router.post(
    "/practices/{record_id}/adoptions",
    status_code=201,
    response_model=None,
    responses={**WRITE, **errs(404)},
    summary="Record that the caller's agency (or a facility) adopted a practice",
)
def adopt(
    record_id: str,
    body: AdoptionIn,
    caller: Caller = Write,
    node: Node = NodeDep,
    _j: None = JsonBody,
) -> Response:
    view = add_adoption(
        node,
        caller.principal,
        record_id,
        on=_day(body.date),
        evidence=body.evidence,
        label=label_input(body.label, node, "label"),
        facility_id=body.facility,
        status=body.status,
    )
    return json_response(view, status_code=201)


@router.get(
    "/adoptions",
    response_model=None,
    responses=READ,
    summary="Adoption per practice and yearly rates over the facilities the caller may read",
)
def adoptions(caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(adoption_summary(node, caller.principal))
