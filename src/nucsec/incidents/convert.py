"""Plain records (JSON-ready dicts) to and from :class:`~nucsec.incidents.model.Incident`.

This is the shape the REST API, the store and the CSV reader exchange. Dates are ISO
strings, activities in Bq (a source may give ``"activity": "555 TBq"`` instead of
``activity_bq``), masses in g. Unknown keys are refused, so a misspelt field is an error,
not silently lost.

>>> rec = {"reference": "JP-2024-001", "report_date": "2024-03-02", "country": "JP",
...        "incident_type": "theft", "itdb_group": "III",
...        "items": [{"kind": "source", "nuclide": "Cs-137", "activity": "0.19 TBq"}]}
>>> incident = incident_from_record(rec)
>>> incident.items[0].activity_bq, incident.material_class
(190000000000.0, 'radioactive')
>>> incident_from_record(incident_to_record(incident)) == incident
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from datetime import date
from typing import Any

from nucsec.incidents.errors import IncidentError
from nucsec.incidents.items import Item, MaterialItem, SourceItem, field_prefix
from nucsec.incidents.model import (
    Attachment,
    Incident,
    Link,
    Portion,
    SupportRequest,
    check_not_future,
)
from nucsec.incidents.units import parse_activity

__all__ = [
    "incident_from_record",
    "incident_to_record",
    "item_from_record",
    "item_to_record",
    "parse_date",
    "source_from_spec",
]


def parse_date(value: object, field: str) -> date | None:
    """``None``/``""`` -> None; a date stays; an ISO ``YYYY-MM-DD`` string is parsed."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise IncidentError(f"not a date (YYYY-MM-DD): {value!r}", field=field, value=repr(value))


def _check_keys(record: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
    if not isinstance(record, Mapping):
        raise IncidentError("expected an object (mapping)", value=repr(record))
    for key in record:
        if key not in allowed:
            raise IncidentError(f"unknown field {key!r}", field=str(key))
    for key in sorted(required):
        if record.get(key) in (None, ""):
            raise IncidentError(f"{key} is required", field=key)


def _names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def _build(cls: Callable[..., Any], record: Mapping[str, Any], dates: tuple[str, ...] = ()) -> Any:
    for f in fields(cls):  # type: ignore[arg-type]
        if (
            f.default is MISSING
            and f.default_factory is MISSING
            and record.get(f.name) in (None, "")
        ):
            raise IncidentError(f"{f.name} is required", field=f.name)
    kwargs = dict(record)
    for name in dates:
        if name in kwargs:
            kwargs[name] = parse_date(kwargs[name], name)
    return cls(**kwargs)


def item_from_record(record: Mapping[str, Any]) -> Item:
    """A source or material item from its record (``kind`` says which)."""
    kind = record.get("kind") if isinstance(record, Mapping) else None
    if kind == "source":
        _check_keys(record, _names(SourceItem) | {"kind", "activity"}, {"nuclide"})
        rec = {k: v for k, v in record.items() if k not in {"kind", "activity"}}
        if "activity" in record:
            if record.get("activity_bq") is not None:
                raise IncidentError("give activity or activity_bq, not both", field="activity")
            text = record["activity"]
            act = parse_activity(text if isinstance(text, str) else str(text), field="activity")
            rec["activity_bq"] = act.value_bq
            if act.uncertainty_bq is not None and rec.get("activity_unc_bq") is None:
                rec["activity_unc_bq"] = act.uncertainty_bq
        if rec.get("activity_bq") is None:
            raise IncidentError("activity is required", field="activity")
        return _build(SourceItem, rec, ("reference_date",))
    if kind == "material":
        _check_keys(record, _names(MaterialItem) | {"kind"}, {"material", "mass_g"})
        rec = {k: v for k, v in record.items() if k != "kind"}
        iso = rec.get("pu_isotopics_pct") or {}
        if not isinstance(iso, Mapping):
            raise IncidentError("isotopics must map nuclide to %", field="pu_isotopics_pct")
        rec["pu_isotopics_pct"] = tuple(iso.items())
        return _build(MaterialItem, rec)
    raise IncidentError(f"item kind must be 'source' or 'material', got {kind!r}", field="kind")


def item_to_record(item: Item) -> dict[str, Any]:
    """The record of an item (dates as ISO strings, isotopics as a mapping)."""
    out: dict[str, Any] = {"kind": item.kind}
    for f in fields(item):
        value = getattr(item, f.name)
        if isinstance(value, date):
            value = value.isoformat()
        elif f.name == "pu_isotopics_pct":
            value = dict(value)
        out[f.name] = value
    return out


_PARTS: dict[str, tuple[type, tuple[str, ...]]] = {
    "narrative": (Portion, ()),
    "links": (Link, ()),
    "attachments": (Attachment, ()),
    "support_requests": (SupportRequest, ("requested_on", "answered_on")),
}
_KINDS: dict[str, type | tuple[type, ...]] = {k: v[0] for k, v in _PARTS.items()}
_KINDS["items"] = (SourceItem, MaterialItem)
_DATES = ("report_date", "incident_date", "discovery_date")
_REQUIRED = {"reference", "report_date", "country", "incident_type", "itdb_group"}


def _parts(name: str, values: object) -> tuple[Any, ...]:
    if values is None:
        return ()
    if not isinstance(values, list | tuple):
        raise IncidentError(f"{name} must be a list", field=name)
    out = []
    for i, value in enumerate(values):
        if isinstance(value, _KINDS[name]):  # already built (e.g. by the CSV reader)
            out.append(value)
            continue
        with field_prefix(f"{name}[{i}]"):
            if name == "items":
                out.append(item_from_record(value))
                continue
            cls, dates = _PARTS[name]
            _check_keys(value, _names(cls), set())
            out.append(_build(cls, value, dates))
    return tuple(out)


def incident_from_record(record: Mapping[str, Any], *, today: date | None = None) -> Incident:
    """Build and validate an incident; with ``today``, also refuse dates in the future.

    Raises
    ------
    IncidentError
        (or a subclass, or ``NuclideError``) naming the field, e.g. ``items[1].mass_g``.
    """
    _check_keys(record, _names(Incident), _REQUIRED)
    kwargs = {k: v for k, v in record.items() if v is not None}
    for name in (*_PARTS, "items"):
        if name in kwargs:
            kwargs[name] = _parts(name, kwargs[name])
    incident: Incident = _build(Incident, kwargs, _DATES)
    if today is not None:
        check_not_future(incident, today)
    return incident


def incident_to_record(incident: Incident) -> dict[str, Any]:
    """The JSON-ready record of an incident."""
    out: dict[str, Any] = {}
    for f in fields(incident):
        value = getattr(incident, f.name)
        if f.name == "items":
            value = [item_to_record(i) for i in value]
        elif f.name in _PARTS:
            value = [_part_record(p) for p in value]
        elif isinstance(value, date):
            value = value.isoformat()
        out[f.name] = value
    return out


def _part_record(part: object) -> dict[str, Any]:
    return {
        f.name: (v.isoformat() if isinstance(v := getattr(part, f.name), date) else v)
        for f in fields(part)  # type: ignore[arg-type]
    }


def source_from_spec(spec: str, *, field: str = "item") -> SourceItem:
    """A source from ``"NUCLIDE:ACTIVITY[@REFERENCE_DATE]"``, e.g. ``"Co-60:555TBq@2000-01-01"``.

    >>> source_from_spec("Cs-137:0.19 TBq").activity_bq
    190000000000.0
    """
    if not isinstance(spec, str) or ":" not in spec:
        raise IncidentError(
            f"expected NUCLIDE:ACTIVITY[@DATE] (e.g. Co-60:555TBq), got {spec!r}",
            field=field,
            value=spec,
        )
    name, _, rest = spec.partition(":")
    activity_text, _, ref_text = rest.partition("@")
    with field_prefix(field):
        act = parse_activity(activity_text, field="activity")
        ref_date = parse_date(ref_text, "reference_date") if ref_text.strip() else None
        return SourceItem(name.strip(), act.value_bq, act.uncertainty_bq, ref_date)
