"""What the services return: frozen view types, built once here, shown by every face.

A read of a labelled record answers a :class:`RecordView` of its kind (a
:class:`DocumentView`, :class:`IncidentView`, :class:`AnalysisView`); a listing a
:class:`RecordPage` of :class:`RecordSummary` rows; attachments
:class:`AttachmentView`. The CLI and the pages read their attributes; the REST API sends
:meth:`JsonView.to_json` and derives its response models from these classes, so a field
is declared once. ``to_json`` gives the fields in declaration order (base fields first),
nested views as objects, tuples as lists.

>>> portion = PortionView(value="Gamma survey", portion="(U)", label={"level": "UNCLASSIFIED"})
>>> portion.to_json()
{'value': 'Gamma survey', 'portion': '(U)', 'label': {'level': 'UNCLASSIFIED'}}
>>> RecordPage(items=(), next=None).to_json()
{'items': [], 'next': None}
>>> portion.label is portion["label"], RecordPage(items=(), next=None)["items"]
(False, [])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "AnalysisView",
    "AttachmentView",
    "DocumentVersion",
    "DocumentView",
    "ExplainView",
    "ImportView",
    "IncidentPage",
    "IncidentSummary",
    "IncidentView",
    "JsonView",
    "LabelJson",
    "PortionView",
    "RecordPage",
    "RecordSummary",
    "RecordView",
    "dumps",
    "to_json",
]

#: a label as JSON (:meth:`nucsec.markings.Label.to_dict`)
LabelJson = dict[str, Any]


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    """A view class's field names, in order (read once per class)."""
    found = _NAMES.get(cls)
    if found is None:
        found = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return found


def _view_fields(value: object) -> dict[str, Any]:
    if isinstance(value, JsonView):
        return value.json_fields()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def dumps(value: Any) -> bytes:
    """``value`` (a view, or JSON data holding views) as compact UTF-8 JSON text: the text
    of ``json.dumps(to_json(value))`` without building the intermediate copy (the C
    encoder walks dictionaries and lists; each view gives its fields once). NaN and the
    infinities are refused, as by Starlette's ``JSONResponse``.

    >>> dumps(RecordPage(items=(PortionView(value=1.5, portion="(U)", label={}),), next=None))
    b'{"items":[{"value":1.5,"portion":"(U)","label":{}}],"next":null}'
    """
    return json.dumps(
        value, default=_view_fields, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def to_json(value: Any) -> Any:
    """``value`` as JSON-ready data: views as objects, tuples as lists, the rest as is."""
    if isinstance(value, JsonView):
        return value.to_json()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


class JsonView:
    """A frozen view whose JSON is its fields, in order.

    Read its attributes. For readers written against the dictionaries the services used
    to return, a view also answers ``view["id"]``, ``view.get("origin")``, ``"id" in
    view`` and ``view.keys()``: read-only, from its JSON (``view["items"]`` is a list of
    dictionaries, as it was).
    """

    __slots__ = ()

    def json_fields(self) -> dict[str, Any]:
        """The members of this view's JSON object, nested views left as views (what
        :func:`dumps` hands the encoder, which walks them)."""
        return {name: getattr(self, name) for name in _names(type(self))}

    def to_json(self) -> dict[str, Any]:
        return {name: to_json(value) for name, value in self.json_fields().items()}

    def keys(self) -> tuple[str, ...]:
        return tuple(self.to_json())

    def __getitem__(self, key: str) -> Any:
        if key in _names(type(self)):
            return to_json(getattr(self, key))
        return self.to_json()[key]  # a key only the JSON has (ExplainView's kind)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.keys()

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


@dataclass(frozen=True, kw_only=True, slots=True)
class PortionView(JsonView):
    """One portion of a version: its value, its portion mark and its label."""

    value: Any
    portion: str
    label: LabelJson


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordView(JsonView):
    """What every record view shows: id, kind, banner in each rendering, label, portions,
    version, dates and origin (the peer it came from; None: made here)."""

    id: str
    kind: str
    banner: str
    banner_ja: str | None  # the Japanese scheme's rendering (None: no JPN in the agreement)
    banner_en: str | None  # the US scheme's (None: no USA in the agreement)
    banners: dict[str, str]  # every agreement nation's scheme, each in its own language
    label: LabelJson
    portions: dict[str, PortionView]
    version: int
    created_at: str
    updated_at: str
    origin: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentView(RecordView):
    title: str
    body: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentVersion(DocumentView):
    """A version of a document in its history: who wrote it and why."""

    author_id: str | None
    note: str


@dataclass(frozen=True, kw_only=True, slots=True)
class IncidentView(RecordView):
    reference: str
    title: str
    incident: dict[str, Any]  # the incident record (docs/incidents.md), narrative labelled
    assessment: dict[str, Any]  # IAEA source and INFCIRC/225 material categories


@dataclass(frozen=True, kw_only=True, slots=True)
class AttachmentView(JsonView):
    """A file a record lists: its metadata and the portion mark and label it is under."""

    name: str
    sha256: str
    size_bytes: int
    media_type: str = "application/octet-stream"
    description: str = ""
    portion: str
    label: LabelJson


@dataclass(frozen=True, kw_only=True, slots=True)
class AnalysisView(RecordView):
    title: str
    method: str
    params: dict[str, Any]
    versions: dict[str, str]
    source: dict[str, Any] | None  # the input record and file, or None (hidden or none)
    result: dict[str, Any]
    plot: dict[str, Any] | None
    attachments: tuple[AttachmentView, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordSummary(JsonView):
    """One line of a listing."""

    id: str
    title: str
    banner: str
    banner_ja: str | None
    banner_en: str | None
    banners: dict[str, str]
    portion: str
    version: int
    updated_at: str
    origin: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class IncidentSummary(RecordSummary):
    """A line of the incident register: the summary and the counted facts."""

    reference: str
    event_date: str
    itdb_group: str
    incident_type: str
    incident_type_name: str
    material_class: str
    country: str
    country_name: str
    detection_mode: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordPage(JsonView):
    """A page of a listing, newest first; ``next`` is the cursor of the next page."""

    items: tuple[RecordSummary, ...]
    next: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class IncidentPage(JsonView):
    """A page of the incident register and how many incidents match in all."""

    items: tuple[IncidentSummary, ...]
    next: str | None
    total: int


@dataclass(frozen=True, kw_only=True, slots=True)
class ExplainView(JsonView):
    """The monitor's decision for a user on a record, with its reasons. In JSON the record
    is named by its kind: ``{"document": id, "user": ..., ...}``."""

    kind: str
    record_id: str
    user: str
    action: str
    banner: str
    allowed: bool
    reasons: tuple[str, ...]

    def json_fields(self) -> dict[str, Any]:
        return {
            self.kind: self.record_id,
            "user": self.user,
            "action": self.action,
            "banner": self.banner,
            "allowed": self.allowed,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportView(JsonView):
    """What an import did: ids created and updated (with each one's reference), and every
    refused row."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    errors: tuple[dict[str, Any], ...]  # line, reference, field, message
    references: dict[str, str] = field(default_factory=dict)  # id -> incident reference
