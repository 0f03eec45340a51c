"""The attached files of any attachable record: ``/{kind}/{id}/attachments`` (page and form).

One page for every attachable kind (documents, incidents, analyses): the files the record
lists, each with its portion mark, a download link and "Analyse spectrum"; a form to
attach one more (its own marking where the kind gives files one: documents and analyses;
an incident's files are under its facts' marking). Attaching appends a version of the
record and comes back to this page; a refusal (the policy, a file already attached, too
large) is shown with the form.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, ConflictError, InputError
from nucsec.node import Node
from nucsec.service import attachments as att
from nucsec.service import labelled
from nucsec.service.files import FileUpload
from nucsec.service.kinds import RecordKind
from nucsec.service.views import RecordView
from nucsec.store.blobs import BlobTooLargeError
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, first, page_caller
from nucsec.web.pages.common import UploadForm, labels_of, read_upload_form
from nucsec.web.pages.picker import label_from_form, picker_options
from nucsec.web.views import render

__all__ = ["router"]

router = APIRouter()
CallerDep = Depends(page_caller)
SHARE = "share"
_STATUS: dict[type, int] = {AccessDenied: 403, ConflictError: 409, BlobTooLargeError: 413}


def _kind(node: Node, collection: str) -> RecordKind:
    """The attachable kind served under ``/<collection>`` (404 otherwise)."""
    return att.attachable(node, node.kinds.by_collection(collection).name)[0]


def _page(
    request: Request,
    caller: Caller,
    node: Node,
    kind: RecordKind,
    view: RecordView,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "record_attachments.html",
        {
            "view": view,
            "title": getattr(view, "title", view.id),
            "collection": kind.collection,
            "kind": kind.name,
            "attachments": att.files_of(node, view),
            "own_label": kind.attachable is not None and kind.attachable.own_label,
            "options": picker_options(caller.principal, node.ctx),
            "values": {f"{SHARE}_dissem": "relto"},
            "error": error,
        },
        caller=caller,
        labels=labels_of(view),
        status=status,
    )


@router.get("/{collection}/{record_id}/attachments", response_class=HTMLResponse)
def files_page(
    request: Request,
    collection: str,
    record_id: str,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    kind = _kind(node, collection)
    view: RecordView = labelled.read(node, caller.principal, kind, record_id)
    return _page(request, caller, node, kind, view)


@router.post("/{collection}/{record_id}/attachments", response_class=HTMLResponse)
async def attach(
    request: Request,
    collection: str,
    record_id: str,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    from starlette.concurrency import run_in_threadpool

    kind = _kind(node, collection)
    form = await read_upload_form(request, caller, node)
    return await run_in_threadpool(_attach, request, caller, node, kind, record_id, form)


def _attach(
    request: Request,
    caller: Caller,
    node: Node,
    kind: RecordKind,
    record_id: str,
    form: UploadForm,
) -> Response:
    view: RecordView = labelled.read(node, caller.principal, kind, record_id)  # 404 first
    file = form.file("file")
    try:
        if file is None or not file[2]:
            raise InputError("choose a file to attach", field="file")
        label = None
        if first(form.fields, f"{SHARE}_level"):
            label = label_from_form(form.fields, SHARE, caller.principal, node.ctx)
        upload = FileUpload(file[2], file[0], file[1], first(form.fields, "description"))
        att.attach_file(node, caller.principal, kind.name, record_id, upload, label=label)
    except (InputError, AccessDenied, ConflictError) as exc:
        status = _STATUS.get(type(exc), 422)
        return _page(request, caller, node, kind, view, error=exc.message, status=status)
    return RedirectResponse(f"/{kind.collection}/{record_id}/attachments", status_code=303)
