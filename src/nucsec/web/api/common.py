"""Helpers shared by the REST API modules: documented error answers, role checks, labels
from request bodies, uploaded files and file downloads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from nucsec.errors import AccessDenied, InputError
from nucsec.markings import Label, parse_label
from nucsec.node import Node
from nucsec.service.views import dumps
from nucsec.store.blobs import BlobTooLargeError
from nucsec.web.api.schemas import ErrorOut
from nucsec.web.auth import Caller
from nucsec.web.deps import api_caller, require_scope
from nucsec.web.errors import PayloadTooLargeError, UnsupportedMediaTypeError

__all__ = [
    "READ",
    "WRITE",
    "Admin",
    "AnyScope",
    "Multipart",
    "errs",
    "file_response",
    "json_response",
    "label_input",
    "need_role",
    "read_upload",
    "require_multipart",
    "upload_errors",
]

_ERRORS = {
    400: "malformed request body",
    401: "not signed in, or unknown/revoked/expired token",
    403: "the caller's role, token scope or the reference monitor does not allow this",
    404: "not found (or not visible to the caller)",
    409: "conflicts with the current state (e.g. the user exists, the file is attached)",
    413: "request body or file too large (max_upload_bytes)",
    415: "request body is not in the content type this operation takes",
    422: "invalid input (the field is named); unreadable files and bad CSV rows",
    429: "too many requests",
}


def errs(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documented error answers; 401 and 422 everywhere."""
    return {c: {"model": ErrorOut, "description": _ERRORS[c]} for c in sorted({*codes, 401, 422})}


READ = errs(401, 403)
WRITE = errs(400, 401, 403, 413, 415)

#: a caller with any token scope; a caller whose token has the ``admin`` scope
AnyScope = Depends(api_caller)
Admin = Depends(require_scope("admin"))


def need_role(caller: Caller, role: str, what: str) -> None:
    """AccessDenied unless the caller has ``role`` (``what`` names the operation)."""
    if not caller.has_role(role):
        raise AccessDenied(f"{what} is for the {role} role", field="role")


class ViewResponse(JSONResponse):
    """A JSON answer rendered straight from views (:func:`nucsec.service.views.dumps`):
    the same text as ``JSONResponse(to_json(view))`` without the intermediate copy."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """A JSON answer of a service's view (or plain JSON data): the view's own JSON."""
    return ViewResponse(data, status_code=status_code)


def label_input(value: str | dict[str, Any], node: Node, field: str) -> Label:
    """A label given as banner, portion mark, JSON text or JSON object (field-named errors)."""
    try:
        if isinstance(value, dict):
            return Label.from_dict(value).validate(node.ctx)
        return parse_label(value, node.ctx)
    except InputError as exc:
        exc.field = field if exc.field in (None, "label", "banner") else f"{field}.{exc.field}"
        raise


def require_multipart(request: Request) -> None:
    """Dependency for upload endpoints: the body must be ``multipart/form-data`` (415)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMediaTypeError(
            f"send the file as multipart/form-data (got {media or 'none'})", field="content-type"
        )


def read_upload(file: UploadFile, node: Node, field: str = "file") -> bytes:
    """The bytes of an uploaded file, refused above ``max_upload_bytes`` (413) or empty (422)."""
    limit = node.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"file larger than {limit} bytes", field=field)
    if not data:
        raise InputError("the file is empty", field=field)
    return data


@contextmanager
def upload_errors() -> Iterator[None]:
    """Turn the blob store's size refusal into the API's 413."""
    try:
        yield
    except BlobTooLargeError as exc:
        raise PayloadTooLargeError(exc.message, field=exc.field) from exc


def file_response(data: bytes, name: str) -> Response:
    """A download: always ``application/octet-stream`` and ``attachment`` (an uploaded file
    is never rendered by the browser in the node's origin)."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


Multipart = Depends(require_multipart)
