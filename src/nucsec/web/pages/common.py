"""Helpers of the incident and forensics pages: upload forms with their anti-forgery token,
labels of what a page shows, and the label picker's live preview for any set of pickers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from nucsec.errors import InputError
from nucsec.markings import Label, rollup
from nucsec.node import Node
from nucsec.service.views import RecordView
from nucsec.web.auth import Caller, check_csrf
from nucsec.web.banners import banner_view
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from nucsec.web.pages.picker import label_from_form

__all__ = [
    "UploadForm",
    "base_version_of",
    "labels_of",
    "preview",
    "read_upload_form",
    "router",
]

router = APIRouter()
MAX_PICKERS = 12


@dataclass(frozen=True)
class UploadForm:
    """A posted multipart form: its text fields and at most one file per field name."""

    fields: Form
    files: dict[str, tuple[str, str, bytes]]  # field -> (file name, content type, bytes)

    def file(self, name: str) -> tuple[str, str, bytes] | None:
        return self.files.get(name)


async def read_upload_form(request: Request, caller: Caller, node: Node) -> UploadForm:
    """Read a signed-in user's multipart form (files included) and check its CSRF token."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMediaTypeError("send the form as multipart/form-data", field="form")
    limit = node.settings.max_upload_bytes
    fields: Form = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    async with request.form(max_files=2, max_fields=400) as form:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read(limit + 1)
                if len(data) > limit:
                    raise PayloadTooLargeError(f"file larger than {limit} bytes", field=key)
                if value.filename or data:
                    files[key] = (value.filename or "file", value.content_type or "", data)
            else:
                if "\x00" in key or "\x00" in value:
                    raise InputError("text must not contain NUL characters", field=key)
                fields.setdefault(key, []).append(value)
    given = fields.get("csrf_token", [""])
    check_csrf(caller.csrf_token, given[0] if len(given) == 1 else None)
    return UploadForm(fields, files)


def base_version_of(form: Form) -> int | None:
    """The version an edit form was opened on (its hidden ``base_version`` field), so the
    save refuses with ConflictError if someone saved since; None when the form has none.
    InputError when the field is not a version number."""
    text = first(form, "base_version").strip()
    if not text:
        return None
    if not text.isdigit():
        raise InputError("base_version must be a version number", field="base_version")
    return int(text)


def labels_of(view: RecordView) -> list[Label]:
    """The portion labels of a record view (what a page showing the record shows)."""
    return [Label.from_dict(p.label) for p in view.portions.values()]


def preview(form: Form, prefixes: Iterable[str], caller: Caller, node: Node) -> dict[str, Any]:
    """The banner of the labels picked under ``prefixes`` (EN + JA), or why not valid.

    A prefix whose level is left empty is skipped (an unused narrative paragraph)."""
    labels = []
    try:
        for prefix in prefixes:
            if first(form, f"{prefix}_same") == "on":
                continue  # this paragraph takes the facts' label
            if first(form, f"{prefix}_level"):
                labels.append(label_from_form(form, prefix, caller.principal, node.ctx))
        if not labels:
            return {"ok": False, "message": "choose a level"}
        banner = rollup(labels, node.ctx)
    except InputError as exc:
        return {"ok": False, "message": exc.message, "field": exc.field}
    view = banner_view(banner, node.ctx, caller.user.nation)
    return {
        "ok": True,
        "banner": [{"nation": r.nation, "lang": r.lang, "text": r.text} for r in view.renderings],
        "css": view.css,
    }


FormDep = Depends(csrf_form)
CallerDep = Depends(page_caller)


@router.post("/ui/banner-preview")
def banner_preview(
    form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    """Live banner of the pickers named in ``prefixes`` (repeated), for the record forms."""
    prefixes = [p for p in form.get("prefixes", []) if p.replace("_", "").isalnum()]
    return JSONResponse(preview(form, prefixes[:MAX_PICKERS], caller, node))
