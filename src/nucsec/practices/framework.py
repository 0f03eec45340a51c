"""Frameworks as data: a tree of coded nodes, answer scales, versioned weight sets, mappings.

A :class:`Framework` is valid on creation: every check raises a
:class:`~nucsec.practices.errors.FrameworkError` (or :class:`WeightSetError`) whose
``field`` names the culprit (``nodes[12].parent``, ``weight_sets["1"].weights["2.1"]``).

- Nodes are listed parents first; each is a ``category``, ``indicator``, ``subindicator``,
  ``requirement`` or ``question``; a child's kind comes later in that list than its
  parent's; only questions are answered, each on the :class:`Scale` it names.
- A :class:`WeightSet` gives sibling weights in percent. For each parent it mentions, all
  children are listed and their weights sum to exactly 100 (decimal arithmetic); a parent
  it does not mention weighs its children equally. Weight sets are never edited: a new one
  gets a new version, so an old score is recomputed exactly with the version it names
  (:attr:`WeightSet.fingerprint` detects a set changed under the same version).
- A node's ``status`` is ``confirmed``, ``unverified`` (from a source row not yet
  confirmed: shown as such, see :attr:`FrameworkNode.display_title`) or ``ours`` (our own
  wording, e.g. a question).

>>> scale = Scale("yn", "Yes/no", (ScaleOption("yes", "Yes", 100.0, True),
...                                 ScaleOption("no", "No", 0.0, False)))
>>> fw = Framework("demo", "1", "Demo", (
...     FrameworkNode("A", "category", "A"),
...     FrameworkNode("A.q", "question", "In place?", parent="A", scale="yn")),
...     scales={"yn": scale}, weight_sets={"1": WeightSet("1", {})})
>>> [n.code for n in fw.children(None)], fw.node("A.q").scale
(['A'], 'yn')
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from nucsec.practices.applicability import ANY, Applicability
from nucsec.practices.errors import FrameworkError, WeightSetError

__all__ = [
    "NODE_KINDS",
    "RELATIONS",
    "STATUSES",
    "Framework",
    "FrameworkMapping",
    "FrameworkNode",
    "NodeRef",
    "Scale",
    "ScaleOption",
    "WeightSet",
    "decimal_fraction",
]

NODE_KINDS = ("category", "indicator", "subindicator", "requirement", "question")
RELATIONS = ("equal", "subset", "superset", "intersect")
STATUSES = ("confirmed", "unverified", "ours")
HUNDRED = Fraction(100)


def decimal_fraction(value: object, where: str) -> Fraction:
    """A finite number >= 0 as an exact fraction of its shortest decimal form."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WeightSetError(f"weight must be a number, got {value!r}", field=where)
    if not math.isfinite(value) or value < 0:
        raise WeightSetError(f"weight must be finite and >= 0, got {value}", field=where)
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


@dataclass(frozen=True)
class ScaleOption:
    """One answer: code, label, maturity score 0-100 and whether it is compliant."""

    code: str
    label: str
    score: float
    compliant: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "score": self.score,
            "compliant": self.compliant,
        }


@dataclass(frozen=True)
class Scale:
    """An answer scale: ordered options, each with a maturity score and a compliance flag."""

    id: str
    title: str
    options: tuple[ScaleOption, ...]

    def option(self, code: str) -> ScaleOption | None:
        """The option with this code, or ``None``."""
        return next((o for o in self.options if o.code == code), None)

    def codes(self) -> list[str]:
        return [o.code for o in self.options]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "options": [o.to_dict() for o in self.options]}


@dataclass(frozen=True)
class FrameworkNode:
    """A node of the tree. ``source`` cites where its wording comes from (never its text)."""

    code: str
    kind: str
    title: str
    parent: str | None = None
    applicability: Applicability = ANY
    scale: str | None = None
    status: str = "ours"
    source: str = ""
    note: str = ""

    @property
    def verified(self) -> bool:
        """False for a node resting on an ``unverified`` source row."""
        return self.status != "unverified"

    @property
    def display_title(self) -> str:
        """The title as shown to people: unverified nodes say so."""
        return self.title if self.verified else f"{self.title} [unverified]"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "kind": self.kind, "title": self.title}
        if self.parent is not None:
            out["parent"] = self.parent
        if self.applicability.tags:
            out["applicability"] = self.applicability.to_list()
        if self.scale is not None:
            out["scale"] = self.scale
        out["status"] = self.status
        for key in ("source", "note"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class WeightSet:
    """Sibling weights in percent by node code; see the module docstring for the rules."""

    version: str
    weights: Mapping[str, float]
    note: str = ""

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the weights as exact fractions: equal iff the weights are equal."""
        canon = {c: str(decimal_fraction(w, c)) for c, w in sorted(self.weights.items())}
        return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "note": self.note, "weights": dict(self.weights)}


@dataclass(frozen=True)
class NodeRef:
    """A node of a named framework: ``framework:code``."""

    framework: str
    code: str

    @classmethod
    def parse(cls, text: object, *, where: str, default_framework: str) -> NodeRef:
        """``"nti-index:2.1"`` or a bare code (in ``default_framework``)."""
        if not isinstance(text, str) or not text.strip():
            raise FrameworkError(f"node reference must be text, got {text!r}", field=where)
        fw, sep, code = text.strip().partition(":")
        return cls(fw, code) if sep else cls(default_framework, fw)

    def __str__(self) -> str:
        return f"{self.framework}:{self.code}"


@dataclass(frozen=True)
class FrameworkMapping:
    """A crosswalk line: ``source`` (a node here) is ``relation`` to ``target``."""

    source: NodeRef
    target: NodeRef
    relation: str
    rationale: str = ""
    status: str = "ours"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "target": str(self.target),
            "relation": self.relation,
            "rationale": self.rationale,
            "status": self.status,
        }


@dataclass(frozen=True, eq=False)
class Framework:
    """A validated framework (see the module docstring)."""

    id: str
    version: str
    title: str
    nodes: tuple[FrameworkNode, ...]
    scales: Mapping[str, Scale] = field(default_factory=dict)
    weight_sets: Mapping[str, WeightSet] = field(default_factory=dict)
    default_weight_set: str = ""
    mappings: tuple[FrameworkMapping, ...] = ()
    provenance: str = ""
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _children: dict[str | None, list[int]] = field(default_factory=dict, repr=False)
    _plans: dict[str, Any] = field(default_factory=dict, repr=False)  # scoring cache

    def __post_init__(self) -> None:
        _check_text(self.id, "framework.id")
        _check_text(self.version, "framework.version")
        self._index.update(_index_nodes(self.nodes))
        for i, node in enumerate(self.nodes):
            self._children.setdefault(node.parent, []).append(i)
        _check_tree(self)
        if not self.weight_sets:
            raise WeightSetError("a framework needs at least one weight set", field="weight_sets")
        if not self.default_weight_set:
            object.__setattr__(self, "default_weight_set", next(iter(self.weight_sets)))
        if self.default_weight_set not in self.weight_sets:
            raise WeightSetError(
                f"default weight set {self.default_weight_set!r} is not defined",
                field="framework.default_weight_set",
            )
        for version, ws in self.weight_sets.items():
            _check_weights(self, ws, f"weight_sets[{version!r}]")
        for i, m in enumerate(self.mappings):
            _check_mapping(self, m, f"mappings[{i}]")

    # -- lookups -------------------------------------------------------------------------

    def node(self, code: str) -> FrameworkNode:
        """The node with this code; :class:`FrameworkError` if there is none."""
        if code not in self._index:
            raise FrameworkError(f"no node {code!r} in {self.id}", field="code", value=code)
        return self.nodes[self._index[code]]

    def has(self, code: str) -> bool:
        return code in self._index

    def children(self, code: str | None) -> list[FrameworkNode]:
        """Children of ``code`` in file order (``None``: the top-level nodes)."""
        return [self.nodes[i] for i in self._children.get(code, [])]

    def ancestors(self, code: str) -> list[FrameworkNode]:
        """Parent, grandparent, ... of ``code``."""
        out, parent = [], self.node(code).parent
        while parent is not None:
            out.append(self.node(parent))
            parent = out[-1].parent
        return out

    def questions(self) -> Iterator[FrameworkNode]:
        return (n for n in self.nodes if n.kind == "question")

    def unverified(self) -> list[FrameworkNode]:
        """Nodes resting on unverified source rows (to be shown as such)."""
        return [n for n in self.nodes if not n.verified]

    def weight_set(self, version: str | None = None) -> WeightSet:
        """The weight set ``version`` (default: the framework's default)."""
        key = version or self.default_weight_set
        if key not in self.weight_sets:
            raise WeightSetError(
                f"{self.id} has no weight set {key!r} (has: {', '.join(self.weight_sets)})",
                field="weight_set",
                value=key,
            )
        return self.weight_sets[key]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; :func:`~nucsec.practices.loader.framework_from_dict` reads it."""
        return {
            "framework": {
                "id": self.id,
                "version": self.version,
                "title": self.title,
                "default_weight_set": self.default_weight_set,
                "provenance": self.provenance,
            },
            "scales": [s.to_dict() for s in self.scales.values()],
            "nodes": [n.to_dict() for n in self.nodes],
            "weight_sets": {
                k: {"note": w.note, "weights": dict(w.weights)} for k, w in self.weight_sets.items()
            },
            "mappings": [m.to_dict() for m in self.mappings],
        }


def _check_text(value: object, where: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise FrameworkError(f"{where} must be non-empty text", field=where, value=repr(value))


def _index_nodes(nodes: tuple[FrameworkNode, ...]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        _check_text(node.code, f"nodes[{i}].code")
        _check_text(node.title, f"nodes[{i}].title")
        if node.code in index:
            raise FrameworkError(
                f"code {node.code!r} appears twice (nodes[{index[node.code]}] and nodes[{i}])",
                field=f"nodes[{i}].code",
                value=node.code,
            )
        index[node.code] = i
    return index


def _check_tree(fw: Framework) -> None:
    for i, node in enumerate(fw.nodes):
        where = f"nodes[{i}]"
        if node.kind not in NODE_KINDS:
            raise FrameworkError(
                f"unknown node kind {node.kind!r} (use {', '.join(NODE_KINDS)})",
                field=f"{where}.kind",
                value=node.kind,
            )
        if node.status not in STATUSES:
            raise FrameworkError(
                f"unknown status {node.status!r} (use {', '.join(STATUSES)})",
                field=f"{where}.status",
                value=node.status,
            )
        if node.parent is not None:
            _check_parent(fw, node, where)
        if (node.kind == "question") != (node.scale is not None):
            raise FrameworkError(
                "a question needs a scale; other nodes have none", field=f"{where}.scale"
            )
        if node.scale is not None and node.scale not in fw.scales:
            raise FrameworkError(
                f"unknown scale {node.scale!r}", field=f"{where}.scale", value=node.scale
            )
    for sid, scale in fw.scales.items():
        _check_scale(scale, f"scales[{sid!r}]")


def _check_parent(fw: Framework, node: FrameworkNode, where: str) -> None:
    parent = node.parent or ""
    if not fw.has(parent):
        raise FrameworkError(
            f"parent {parent!r} is not a node", field=f"{where}.parent", value=parent
        )
    if fw._index[parent] >= fw._index[node.code]:
        raise FrameworkError(
            f"parent {parent!r} must come before its children",
            field=f"{where}.parent",
            value=parent,
        )
    p = fw.node(parent)
    if NODE_KINDS.index(node.kind) <= NODE_KINDS.index(p.kind):
        raise FrameworkError(
            f"a {node.kind} cannot sit under a {p.kind} ({parent})",
            field=f"{where}.parent",
            value=parent,
        )


def _check_scale(scale: Scale, where: str) -> None:
    if not scale.options:
        raise FrameworkError("a scale needs options", field=f"{where}.options")
    seen: set[str] = set()
    for j, opt in enumerate(scale.options):
        at = f"{where}.options[{j}]"
        _check_text(opt.code, f"{at}.code")
        if opt.code in seen:
            raise FrameworkError(f"option {opt.code!r} twice", field=f"{at}.code", value=opt.code)
        seen.add(opt.code)
        score = opt.score
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100:
            raise FrameworkError(
                "score must be a number in [0, 100]", field=f"{at}.score", value=repr(score)
            )
        if not isinstance(opt.compliant, bool):
            raise FrameworkError("compliant must be true or false", field=f"{at}.compliant")


def _check_weights(fw: Framework, ws: WeightSet, where: str) -> None:
    values = {c: decimal_fraction(w, f"{where}.weights[{c!r}]") for c, w in ws.weights.items()}
    for code in values:
        if not fw.has(code):
            raise WeightSetError(
                f"weight for unknown node {code!r}", field=f"{where}.weights[{code!r}]", value=code
            )
    for parent, idx in fw._children.items():
        codes = [fw.nodes[i].code for i in idx]
        listed = [c for c in codes if c in values]
        if not listed:
            continue  # equal weights
        missing = [c for c in codes if c not in values]
        if missing:
            raise WeightSetError(
                f"weights of the children of {parent or 'the root'} omit {missing[0]!r}",
                field=f"{where}.weights[{missing[0]!r}]",
                value=missing[0],
            )
        total = sum((values[c] for c in codes), Fraction(0))
        if total != HUNDRED:
            raise WeightSetError(
                f"weights of the children of {parent or 'the root'} sum to {float(total):g}, "
                "not 100",
                field=f"{where}.weights[{codes[0]!r}]",
                value=float(total),
            )


def _check_mapping(fw: Framework, m: FrameworkMapping, where: str) -> None:
    if m.source.framework != fw.id or not fw.has(m.source.code):
        raise FrameworkError(
            f"mapping source {m.source} is not a node of {fw.id}",
            field=f"{where}.source",
            value=str(m.source),
        )
    if m.relation not in RELATIONS:
        raise FrameworkError(
            f"unknown relation {m.relation!r} (use {', '.join(RELATIONS)})",
            field=f"{where}.relation",
            value=m.relation,
        )
    if m.target.framework == fw.id and not fw.has(m.target.code):
        raise FrameworkError(
            f"mapping target {m.target} does not exist",
            field=f"{where}.target",
            value=str(m.target),
        )
    if m.status not in STATUSES:
        raise FrameworkError(f"unknown status {m.status!r}", field=f"{where}.status")
