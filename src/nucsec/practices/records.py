"""Plain records (JSON-ready dicts) to and from facilities and assessments.

The service layer stores and federates these shapes; the readers refuse unknown keys and
name the field of any error with its path (``holdings[0].items[2].mass_g``,
``answers[3].value``). Items use the incident register's item records
(:func:`~nucsec.incidents.records.item_from_record`).

>>> from nucsec.incidents.items import MaterialItem
>>> fac = Facility("F1", "Reactor", "Op", "research_reactor",
...                (Holding("vault", (MaterialItem("U", mass_g=10, enrichment_pct=93),)),))
>>> facility_from_dict(facility_to_dict(fac)) == fac
True
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from nucsec.errors import InputError
from nucsec.incidents.items import field_prefix
from nucsec.incidents.records import item_from_record, item_to_record
from nucsec.practices.assessment import Answer, Assessment, EvidenceRef, Finding
from nucsec.practices.errors import AssessmentError, FacilityError
from nucsec.practices.facility import Facility, Holding

__all__ = ["assessment_from_dict", "facility_from_dict", "facility_to_dict"]


def _table(raw: object, keys: set[str], where: str, error: type[InputError]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise error(f"{where or 'the record'} must be an object", field=where or None)
    extra = sorted(set(raw) - keys)
    if extra:
        raise error(f"unknown key {extra[0]!r}", field=f"{where}.{extra[0]}" if where else extra[0])
    return raw


def _list(raw: object, where: str, error: type[InputError]) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise error(f"{where} must be a list", field=where)
    return list(raw)


def _date(raw: object, where: str, error: type[InputError]) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise error(f"{where} must be a date (YYYY-MM-DD)", field=where, value=repr(raw)) from None


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
    t = _table(raw, keys, "", FacilityError)
    holdings = []
    for i, h in enumerate(_list(t.get("holdings"), "holdings", FacilityError)):
        ht = _table(h, {"area", "items"}, f"holdings[{i}]", FacilityError)
        items = []
        for j, item in enumerate(_list(ht.get("items"), f"holdings[{i}].items", FacilityError)):
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
        activities=frozenset(_list(t.get("activities"), "activities", FacilityError)),
        nation=t.get("nation", ""),
    )


def _answer(raw: object, i: int) -> Answer:
    where = f"answers[{i}]"
    keys = {"question", "value", "na_reason", "evidence", "comment", "compensating_measure"}
    t = _table(raw, keys, where, AssessmentError)
    evidence = []
    for j, e in enumerate(_list(t.get("evidence"), f"{where}.evidence", AssessmentError)):
        et = _table(e, {"ref", "description"}, f"{where}.evidence[{j}]", AssessmentError)
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
    t = _table(raw, {"id", "type", "node", "summary", "owner", "due"}, where, AssessmentError)
    due = t.get("due")
    return Finding(
        t.get("id", ""),
        t.get("type", ""),
        t.get("node", ""),
        t.get("summary", ""),
        t.get("owner", ""),
        None if due is None else _date(due, f"{where}.due", AssessmentError),
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
    t = _table(raw, keys, "", AssessmentError)
    answers: dict[str, Answer] = {}
    for i, a in enumerate(_list(t.get("answers"), "answers", AssessmentError)):
        ans = _answer(a, i)
        if ans.question in answers:
            raise AssessmentError(f"{ans.question!r} answered twice", field=f"answers[{i}]")
        answers[ans.question] = ans
    findings = tuple(
        _finding(f, i) for i, f in enumerate(_list(t.get("findings"), "findings", AssessmentError))
    )
    questions = tuple(_list(t.get("questions"), "questions", AssessmentError))
    for key in ("id", "facility", "framework", "framework_version", "weight_set"):
        if not isinstance(t.get(key), str) or not t[key]:
            raise AssessmentError(f"{key} must be non-empty text", field=key)
    return Assessment(
        t["id"],
        t["facility"],
        t["framework"],
        t["framework_version"],
        t["weight_set"],
        _date(t.get("assessed_on"), "assessed_on", AssessmentError),
        questions,
        answers,
        findings,
    )
