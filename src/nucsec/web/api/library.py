"""REST API of the nuclear forensics library (issue 13), under ``/api/v1``.

Entries are labelled records (:mod:`nucsec.service.library`): list the entries the caller
may read, one entry (by entry id or record id; a hidden one is 404 like an absent one), add
one under a label, and match a sample against the entries the caller may read (the match
JSON of ``docs/library.md``). Every read is the reference monitor's decision and audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from nucsec.forensics.library import sample_from_dict
from nucsec.node import Node
from nucsec.service import library as lib
from nucsec.service import library_approvals as approvals
from nucsec.web.api.common import READ, WRITE, errs, json_response, label_input
from nucsec.web.api.schemas import LabelText, _In
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read, Write

__all__ = ["EntryIn", "EntryListOut", "MatchIn", "MatchOut", "RefuseIn", "router"]

router = APIRouter()
_LIBRARY = Field(None, min_length=1, max_length=64, description="library name (default: all)")


class EntryIn(_In):
    entry: dict[str, Any] = Field(
        description="the entry (docs/library.md): id, material_type, signatures "
        "[{name, value, u, unit, spread} | {name, below, unit}], history, ..."
    )
    label: LabelText = Field(description="label of the entry")
    library: str = Field("national", min_length=1, max_length=64, description="library name")
    note: str = Field("", max_length=2000)


class MatchIn(_In):
    sample: dict[str, Any] = Field(
        description='the sample: {"id", "material_type", "signatures": [{"name", "value", '
        '"u", "unit"} | {"name", "below", "unit"}]}'
    )
    library: str | None = _LIBRARY
    false_exclusion_rate: float = Field(0.01, gt=0, lt=0.5)
    same_material_type: bool = True
    max_candidates: int = Field(20, ge=1, le=200)


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class EntryListOut(_Out):
    items: list[dict[str, Any]]


class MatchOut(_Out):
    conclusion: str
    candidates: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    next_measurement: dict[str, Any] | None
    entries_compared: int


@router.get(
    "/library",
    response_model=None,
    responses={200: {"model": EntryListOut}, **READ},
    summary="The library entries the caller may read, oldest first",
)
def list_library(
    library: str | None = Query(None, min_length=1, max_length=64, description="library name"),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    items = lib.list_entries(node, caller.principal, library)
    return json_response({"items": items})


@router.post(
    "/library/match",
    response_model=None,
    responses={200: {"model": MatchOut}, **errs(401, 403, 400, 413, 415)},
    summary="Compare a sample with the entries the caller may read (open set)",
)
def match_library(
    body: MatchIn, caller: Caller = Read, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    data = lib.match_sample(
        node,
        caller.principal,
        sample_from_dict(body.sample),
        library=body.library,
        false_exclusion_rate=body.false_exclusion_rate,
        same_material_type=body.same_material_type,
        max_candidates=body.max_candidates,
    )
    return json_response(data)


class RefuseIn(_In):
    reason: str = Field(min_length=1, max_length=500, description="why (the partner reads it)")


@router.get(
    "/library-queue",
    response_model=None,
    responses={200: {"model": EntryListOut}, **READ},
    summary="Partners' library queries awaiting approval (all states with state=all)",
)
def list_library_queue(
    state: str = Query("pending", pattern="^(pending|approved|refused|all)$"),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    views = approvals.queue(node, caller.principal, None if state == "all" else state)
    return json_response({"items": [approvals.queue_item(v) for v in views]})


@router.post(
    "/library-queue/{ref}/approve",
    response_model=None,
    responses={200: {"model": EntryListOut}, **WRITE, **errs(404)},
    summary="Approve a partner's query (query id or record id): its answer is computed now",
)
def approve_library_query(
    ref: str = Path(min_length=1, max_length=200),
    release: str | None = Query(
        None, min_length=1, max_length=200, description="entry id released with the answer"
    ),
    caller: Caller = Write,
    node: Node = NodeDep,
) -> Response:
    from nucsec.federation.library_query import approve_query

    view = approve_query(node, caller.principal, ref, release)
    return json_response(approvals.queue_item(view))


@router.post(
    "/library-queue/{ref}/refuse",
    response_model=None,
    responses={200: {"model": EntryListOut}, **WRITE, **errs(404)},
    summary="Refuse a partner's query with a reason",
)
def refuse_library_query(
    body: RefuseIn,
    ref: str = Path(min_length=1, max_length=200),
    caller: Caller = Write,
    node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:
    record_id = approvals.resolve(node, caller.principal, ref)
    view = approvals.refuse(node, caller.principal, record_id, body.reason)
    return json_response(approvals.queue_item(view))


@router.get(
    "/library/{ref}",
    response_model=None,
    responses={200: {"model": lib.LibraryEntryView}, **READ, **errs(404, 409)},
    summary="One entry, by entry id or record id (404 if hidden or absent)",
)
def get_library_entry(
    ref: str = Path(min_length=1, max_length=200),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    return json_response(lib.get_entry(node, caller.principal, ref))


@router.post(
    "/library",
    status_code=201,
    response_model=None,
    responses={201: {"model": lib.LibraryEntryView}, **WRITE, **errs(409)},
    summary="Add an entry to a library under a label",
)
def add_library_entry(
    body: EntryIn, caller: Caller = Write, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    label = label_input(body.label, node, "label")
    view = lib.add_entry(
        node, caller.principal, body.entry, label, library=body.library, note=body.note
    )
    return json_response(view, status_code=201)
