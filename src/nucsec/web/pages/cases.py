"""Pages of forensic cases: the case list (stage, due time, overdue, sortable), the case
page (incidents, samples with their chain of custody, linked analyses, assessments on the
verbal scale with its numeric ranges, issued reports) and an issued report as its reader
sees it (HTML preview or PDF download). The forms that write a case are in
:mod:`nucsec.web.pages.case_forms`.

Everything is read through :mod:`nucsec.service.cases` (the reference monitor decides, the
audit log records): a case the viewer may not read answers 404 like an absent one, and is
absent from the list. The page banner rolls up the labels of the portions shown and of the
linked analyses the viewer may read.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from nucsec.errors import NotFoundError
from nucsec.forensics.verbal_scale import SCALE, SCALE_SOURCE, level
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import WRITER_ROLES
from nucsec.reports.html import STYLESHEET_CSP_SOURCE
from nucsec.service import case_reports, cases
from nucsec.service.analyses import get_analysis
from nucsec.service.incidents import get_incident
from nucsec.service.users import get_user_by_id
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, page_caller
from nucsec.web.pages.common import labels_of
from nucsec.web.views import label_of_summary, render

__all__ = ["REPORT_CSP", "router", "scale_rows"]

router = APIRouter()
CallerDep = Depends(page_caller)
SORTS = ("due", "updated", "stage", "title")
_STAGE_ORDER = {s: i for i, s in enumerate((*cases.STAGES, "closed"))}
#: the rendered report embeds its own stylesheet; it runs no script and loads nothing
REPORT_CSP = (
    f"default-src 'none'; style-src {STYLESHEET_CSP_SOURCE}; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def scale_rows() -> list[dict[str, str]]:
    """The verbal scale as the pages show it: key, words, numeric range."""
    return [{"key": s.key, "words": s.words, "range": s.range_text()} for s in SCALE]


def may_write(caller: Caller) -> bool:
    """Whether the forms are offered (the monitor still decides every write)."""
    return any(caller.has_role(r) for r in WRITER_ROLES)


def _sort_key(sort: str) -> Any:
    if sort == "updated":
        return lambda c: c.updated_at
    if sort == "stage":
        return lambda c: (_STAGE_ORDER[c.stage], c.due or "")
    if sort == "title":
        return lambda c: c.title.casefold()
    return lambda c: (c.due is None, c.due or "")  # due: soonest first, closed last


@router.get("/cases", response_class=HTMLResponse)
def case_list(
    request: Request,
    sort: Literal["due", "updated", "stage", "title"] = Query("due"),
    overdue: bool = Query(False),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    items = list(cases.list_cases(node, caller.principal, limit=500))
    if overdue:
        items = [c for c in items if c.overdue]
    items.sort(key=_sort_key(sort), reverse=sort == "updated")
    rows = [(item, label_of_summary(item, node)) for item in items]  # type: ignore[arg-type]
    return render(
        request,
        "cases.html",
        {
            "rows": rows,
            "sort": sort,
            "sorts": SORTS,
            "only_overdue": overdue,
            "overdue_count": sum(1 for c in items if c.overdue),
            "may_write": may_write(caller),
        },
        caller=caller,
        labels=[lb for _, lb in rows if lb is not None],
    )


def _linked(node: Node, caller: Caller, view: cases.CaseView) -> tuple[list[Any], list[Label]]:
    """Each linked analysis as the viewer may read it (None: cited by reference only)."""
    out: list[Any] = []
    labels: list[Label] = []
    for link in view.analyses:
        try:
            analysis = get_analysis(node, caller.principal, link["id"])
        except NotFoundError:
            out.append((link, None, None))
            continue
        out.append((link, analysis, Label.from_dict(analysis.label)))
        labels.extend(labels_of(analysis))
    return out, labels


def _incidents(node: Node, caller: Caller, view: cases.CaseView) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for incident_id in view.incidents:
        try:
            out.append((incident_id, get_incident(node, caller.principal, incident_id)))
        except NotFoundError:
            out.append((incident_id, None))
    return out


def user_names(node: Node, view: cases.CaseView) -> dict[str, str]:
    """User name of each local user id the case names (signers, authors, holders); a
    partner's user, or a holder typed as text, stays as written."""
    ids = {view.opened_by}
    ids |= {c[k] for s in view.samples for c in s["custody"] for k in ("holder", "received_by")}
    ids |= {a["author"] for a in view.assessments} | {r["issued_by"] for r in view.reports}
    out = {}
    with node.engine.connect() as conn:
        for user_id in ids:
            user = get_user_by_id(conn, user_id)
            if user is not None:
                out[user_id] = user.username
    return out


def case_context(
    node: Node, caller: Caller, view: cases.CaseView
) -> tuple[dict[str, Any], list[Label]]:
    """What the case page shows, and the labels of it (for the banner)."""
    analyses, shown = _linked(node, caller, view)
    incidents = _incidents(node, caller, view)
    shown += [Label.from_dict(i.portions["facts"].label) for _, i in incidents if i is not None]
    titles = {a.id: a.title for _, a, _ in analyses if a is not None}
    assessments = [
        {
            **a,
            "level": level(a["confidence"]),
            "evidence_titles": [titles.get(e, e) for e in a["evidence"]],
        }
        for a in view.assessments
    ]
    context = {
        "view": view,
        "labels": {n: Label.from_dict(p.label) for n, p in view.portions.items()},
        "analyses": analyses,
        "incidents": incidents,
        "names": user_names(node, view),
        "assessments": assessments,
        "scale": scale_rows(),
        "scale_source": SCALE_SOURCE,
    }
    return context, [*labels_of(view), *shown]


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = cases.get_case(node, caller.principal, case_id)
    context, shown = case_context(node, caller, view)
    context["may_write"] = may_write(caller)
    return render(request, "case.html", context, caller=caller, labels=shown)


@router.get("/cases/{case_id}/report")
def case_report(
    case_id: str,
    format: Literal["html", "pdf"] = Query("html"),
    stage: Literal["preliminary", "interim", "final"] | None = Query(None),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """An issued report rendered for the viewer (screened portion by portion, audited)."""
    data = case_reports.render_report(node, caller.principal, case_id, format, stage=stage)
    name = f"case-{case_id[:8]}-{stage or 'latest'}.{format}"
    if format == "pdf":
        disposition = f'attachment; filename="{name}"'
        return Response(
            data, media_type="application/pdf", headers={"Content-Disposition": disposition}
        )
    headers = {
        "Content-Security-Policy": REPORT_CSP,
        "Content-Disposition": f'inline; filename="{name}"',
    }
    return Response(data, media_type="text/html; charset=utf-8", headers=headers)
