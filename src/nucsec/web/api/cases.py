"""REST API of forensic cases, under ``/api/v1`` (read paths; cases are written with the
``nucsec case`` commands for now).

- ``GET /cases``: the cases the caller may read, each with its stage, due time and overdue
  flag;
- ``GET /cases/{case_id}``: one case (frozen reports' bodies left out);
- ``GET /cases/{case_id}/report?format=html|pdf&stage=``: the latest (or that stage's)
  issued report rendered for the caller, screened portion by portion and audited.

A case the caller may not read answers 404, exactly like an absent one.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from nucsec.node import Node
from nucsec.service import case_reports, cases
from nucsec.web.api.common import READ, errs, json_response
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, Read

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
