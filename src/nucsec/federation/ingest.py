"""A third-party STIX 2.1 bundle (MISP, OpenCTI, ...) read into planned records (pure).

What becomes what:

- an ``incident`` becomes an incident: its name and description, the notes and opinions
  about it as narrative, its country from the ``location`` it is ``located-at`` (required:
  the register counts incidents by country), ``report_date`` its ``created`` date, type
  ``other``, ITDB group ``II`` (undetermined) — the officer edits them afterwards;
- a ``report`` or ``grouping`` (MISP's event) that collects no incident becomes a document:
  its name the title, the body its description and one line per object it refers to
  (indicators' patterns, observables' values, locations, identities, notes);
- a ``note`` or ``opinion`` about nothing imported becomes a document.

Supporting objects (``identity``, ``location``, ``relationship``, ``marking-definition``,
``extension-definition``, the objects a report refers to) are used, not stored. Our own
extension objects (``x-nucsec-*``) are skipped: the standard objects beside them are read.
Custom properties (``x_*``) and extensions are ignored (never stored).

Markings decide the widest label the officer may assign (:func:`label_within`); an object
with a marking we cannot interpret is refused (fail closed). Everything is refused per
object with a typed reason (:class:`Refusal`); a bundle that is not one (not JSON, too
big, too deep, too many objects) is refused whole (:class:`IngestError`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nucsec.errors import InputError
from nucsec.federation import stix
from nucsec.markings import rollup
from nucsec.markings.context import MarkingContext
from nucsec.markings.errors import LabelError
from nucsec.markings.label import Label

__all__ = [
    "LIMITS",
    "IngestError",
    "Limits",
    "Plan",
    "Planned",
    "Refusal",
    "Restriction",
    "label_within",
    "plan_bundle",
    "record_uuid",
]

#: namespace of the ids of imported records (uuid5 of the STIX id: re-import finds them)
NAMESPACE = uuid.UUID("0b7a4a53-0a4f-4a4e-9a3f-6e7563736563")
CONTAINERS = ("report", "grouping")
TEXTS = ("note", "opinion")
SUPPORT = ("identity", "location", "relationship", "marking-definition", "extension-definition")
#: TLP levels, least to most restrictive (TLP 1.0 white is TLP 2.0 clear)
TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")
_TLP1 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
_ACTIVE = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|svg|form|meta|link|style)\b|javascript:|vbscript:"
    r"|data:text/html|\bon[a-z]+\s*=\s*[\"']",
    re.IGNORECASE,
)
_REF_OK = re.compile(
    r"^[a-z0-9][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


class IngestError(InputError):
    """A STIX bundle refused whole: not JSON, not a bundle, beyond the limits."""

    code = "bad_stix_bundle"


@dataclass(frozen=True)
class Limits:
    """What a bundle may be: bytes, nesting depth, objects, characters of one text."""

    max_bytes: int = 20_000_000
    max_depth: int = 24
    max_objects: int = 10_000
    max_text: int = 200_000


LIMITS = Limits()


@dataclass(frozen=True)
class Refusal:
    """An object not imported: its id, type, a reason code and a sentence."""

    id: str
    type: str
    reason: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "type": self.type, "reason": self.reason, "message": self.message}


@dataclass(frozen=True)
class Restriction:
    """The most restrictive dissemination markings an object carries: a TLP level and/or
    nucsec labels (from our own export)."""

    tlp: str = "clear"
    labels: tuple[Label, ...] = ()
    names: tuple[str, ...] = ()  # every marking's name, for provenance


@dataclass(frozen=True)
class Planned:
    """A record to write: kind, STIX id and version, values, its restriction, provenance."""

    kind: str  # "incident" or "document"
    stix_id: str
    modified: str
    values: dict[str, Any]
    restriction: Restriction
    sources: tuple[str, ...]  # the STIX ids it was made of


@dataclass
class Plan:
    """A bundle read: what to write, what was refused, what only supported the rest."""

    bundle_id: str
    producer: str | None
    planned: list[Planned] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    supporting: int = 0


def record_uuid(stix_id: str, scope: str = "") -> str:
    """The id of the record imported from ``stix_id`` under ``scope`` (the assigned label's
    JSON): the same on every import of that object under that label.

    >>> a = record_uuid("report--0d6c4d67-0c3e-4b53-9b0b-3b5f0b0f8a11", "L")
    >>> a == record_uuid("report--0d6c4d67-0c3e-4b53-9b0b-3b5f0b0f8a11", "L")
    True
    >>> a == record_uuid("report--0d6c4d67-0c3e-4b53-9b0b-3b5f0b0f8a11", "M")
    False
    """
    return str(uuid.uuid5(NAMESPACE, f"{stix_id}\n{scope}"))


# -- the bundle as a whole ------------------------------------------------------------


def _depth_ok(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def _load(data: bytes | str, limits: Limits) -> dict[str, Any]:
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise IngestError(f"bundle larger than {limits.max_bytes} bytes", field="file")
    # a cheap bound before parsing: json's recursion would fail far deeper than we allow
    if raw.count(b"[") + raw.count(b"{") > 0 and _max_brackets(raw) > limits.max_depth * 4:
        raise IngestError(f"bundle nested deeper than {limits.max_depth} levels", field="file")
    try:
        bundle = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise IngestError(f"not JSON: {exc}", field="file") from None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        raise IngestError("not a STIX bundle (type must be bundle)", field="type")
    if not _depth_ok(bundle, limits.max_depth):
        raise IngestError(f"bundle nested deeper than {limits.max_depth} levels", field="file")
    objects = bundle.get("objects")
    if not isinstance(objects, list):
        raise IngestError("a bundle's objects must be a list", field="objects")
    if len(objects) > limits.max_objects:
        raise IngestError(f"more than {limits.max_objects} objects", field="objects")
    if not isinstance(bundle.get("id"), str) or not _REF_OK.match(bundle["id"]):
        raise IngestError("a bundle needs an id bundle--<uuid>", field="id")
    return bundle


def _max_brackets(raw: bytes) -> int:
    depth = best = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            best = max(best, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return best


# -- markings ---------------------------------------------------------------------------


def _tlp_of(marking: Mapping[str, Any]) -> str | None:
    if marking.get("id") in _TLP1:
        return _TLP1[str(marking["id"])]
    for tlp in stix.tlp_markings().values():
        if marking.get("id") == tlp["id"]:
            return str(tlp["extensions"][stix.TLP2_EXTENSION]["tlp_2_0"])
    kind = str(marking.get("definition_type", "")).lower()
    definition = marking.get("definition")
    if kind == "tlp" and isinstance(definition, Mapping):  # MISP, OpenCTI: {"tlp": "..."}
        value = next(iter(definition.values()), "")
        level = str(value).lower().removeprefix("tlp:").replace("white", "clear")
        return level if level in TLP_ORDER else None
    ext = marking.get("extensions")
    if isinstance(ext, Mapping) and isinstance(ext.get(stix.TLP2_EXTENSION), Mapping):
        level = str(ext[stix.TLP2_EXTENSION].get("tlp_2_0", "")).lower()
        return level if level in TLP_ORDER else None
    return None


@dataclass(frozen=True)
class _Marking:
    tlp: str | None = None
    label: Label | None = None
    name: str = ""


def _read_marking(marking: Mapping[str, Any], ctx: MarkingContext) -> _Marking:
    """A marking understood, or StixError/LabelError (the objects it marks are refused)."""
    tlp = _tlp_of(marking)
    if tlp is not None:
        return _Marking(tlp=tlp, name=f"TLP:{tlp.upper()}")
    exts = marking.get("extensions")
    if isinstance(exts, Mapping) and stix.EXT_LABEL in exts:
        label = stix.label_from_marking(marking, ctx)
        return _Marking(label=label, name=str(marking.get("name")))
    kind = str(marking.get("definition_type", "")).lower()
    definition = marking.get("definition")
    if kind == "statement" and isinstance(definition, Mapping):
        return _Marking(name=f"statement: {definition.get('statement')}"[:200])
    if kind == "pap" and isinstance(definition, Mapping):  # actions, not dissemination
        return _Marking(name=f"PAP: {next(iter(definition.values()), '')}"[:60])
    raise stix.StixError("a marking this node cannot interpret", field="object_marking_refs")


def label_within(label: Label, restriction: Restriction, nation: str, ctx: MarkingContext) -> str:
    """Why ``label`` is wider than ``restriction`` allows, or ``""`` if it is not.

    TLP:CLEAR — any label; TLP:GREEN — not public (a control or a classification);
    TLP:AMBER — and not releasable beyond the importing nation (NOFORN, or REL TO that
    nation only); TLP:AMBER+STRICT and TLP:RED — and ORCON (the originator decides any
    further release). A nucsec label (our own export) — at least as restrictive as it
    (its roll-up with the label is the label).
    """
    rank = TLP_ORDER.index(restriction.tlp)
    if rank >= 1 and label.is_public_unclassified:
        return f"TLP:{restriction.tlp.upper()} material is not public"
    if rank >= 2 and not (
        label.noforn or (label.rel_to_nations and label.rel_to_nations <= {nation})
    ):
        return (
            f"TLP:{restriction.tlp.upper()} material stays in {nation} (NOFORN or REL TO {nation})"
        )
    if rank >= 3 and not label.orcon:
        return f"TLP:{restriction.tlp.upper()} material needs ORCON"
    for source in restriction.labels:
        joint = rollup([label, source], ctx)
        if _dissemination(joint) != _dissemination(label):
            return "wider than the bundle's own label"
    return ""


def _dissemination(label: Label) -> tuple[Any, ...]:
    return (label.level, label.rel_to, label.noforn, label.orcon, label.compartments)


# -- objects -----------------------------------------------------------------------------


#: custom properties read (MISP's attributes carry their value in them); others ignored
_READ_CUSTOM = ("x_misp_type", "x_misp_value", "x_misp_comment")


def _texts(obj: Mapping[str, Any]) -> Iterator[str]:
    for key, value in obj.items():
        if (key.startswith("x_") and key not in _READ_CUSTOM) or key == "extensions":
            continue
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


class _Reader:
    def __init__(self, bundle: Mapping[str, Any], ctx: MarkingContext, limits: Limits) -> None:
        self.ctx = ctx
        self.limits = limits
        self.by_id: dict[str, dict[str, Any]] = {}
        self.refused: dict[str, Refusal] = {}
        self.markings: dict[str, _Marking] = {}
        self.links: dict[str, list[tuple[str, str]]] = {}  # source -> (type, target)
        for obj in bundle["objects"]:
            self._index(obj)
        for mid, obj in self.by_id.items():
            if obj["type"] == "marking-definition" and mid not in self.refused:
                try:
                    self.markings[mid] = _read_marking(obj, ctx)
                except (InputError, LabelError) as exc:
                    self.refuse(obj, "marking_unknown", exc.message)
                except (TypeError, ValueError, KeyError, AttributeError):
                    self.refuse(obj, "marking_unknown", "a marking this node cannot interpret")
        for rel in [o for o in self.by_id.values() if o["type"] == "relationship"]:
            src, dst = rel.get("source_ref"), rel.get("target_ref")
            if not (isinstance(src, str) and isinstance(dst, str)):
                self.refuse(rel, "malformed", "a relationship needs source_ref and target_ref")
                continue
            self.links.setdefault(src, []).append((str(rel.get("relationship_type")), dst))

    def _index(self, obj: Any) -> None:
        if not isinstance(obj, Mapping):
            self.refused[f"#{len(self.refused)}"] = Refusal("", "", "malformed", "not an object")
            return
        oid, otype = obj.get("id"), obj.get("type")
        if not isinstance(oid, str) or not isinstance(otype, str) or not _REF_OK.match(oid):
            rid = str(oid)[:100]
            self.refused[rid] = Refusal(rid, str(otype)[:60], "malformed", "no valid type/id")
            return
        if oid.partition("--")[0] != otype:
            self.refuse(obj, "malformed", "the id does not start with the type")
            return
        if oid in self.by_id:
            old = self.by_id[oid]
            if str(obj.get("modified", "")) <= str(old.get("modified", "")):
                return  # an older version of the same object: the newest one counts
        self.by_id[oid] = dict(obj)

    def refuse(self, obj: Mapping[str, Any], reason: str, message: str) -> None:
        oid = str(obj.get("id"))
        self.refused.setdefault(oid, Refusal(oid, str(obj.get("type")), reason, message))

    def check(self, obj: Mapping[str, Any]) -> Restriction | None:
        """The object's restriction, or None (refused, reason recorded)."""
        for text in _texts(obj):
            if len(text) > self.limits.max_text:
                self.refuse(obj, "too_large", f"a text longer than {self.limits.max_text}")
                return None
            if _ACTIVE.search(text):
                self.refuse(obj, "active_content", "script or active HTML in a text")
                return None
        refs = obj.get("object_marking_refs", [])
        granular = obj.get("granular_markings", [])
        if not isinstance(refs, list) or not isinstance(granular, list):
            self.refuse(obj, "malformed", "markings must be lists")
            return None
        refs = refs + [g.get("marking_ref") for g in granular if isinstance(g, Mapping)]
        tlp, labels, names = "clear", [], []
        for ref in refs:
            if not isinstance(ref, str):
                self.refuse(obj, "malformed", "a marking reference must be an id")
                return None
            if ref in self.refused:
                self.refuse(obj, "marking_unknown", f"marked by a refused marking {ref}")
                return None
            marking = self.markings.get(ref)
            if marking is None:
                self.refuse(obj, "broken_reference", f"marking {ref} is not in the bundle")
                return None
            if marking.tlp and TLP_ORDER.index(marking.tlp) > TLP_ORDER.index(tlp):
                tlp = marking.tlp
            if marking.label is not None:
                labels.append(marking.label)
            names.append(marking.name)
        return Restriction(tlp=tlp, labels=tuple(labels), names=tuple(sorted(set(names))))

    def ref(self, obj: Mapping[str, Any], target: Any) -> dict[str, Any] | None:
        found = self.by_id.get(target) if isinstance(target, str) else None
        if found is None:
            self.refuse(obj, "broken_reference", f"refers to {target!r}, not in the bundle")
        return found


def _join(a: Restriction, b: Restriction) -> Restriction:
    tlp = a.tlp if TLP_ORDER.index(a.tlp) >= TLP_ORDER.index(b.tlp) else b.tlp
    return Restriction(tlp, a.labels + b.labels, tuple(sorted({*a.names, *b.names})))


def _line(obj: Mapping[str, Any]) -> str:
    kind = obj["type"]
    if isinstance(obj.get("x_misp_value"), str):  # a MISP attribute STIX has no type for
        comment = f" ({obj['x_misp_comment']})" if obj.get("x_misp_comment") else ""
        return f"{obj.get('x_misp_type', kind)}: {obj['x_misp_value']}{comment}"
    for key in ("pattern", "value", "name", "content", "opinion", "country", "description"):
        if isinstance(obj.get(key), str) and obj[key]:
            return f"{kind}: {obj[key]}"
    return f"{kind}: {obj['id']}"


def plan_bundle(data: bytes | str, ctx: MarkingContext, limits: Limits = LIMITS) -> Plan:
    """Read a bundle into the records it becomes (IngestError if it is not a bundle)."""
    bundle = _load(data, limits)
    reader = _Reader(bundle, ctx, limits)
    plan = Plan(bundle_id=bundle["id"], producer=_producer(reader))
    used: set[str] = set()
    for obj in reader.by_id.values():
        if obj["type"] == "incident":
            _plan_incident(reader, plan, obj, used)
    for obj in reader.by_id.values():
        if obj["type"] in CONTAINERS:
            _plan_container(reader, plan, obj, used)
    for obj in reader.by_id.values():
        if obj["type"] in TEXTS and obj["id"] not in used:
            _plan_text(reader, plan, obj, used)
    used |= _referenced(reader, used)
    for oid, obj in reader.by_id.items():
        if oid in used or oid in reader.refused:
            continue
        if obj["type"] in SUPPORT or obj["type"].startswith("x-nucsec-"):
            plan.supporting += 1
        else:
            reader.refuse(obj, "unsupported_type", f"{obj['type']} objects are not imported alone")
    plan.refused = list(reader.refused.values())
    return plan


def _referenced(reader: _Reader, used: set[str]) -> set[str]:
    """Everything the used objects refer to, transitively (observables of observed data,
    the objects of a note): supporting, not refused."""
    seen: set[str] = set()
    todo = list(used)
    while todo:
        obj = reader.by_id.get(todo.pop())
        if obj is None:
            continue
        for key, value in obj.items():
            refs = value if isinstance(value, list) else [value]
            if key.endswith(("_ref", "_refs")):
                for ref in refs:
                    if isinstance(ref, str) and ref not in seen and ref not in used:
                        seen.add(ref)
                        todo.append(ref)
    return seen


def _producer(reader: _Reader) -> str | None:
    creators = {o.get("created_by_ref") for o in reader.by_id.values()} - {None}
    names = sorted(
        str(reader.by_id[c].get("name"))
        for c in creators
        if isinstance(c, str) and c in reader.by_id and c != stix.PROJECT_IDENTITY
    )
    return ", ".join(names)[:500] or None


def _about(reader: _Reader, target: str, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        o
        for o in reader.by_id.values()
        if o["type"] in kinds
        and isinstance(o.get("object_refs"), list)
        and target in o["object_refs"]
    ]


def _plan_incident(reader: _Reader, plan: Plan, obj: dict[str, Any], used: set[str]) -> None:
    restriction = reader.check(obj)
    if restriction is None or not _str(reader, obj, "name"):
        return
    places = [
        reader.ref(obj, dst)
        for kind, dst in reader.links.get(obj["id"], [])
        if kind == "located-at"
    ]
    if None in places:
        return
    countries = [p for p in places if p is not None and isinstance(p.get("country"), str)]
    if not countries:
        reader.refuse(obj, "no_country", "an incident needs a located-at location with a country")
        return
    place = countries[0]
    place_restriction = reader.check(place)
    if place_restriction is None:
        reader.refuse(obj, "broken_reference", f"its location {place['id']} was refused")
        return
    restriction = _join(restriction, place_restriction)
    narrative = [obj["description"]] if isinstance(obj.get("description"), str) else []
    sources = [obj["id"], place["id"]]
    for text in sorted(_about(reader, obj["id"], TEXTS), key=lambda o: str(o.get("created"))):
        more = reader.check(text)
        if more is None:
            continue
        restriction = _join(restriction, more)
        narrative.append(str(text.get("content") or text.get("explanation") or text.get("opinion")))
        sources.append(text["id"])
    reference = _reference(obj)
    values = {
        "facts": {
            "reference": reference,
            "report_date": str(obj.get("created", ""))[:10],
            "country": str(place["country"]).upper(),
            "incident_type": "other",
            "itdb_group": "II",
            "place": str(place.get("name") or "")[:500],
            "items": [],
        },
        "narrative": narrative,
        "title": str(obj["name"]),
    }
    used.update(sources)
    plan.planned.append(
        Planned(
            "incident", obj["id"], str(obj.get("modified", "")), values, restriction, tuple(sources)
        )
    )


def _reference(obj: Mapping[str, Any]) -> str:
    refs = obj.get("external_references")
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, Mapping) and re.fullmatch(
            r"[A-Za-z0-9._/-]{1,64}", str(ref.get("external_id"))
        ):
            return str(ref["external_id"])
    return "STIX-" + str(obj["id"]).partition("--")[2][:8].upper()


def _str(reader: _Reader, obj: Mapping[str, Any], key: str) -> bool:
    if not isinstance(obj.get(key), str) or not obj[key].strip():
        reader.refuse(obj, "malformed", f"{obj['type']} needs a {key}")
        return False
    return True


def _plan_container(reader: _Reader, plan: Plan, obj: dict[str, Any], used: set[str]) -> None:
    refs = obj.get("object_refs")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        reader.refuse(obj, "malformed", f"a {obj['type']} needs object_refs (ids)")
        return
    if any(r in used for r in refs):  # it collects an imported incident: provenance only
        used.add(obj["id"])
        return
    restriction = reader.check(obj)
    if restriction is None or not _str(reader, obj, "name"):
        return
    lines = [str(obj["description"])] if isinstance(obj.get("description"), str) else []
    sources = [obj["id"]]
    for ref in refs:
        target = reader.ref(obj, ref)
        if target is None:
            return
        if target["type"] in ("marking-definition", "extension-definition"):
            continue
        more = reader.check(target)
        if more is None:
            reader.refuse(obj, "broken_reference", f"refers to a refused object {ref}")
            return
        restriction = _join(restriction, more)
        lines.append(_line(target))
        sources.append(ref)
    used.update(sources)
    values = {"title": str(obj["name"])[:500], "body": "\n".join(lines)}
    plan.planned.append(
        Planned(
            "document", obj["id"], str(obj.get("modified", "")), values, restriction, tuple(sources)
        )
    )


def _plan_text(reader: _Reader, plan: Plan, obj: dict[str, Any], used: set[str]) -> None:
    restriction = reader.check(obj)
    if restriction is None:
        return
    body = str(obj.get("content") or obj.get("explanation") or obj.get("opinion") or "")
    if not body.strip():
        reader.refuse(obj, "malformed", f"a {obj['type']} needs content")
        return
    title = str(obj.get("abstract") or f"{obj['type']} {obj['id'].partition('--')[2][:8]}")[:500]
    used.add(obj["id"])
    plan.planned.append(
        Planned(
            "document",
            obj["id"],
            str(obj.get("modified", "")),
            {"title": title, "body": body},
            restriction,
            (obj["id"],),
        )
    )
