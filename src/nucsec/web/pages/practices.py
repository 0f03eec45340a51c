"""Pages of the best-practice catalogue (issue 15): ranked search with its total and
facets as filters, a practice (its Markdown body rendered safely by the service, status,
endorsement, citations with their verification status, version history), the form to
add a practice, and the actions of officers: propose a draft, record the working
group's endorsement.

Search, counts and facets come from :func:`nucsec.service.practice_search.search_practices`
(filtered in SQL by the reference monitor); a practice is read through
:mod:`nucsec.service.practices` (hidden or absent alike: 404); writes go through the same
service functions as ``nucsec practice`` (the monitor decides, the audit log records).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, InputError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.practices import Officer
from nucsec.practices.vocabulary import TAGS, topics
from nucsec.service import labelled
from nucsec.service.practice_search import PracticeFilter, PracticeResults, search_practices
from nucsec.service.practices import (
    PRACTICE,
    add_practice,
    endorse_practice,
    get_practice,
    propose_practice,
)
from nucsec.web.auth import Caller
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.i18n import N_, request_language
from nucsec.web.pages.common import labels_of, preview
from nucsec.web.pages.list_filters import ListQuery, choices, list_query
from nucsec.web.pages.picker import label_from_form, picker_options
from nucsec.web.views import error_page, label_of_summary, render

__all__ = ["parse_officers", "router"]

router = APIRouter()
CallerDep = Depends(page_caller)
FormDep = Depends(csrf_form)
ListQueryDep = Depends(list_query)
PAGE_SIZE = 20
PICK = "part"
OFFICER_ROLES = ("officer", "security_officer")
_TAGS = Query([], max_length=20)


def _is_officer(caller: Caller) -> bool:
    return any(caller.has_role(r) for r in OFFICER_ROLES)


def _url(flt: PracticeFilter, offset: int = 0) -> str:
    params: list[tuple[str, str]] = [("q", flt.query or ""), ("topic", flt.topic or "")]
    params += [("applicability", t) for t in flt.applicability]
    params += [("status", flt.status or ""), ("offset", str(offset) if offset else "")]
    params += list(flt.records.params().items()) if flt.records is not None else []
    return "/practices?" + urlencode([(k, v) for k, v in params if v])


def _facet_links(flt: PracticeFilter, results: PracticeResults) -> dict[str, list[Any]]:
    """Each facet value with its count and the URL that applies (or removes) it."""
    out: dict[str, list[Any]] = {}
    for facet, counts in results.facets.items():
        rows = []
        for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            if facet == "applicability":
                tags = flt.applicability
                on = value in tags
                new = tuple(t for t in tags if t != value) if on else (*tags, value)
                url = _url(PracticeFilter(flt.query, flt.topic, new, flt.status, flt.records))
            else:
                on = getattr(flt, facet) == value
                changes = {facet: None if on else value}
                fields = {"query": flt.query, "topic": flt.topic, "status": flt.status}
                fields.update(changes)
                url = _url(
                    PracticeFilter(
                        fields["query"],
                        fields["topic"],
                        flt.applicability,
                        fields["status"],
                        flt.records,
                    )
                )
            rows.append({"value": value, "count": count, "on": on, "url": url})
        out[facet] = rows
    return out


@router.get("/practices", response_class=HTMLResponse)
def catalogue(
    request: Request,
    q: str = Query("", max_length=200),
    topic: str = Query("", max_length=64),
    applicability: list[str] = _TAGS,
    status: str = Query("", max_length=16),
    offset: int = Query(0, ge=0, le=100_000),
    lq: ListQuery = ListQueryDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    flt = PracticeFilter(q or None, topic or None, tuple(applicability), status or None, lq.flt)
    context: dict[str, Any] = {
        "q": q, "flt": flt, "topics": topics(), "error": "", "error_field": None,
        "rows": [], "total": 0, "facets": {}, "next_url": "", "prev_url": "",
        "offset": offset, "is_officer": _is_officer(caller),
        "lq": lq, "fc": choices(node.ctx, request_language(request, caller)),
    }  # fmt: skip
    status_code = 200
    try:
        results = search_practices(node, caller.principal, flt, limit=PAGE_SIZE, offset=offset)
    except InputError as exc:
        context.update(error=exc.message, error_field=exc.field)
        status_code = 422
        results = None
    labels: list[Label] = []
    if results is not None:
        rows = [(hit, label_of_summary(hit, node)) for hit in results.items]
        labels = [lb for _, lb in rows if lb is not None]
        more = offset + len(rows) < results.total
        context.update(
            rows=rows,
            total=results.total,
            facets=_facet_links(flt, results),
            next_url=_url(flt, offset + PAGE_SIZE) if more else "",
            prev_url=_url(flt, max(0, offset - PAGE_SIZE)) if offset else "",
        )
    return render(
        request, "practices.html", context, caller=caller, labels=labels, status=status_code
    )


# -- add --------------------------------------------------------------------------------
def _form_page(
    request: Request,
    caller: Caller,
    node: Node,
    values: dict[str, Any],
    *,
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "values": values, "error": error, "error_field": error_field,
        "topics": topics(), "tags": sorted(TAGS),
        "options": picker_options(caller.principal, node.ctx), "prefixes": [PICK],
        "preview": preview(values, [PICK], caller, node),
    }  # fmt: skip
    return render(request, "practice_form.html", context, caller=caller, status=status)


@router.get("/practices/new", response_class=HTMLResponse)
def new_practice(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    return _form_page(request, caller, node, {f"{PICK}_dissem": ["relto"]})


@router.post("/practices/new", response_class=HTMLResponse)
def create_practice(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    record = {
        "id": first(form, "code").strip() or "BP-" + secrets.token_hex(4).upper(),
        "title": first(form, "title").strip(),
        "summary": first(form, "summary").strip(),
        "body": first(form, "body"),
        "topic": first(form, "topic"),
        "applicability": form.get("applicability", []),
        "status": "draft",
    }
    try:
        label = label_from_form(form, PICK, caller.principal, node.ctx)
        view = add_practice(node, caller.principal, record, label)
    except (InputError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 422
        field = exc.field if isinstance(exc, InputError) else None
        return _form_page(
            request, caller, node, dict(form), error=exc.message, error_field=field, status=status
        )
    return RedirectResponse(f"/practices/{view.id}", status_code=303)


# -- one practice -----------------------------------------------------------------------
@router.get("/practices/{record_id}", response_class=HTMLResponse)
def practice(
    request: Request, record_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = get_practice(node, caller.principal, record_id)
    history = labelled.versions(node, caller.principal, PRACTICE, record_id)
    shown = labels_of(view)
    rows = []
    for old, row in reversed(history):
        rows.append({"view": old, "row": row, "label": Label.from_dict(old.label)})
    context = {
        "view": view,
        "labels": {n: Label.from_dict(p.label) for n, p in view.portions.items()},
        "history": rows,
        "topic": topics().get(view.topic),
        "is_officer": _is_officer(caller),
        "today": dt.date.today().isoformat(),
        "nation": caller.user.nation,
    }
    return render(request, "practice.html", context, caller=caller, labels=shown)


def parse_officers(text: str) -> tuple[Officer, ...]:
    """Officers of the other nations, one per line: ``NATION AGENCY name``."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise InputError(
                f"line {number}: write an officer as 'NATION AGENCY name'",
                field="endorsement.officers",
            )
        out.append(Officer(parts[0].upper(), parts[1].upper(), parts[2].strip()))
    return tuple(out)


def _act(request: Request, record_id: str, act: Any) -> Response:
    try:
        act()
    except (InputError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 422
        return error_page(request, status, exc.message, hint=N_("go back to the practice"))
    return RedirectResponse(f"/practices/{record_id}", status_code=303)


@router.post("/practices/{record_id}/propose", response_class=HTMLResponse)
def propose(
    request: Request,
    record_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    return _act(request, record_id, lambda: propose_practice(node, caller.principal, record_id))


@router.post("/practices/{record_id}/endorse", response_class=HTMLResponse)
def endorse(
    request: Request,
    record_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    get_practice(node, caller.principal, record_id)  # hidden or absent: 404 first

    def act() -> None:
        try:
            on = dt.date.fromisoformat(first(form, "on"))
        except ValueError:
            raise InputError(
                "give the meeting's date (YYYY-MM-DD)", field="endorsement.on"
            ) from None
        endorse_practice(
            node, caller.principal, record_id, meeting=first(form, "meeting").strip(), on=on,
            officers=parse_officers(first(form, "officers")),
            officer_name=first(form, "officer_name").strip() or caller.user.username,
        )  # fmt: skip

    return _act(request, record_id, act)
