"""Plain records (JSON-ready dicts) to and from facilities and assessments.

The service layer stores and federates these shapes; the readers refuse unknown keys and
name the field of any error with its path (``holdings[0].items[2].mass_g``,
``answers[3].value``). Items use the incident register's item records
(:func:`~nucsec.incidents.convert.item_from_record`).

>>> from nucsec.incidents.items import MaterialItem
>>> fac = Facility("F1", "Reactor", "Op", "research_reactor",
...                (Holding("vault", (MaterialItem("U", mass_g=10, enrichment_pct=93),)),))
>>> facility_from_dict(facility_to_dict(fac)) == fac
True
"""

from __future__ import annotations

from typing import Any

from nucsec.incidents.convert import item_from_record, item_to_record
from nucsec.incidents.items import field_prefix
from nucsec.practices._fields import as_date, as_list, as_table
from nucsec.practices.assessment import Answer, Assessment, EvidenceRef, Finding
from nucsec.practices.errors import AssessmentError, FacilityError
from nucsec.practices.facility import Facility, Holding

__all__ = ["assessment_from_dict", "facility_from_dict", "facility_to_dict"]


def facility_to_dict(facility: Facility) -> dict[str, Any]:
    """The record of a facility (holdings with their item records)."""
    return {
        "id": facility.id,
        "name": facility.name,
        "operator": facility.operator,
        "type": facility.type,
        "nation": facility.nation,
        "activities": sorted(facility.activities),
        "holdings": [
            {"area": h.area, "items": [item_to_record(i) for i in h.items]}
            for h in facility.holdings
        ],
    }


def facility_from_dict(raw: object) -> Facility:
    """A validated facility from its record."""
    keys = {"id", "name", "operator", "type", "nation", "activities", "holdings"}
    t = as_table(raw, keys, "", FacilityError)
    holdings = []
    for i, h in enumerate(as_list(t.get("holdings"), "holdings", FacilityError)):
        ht = as_table(h, {"area", "items"}, f"holdings[{i}]", FacilityError)
        items = []
        for j, item in enumerate(as_list(ht.get("items"), f"holdings[{i}].items", FacilityError)):
            with field_prefix(f"holdings[{i}].items[{j}]"):
                items.append(item_from_record(item))
        with field_prefix(f"holdings[{i}]"):
            holdings.append(Holding(ht.get("area", ""), tuple(items)))
    return Facility(
        id=t.get("id", ""),
        name=t.get("name", ""),
        operator=t.get("operator", ""),
        type=t.get("type", ""),
        holdings=tuple(holdings),
        activities=frozenset(as_list(t.get("activities"), "activities", FacilityError)),
        nation=t.get("nation", ""),
    )


def _answer(raw: object, i: int) -> Answer:
    where = f"answers[{i}]"
    keys = {"question", "value", "na_reason", "evidence", "comment", "compensating_measure"}
    t = as_table(raw, keys, where, AssessmentError)
    evidence = []
    for j, e in enumerate(as_list(t.get("evidence"), f"{where}.evidence", AssessmentError)):
        et = as_table(e, {"ref", "description"}, f"{where}.evidence[{j}]", AssessmentError)
        with field_prefix(f"{where}"):
            evidence.append(EvidenceRef(et.get("ref", ""), et.get("description", "")))
    return Answer(
        t.get("question", ""),
        t.get("value"),
        t.get("na_reason", ""),
        tuple(evidence),
        t.get("comment", ""),
        t.get("compensating_measure", ""),
    )


def _finding(raw: object, i: int) -> Finding:
    where = f"findings[{i}]"
    t = as_table(raw, {"id", "type", "node", "summary", "owner", "due"}, where, AssessmentError)
    due = t.get("due")
    return Finding(
        t.get("id", ""),
        t.get("type", ""),
        t.get("node", ""),
        t.get("summary", ""),
        t.get("owner", ""),
        None if due is None else as_date(due, f"{where}.due", AssessmentError),
    )


def assessment_from_dict(raw: object) -> Assessment:
    """An assessment from the shape of ``Assessment.to_dict`` (check it against its
    framework with ``Assessment.check`` before use)."""
    keys = {
        "id",
        "facility",
        "framework",
        "framework_version",
        "weight_set",
        "assessed_on",
        "questions",
        "answers",
        "findings",
    }
    t = as_table(raw, keys, "", AssessmentError)
    answers: dict[str, Answer] = {}
    for i, a in enumerate(as_list(t.get("answers"), "answers", AssessmentError)):
        ans = _answer(a, i)
        if ans.question in answers:
            raise AssessmentError(f"{ans.question!r} answered twice", field=f"answers[{i}]")
        answers[ans.question] = ans
    findings = tuple(
        _finding(f, i)
        for i, f in enumerate(as_list(t.get("findings"), "findings", AssessmentError))
    )
    questions = tuple(as_list(t.get("questions"), "questions", AssessmentError))
    for key in ("id", "facility", "framework", "framework_version", "weight_set"):
        if not isinstance(t.get(key), str) or not t[key]:
            raise AssessmentError(f"{key} must be non-empty text", field=key)
    return Assessment(
        t["id"],
        t["facility"],
        t["framework"],
        t["framework_version"],
        t["weight_set"],
        as_date(t.get("assessed_on"), "assessed_on", AssessmentError),
        questions,
        answers,
        findings,
    )
