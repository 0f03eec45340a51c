"""What federation needs to know about each record kind beyond its wire format (adapter).

For every kind of :data:`nucsec.exchange.stix.RECORD_TYPES`:

- ``service``: the service's :class:`~nucsec.service.labelled.Kind` (``module:attribute``,
  imported when first needed), whose after-write hooks a received version runs through
  (an incident's statistics count it on the receiving node);
- ``title``: the record's title from its portion values (the listing title the kind's
  service would give it);
- ``check``: what the receiver requires of the values beyond their JSON types, so a
  received record is one the kind's views and hooks can show (an incident's facts must be
  a valid incident record) — a :class:`~nucsec.exchange.stix.StixError` otherwise;
- ``outgoing``: the values as they leave for one peer. An analysis names the record it
  was computed from (``method.source``); its own readers see that reference only if they
  may read the source record, so a peer receives it only if the monitor releases that
  record to the same peer now (else ``source`` is null) — the same rule as the view.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nucsec.errors import InputError
from nucsec.exchange.stix import StixError
from nucsec.service.labelled import Kind

__all__ = ["ADAPTERS", "KindAdapter", "Released", "service_kind"]

#: ``released(kind, record_id)``: is that local record released to the peer at hand?
Released = Callable[[str, str], bool]
Values = Mapping[str, Any]


def _same(values: dict[str, Any], released: Released) -> dict[str, Any]:
    return values


def _no_check(values: Values) -> None:
    return None


@dataclass(frozen=True)
class KindAdapter:
    """Federation's view of one record kind (see the module docstring)."""

    service: str
    title: Callable[[Values], str]
    check: Callable[[Values], None] = _no_check
    outgoing: Callable[[dict[str, Any], Released], dict[str, Any]] = field(default=_same)


def _attachments(values: Values) -> None:
    from nucsec.incidents.model import Attachment

    for name, value in values.items():
        if not name.startswith("attachment."):
            continue
        try:
            Attachment(**value)
        except (InputError, TypeError) as exc:
            raise StixError(f"{name} is not file metadata: {exc}", field=name) from None


# -- documents -----------------------------------------------------------------------------


def _document_title(values: Values) -> str:
    return str(values["title"])


# -- incidents -----------------------------------------------------------------------------


def _incident(values: Values) -> Any:
    from nucsec.service.incidents import incident_of_portions

    try:
        return incident_of_portions(values)
    except InputError as exc:
        raise StixError(f"not an incident record: {exc.message}", field="facts") from None


def _incident_check(values: Values) -> None:
    _incident(values)
    _attachments(values)


def _incident_title(values: Values) -> str:
    from nucsec.service.incidents import incident_title

    return incident_title(_incident(values))


# -- analyses ------------------------------------------------------------------------------

_MAX_TITLE = 300


def _analysis_check(values: Values) -> None:
    from nucsec.service.analyses import METHODS
    from nucsec.service.analysis_schema import AnalysisSchemaError, check_analysis

    title, method = values["title"], values["method"]
    if not title.strip() or len(title) > _MAX_TITLE:
        raise StixError(f"an analysis title has 1 to {_MAX_TITLE} characters", field="title")
    if (
        set(method) - {"method", "params", "versions", "source"}
        or method.get("method") not in METHODS
        or not isinstance(method.get("params"), dict)
        or not isinstance(method.get("versions"), dict)
        or not isinstance(method.get("source"), dict | None)
    ):
        raise StixError("method must be {method, params, versions, source}", field="method")
    try:  # every portion a page shows, against its schema
        check_analysis(method["method"], values["result"], values.get("plot"))
    except AnalysisSchemaError as exc:
        raise StixError(exc.message, field=exc.field) from None
    _attachments(values)


def _analysis_title(values: Values) -> str:
    return str(values["title"])


def _analysis_outgoing(values: dict[str, Any], released: Released) -> dict[str, Any]:
    method = values.get("method")
    if not isinstance(method, dict):
        return values
    source = method.get("source")
    if not isinstance(source, dict) or "kind" not in source:
        return values  # no source record (a file uploaded with the analysis, or none)
    if released(str(source["kind"]), str(source.get("id", ""))):
        return values
    return {**values, "method": {**method, "source": None}}


ADAPTERS: dict[str, KindAdapter] = {
    "document": KindAdapter("nucsec.service.documents:DOCUMENT", _document_title),
    "incident": KindAdapter(
        "nucsec.service.incidents:INCIDENT", _incident_title, check=_incident_check
    ),
    "analysis": KindAdapter(
        "nucsec.service.analyses:ANALYSIS",
        _analysis_title,
        check=_analysis_check,
        outgoing=_analysis_outgoing,
    ),
}


@cache
def service_kind(kind: str) -> Kind:
    """The service's :class:`~nucsec.service.labelled.Kind` of a federated record kind."""
    module, _, attribute = ADAPTERS[kind].service.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if not isinstance(found, Kind):  # pragma: no cover - the table names Kinds
        raise TypeError(f"{ADAPTERS[kind].service} is not a record Kind")
    return found
