"""Pages of facility self-assessment (issue 15): the facilities the viewer may read, and a
facility with its computed INFCIRC/225 material categories, source categories and
security levels (from its holdings, by the incident module's categorisation), its
assessments with the 0-100 scores per framework node and overall (maturity kept apart
from compliance), and a score-over-time chart drawn by :mod:`nucsec.plots.scores`.

Everything is read through :mod:`nucsec.service.facilities` and
:mod:`nucsec.service.assessments` (the monitor decides, the audit log records): a hidden
facility answers 404 like an absent one; an assessment the viewer may not read is not
shown, nor counted in the chart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from nucsec.errors import NucsecError
from nucsec.markings import Label
from nucsec.node import Node
from nucsec.plots import score_trend_svg
from nucsec.practices.vocabulary import FACILITY_TYPES
from nucsec.service.assessments import AssessmentView, facility_assessments, framework
from nucsec.service.facilities import get_facility, list_facilities
from nucsec.service.surveys import facility_surveys, results_of
from nucsec.web.auth import Caller
from nucsec.web.deps import NodeDep, page_caller
from nucsec.web.pages.common import labels_of
from nucsec.web.views import label_of_summary, render

__all__ = ["router"]

router = APIRouter()
CallerDep = Depends(page_caller)
PAGE_SIZE = 25


@router.get("/facilities", response_class=HTMLResponse)
def facilities(
    request: Request,
    after: str = Query("", max_length=64),
    caller: Caller = CallerDep,
    node: Node = NodeDep,
) -> Response:
    page = list_facilities(node, caller.principal, limit=PAGE_SIZE, after=after or None)
    rows = [(item, label_of_summary(item, node)) for item in page.items]
    return render(
        request,
        "facilities.html",
        {
            "rows": rows,
            "next_url": f"/facilities?after={page.next}" if page.next else "",
            "first_url": "/facilities" if after else "",
        },
        caller=caller,
        labels=[lb for _, lb in rows if lb is not None],
    )


def _node_rows(view: AssessmentView) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The scored nodes with their framework titles: the roll-up nodes (categories,
    indicators, ...) and, apart, the questions (a long list, shown folded)."""
    try:
        fw = framework(view.framework)
    except NucsecError:
        fw = None
    tree: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    for row in view.scores.get("nodes", []):
        title, kind = "", ""
        if fw is not None:
            try:
                found = fw.node(row["code"])
                title, kind = found.title, found.kind
            except (KeyError, NucsecError):
                pass
        (questions if kind == "question" else tree).append({**row, "title": title})
    return tree, questions


def _chart(views: list[AssessmentView], name: str) -> str | None:
    points = []
    for v in views:
        overall = v.scores.get("overall", {})
        points.append(
            (
                dt.date.fromisoformat(v.assessed_on),
                overall.get("maturity"),
                overall.get("compliance"),
            )
        )
    if not points:
        return None
    return score_trend_svg(points, f"{name}: overall scores over time")


def _culture(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per survey round, the layers of the NSS 7 model against the staff groups: each cell
    the shares agreeing and disagreeing, or suppressed (fewer respondents than the minimum).
    Never one number for the facility."""
    groups = results["staff_groups"]
    rounds = []
    for held_on in results["rounds"]:
        cells = {
            (c["key"], c["staff_group"]): c
            for c in results["cells"]
            if c["round"] == held_on and c["key"].startswith("layer:")
        }
        layers = list(dict.fromkeys(key for key, _ in cells))
        rows = [
            {"layer": key.removeprefix("layer:"), "cells": [cells.get((key, g)) for g in groups]}
            for key in layers
        ]
        rounds.append({"held_on": held_on, "groups": groups, "rows": rows})
    return rounds


@router.get("/facilities/{record_id}", response_class=HTMLResponse)
def facility(
    request: Request, record_id: str, caller: Caller = CallerDep, node: Node = NodeDep
) -> Response:
    view = get_facility(node, caller.principal, record_id)
    assessments = facility_assessments(node, caller.principal, view)
    shown: list[Label] = labels_of(view)
    rows: list[dict[str, Any]] = []
    for a in reversed(assessments):  # newest first
        shown += labels_of(a)
        tree, questions = _node_rows(a)
        rows.append(
            {"view": a, "label": Label.from_dict(a.label), "tree": tree, "questions": questions}
        )
    surveys = facility_surveys(node, caller.principal, view)
    for survey in surveys:
        shown += labels_of(survey)
    names = FACILITY_TYPES.get(view.type, (view.type, ""))
    context = {
        "view": view,
        "labels": {n: Label.from_dict(p.label) for n, p in view.portions.items()},
        "type_names": names,
        "assessments": rows,
        "svg": _chart(assessments, view.name),
        "culture": _culture(results_of(record_id, surveys)),
    }
    return render(request, "facility.html", context, caller=caller, labels=shown)
