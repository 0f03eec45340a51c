"""REST API of the practice catalogue and facility self-assessment (issue 15), under
``/api/v1``: read routes (search, one practice, facilities, one facility, its scores).

The same services as the CLI: every answer is decided by the reference monitor and
audited; a hidden record is "not found" like an absent one; search items, total and
facets are policy-filtered in SQL. Writing (add, endorse, assess) is the CLI's for now.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from nucsec.node import Node
from nucsec.service.assessments import facility_scores
from nucsec.service.facilities import get_facility, list_facilities
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.practices import get_practice
from nucsec.web.api.common import READ, errs, json_response
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, Read

__all__ = ["router"]

router = APIRouter()
ONE = errs(401, 403, 404)
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
