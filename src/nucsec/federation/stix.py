"""Labelled records and labels as STIX 2.1 objects, and back (pure).

Wire format (see ``docs/federation.md``):

- each federated record kind is a new STIX Domain Object defined by an
  ``extension-definition`` (``x-nucsec-document``, ``x-nucsec-incident``,
  ``x-nucsec-analysis``): the kind's :class:`~nucsec.service.kinds.Wire` data, declared
  with the kind in its service module, says its type, extension and portions (a new kind
  declares its own; nothing here changes). A document's portions are
  top-level string properties (wire format 1.0, unchanged); incidents and analyses, whose
  portion names are dynamic (``narrative.N``, ``attachment.N``) and whose values may be
  JSON objects, carry one ``portions`` list of ``{name, value}`` entries, entry ``i``
  marked by the granular marking selecting ``portions.[i]`` (:mod:`.portions`);
- each label is a ``marking-definition`` whose ``name`` is the CAPCO banner and whose
  property extension (:data:`EXT_LABEL`) carries the full label (authority, level, REL TO,
  NOFORN, ORCON, compartments, originator, legal basis, review date). Its id is derived
  from the label, so equal labels are one marking;
- the record's banner label is its ``object_marking_refs``; each portion's label is a
  granular marking selecting that property; TLP 2.0 markings are added only for material
  whose common rank is 0 (unclassified): TLP:CLEAR when it has no control, else TLP:AMBER;
- a recall is a new version with ``revoked: true`` and no content.

Ids of objects derived from content (markings, identities) are UUIDv4-shaped digests:
deterministic, and accepted by validators that expect version-4 UUIDs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from nucsec.errors import InputError
from nucsec.federation.portions import PortionError, describe, list_portions, parse_list
from nucsec.markings.banner import render_banner
from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.label import Label

if TYPE_CHECKING:
    from nucsec.service.kinds import KindRegistry, RecordKind, Wire

__all__ = [
    "EXT_LABEL",
    "PROJECT_IDENTITY",
    "TLP2_EXTENSION",
    "RecordPayload",
    "StixError",
    "bundle",
    "definitions",
    "derived_id",
    "known_extensions",
    "label_from_marking",
    "label_marking",
    "node_identity",
    "parse_record",
    "record_object",
    "register_stix2",
    "revocation_object",
    "timestamp",
    "tlp_level",
    "tlp_markings",
]

#: the identity that defines nucsec's extensions (the same on every node)
PROJECT_IDENTITY = "identity--8d954f37-b7c6-44cb-9293-7338fd92c294"
#: the property extension carrying a full nucsec label on a marking-definition
EXT_LABEL = "extension-definition--00fec89b-4281-4d15-807f-81d413227cc5"
#: OASIS TLP 2.0 property extension (marking-definitions of the TLP 2.0 levels)
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#: fixed creation time of definitions (markings, identities, extensions): immutable objects
EPOCH = "2010-11-01T00:00:00.000Z"
LABEL_EXT_VERSION = "1.0.0"


class StixError(InputError):
    """A STIX object that is malformed or uses something this node does not know."""

    code = "bad_stix"


_COMMON = (
    "type",
    "spec_version",
    "id",
    "created_by_ref",
    "created",
    "modified",
    "record_version",
    "object_marking_refs",
    "granular_markings",
    "extensions",
    "revoked",
    "orcon_approved_for",
)


def timestamp(when: dt.datetime) -> str:
    """STIX timestamp with microseconds, UTC: ``2024-05-01T12:00:00.000000Z``.

    A naive datetime is taken as UTC (SQLite returns stored UTC times without zone).

    >>> tokyo = dt.timezone(dt.timedelta(hours=9))
    >>> timestamp(dt.datetime(2024, 5, 1, 21, 0, tzinfo=tokyo))
    '2024-05-01T12:00:00.000000Z'
    """
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def derived_id(stix_type: str, text: str) -> str:
    """A deterministic STIX id (UUIDv4-shaped digest of ``text``).

    >>> derived_id("identity", "nucsec-node\\nnucsec.usa/golden")
    'identity--bde3d624-1d6a-4cb6-908d-a233a7c67b4c'
    """
    raw = bytearray(hashlib.sha256(text.encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return f"{stix_type}--{uuid.UUID(bytes=bytes(raw))}"


# -- definitions ------------------------------------------------------------------------


def node_identity(nation: str, origin: str) -> dict[str, Any]:
    """The identity object of a node (``created_by_ref`` of what it releases)."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": derived_id("identity", f"nucsec-node\n{origin}"),
        "created_by_ref": PROJECT_IDENTITY,
        "created": EPOCH,
        "modified": EPOCH,
        "name": f"nucsec node of {nation} ({origin})",
        "identity_class": "organization",
    }


def _project_identity() -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": PROJECT_IDENTITY,
        "created": EPOCH,
        "modified": EPOCH,
        "name": "nucsec - platform of the Japan-US Nuclear Security Working Group",
        "identity_class": "organization",
    }


_LABEL_SCHEMA = (
    "Property extension of marking-definition carrying a nucsec protective label: "
    "authority (ISO 3166 alpha-3), level (a level name of the authority's scheme), "
    "rel_to (nations or NATION.AGENCY), noforn, orcon (booleans), compartments, "
    "originator (NATION.AGENCY), legal_basis (AGREEMENT/vN), review_date (ISO date). "
    "Absent lists are empty; absent strings are null. The marking's name is the banner."
)


def _extension_definition(
    ext_id: str, name: str, description: str, schema: str, types: list[str]
) -> dict[str, Any]:
    import stix2

    obj = stix2.v21.ExtensionDefinition(
        id=ext_id,
        created_by_ref=PROJECT_IDENTITY,
        created=EPOCH,
        modified=EPOCH,
        name=name,
        description=description,
        schema=schema,
        version=LABEL_EXT_VERSION,
        extension_types=types,
    )
    result: dict[str, Any] = json.loads(obj.serialize())
    return result


def _record_schema(wire: Wire) -> str:
    if wire.layout == "properties":  # wire format 1.0 of documents: this text is immutable
        fields = ", ".join(wire.fields)
        return (
            f"New SDO {wire.stix_type}: string properties {fields} (each with a granular "
            "marking naming its portion label), record_version (integer, the originator's "
            "version), optional orcon_approved_for (nations the originator approved for an "
            "ORCON record). object_marking_refs names the banner label's marking. A revoked "
            "version carries no content."
        )
    return (
        f"New SDO {wire.stix_type}: portions (list of {{name, value}} objects sorted by name, "
        "numbered names by their stem and then by number; value a string or a JSON object as "
        "the names below say), entry i marked by exactly one granular marking whose selectors are "
        '["portions.[i]"] and whose marking_ref names the portion label. Portion names: '
        f"{describe(wire.portions)}; N is a decimal integer without leading zeros. "
        "record_version (integer, the originator's version), optional orcon_approved_for "
        "(nations the originator approved for an ORCON record). object_marking_refs names the "
        "banner label's marking, the roll-up of the portion labels. A revoked version "
        "carries no content."
    )


@lru_cache(maxsize=4)
def _definitions(kinds: KindRegistry) -> tuple[dict[str, Any], ...]:
    out = [
        _project_identity(),
        _extension_definition(
            EXT_LABEL,
            "nucsec protective label",
            "The full protective label of nucsec carried by a marking-definition.",
            _LABEL_SCHEMA,
            ["property-extension"],
        ),
    ]
    for kind in kinds.federated:
        wire = _wire(kind)
        out.append(
            _extension_definition(
                wire.extension_id,
                f"nucsec {kind.name}",
                wire.description,
                _record_schema(wire),
                ["new-sdo"],
            )
        )
    return tuple(out)


def definitions(kinds: KindRegistry) -> list[dict[str, Any]]:
    """The project identity and the extension definitions of the federated ``kinds``
    (the same on every node with the same kinds)."""
    return [dict(d) for d in _definitions(kinds)]


def known_extensions(kinds: KindRegistry) -> frozenset[str]:
    """Every extension a receiver accepts; anything else is refused (fail closed)."""
    return frozenset({EXT_LABEL, TLP2_EXTENSION, *(_wire(k).extension_id for k in kinds.federated)})


def _wire(kind: RecordKind) -> Wire:
    if kind.wire is None:
        raise StixError(f"{kind.name} records do not leave the node", field="type")
    return kind.wire


@lru_cache(maxsize=1)
def tlp_markings() -> dict[str, dict[str, Any]]:
    """TLP 2.0 marking-definitions by level (``clear``, ``green``, ``amber``, ...)."""
    path = resources.files("nucsec") / "data" / "federation" / "tlp2_marking_definitions.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {obj["extensions"][TLP2_EXTENSION]["tlp_2_0"]: obj for obj in data}


# -- labels as marking definitions ------------------------------------------------------


def _label_properties(label: Label) -> dict[str, Any]:
    data = label.to_dict()
    return {k: v for k, v in data.items() if v is not None and v != []}


def label_marking(label: Label, ctx: MarkingContext, created_by: str) -> dict[str, Any]:
    """The marking-definition of a (stored, validated) label."""
    props = _label_properties(label)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": derived_id("marking-definition", "nucsec-label\n" + label.to_json()),
        "created_by_ref": created_by,
        "created": EPOCH,
        "name": render_banner(label, ctx),
        "extensions": {EXT_LABEL: {"extension_type": "property-extension", **props}},
    }


def label_from_marking(obj: Mapping[str, Any], ctx: MarkingContext) -> Label:
    """The label a marking-definition carries, validated; StixError/LabelError if not.

    Fail closed: a marking without exactly our label extension, a label this node cannot
    interpret, or a ``name`` that is not the label's banner is refused.
    """
    exts = obj.get("extensions")
    if not isinstance(exts, Mapping) or set(exts) != {EXT_LABEL}:
        raise StixError("marking-definition does not carry a nucsec label", field="extensions")
    props = dict(exts[EXT_LABEL])
    if props.pop("extension_type", None) != "property-extension":
        raise StixError("label extension must be a property-extension", field="extension_type")
    label = Label.from_dict(props).validate(ctx, stored=True)
    if label.legal_basis is None:
        raise LabelError("a released label names its legal basis", field="legal_basis")
    if obj.get("id") != derived_id("marking-definition", "nucsec-label\n" + label.to_json()):
        raise StixError("marking-definition id does not match its label", field="id")
    if obj.get("name") != render_banner(label, ctx):
        raise StixError("marking-definition name is not the label's banner", field="name")
    return label


def tlp_level(label: Label, ctx: MarkingContext) -> str | None:
    """TLP 2.0 level shown beside a label: only for unclassified (rank 0) material."""
    if label.rank(ctx) != 0:
        return None
    return "clear" if label.is_public_unclassified else "amber"


# -- records ----------------------------------------------------------------------------


def record_object(
    kind: RecordKind,
    *,
    record_id: str,
    created: str,
    modified: str,
    version: int,
    portions: Mapping[str, tuple[Any, str]],
    banner_marking: str,
    tlp_marking: str | None,
    created_by: str,
    orcon_approved_for: Iterable[str] = (),
) -> dict[str, Any]:
    """One version of a record as its SDO. ``portions``: name -> (value, marking id), the
    portions the kind carries (:meth:`~nucsec.service.kinds.Wire.carries`)."""
    rt = _wire(kind)
    obj: dict[str, Any] = {
        "type": rt.stix_type,
        "spec_version": "2.1",
        "id": f"{rt.stix_type}--{record_id}",
        "created_by_ref": created_by,
        "created": created,
        "modified": modified,
        "record_version": version,
        "object_marking_refs": [banner_marking, *([tlp_marking] if tlp_marking else [])],
    }
    if rt.layout == "properties":
        if set(portions) != set(rt.fields):
            raise StixError(f"{kind.name} needs exactly the portions {', '.join(rt.fields)}")
        obj["granular_markings"] = [
            {"marking_ref": portions[f][1], "selectors": [f]} for f in rt.fields
        ]
        obj["extensions"] = {rt.extension_id: {"extension_type": "new-sdo"}}
        for f in rt.fields:
            if not isinstance(portions[f][0], str):
                raise StixError(f"portion `{f}` must be a string", field=f)
            obj[f] = portions[f][0]
    else:
        try:
            entries, granular = list_portions(rt.portions, portions)
        except PortionError as exc:
            raise StixError(exc.message, field=exc.field, value=exc.value) from None
        obj["granular_markings"] = granular
        obj["extensions"] = {rt.extension_id: {"extension_type": "new-sdo"}}
        obj["portions"] = entries
    approved = sorted(set(orcon_approved_for))
    if approved:
        obj["orcon_approved_for"] = approved
    return obj


def revocation_object(
    kind: RecordKind,
    *,
    record_id: str,
    created: str,
    modified: str,
    version: int,
    banner_marking: str,
    created_by: str,
) -> dict[str, Any]:
    """A recall (or withdrawal) of a record: a new version, ``revoked``, no content."""
    rt = _wire(kind)
    return {
        "type": rt.stix_type,
        "spec_version": "2.1",
        "id": f"{rt.stix_type}--{record_id}",
        "created_by_ref": created_by,
        "created": created,
        "modified": modified,
        "record_version": version,
        "revoked": True,
        "object_marking_refs": [banner_marking],
        "extensions": {rt.extension_id: {"extension_type": "new-sdo"}},
    }


@dataclass(frozen=True)
class RecordPayload:
    """A record SDO checked for shape (its markings are resolved by the importer)."""

    kind: RecordKind
    stix_type: str
    record_id: str
    created: str
    modified: str
    version: int
    revoked: bool
    banner_marking: str
    other_markings: tuple[str, ...]
    portions: dict[str, tuple[Any, str]]  # name -> (value, marking id); empty if revoked
    orcon_approved_for: frozenset[str]


def _req_str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise StixError(f"`{name}` must be a non-empty string", field=name)
    return value


def _record_id(obj: Mapping[str, Any], rt: Wire) -> str:
    prefix, _, rest = _req_str(obj, "id").partition("--")
    try:
        parsed = uuid.UUID(rest)
    except ValueError:
        parsed = None
    if prefix != rt.stix_type or parsed is None or str(parsed) != rest:
        raise StixError("object id is not <type>--<uuid>", field="id")
    return rest


def _check_extensions(obj: Mapping[str, Any], rt: Wire) -> None:
    exts = obj.get("extensions")
    if not isinstance(exts, Mapping) or rt.extension_id not in exts:
        raise StixError(f"{rt.stix_type} lacks its extension definition", field="extensions")
    unknown = sorted(set(exts) - {rt.extension_id})
    if unknown:
        raise StixError(f"unknown extension {unknown[0]}", field="extensions", value=unknown[0])
    if exts[rt.extension_id] != {"extension_type": "new-sdo"}:
        raise StixError("record extension must be a new-sdo extension", field="extensions")


def parse_record(obj: Mapping[str, Any], kinds: KindRegistry) -> RecordPayload:
    """Check a received record SDO's shape against the federated ``kinds``; StixError
    naming the first problem."""
    kind = kinds.by_stix_type(str(obj.get("type")))
    if kind is None or kind.wire is None:
        raise StixError(f"unknown object type {obj.get('type')!r}", field="type")
    rt = kind.wire
    if obj.get("spec_version") != "2.1":
        raise StixError("spec_version must be 2.1", field="spec_version")
    content = rt.fields if rt.layout == "properties" else ("portions",)
    unknown = sorted(set(obj) - set(_COMMON) - set(content))
    if unknown:
        raise StixError(f"unknown property {unknown[0]!r}", field=unknown[0])
    _check_extensions(obj, rt)
    record_id = _record_id(obj, rt)
    version = obj.get("record_version")
    if type(version) is not int or version < 1:
        raise StixError("record_version must be a positive integer", field="record_version")
    revoked = obj.get("revoked", False)
    if not isinstance(revoked, bool):
        raise StixError("revoked must be a boolean", field="revoked")
    refs = obj.get("object_marking_refs")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        raise StixError("object_marking_refs must name the banner marking", field="markings")
    approved = obj.get("orcon_approved_for", [])
    if not isinstance(approved, list) or not all(isinstance(n, str) for n in approved):
        raise StixError("orcon_approved_for must be a list of nations", field="orcon")
    portions = {} if revoked else _portions(obj, rt)  # a revocation's content is ignored
    return RecordPayload(
        kind=kind,
        stix_type=rt.stix_type,
        record_id=record_id,
        created=_req_str(obj, "created"),
        modified=_req_str(obj, "modified"),
        version=version,
        revoked=revoked,
        banner_marking=refs[0],
        other_markings=tuple(refs[1:]),
        portions=portions,
        orcon_approved_for=frozenset(approved),
    )


def _portions(obj: Mapping[str, Any], rt: Wire) -> dict[str, tuple[Any, str]]:
    if rt.layout == "list":
        try:
            return parse_list(rt.portions, obj.get("portions"), obj.get("granular_markings"))
        except PortionError as exc:
            raise StixError(exc.message, field=exc.field, value=exc.value) from None
    granular = obj.get("granular_markings")
    if not isinstance(granular, list):
        raise StixError("every portion needs a granular marking", field="granular_markings")
    by_field: dict[str, str] = {}
    for entry in granular:
        if not isinstance(entry, Mapping) or set(entry) != {"marking_ref", "selectors"}:
            raise StixError("malformed granular marking", field="granular_markings")
        selectors, ref = entry["selectors"], entry["marking_ref"]
        if not isinstance(ref, str) or not isinstance(selectors, list) or len(selectors) != 1:
            raise StixError("a granular marking selects one portion", field="granular_markings")
        field = selectors[0]
        if field not in rt.fields or field in by_field:
            raise StixError(f"granular marking selects {field!r}", field="granular_markings")
        by_field[field] = ref
    out: dict[str, tuple[Any, str]] = {}
    for field in rt.fields:
        value = obj.get(field)
        if not isinstance(value, str):
            raise StixError(f"portion `{field}` must be a string", field=field)
        if field not in by_field:
            raise StixError(f"portion `{field}` has no marking", field=field)
        out[field] = (value, by_field[field])
    return out


def bundle(bundle_id: str, objects: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A STIX bundle of ``objects``."""
    return {"type": "bundle", "id": bundle_id, "objects": list(objects)}


@lru_cache(maxsize=1)
def register_stix2(kinds: KindRegistry) -> dict[str, Any]:
    """Register the federated kinds' SDOs and the label extension with the ``stix2``
    library (once per process: the library's registry is global).

    After this, ``stix2.parse(obj, allow_custom=False)`` accepts every object a node
    releases and serialises it back to the same JSON (the test-suite holds the hand-written
    fast path equal to the library). Returns the registered classes by STIX type/id.
    """
    import stix2
    from stix2.properties import (
        BooleanProperty,
        IntegerProperty,
        ListProperty,
        Property,
        StringProperty,
    )

    class PortionProperty(Property):
        """One ``{name, value}`` entry of a ``portions`` list (value: any JSON)."""

        def clean(
            self, value: Any, allow_custom: bool = False, interoperability: bool = False
        ) -> tuple[dict[str, Any], bool]:
            if not isinstance(value, Mapping) or set(value) != {"name", "value"}:
                raise ValueError("a portion is an object {name, value}")
            if not isinstance(value["name"], str):
                raise ValueError("a portion's name is a string")
            return dict(value), False

    classes: dict[str, Any] = {}
    for rt in (_wire(k) for k in kinds.federated):
        common = [
            ("record_version", IntegerProperty(required=True)),
            ("orcon_approved_for", ListProperty(StringProperty)),
        ]
        if rt.layout == "properties":
            props = [(f, StringProperty()) for f in rt.fields] + common
        else:
            props = [("portions", ListProperty(PortionProperty)), *common]

        @stix2.v21.CustomObject(rt.stix_type, props, extension_name=rt.extension_id)
        class _Record:
            pass

        classes[rt.stix_type] = _Record

    @stix2.v21.CustomExtension(
        EXT_LABEL,
        [
            ("authority", StringProperty(required=True)),
            ("level", StringProperty(required=True)),
            ("rel_to", ListProperty(StringProperty)),
            ("noforn", BooleanProperty()),
            ("orcon", BooleanProperty()),
            ("compartments", ListProperty(StringProperty)),
            ("originator", StringProperty()),
            ("legal_basis", StringProperty()),
            ("review_date", StringProperty()),
        ],
    )
    class _LabelExtension:
        extension_type = "property-extension"

    classes[EXT_LABEL] = _LabelExtension
    return classes
