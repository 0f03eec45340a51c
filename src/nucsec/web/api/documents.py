"""REST API of documents: list, count, create, read, update, history, "who can see this".

Every labelled answer comes from :mod:`nucsec.service` (the reference monitor decides,
the audit log records). A record the caller may not read answers 404 exactly as one that
does not exist. Bearer tokens carry scopes (``read``, ``write``, ``admin``); the user's
roles still bound what a scope allows.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from nucsec.node import Node
from nucsec.service import documents as docs
from nucsec.service.views import DocumentView, RecordPage
from nucsec.web.access import access_report
from nucsec.web.api.common import READ, WRITE, errs, json_response, label_input
from nucsec.web.api.schemas import (
    AccessReport,
    Count,
    DocumentIn,
    VersionList,
)
from nucsec.web.auth import Caller
from nucsec.web.deps import JsonBody, NodeDep, Read, Write

__all__ = ["router"]

router = APIRouter()


def _document_input(body: DocumentIn, node: Node) -> docs.DocumentInput:
    base = label_input(body.label, node, "label")
    return docs.DocumentInput(
        title=body.title,
        body=body.body,
        title_label=label_input(body.title_label, node, "title_label")
        if body.title_label
        else base,
        body_label=label_input(body.body_label, node, "body_label") if body.body_label else base,
        note=body.note,
    )


# -- documents ----------------------------------------------------------------------------
@router.get(
    "/documents",
    response_model=None,
    responses={200: {"model": RecordPage}, **READ},
    summary="List the documents the caller may read, newest first",
)
def list_documents(
    q: str | None = Query(None, max_length=200, description="search text"),
    origin: str | None = Query(None, max_length=64, description="'local' or a peer name"),
    limit: int = Query(50, ge=1, le=500),
    after: str | None = Query(None, max_length=64, description="cursor from `next`"),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    page = docs.list_documents(
        node, caller.principal, query=q or None, origin=origin, limit=limit, after=after
    )
    return json_response(page)


@router.get(
    "/documents/count",
    response_model=None,
    responses={200: {"model": Count}, **READ},
    summary="How many documents the caller may read (matching `q`)",
)
def count_documents(
    q: str | None = Query(None, max_length=200),
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    return json_response({"count": docs.count_documents(node, caller.principal, q or None)})


@router.post(
    "/documents",
    status_code=201,
    response_model=None,
    responses={201: {"model": DocumentView}, **WRITE},
    summary="Create a document (the label decides who may read it)",
)
def create_document(
    body: DocumentIn, caller: Caller = Write, node: Node = NodeDep, _json: None = JsonBody
) -> Response:
    view = docs.create_document(node, caller.principal, _document_input(body, node))
    return json_response(view, status_code=201)


@router.get(
    "/documents/{doc_id}",
    response_model=None,
    responses={200: {"model": DocumentView}, **errs(401, 403, 404)},
    summary="One document (404 if absent or not visible)",
)
def get_document(doc_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(docs.get_document(node, caller.principal, doc_id))


@router.put(
    "/documents/{doc_id}",
    response_model=None,
    responses={200: {"model": DocumentView}, **WRITE, **errs(404, 409)},
    summary="Append a new version of a document",
)
def update_document(
    doc_id: str,
    body: DocumentIn,
    caller: Caller = Write,
    node: Node = NodeDep,
    _json: None = JsonBody,
) -> Response:
    doc = _document_input(body, node)
    view = docs.update_document(node, caller.principal, doc_id, doc, base_version=body.base_version)
    return json_response(view)


@router.get(
    "/documents/{doc_id}/history",
    response_model=None,
    responses={200: {"model": VersionList}, **errs(401, 403, 404)},
    summary="The versions of a document the caller may read",
)
def document_history(doc_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response({"items": docs.history(node, caller.principal, doc_id)})


@router.get(
    "/documents/{doc_id}/access",
    response_model=None,
    responses={200: {"model": AccessReport}, **errs(401, 403, 404)},
    summary="Who can see this document, and why (originator agency, security officers)",
)
def document_access(doc_id: str, caller: Caller = Read, node: Node = NodeDep) -> Response:
    return json_response(access_report(node, caller, doc_id))
