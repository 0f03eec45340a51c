"""REST API of attached files, for every attachable record kind: ``/{kind}/{id}/attachments``.

``kind`` is the kind's collection (``documents``, ``incidents``, ``analyses``: the node's
attachable kinds, :data:`nucsec.service.registry.RECORD_KINDS`). List the files of a
record the caller may read, download one (404 unless the record lists it and it was
attached here), attach one (a new version of the record; the file's own label where the
kind gives files one, else the kind's). A record the caller may not read answers 404,
like one that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.responses import Response

from nucsec.node import Node
from nucsec.service import attachments as att
from nucsec.service.files import FileUpload
from nucsec.service.registry import RECORD_KINDS
from nucsec.service.views import RecordView
from nucsec.web.api.common import (
    WRITE,
    Multipart,
    errs,
    file_response,
    json_response,
    label_input,
    read_upload,
    upload_errors,
)
from nucsec.web.api.schemas import AttachmentList
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, Read, Write

__all__ = ["router"]

router = APIRouter()
_KINDS = ", ".join(k.collection for k in RECORD_KINDS.attachable)
KindPath = Path(description=f"the record kind's collection: {_KINDS}", max_length=32)
FileField = File(..., description="the file")
DescriptionField = Form("", max_length=2000)
LabelField = Form(
    None,
    max_length=2000,
    description="the file's portion label (kinds whose files have their own label; "
    "default: the record's main portion's)",
)
_LIST = {200: {"model": AttachmentList}, **errs(403, 404)}
_FILE = {
    200: {"content": {"application/octet-stream": {}}, "description": "the file"},
    **errs(403, 404),
}
_ATTACH = {201: {"model": RecordView}, **WRITE, **errs(404, 409)}


def _kind(node: Node, collection: str) -> str:
    """The name of the attachable kind served under ``collection`` (404 otherwise)."""
    kind = node.kinds.by_collection(collection)
    return att.attachable(node, kind.name)[0].name


@router.get("/{collection}/{record_id}/attachments", response_model=None, responses=_LIST)
def list_attachments(
    record_id: str,
    collection: str = KindPath,
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    """Files attached to a record."""
    kind = _kind(node, collection)
    return json_response({"items": att.list_attachments(node, caller.principal, kind, record_id)})


@router.get("/{collection}/{record_id}/attachments/{sha256}", response_model=None, responses=_FILE)
def download(
    record_id: str,
    sha256: str,
    collection: str = KindPath,
    caller: Caller = Read,
    node: Node = NodeDep,
) -> Response:
    """Download a file attached to a record (404 unless the record lists it)."""
    meta, data = att.read_attachment(
        node, caller.principal, _kind(node, collection), record_id, sha256
    )
    return file_response(data, meta.name)


@router.post(
    "/{collection}/{record_id}/attachments",
    status_code=201,
    response_model=None,
    responses=_ATTACH,
    summary="Attach a file to a record (a new version; its own portion label or the kind's)",
)
def attach(
    record_id: str,
    collection: str = KindPath,
    file: UploadFile = FileField,
    description: str = DescriptionField,
    label: str | None = LabelField,
    caller: Caller = Write,
    node: Node = NodeDep,
    _multipart: None = Multipart,
) -> Response:
    kind = _kind(node, collection)
    data = read_upload(file, node)
    upload = FileUpload(data, file.filename or "file", file.content_type or "", description or "")
    file_label = label_input(label, node, "label") if label else None
    with upload_errors():
        view = att.attach_file(node, caller.principal, kind, record_id, upload, label=file_label)
    return json_response(view, status_code=201)
