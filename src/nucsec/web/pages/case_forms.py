"""Forms that write a forensic case: open a case, add a sample, record a custody hand-over
(signed by the signed-in user, who is the receiving user), link an analysis, add an
assessment, issue the current stage's report.

Every write goes through the same service functions as ``nucsec case`` (the monitor
decides, the audit log records); bad input re-shows the form with the reason (422), a
refusal by the monitor says why (403), a case the user may not read is "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nucsec.errors import AccessDenied, InputError, NotFoundError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.service import analyses, case_reports, cases
from nucsec.web.auth import Caller
from nucsec.web.deps import Form, NodeDep, csrf_form, first, page_caller
from nucsec.web.i18n import N_
from nucsec.web.pages.cases import scale_rows
from nucsec.web.pages.common import labels_of, preview
from nucsec.web.pages.picker import label_from_form, picker_options
from nucsec.web.views import error_page, render

__all__ = ["parse_candidates", "parse_ids", "router"]

router = APIRouter()
CallerDep = Depends(page_caller)
FormDep = Depends(csrf_form)
PICK = "part"  # the label picker's prefix on every case form
#: the URL segment of each part a form adds to a case
PARTS = {"samples": "sample", "analyses": "analysis", "assessments": "assessment"}


def parse_ids(text: str) -> list[str]:
    """Ids given one per line or separated by commas or spaces."""
    return [t for t in text.replace(",", " ").split() if t]


def parse_candidates(text: str) -> list[tuple[str, float, float]]:
    """Production ranges, one per line: ``name, first_year, last_year``."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.rsplit(",", 2)]
        try:
            name, lo, hi = parts[0], float(parts[1]), float(parts[2])
        except (IndexError, ValueError):
            raise InputError(
                f"line {number}: write a candidate as 'name, first year, last year'",
                field="candidates",
            ) from None
        out.append((name, lo, hi))
    return out


def _mass(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError("mass_g must be a number of grams", field="mass_g") from None


def _form_page(
    request: Request,
    caller: Caller,
    node: Node,
    part: str,
    *,
    view: cases.CaseView | None = None,
    values: dict[str, Any] | None = None,
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
) -> Response:
    values = values or {f"{PICK}_dissem": ["relto"]}
    context: dict[str, Any] = {
        "part": part,
        "view": view,
        "values": values,
        "error": error,
        "error_field": error_field,
        "options": picker_options(caller.principal, node.ctx),
        "prefixes": [PICK],
        "preview": preview(values, [PICK], caller, node),
        "scale": scale_rows(),
        "readable": [],
    }
    if part == "analysis":
        page = analyses.list_analyses(node, caller.principal, limit=100)
        context["readable"] = [(a.id, a.title) for a in page.items]
    shown = labels_of(view) if view is not None else []
    return render(request, "case_form.html", context, caller=caller, labels=shown, status=status)


def _write(
    request: Request,
    caller: Caller,
    node: Node,
    part: str,
    form: Form,
    case_id: str | None,
    write: Callable[[Label], cases.CaseView],
) -> Response:
    """Run ``write`` with the picked label; the case page, or the form again saying why."""
    try:
        view = write(label_from_form(form, PICK, caller.principal, node.ctx))
    except (InputError, AccessDenied, NotFoundError) as exc:
        # NotFoundError: a linked incident or analysis hidden or absent (alike); the case
        # itself was read before, so a hidden case never gets here
        current = cases.get_case(node, caller.principal, case_id) if case_id else None
        status = 403 if isinstance(exc, AccessDenied) else 422
        status = 404 if isinstance(exc, NotFoundError) else status
        field = None if isinstance(exc, AccessDenied) else exc.field
        return _form_page(
            request, caller, node, part, view=current, values=dict(form),
            error=exc.message, error_field=field, status=status,
        )  # fmt: skip
    return RedirectResponse(f"/cases/{view.id}", status_code=303)


# -- open a case ------------------------------------------------------------------------
@router.get("/cases/new", response_class=HTMLResponse)
def new_case(request: Request, caller: Caller = CallerDep, node: Node = NodeDep) -> Response:
    return _form_page(request, caller, node, "case")


@router.post("/cases/new", response_class=HTMLResponse)
def open_case(
    request: Request, form: Form = FormDep, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    def write(label: Label) -> cases.CaseView:
        return cases.open_case(
            node, caller.principal, first(form, "title").strip(), label,
            incidents=parse_ids(first(form, "incidents")),
        )  # fmt: skip

    return _write(request, caller, node, "case", form, None, write)


# -- parts of a case --------------------------------------------------------------------
@router.get("/cases/{case_id}/{part}/new", response_class=HTMLResponse)
def new_part(
    request: Request, case_id: str, part: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = cases.get_case(node, caller.principal, case_id)  # 404 first: hidden or absent
    if part not in PARTS:
        return error_page(request, 404, "not found")
    return _form_page(request, caller, node, PARTS[part], view=view)


def _add(
    node: Node, caller: Caller, case_id: str, part: str, form: Form, label: Label
) -> cases.CaseView:
    p = caller.principal
    if part == "sample":
        return cases.add_sample(
            node, p, case_id, sample_id=first(form, "sample_id").strip(),
            description=first(form, "description"), mass_g=_mass(first(form, "mass_g")),
            container=first(form, "container"), where=first(form, "where"), label=label,
            holder=first(form, "holder").strip() or None,
        )  # fmt: skip
    if part == "analysis":
        return cases.attach_analysis(
            node, p, case_id, first(form, "analysis").strip(), label,
            candidates=parse_candidates(first(form, "candidates")),
        )  # fmt: skip
    return cases.assess(
        node, p, case_id, finding=first(form, "finding"), evidence=form.get("evidence", []),
        confidence=first(form, "confidence"), label=label,
    )  # fmt: skip


@router.post("/cases/{case_id}/{part}/new", response_class=HTMLResponse)
def add_part(
    request: Request,
    case_id: str,
    part: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    cases.get_case(node, caller.principal, case_id)
    if part not in PARTS:
        return error_page(request, 404, "not found")
    name = PARTS[part]

    def write(label: Label) -> cases.CaseView:
        return _add(node, caller, case_id, name, form, label)

    return _write(request, caller, node, name, form, case_id, write)


def _back(
    request: Request, caller: Caller, node: Node, case_id: str, act: Callable[[], object]
) -> Response:
    """Run a label-less write; the case page, or an error page saying why."""
    try:
        act()
    except (InputError, AccessDenied) as exc:
        status = 403 if isinstance(exc, AccessDenied) else 422
        return error_page(request, status, exc.message, hint=N_("go back to the case"))
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/custody", response_class=HTMLResponse)
def custody(
    request: Request,
    case_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    """A hand-over received, and so signed, by the signed-in user."""
    return _back(
        request, caller, node, case_id,
        lambda: cases.hand_over(
            node, caller.principal, case_id, first(form, "sample_id"),
            where=first(form, "where"), holder=first(form, "holder").strip() or None,
        ),
    )  # fmt: skip


@router.post("/cases/{case_id}/reports", response_class=HTMLResponse)
def issue(
    request: Request,
    case_id: str,
    form: Form = FormDep,
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    return _back(
        request, caller, node, case_id,
        lambda: case_reports.issue_report(
            node, caller.principal, case_id, first(form, "stage"),
            cite_only=first(form, "cite_only") == "on",
        ),
    )  # fmt: skip
