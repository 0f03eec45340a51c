"""REST API of the audit log for auditors: events (reading them is audited) and a full
verification of the log and its signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from nucsec.errors import InputError
from nucsec.node import Node
from nucsec.web import audit_view
from nucsec.web.api.common import READ, errs, need_role
from nucsec.web.api.schemas import AuditPage, VerifyOut
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, Read

__all__ = ["router"]

router = APIRouter()
SinceQuery = Query(None, description="ISO 8601 time with zone")


# -- audit --------------------------------------------------------------------------------
@router.get(
    "/audit/events",
    response_model=None,
    responses={200: {"model": AuditPage}, **READ},
    summary="Audit events, oldest first (auditors; reading is audited)",
)
def audit_events(
    actor: str | None = Query(None, max_length=128),
    since: datetime | None = SinceQuery,
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    need_role(caller, "auditor", "reading the audit log")
    if since is not None and since.tzinfo is None:
        raise InputError("`since` needs a time zone (e.g. 2024-05-01T00:00:00Z)", field="since")
    return JSONResponse(audit_view.query(node, caller.user.id, who=actor, since=since, limit=limit))


@router.get(
    "/audit/verify",
    response_model=None,
    responses={200: {"model": VerifyOut}, **errs(401, 403)},
    summary="Recompute the audit log and check its signed checkpoints (auditors)",
)
def audit_verify(caller: Caller = Read, node: Node = NodeDep) -> Response:
    need_role(caller, "auditor", "verifying the audit log")
    return JSONResponse(audit_view.verify(node, caller.user.id))
