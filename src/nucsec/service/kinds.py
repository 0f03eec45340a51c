"""Record kinds: everything that makes a document a document, declared once.

A :class:`RecordKind` is the whole declaration of one kind of labelled record: its name
(``records.kind``, audit references, URLs), its view, the hooks that run after each of
its versions is written, its title from its portion values, what a received version must
satisfy, whether files attach to it and how, what a reader may not see of it, and how it
travels between nodes (:class:`Wire`, plain data that federation reads). Each kind is
declared in its own service module (``nucsec.service.documents.DOCUMENT``) and listed in
:data:`nucsec.service.registry.RECORD_KINDS`; a node carries that registry
(``node.kinds``), so code that meets a kind by name (an attachment route, a received
object, an analysis of a file attached to an incident) finds it there. Adding a kind is
one service module and one registry line (see ``docs/architecture.md``).

>>> from nucsec.portions import PortionRule
>>> note = RecordKind(
...     name="note",
...     collection="notes",
...     view=lambda node, conn, row, version: {"id": row.id},
...     title=lambda values: str(values["text"])[:80],
...     wire=Wire(
...         stix_type="x-nucsec-note",
...         extension_id="extension-definition--00000000-0000-4000-8000-000000000000",
...         portions=(PortionRule("text", "string", required=True),),
...         layout="list",
...         description="A note.",
...     ),
... )
>>> kinds = KindRegistry((note,))
>>> kinds.get("note") is note, kinds.by_collection("notes") is note
(True, True)
>>> kinds.get("memo")
Traceback (most recent call last):
...
nucsec.errors.NotFoundError: no record kind 'memo'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from nucsec.errors import NOT_FOUND, InputError, NotFoundError
from nucsec.portions import PortionRule

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from nucsec.markings import Label
    from nucsec.node import Node
    from nucsec.policy import Principal
    from nucsec.service.views import AttachmentView
    from nucsec.store.records import RecordRow, VersionRow

__all__ = [
    "Attachable",
    "Draft",
    "Hook",
    "KindRegistry",
    "RecordKind",
    "Released",
    "Values",
    "View",
    "Wire",
]

#: portion values of one version, by portion name
Values = Mapping[str, Any]
#: a version as its readers see it (the kind's view type)
View = Callable[["Node", "Connection", "RecordRow", "VersionRow"], Any]
#: runs in the transaction that wrote a version (its banner label given)
Hook = Callable[["Node", "Connection", "RecordRow", "VersionRow", "Label"], None]
#: ``released(kind, record_id)``: is that local record released to the peer at hand?
Released = Callable[[str, str], bool]


@dataclass(frozen=True)
class Draft:
    """What a writer submits: portion values, their labels and a change note (the title
    comes from the values, through the kind's :attr:`RecordKind.title`)."""

    values: dict[str, Any]
    labels: dict[str, Label]
    note: str = ""
    #: the version the writer read before building this draft; an update refuses with
    #: ConflictError when the record has moved on since (no lost update). None: no check.
    base_version: int | None = None


@dataclass(frozen=True)
class Wire:
    """How a kind travels as a STIX 2.1 Domain Object (plain data; federation maps it).

    ``layout`` is ``properties`` (each portion a top-level string property: documents,
    whose wire format 1.0 is kept byte for byte) or ``list`` (a ``portions`` list of
    ``{name, value}`` entries: dynamic names, string or JSON-object values). Only the
    portions ``portions`` names travel (a document's attached files stay home).
    """

    stix_type: str  # "x-nucsec-document"
    extension_id: str  # its extension-definition id
    portions: tuple[PortionRule, ...]
    layout: Literal["properties", "list"]
    description: str  # the extension definition's description (immutable once sent)

    @property
    def fields(self) -> tuple[str, ...]:
        """Top-level portion properties (``properties`` layout; empty for ``list``)."""
        return tuple(r.name for r in self.portions) if self.layout == "properties" else ()

    def carries(self, portion: str) -> bool:
        """Whether a stored portion of this kind travels."""
        return any(rule.matches(portion) for rule in self.portions)


@dataclass(frozen=True)
class Attachable:
    """How files attach to a kind: where its versions list them and how a new version
    lists one more.

    ``files(view)`` lists the files of a view (each its metadata and the ``portion`` mark and
    ``label`` it is under); ``with_file(node, view, meta, label, note)`` is the draft
    of the next version listing the file ``meta`` (under ``label`` when the kind gives each
    file its own label, ``own_label``; else under the label its kind says).
    """

    files: Callable[[Any], tuple[AttachmentView, ...]]
    with_file: Callable[[Node, Any, dict[str, Any], Label | None, str], Draft]
    own_label: bool = True


def _no_check(values: Values) -> None:
    return None


def _as_sent(values: dict[str, Any], released: Released) -> dict[str, Any]:
    return values


def _as_stored(node: Node, principal: Principal, view: Any) -> Any:
    return view


@dataclass(frozen=True)
class RecordKind:
    """One kind of labelled record, declared whole (see the module docstring).

    - ``name``: the stored kind (``records.kind``), audit references ``name:id#vN``;
    - ``collection``: its URL segment (``/api/v1/<collection>``, ``/<collection>``);
    - ``view``: a version as readers see it; ``redact(node, principal, view)``: what a
      given reader may not see of it taken out (an analysis hides a source record that
      reader may not read);
    - ``title``: the listing title from portion values (for every version written,
      here or received);
    - ``check``: what a received version's values must satisfy beyond their JSON types
      (:class:`~nucsec.errors.InputError` naming the field otherwise), so the kind's views
      and hooks can take it;
    - ``after_write``: hooks run in the transaction that wrote a version (an incident's
      statistics), before the node's subscribers (federation);
    - ``attachable``: how files attach to it, or None;
    - ``wire``: how it travels, or None (never leaves the node); ``outgoing(values,
      released)``: the values as they leave for one peer (an analysis withholds a source
      reference the peer does not receive).
    """

    name: str
    collection: str
    view: View
    title: Callable[[Values], str]
    check: Callable[[Values], None] = _no_check
    after_write: tuple[Hook, ...] = ()
    attachable: Attachable | None = None
    redact: Callable[[Node, Principal, Any], Any] = _as_stored
    wire: Wire | None = None
    outgoing: Callable[[dict[str, Any], Released], dict[str, Any]] = _as_sent

    def not_found(self, record_id: str) -> NotFoundError:
        return NotFoundError(
            template=NOT_FOUND,
            params={"kind": self.name, "id": record_id},
            field="id",
            value=record_id,
        )

    def ref(self, row: RecordRow, version: int | None = None) -> str:
        """Audit reference of a record version: ``document:<id>#v3``."""
        return f"{self.name}:{row.id}#v{version or row.version}"


@dataclass(frozen=True, eq=False)
class KindRegistry:
    """The record kinds of a node, found by name, URL collection or STIX type (equal to
    itself only: one registry per node build)."""

    kinds: tuple[RecordKind, ...]
    _by: dict[str, dict[str, RecordKind]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        for key, of in (
            ("name", lambda k: k.name),
            ("collection", lambda k: k.collection),
            ("stix_type", lambda k: k.wire.stix_type if k.wire else None),
            ("extension_id", lambda k: k.wire.extension_id if k.wire else None),
        ):
            found: dict[str, RecordKind] = {}
            for kind in self.kinds:
                value = of(kind)
                if value is None:
                    continue
                if value in found:
                    raise ValueError(f"two record kinds have the {key} {value!r}")
                found[value] = kind
            self._by[key] = found

    def __iter__(self) -> Iterator[RecordKind]:
        return iter(self.kinds)

    def __contains__(self, name: object) -> bool:
        return name in self._by["name"]

    def get(self, name: str) -> RecordKind:
        """The kind called ``name``; NotFoundError for a kind this node does not have."""
        found = self._by["name"].get(name)
        if found is None:
            raise NotFoundError(f"no record kind {name!r}", field="kind", value=name[:64])
        return found

    def by_collection(self, collection: str) -> RecordKind:
        """The kind served under ``/<collection>``; NotFoundError otherwise."""
        found = self._by["collection"].get(collection)
        if found is None:
            raise NotFoundError(f"no record kind {collection!r}", field="kind", value=collection)
        return found

    def by_stix_type(self, stix_type: str) -> RecordKind | None:
        """The federated kind sent as ``stix_type`` (None: not one of ours)."""
        return self._by["stix_type"].get(stix_type)

    @property
    def federated(self) -> tuple[RecordKind, ...]:
        """The kinds that travel between nodes, in registry order."""
        return tuple(k for k in self.kinds if k.wire is not None)

    @property
    def attachable(self) -> tuple[RecordKind, ...]:
        """The kinds files attach to, in registry order."""
        return tuple(k for k in self.kinds if k.attachable is not None)

    def attachable_kind(self, name: Any, field: str = "kind") -> RecordKind:
        """The attachable kind called ``name``; InputError naming the choices otherwise."""
        found = self._by["name"].get(name) if isinstance(name, str) else None
        if found is None or found.attachable is None:
            names = ", ".join(k.name for k in self.attachable)
            raise InputError(f"{field} must be one of {names}", field=field)
        return found
