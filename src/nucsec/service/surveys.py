"""Security-culture surveys of a facility as labelled records (the ``culture_survey`` kind).

A survey is one round of the NSS 28-T-style questionnaire at one facility
(:mod:`nucsec.practices.survey`: one agree/disagree statement per characteristic of the
NSS 7 culture model, five points or N/A, a comment per item). Portions: ``survey``
(facility record id, code and name, the date of the round, the staff groups asked) and
``responses`` (the anonymous answers, each with its staff group), under one label.

Results (:func:`survey_results`) are computed by the pure core from the surveys of the
facility the reader may read: distributions per round (the survey's date), staff group
and item, and per layer of the model, never one overall number; a group with fewer
respondents than ``min_group_size`` in a round is suppressed. A survey the reader may not
read is absent from the results exactly like one never held. Surveys stay on the node
that holds them (no wire format): the answers are about named facilities' staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nucsec.markings import Label
from nucsec.node import Node
from nucsec.policy import Principal
from nucsec.practices import SurveyError
from nucsec.practices._fields import as_date, as_table
from nucsec.practices.survey import SurveyResponse, culture_instrument
from nucsec.practices.survey import survey_results as core_results
from nucsec.service import labelled
from nucsec.service.facilities import FacilityView, about_facility, get_facility
from nucsec.service.kinds import Draft, RecordKind, Values
from nucsec.service.views import RecordView
from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "CULTURE_SURVEY",
    "SurveyView",
    "add_survey",
    "facility_surveys",
    "get_survey",
    "results_of",
    "survey_results",
]

SURVEY_KEYS = ("facility", "facility_code", "facility_name", "held_on", "staff_groups")
INPUT_KEYS = {"held_on", "staff_groups", "responses"}
RESPONSE_KEYS = {"staff_group", "answers", "comments"}
MAX_RESPONSES = 5_000


@dataclass(frozen=True, kw_only=True, slots=True)
class SurveyView(RecordView):
    """A survey round as its readers see it."""

    facility: str
    facility_code: str
    facility_name: str
    held_on: str  # ISO date, the round
    staff_groups: tuple[str, ...]
    responses: tuple[dict[str, Any], ...]


def _responses(raw: Any, groups: tuple[str, ...]) -> list[SurveyResponse]:
    """The responses, each checked against the instrument (SurveyError naming the field)."""
    if not isinstance(raw, list) or not raw:
        raise SurveyError("responses must be a non-empty list", field="responses")
    if len(raw) > MAX_RESPONSES:
        raise SurveyError(f"at most {MAX_RESPONSES} responses", field="responses")
    instrument = culture_instrument(groups)
    out = []
    for i, r in enumerate(raw):
        where = f"responses[{i}]"
        r = as_table(r, RESPONSE_KEYS, where, SurveyError)
        answers, comments = r.get("answers"), r.get("comments") or {}
        if not isinstance(answers, dict) or not answers:
            raise SurveyError("answers must be a non-empty table", field=f"{where}.answers")
        if not isinstance(comments, dict):
            raise SurveyError("comments must be a table", field=f"{where}.comments")
        response = SurveyResponse("-", str(r.get("staff_group")), answers, comments)
        response.check(instrument, where)
        out.append(response)
    return out


def _groups(raw: Any) -> tuple[str, ...]:
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(g, str) and g.strip() for g in raw)
        or len(set(raw)) != len(raw)
    ):
        raise SurveyError("staff_groups must be a list of distinct names", field="staff_groups")
    return tuple(raw)


def _check(values: Values) -> None:
    s = as_table(values.get("survey"), set(SURVEY_KEYS), "survey", SurveyError)
    as_date(s.get("held_on"), "survey.held_on", SurveyError)
    groups = _groups(s.get("staff_groups"))
    r = as_table(values.get("responses"), {"responses"}, "responses", SurveyError)
    _responses(r.get("responses"), groups)


def _view(node: Node, conn: Connection, row: RecordRow, version: VersionRow) -> SurveyView:
    s = version.portions["survey"].value
    return SurveyView(
        **labelled.base_fields(node, conn, row, version),
        facility=s["facility"],
        facility_code=s["facility_code"],
        facility_name=s["facility_name"],
        held_on=s["held_on"],
        staff_groups=tuple(s["staff_groups"]),
        responses=tuple(version.portions["responses"].value["responses"]),
    )


def _title(values: Values) -> str:
    s = values["survey"]
    return f"Culture survey of {s['facility_name']} ({s['facility']}) on {s['held_on']}"


CULTURE_SURVEY = RecordKind(
    name="culture_survey",
    collection="culture-surveys",
    view=_view,
    title=_title,
    check=_check,
)


def add_survey(
    node: Node,
    principal: Principal,
    facility_id: str,
    record: dict[str, Any],
    label: Label,
    *,
    note: str = "",
) -> SurveyView:
    """Record one survey round of a facility the author may read: ``record`` has
    ``held_on`` (ISO date), ``staff_groups`` and ``responses`` (each ``staff_group``,
    ``answers`` item -> point of :data:`~nucsec.practices.survey.LIKERT` or null for N/A,
    optional ``comments`` item -> text). A bad field raises a SurveyError naming it (an
    answer off the scale: ``responses[2].answers['CS-04']``); nothing is written on error.
    """
    as_table(record, INPUT_KEYS, "", SurveyError)
    fac = get_facility(node, principal, facility_id)
    on = as_date(record.get("held_on") or node.clock().date(), "held_on", SurveyError)
    groups = _groups(record.get("staff_groups"))
    _responses(record.get("responses"), groups)
    values = {
        "survey": {
            "facility": fac.id,
            "facility_code": fac.code,
            "facility_name": fac.name,
            "held_on": on.isoformat(),
            "staff_groups": list(groups),
        },
        "responses": {"responses": record["responses"]},
    }
    labels = dict.fromkeys(values, label)
    view: SurveyView = labelled.create(
        node, principal, CULTURE_SURVEY, Draft(values=values, labels=labels, note=note)
    )
    return view


def get_survey(node: Node, principal: Principal, record_id: str) -> SurveyView:
    """The current version, or NotFoundError (hidden or absent alike)."""
    view: SurveyView = labelled.read(node, principal, CULTURE_SURVEY, record_id)
    return view


def facility_surveys(
    node: Node, principal: Principal, facility: str | FacilityView
) -> list[SurveyView]:
    """The surveys of a facility (its id, or its view just read) the principal may read,
    oldest first (NotFoundError if the facility is hidden or absent; each read audited)."""
    found = about_facility(node, principal, CULTURE_SURVEY, facility, get_survey)
    return sorted(found, key=lambda v: (v.held_on, v.created_at))


def survey_results(
    node: Node, principal: Principal, facility_id: str, *, min_group_size: int = 5
) -> dict[str, Any]:
    """The culture results of a facility from the surveys the principal may read: per
    round (date), staff group and item or layer, the answer counts, N/A count and shares
    agreeing and disagreeing (``cells``), and per staff group and layer the shares over
    rounds (``series``). No overall score."""
    surveys = facility_surveys(node, principal, facility_id)
    return results_of(facility_id, surveys, min_group_size=min_group_size)


def results_of(
    facility_id: str, surveys: Sequence[SurveyView], *, min_group_size: int = 5
) -> dict[str, Any]:
    """:func:`survey_results` of surveys already read (pure)."""
    groups = tuple(dict.fromkeys(g for s in surveys for g in s.staff_groups))
    responses = [
        SurveyResponse(s.held_on, r["staff_group"], r["answers"], r.get("comments") or {})
        for s in surveys
        for r in s.responses
    ]
    out: dict[str, Any] = {
        "facility": facility_id,
        "surveys": [
            {
                "id": s.id,
                "held_on": s.held_on,
                "banner": s.banner,
                "respondents": len(s.responses),
            }
            for s in surveys
        ],
        "staff_groups": list(groups),
        "rounds": [],
        "cells": [],
        "series": [],
    }
    if not responses:
        return out
    instrument = culture_instrument(groups)
    res = core_results(instrument, responses, min_group_size=min_group_size)
    layers = [f"layer:{layer}" for layer in instrument.layers()]
    out["rounds"] = list(res.rounds)
    out["cells"] = [c.to_dict() for c in res.cells]
    out["series"] = [res.series(g, key) for g in groups for key in layers]
    return out
