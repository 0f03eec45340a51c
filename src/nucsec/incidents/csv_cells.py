"""Cell-by-cell checks of an incident CSV row, so that an import reports every problem of
a row, not only the first one its constructor meets (issue 18).

Each column that can be judged alone is checked alone, by the functions the record's
constructors use (dates, vocabulary codes, country codes, activities with units,
nuclides, numbers, yes/no), and each empty required column is named. Only a row whose
cells all pass is then built, which adds the checks that need several cells at once
(date order, material class against the items, enrichment for uranium only, a
narrative's marking is parsed by the caller's ``check_label``): the first of those is
reported. Each problem is a :class:`~nucsec.incidents.errors.RowError` naming the
column as written in the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from nucsec.errors import InputError
from nucsec.incidents.convert import parse_date
from nucsec.incidents.countries import country_code
from nucsec.incidents.errors import IncidentError, RowError
from nucsec.incidents.items import check_nonnegative, material_code, radioactive_key
from nucsec.incidents.model import (
    DATE_PRECISIONS,
    LINK_RELATIONS,
    REQUEST_STATUSES,
    check_reference,
)
from nucsec.incidents.units import parse_activity
from nucsec.incidents.vocabulary import (
    DETECTION_MODES,
    INCIDENT_TYPES,
    ITDB_GROUPS,
    MATERIAL_CLASSES,
    STATUSES,
    Vocabulary,
    lookup,
)

__all__ = ["REQUIRED", "cell_errors", "parse_bool", "parse_isotopics", "parse_number"]

#: a cell's check: its text in, a value out, an InputError for a bad cell
Check = Callable[[str], object]

_TRUE, _FALSE = {"yes", "true", "1", "y"}, {"no", "false", "0", "n"}

#: the columns a row of each kind must fill
REQUIRED: dict[str, tuple[str, ...]] = {
    "incident": ("reference", "report_date", "country", "incident_type", "itdb_group"),
    "source": ("nuclide", "activity"),
    "material": ("material", "mass_g"),
    "request": ("requested_on",),
}


def parse_bool(text: str, name: str) -> bool | None:
    """``yes``/``no`` (also true/false, 1/0, y/n) -> bool; empty -> None."""
    key = text.strip().lower()
    if not key:
        return None
    if key in _TRUE | _FALSE:
        return key in _TRUE
    raise IncidentError(f"{name} must be yes or no, got {text!r}", field=name, value=text)


def parse_number(text: str, name: str) -> float | None:
    """A decimal number; empty -> None."""
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise IncidentError(f"{name} is not a number: {text!r}", field=name, value=text) from None


def parse_isotopics(text: str) -> dict[str, float]:
    """``Pu-239=93.8;Pu-240=5.9`` -> ``{"Pu-239": 93.8, "Pu-240": 5.9}``."""
    out: dict[str, float] = {}
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        name, sep, pct = chunk.partition("=")
        value = parse_number(pct, "pu_isotopics") if sep else None
        if value is None:
            raise IncidentError(f"expected 'Pu-239=93.8', got {chunk!r}", field="pu_isotopics")
        out[name.strip()] = value
    return out


def _date(name: str) -> Check:
    return lambda text: parse_date(text, name)


def _term(vocabulary: Vocabulary, name: str) -> Check:
    return lambda text: lookup(vocabulary, text, field=name)


def _one_of(name: str, allowed: tuple[str, ...]) -> Check:
    def check(text: str) -> str:
        if text.strip() not in allowed:
            raise IncidentError(
                f"{name} must be one of {', '.join(allowed)}, got {text!r}", field=name
            )
        return text

    return check


def _amount(name: str, what: str, maximum: float | None = None) -> Check:
    return lambda text: check_nonnegative(parse_number(text, name), name, what, maximum=maximum)


def _at_most(name: str, length: int) -> Check:
    def check(text: str) -> str:
        if len(text) > length:
            raise IncidentError(f"{name} longer than {length} characters", field=name)
        return text

    return check


CHECKS: dict[str, dict[str, Check]] = {
    "incident": {
        "reference": lambda text: check_reference(text.strip(), "reference"),
        "incident_date": _date("incident_date"),
        "incident_date_precision": _one_of("incident_date_precision", DATE_PRECISIONS),
        "discovery_date": _date("discovery_date"),
        "report_date": _date("report_date"),
        "country": country_code,
        "place": _at_most("place", 500),
        "incident_type": _term(INCIDENT_TYPES, "incident_type"),
        "itdb_group": _term(ITDB_GROUPS, "itdb_group"),
        "detection_mode": _term(DETECTION_MODES, "detection_mode"),
        "status": _term(STATUSES, "status"),
        "material_class": _term(MATERIAL_CLASSES, "material_class"),
    },
    "source": {
        "nuclide": radioactive_key,
        "activity": lambda text: parse_activity(text, field="activity"),
        "activity_unc": lambda text: parse_activity(text, field="activity_unc"),
        "activity_reference_date": _date("activity_reference_date"),
        "sealed": lambda text: parse_bool(text, "sealed"),
    },
    "material": {
        "material": material_code,
        "mass_g": _amount("mass_g", "mass"),
        "mass_unc_g": _amount("mass_unc_g", "mass uncertainty"),
        "enrichment_pct": _amount("enrichment_pct", "enrichment", 100.0),
        "enrichment_unc_pct": _amount("enrichment_unc_pct", "enrichment unc.", 100.0),
        "pu_isotopics": parse_isotopics,
        "irradiated": lambda text: parse_bool(text, "irradiated"),
    },
    "link": {
        "linked_reference": lambda text: check_reference(text.strip(), "linked_reference"),
        "relation": _one_of("relation", LINK_RELATIONS),
    },
    "request": {
        "requested_on": _date("requested_on"),
        "answered_on": _date("answered_on"),
        "request_status": _one_of("request_status", REQUEST_STATUSES),
    },
}


def cell_errors(
    kind: str,
    row: Mapping[str, str],
    line: int,
    reference: str,
    *,
    today: date | None = None,
    check_label: Check | None = None,
) -> list[RowError]:
    """Every problem of one row's cells (empty if each cell is good on its own).

    Parameters
    ----------
    kind
        The row's ``record`` kind (``incident``, ``source``, ...).
    today
        If given, a date after it is a problem ("in the future").
    check_label
        Parses a narrative portion's ``label`` (the markings of the importing node);
        without it labels are left to the caller.
    """
    checks = dict(CHECKS.get(kind, {}))
    if kind == "portion" and check_label is not None:
        checks["label"] = check_label
    errors = [
        RowError(line, reference, column, f"{column} is required")
        for column in REQUIRED.get(kind, ())
        if not row.get(column, "").strip()
    ]
    for column, check in checks.items():
        text = row.get(column, "")
        if not text.strip():
            continue
        try:
            value = check(text)
        except InputError as exc:
            errors.append(RowError(line, reference, column, exc.message, text))
            continue
        if today is not None and isinstance(value, date) and value > today:
            message = f"{column} {value} is in the future (today {today})"
            errors.append(RowError(line, reference, column, message, text))
    order = {column: i for i, column in enumerate(row)}  # as the file's columns go
    return sorted(errors, key=lambda e: order.get(e.field or "", 0))
