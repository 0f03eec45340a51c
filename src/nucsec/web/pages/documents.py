"""HTML pages of documents: home, list, page, create, edit, history, who can see.

Pages read and write labelled records only through :mod:`nucsec.service`; the banner at
top and bottom of each page is computed from the labels of what it shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, ConflictError, InputError
from nucsec.markings import Label, rollup
from nucsec.node import Node
from nucsec.policy import WRITER_ROLES
from nucsec.service import documents as docs
from nucsec.service.views import DocumentView, RecordSummary, RecordView
from nucsec.web.access import access_report, may_see_access, may_see_release
from nucsec.web.auth import Caller
from nucsec.web.banners import banner_view, portion_view
from nucsec.web.deps import (
    Form,
    NodeDep,
    csrf_form,
    first,
    optional_page_caller,
    page_caller,
)
from nucsec.web.errors import http_status
from nucsec.web.i18n import request_language, translator
from nucsec.web.pages.common import base_version_of
from nucsec.web.pages.dashboard import KIND_NAMES, dashboard, open_work
from nucsec.web.pages.list_filters import ListQuery, choices, list_query
from nucsec.web.pages.picker import form_from_label, label_from_form, picker_options
from nucsec.web.views import label_of_summary, render

__all__ = ["router"]

router = APIRouter()
PAGE_SIZE = 25
CallerDep = Depends(page_caller)
MaybeCallerDep = Depends(optional_page_caller)
FormDep = Depends(csrf_form)
ListQueryDep = Depends(list_query)


# -- home and lists -----------------------------------------------------------------------
def _with_labels(
    items: tuple[RecordSummary, ...], node: Node
) -> list[tuple[RecordSummary, Label | None]]:
    return [(item, label_of_summary(item, node)) for item in items]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    page = docs.list_documents(node, caller.principal, limit=10)
    total = docs.count_documents(node, caller.principal)
    since = caller.previous_login_at
    rows = _with_labels(page.items, node)
    work = open_work(node, caller.principal)
    board = dashboard(node, caller.principal, since, translator(request, caller).gettext)
    return render(
        request,
        "home.html",
        {
            "rows": rows,
            "new_count": sum(r.counts.new or 0 for r in board.rows),
            "since": since,
            "total": total,
            "work": work,
            "board": board,
            "kind_names": KIND_NAMES,
        },
        caller=caller,
        # the banner covers what the page lists AND every record its counts count
        labels=[*(lb for _, lb in [*rows, *work.rows] if lb is not None), *board.labels],
    )


@router.get("/documents", response_class=HTMLResponse)
def documents(
    request: Request,
    q: str = Query("", max_length=200),
    origin: str = Query("", max_length=64),
    after: str = Query("", max_length=64),
    limit: int = Query(PAGE_SIZE, ge=1, le=200),
    lq: ListQuery = ListQueryDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    page = docs.list_documents(
        node,
        caller.principal,
        query=q or None,
        origin=origin or None,
        limit=limit,
        after=after or None,
        flt=lq.flt,
        sort=lq.sort,
    )
    total = docs.count_documents(node, caller.principal, q or None, lq.flt)
    rows = _with_labels(page.items, node)
    params = {k: v for k, v in (("q", q), ("origin", origin)) if v} | lq.params()
    if limit != PAGE_SIZE:
        params["limit"] = str(limit)
    next_url = f"/documents?{urlencode({**params, 'after': page.next})}" if page.next else ""
    first_url = f"/documents?{urlencode(params)}" if after else ""
    return render(
        request,
        "documents.html",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "origin": origin,
            "lq": lq,
            "fc": choices(node.ctx, request_language(request, caller)),
            "filtered": bool(q or origin or lq.params()),
            "next_url": next_url,
            "first_url": first_url,
        },
        caller=caller,
        labels=[lb for _, lb in rows if lb is not None],
    )


# -- one document -------------------------------------------------------------------------
def _portion_labels(doc: RecordView) -> dict[str, Label]:
    return {name: Label.from_dict(p.label) for name, p in doc.portions.items()}


@router.get("/documents/new", response_class=HTMLResponse)
def new_document(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    return _form_page(request, caller, node, values={"title_same": "on"}, doc=None)


def _form_page(
    request: Request,
    caller: Caller,
    node: Node,
    *,
    values: dict[str, Any],
    doc: DocumentView | None,
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
    shown: list[Label] | None = None,
) -> Response:
    options = picker_options(caller.principal, node.ctx)
    return render(
        request,
        "document_form.html",
        {
            "options": options,
            "values": values,
            "doc": doc,
            "error": error,
            "error_field": error_field,
            "preview": _preview(values, caller, node),
        },
        caller=caller,
        labels=shown or [],
        status=status,
    )


def _input_from(form: Form, caller: Caller, node: Node) -> docs.DocumentInput:
    body_label = label_from_form(form, "body", caller.principal, node.ctx)
    same = first(form, "title_same") == "on"
    title_label = body_label if same else label_from_form(form, "title", caller.principal, node.ctx)
    return docs.DocumentInput(
        title=first(form, "title").strip(),
        body=first(form, "body"),
        title_label=title_label,
        body_label=body_label,
        note=first(form, "note")[:2000],
    )


def _preview(values: dict[str, Any], caller: Caller, node: Node) -> dict[str, Any]:
    """The banner of the picked labels (EN + JA), or the reason it is not valid."""
    form = {k: (v if isinstance(v, list) else [str(v)]) for k, v in values.items()}
    try:
        if not first(form, "body_level"):
            return {"ok": False, "message": "choose a level"}
        data = _input_from(form, caller, node)
        banner = rollup([data.title_label, data.body_label], node.ctx)
    except InputError as exc:
        return {"ok": False, "message": exc.message, "field": exc.field}
    nation = caller.user.nation
    view = banner_view(banner, node.ctx, nation)
    return {
        "ok": True,
        "banner": [{"nation": r.nation, "lang": r.lang, "text": r.text} for r in view.renderings],
        "css": view.css,
        "title_mark": portion_view(data.title_label, node.ctx, nation).primary.text,
        "body_mark": portion_view(data.body_label, node.ctx, nation).primary.text,
    }


@router.post("/ui/label-preview")
def label_preview(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    result = _preview(dict(form), caller, node)
    reason = result.get("message")
    if reason:  # a message made by the services, in the reader's language if catalogued
        result["message"] = translator(request, caller).gettext(reason)
    return JSONResponse(result)  # a preview: an invalid pick is an answer, not an error


@router.post("/documents/new", response_class=HTMLResponse)
def create_document(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    try:
        data = _input_from(form, caller, node)
        view = docs.create_document(node, caller.principal, data)
    except (InputError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 422
        return _form_page(
            request,
            caller,
            node,
            values=dict(form),
            doc=None,
            error=exc.message,
            error_field=exc.field,
            status=status,
        )
    return RedirectResponse(f"/documents/{view.id}", status_code=303)


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document(
    request: Request, doc_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    doc = docs.get_document(node, caller.principal, doc_id)
    labels = _portion_labels(doc)
    record = Label.from_dict(doc.label)
    originator_side = may_see_access(caller, record)  # originator agency or security officer
    return render(
        request,
        "document.html",
        {
            "doc": doc,
            "portion_labels": labels,
            "record_label": record,
            "can_explain": originator_side,
            "can_edit": originator_side and caller.has_role(*WRITER_ROLES),
            "can_release": may_see_release(caller, record) and doc.origin is None,
        },
        caller=caller,
        labels=labels.values(),
    )


@router.get("/documents/{doc_id}/edit", response_class=HTMLResponse)
def edit_document(
    request: Request, doc_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    doc = docs.get_document(node, caller.principal, doc_id)
    labels = _portion_labels(doc)
    values: dict[str, Any] = {"title": doc.title, "body": doc.body, "note": ""}
    values.update(form_from_label(labels["body"], "body"))
    values.update(form_from_label(labels["title"], "title"))
    values["title_same"] = "on" if labels["title"] == labels["body"] else ""
    return _form_page(request, caller, node, values=values, doc=doc, shown=list(labels.values()))


@router.post("/documents/{doc_id}/edit", response_class=HTMLResponse)
def save_document(
    request: Request,
    doc_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    doc = docs.get_document(node, caller.principal, doc_id)  # 404 before anything else
    try:
        data = _input_from(form, caller, node)
        base = base_version_of(form)
        docs.update_document(node, caller.principal, doc_id, data, base_version=base)
    except (InputError, AccessDenied, ConflictError) as exc:
        status = http_status(exc)  # 422, 403 or 409, from the one status table
        return _form_page(
            request,
            caller,
            node,
            values=dict(form),
            doc=doc,
            error=exc.message,
            error_field=exc.field,
            status=status,
            shown=list(_portion_labels(doc).values()),
        )
    return RedirectResponse(f"/documents/{doc_id}", status_code=303)


@router.get("/documents/{doc_id}/history", response_class=HTMLResponse)
def document_history(
    request: Request, doc_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    versions = docs.history(node, caller.principal, doc_id)
    shown = [Label.from_dict(p.label) for v in versions for p in v.portions.values()]
    return render(
        request,
        "history.html",
        {
            "versions": list(reversed(versions)),
            "doc_id": doc_id,
            "labels_of": _portion_labels,
        },
        caller=caller,
        labels=shown,
    )


@router.get("/documents/{doc_id}/access", response_class=HTMLResponse)
def document_access(
    request: Request, doc_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    report = access_report(node, caller, doc_id)
    doc = docs.get_document(node, caller.principal, doc_id)
    labels = _portion_labels(doc)
    return render(
        request,
        "access.html",
        {
            "report": report,
            "back_url": f"/documents/{doc.id}",
            "back_title": doc.title,
            "record_label": Label.from_dict(doc.label),
        },
        caller=caller,
        labels=labels.values(),
    )
