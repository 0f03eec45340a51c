"""The incident record: what happened, where, when, how it was detected, and what was found.

An :class:`Incident` that exists is valid in itself (codes, date order, item checks,
material class consistent with the items). Whether its dates lie in the future depends on
the day: :func:`check_not_future` takes ``today`` as an argument.

Narrative portions carry their protective label as text; the markings module parses and
enforces it (unknown labels are refused there, fail closed). Items, links, attachments and
support requests are plain value objects.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, fields
from datetime import date

from nucsec.incidents.countries import country_code
from nucsec.incidents.errors import IncidentError
from nucsec.incidents.items import Item, MaterialItem, SourceItem
from nucsec.incidents.vocabulary import (
    DETECTION_MODES,
    INCIDENT_TYPES,
    ITDB_GROUPS,
    MATERIAL_CLASSES,
    STATUSES,
    lookup,
)

__all__ = [
    "DATE_PRECISIONS",
    "LINK_RELATIONS",
    "REQUEST_STATUSES",
    "Attachment",
    "Incident",
    "Link",
    "Portion",
    "SupportRequest",
    "check_not_future",
    "check_reference",
    "derive_material_class",
]

DATE_PRECISIONS = ("day", "month", "year")
LINK_RELATIONS = ("related", "same_material", "same_actors", "duplicate", "follow_up")
REQUEST_STATUSES = ("requested", "accepted", "answered", "declined")
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_reference(text: object, field: str) -> str:
    """``text`` if it is an incident reference (1-64 letters, digits, ``._/-``); else
    IncidentError naming ``field``."""
    if not isinstance(text, str) or not _REFERENCE.match(text):
        raise IncidentError(
            f"reference must be 1-64 letters, digits, '.', '_', '/' or '-', got {text!r}",
            field=field,
            value=repr(text),
        )
    return text


def _check_text(text: object, field: str, *, required: bool = False, max_len: int = 20000) -> str:
    if not isinstance(text, str):
        raise IncidentError(f"{field} must be text", field=field, value=repr(text))
    if required and not text.strip():
        raise IncidentError(f"{field} must not be empty", field=field)
    if len(text) > max_len:
        raise IncidentError(f"{field} longer than {max_len} characters", field=field)
    return text


def _check_date(value: object, field: str, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, date):
        raise IncidentError(f"{field} must be a date", field=field, value=repr(value))


@dataclass(frozen=True)
class Portion:
    """A paragraph of narrative with its protective label (e.g. ``"UNCLASSIFIED"``)."""

    label: str
    text: str

    def __post_init__(self) -> None:
        _check_text(self.label, "label", required=True, max_len=500)
        _check_text(self.text, "text", required=True)


@dataclass(frozen=True)
class Link:
    """A link to another incident, with the kind of relation."""

    reference: str
    relation: str = "related"

    def __post_init__(self) -> None:
        check_reference(self.reference, "reference")
        if self.relation not in LINK_RELATIONS:
            raise IncidentError(
                f"unknown relation {self.relation!r}; expected one of {', '.join(LINK_RELATIONS)}",
                field="relation",
                value=self.relation,
            )


@dataclass(frozen=True)
class Attachment:
    """A file kept in the blob store (detector file, photo), named by its SHA-256."""

    name: str
    sha256: str
    size_bytes: int
    media_type: str = "application/octet-stream"
    description: str = ""

    def __post_init__(self) -> None:
        _check_text(self.name, "name", required=True, max_len=255)
        if not isinstance(self.sha256, str) or not _SHA256.match(self.sha256):
            raise IncidentError("sha256 must be 64 lowercase hex digits", field="sha256")
        if (
            isinstance(self.size_bytes, bool)
            or not isinstance(self.size_bytes, int)
            or self.size_bytes < 0
        ):
            raise IncidentError("size must be an integer >= 0", field="size_bytes")


@dataclass(frozen=True)
class SupportRequest:
    """A request for forensic support to a partner (agency or nation)."""

    to_party: str
    requested_on: date
    question: str
    status: str = "requested"
    answered_on: date | None = None

    def __post_init__(self) -> None:
        _check_text(self.to_party, "to_party", required=True, max_len=200)
        _check_date(self.requested_on, "requested_on", required=True)
        _check_text(self.question, "question", required=True)
        if self.status not in REQUEST_STATUSES:
            raise IncidentError(f"unknown request status {self.status!r}", field="status")
        _check_date(self.answered_on, "answered_on")
        if self.answered_on is not None and self.answered_on < self.requested_on:
            raise IncidentError("answered before it was requested", field="answered_on")


def derive_material_class(items: tuple[Item, ...] | list[Item]) -> str | None:
    """ITDB material class implied by the items: nuclear > radioactive; ``None`` if no items."""
    if any(isinstance(i, MaterialItem) for i in items):
        return "nuclear"
    if any(isinstance(i, SourceItem) for i in items):
        return "radioactive"
    return None


@dataclass(frozen=True)
class Incident:
    """One incident of the register (ITDB-style).

    Codes (``incident_type``, ``itdb_group``, ``detection_mode``, ``status``,
    ``material_class``) are those of :mod:`nucsec.incidents.vocabulary`; the constructor
    accepts their English names too and stores the code. ``incident_date_precision`` says
    whether the incident date is known to the day, month or year only (then it is the
    first day of that month or year). ``country`` is an ISO 3166-1 alpha-2 code.
    """

    reference: str
    report_date: date
    country: str
    incident_type: str
    itdb_group: str
    detection_mode: str = "unknown"
    status: str = "open"
    material_class: str = ""  # "" = derived from the items ("contaminated" if none)
    incident_date: date | None = None
    incident_date_precision: str = "day"
    discovery_date: date | None = None
    place: str = ""
    narrative: tuple[Portion, ...] = ()
    items: tuple[Item, ...] = ()
    links: tuple[Link, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    support_requests: tuple[SupportRequest, ...] = ()

    def __post_init__(self) -> None:
        check_reference(self.reference, "reference")
        set_ = object.__setattr__
        set_(self, "country", country_code(self.country))
        set_(
            self,
            "incident_type",
            lookup(INCIDENT_TYPES, self.incident_type, field="incident_type").code,
        )
        set_(self, "itdb_group", lookup(ITDB_GROUPS, self.itdb_group, field="itdb_group").code)
        set_(
            self,
            "detection_mode",
            lookup(DETECTION_MODES, self.detection_mode, field="detection_mode").code,
        )
        set_(self, "status", lookup(STATUSES, self.status, field="status").code)
        _check_text(self.place, "place", max_len=500)
        for name in ("narrative", "items", "links", "attachments", "support_requests"):
            set_(self, name, tuple(getattr(self, name)))
        self._check_dates()
        self._check_parts()
        self._check_material_class()

    def _check_dates(self) -> None:
        _check_date(self.report_date, "report_date", required=True)
        _check_date(self.incident_date, "incident_date")
        _check_date(self.discovery_date, "discovery_date")
        if self.incident_date_precision not in DATE_PRECISIONS:
            raise IncidentError(
                f"precision must be one of {', '.join(DATE_PRECISIONS)}",
                field="incident_date_precision",
                value=self.incident_date_precision,
            )
        order = [("incident_date", self.incident_date), ("discovery_date", self.discovery_date)]
        order.append(("report_date", self.report_date))
        known = [(n, d) for n, d in order if d is not None]
        for (n1, d1), (n2, d2) in itertools.pairwise(known):
            if d2 < d1:
                raise IncidentError(f"{n2} ({d2}) is before {n1} ({d1})", field=n2, value=str(d2))

    def _check_parts(self) -> None:
        kinds: dict[str, type | tuple[type, ...]] = {
            "narrative": Portion,
            "items": (SourceItem, MaterialItem),
            "links": Link,
            "attachments": Attachment,
            "support_requests": SupportRequest,
        }
        for name, kind in kinds.items():
            for i, part in enumerate(getattr(self, name)):
                if not isinstance(part, kind):
                    raise IncidentError(f"{name}[{i}] has the wrong type", field=f"{name}[{i}]")
        for i, link in enumerate(self.links):
            if link.reference == self.reference:
                raise IncidentError(
                    "an incident cannot link to itself", field=f"links[{i}].reference"
                )

    def _check_material_class(self) -> None:
        derived = derive_material_class(self.items)
        if not self.material_class:
            object.__setattr__(self, "material_class", derived or "contaminated")
            return
        code = lookup(MATERIAL_CLASSES, self.material_class, field="material_class").code
        if derived is not None and code != derived:
            raise IncidentError(
                f"material class {code!r} contradicts the items, which make it {derived!r}",
                field="material_class",
                value=code,
            )
        object.__setattr__(self, "material_class", code)

    @property
    def event_date(self) -> date:
        """The earliest known date: incident, else discovery, else report."""
        return self.incident_date or self.discovery_date or self.report_date

    @property
    def source_items(self) -> tuple[SourceItem, ...]:
        """The radioactive sources."""
        return tuple(i for i in self.items if isinstance(i, SourceItem))

    @property
    def material_items(self) -> tuple[MaterialItem, ...]:
        """The nuclear material items."""
        return tuple(i for i in self.items if isinstance(i, MaterialItem))


def check_not_future(incident: Incident, today: date) -> None:
    """Raise :class:`IncidentError` naming the first date after ``today``."""
    dated: list[tuple[str, date | None]] = [
        (f.name, getattr(incident, f.name)) for f in fields(incident) if f.name.endswith("_date")
    ]
    for i, item in enumerate(incident.items):
        if isinstance(item, SourceItem):
            dated.append((f"items[{i}].reference_date", item.reference_date))
    for i, req in enumerate(incident.support_requests):
        dated += [(f"support_requests[{i}].requested_on", req.requested_on)]
        dated += [(f"support_requests[{i}].answered_on", req.answered_on)]
    for name, value in dated:
        if value is not None and value > today:
            raise IncidentError(f"{name} {value} is in the future (today {today})", field=name)
