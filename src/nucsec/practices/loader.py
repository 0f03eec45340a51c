"""Read frameworks from TOML or JSON files (one format, two syntaxes) and check crosswalks.

The format (documented in ``docs/practices.md``) has five parts: ``[framework]`` (id,
version, title, default_weight_set, provenance), ``[[scales]]`` (id, title, options: code,
label, score 0-100, compliant), ``[[nodes]]`` (code, kind, title, parent, applicability,
scale, status, source, note), ``[weight_sets.VERSION]`` (note, weights: code -> percent)
and ``[[mappings]]`` (source, target ``framework:code``, relation, rationale, status).
Unknown keys are refused, so a misspelt field is an error, not lost data. Every error is a
:class:`~nucsec.practices.errors.FrameworkError` naming the field.

>>> fw = load_framework(_EXAMPLE, syntax="toml")
>>> fw.id, [n.code for n in fw.nodes]
('mini', ['A', 'A.q'])
>>> load_framework(_EXAMPLE.replace('"theft"', '"arson"'), syntax="toml")
Traceback (most recent call last):
...
nucsec.practices.errors.FrameworkError: unknown applicability tag 'arson' (known: ...)
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from nucsec.practices._fields import as_list, as_table
from nucsec.practices.applicability import Applicability
from nucsec.practices.errors import FrameworkError
from nucsec.practices.framework import (
    Framework,
    FrameworkMapping,
    FrameworkNode,
    NodeRef,
    Scale,
    ScaleOption,
    WeightSet,
)
from nucsec.practices.vocabulary import DATA

__all__ = [
    "SHIPPED",
    "check_crosswalks",
    "framework_from_dict",
    "load_framework",
    "shipped_frameworks",
]

#: frameworks shipped in ``nucsec/data/practices`` (file names)
SHIPPED = ("nti_index.toml", "nucsec_facility.toml")

_TOP = {"framework", "scales", "nodes", "weight_sets", "mappings"}
_HEAD = {"id", "version", "title", "default_weight_set", "provenance"}
_NODE = {"code", "kind", "title", "parent", "applicability", "scale", "status", "source", "note"}
_SCALE = {"id", "title", "options"}
_OPTION = {"code", "label", "score", "compliant"}
_MAPPING = {"source", "target", "relation", "rationale", "status"}

_EXAMPLE = """
[framework]
id = "mini"
version = "1"
title = "Mini"
[[scales]]
id = "yn"
title = "Yes or no"
options = [{code = "yes", label = "Yes", score = 100, compliant = true},
           {code = "no", label = "No", score = 0, compliant = false}]
[[nodes]]
code = "A"
kind = "category"
title = "A"
applicability = ["theft"]
[[nodes]]
code = "A.q"
kind = "question"
title = "In place?"
parent = "A"
scale = "yn"
[weight_sets.1]
weights = {}
"""


def _table(value: object, where: str, keys: set[str]) -> Mapping[str, Any]:
    return as_table(value, keys, where, FrameworkError)


def _list(value: object, where: str) -> list[Any]:
    return as_list(value, where, FrameworkError)


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise FrameworkError(
            f"{where}.{key} must be text", field=f"{where}.{key}", value=repr(value)
        )
    return value


def _node(raw: object, i: int) -> FrameworkNode:
    where = f"nodes[{i}]"
    t = _table(raw, where, _NODE)
    parent = t.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise FrameworkError("parent must be a code", field=f"{where}.parent", value=repr(parent))
    scale = t.get("scale")
    if scale is not None and not isinstance(scale, str):
        raise FrameworkError("scale must be a scale id", field=f"{where}.scale")
    return FrameworkNode(
        code=_text(t, "code", where),
        kind=_text(t, "kind", where),
        title=_text(t, "title", where),
        parent=parent or None,
        applicability=Applicability.parse(t.get("applicability"), field=f"{where}.applicability"),
        scale=scale,
        status=_text(t, "status", where, "ours"),
        source=_text(t, "source", where, ""),
        note=_text(t, "note", where, ""),
    )


def _scale(raw: object, i: int) -> Scale:
    where = f"scales[{i}]"
    t = _table(raw, where, _SCALE)
    options = []
    for j, o in enumerate(_list(t.get("options"), f"{where}.options")):
        at = f"{where}.options[{j}]"
        ot = _table(o, at, _OPTION)
        score: Any = ot.get("score")  # checked by the Framework (a number in [0, 100])
        compliant: Any = ot.get("compliant")
        options.append(ScaleOption(_text(ot, "code", at), _text(ot, "label", at), score, compliant))
    return Scale(_text(t, "id", where), _text(t, "title", where, ""), tuple(options))


def _weight_sets(raw: object) -> dict[str, WeightSet]:
    if not isinstance(raw, Mapping):
        raise FrameworkError("weight_sets must be a table of versions", field="weight_sets")
    out = {}
    for version, body in raw.items():
        where = f"weight_sets[{version!r}]"
        t = _table(body, where, {"note", "weights"})
        weights = t.get("weights", {})
        if not isinstance(weights, Mapping):
            raise FrameworkError("weights must be a table", field=f"{where}.weights")
        out[str(version)] = WeightSet(str(version), dict(weights), _text(t, "note", where, ""))
    return out


def _mapping(raw: object, i: int, fw_id: str) -> FrameworkMapping:
    where = f"mappings[{i}]"
    t = _table(raw, where, _MAPPING)
    return FrameworkMapping(
        NodeRef.parse(t.get("source"), where=f"{where}.source", default_framework=fw_id),
        NodeRef.parse(t.get("target"), where=f"{where}.target", default_framework=fw_id),
        _text(t, "relation", where),
        _text(t, "rationale", where, ""),
        _text(t, "status", where, "ours"),
    )


def framework_from_dict(data: object) -> Framework:
    """Build and validate a framework from parsed TOML/JSON (see the module docstring)."""
    top = _table(data, "file", _TOP)
    head = _table(top.get("framework"), "framework", _HEAD)
    fw_id = _text(head, "id", "framework")
    scales = [_scale(s, i) for i, s in enumerate(_list(top.get("scales"), "scales"))]
    by_id: dict[str, Scale] = {}
    for i, s in enumerate(scales):
        if s.id in by_id:
            raise FrameworkError(f"scale {s.id!r} twice", field=f"scales[{i}].id", value=s.id)
        by_id[s.id] = s
    nodes = tuple(_node(n, i) for i, n in enumerate(_list(top.get("nodes"), "nodes")))
    mappings = tuple(
        _mapping(m, i, fw_id) for i, m in enumerate(_list(top.get("mappings"), "mappings"))
    )
    return Framework(
        id=fw_id,
        version=_text(head, "version", "framework"),
        title=_text(head, "title", "framework"),
        nodes=nodes,
        scales=by_id,
        weight_sets=_weight_sets(top.get("weight_sets", {})),
        default_weight_set=_text(head, "default_weight_set", "framework", ""),
        mappings=mappings,
        provenance=_text(head, "provenance", "framework", ""),
    )


def load_framework(text: str, *, syntax: str = "toml") -> Framework:
    """Parse ``text`` as ``toml`` or ``json`` and validate it."""
    try:
        if syntax == "toml":
            data: object = tomllib.loads(text)
        elif syntax == "json":
            data = json.loads(text)
        else:
            raise FrameworkError(f"unknown syntax {syntax!r} (toml or json)", field="syntax")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise FrameworkError(f"not valid {syntax}: {exc}", field="file") from None
    return framework_from_dict(data)


def check_crosswalks(frameworks: Iterable[Framework]) -> None:
    """Every mapping target names a loaded framework and one of its nodes."""
    known = {fw.id: fw for fw in frameworks}
    for fw in known.values():
        for i, m in enumerate(fw.mappings):
            target = known.get(m.target.framework)
            if target is None or not target.has(m.target.code):
                raise FrameworkError(
                    f"{fw.id}: mapping target {m.target} is not a loaded node",
                    field=f"mappings[{i}].target",
                    value=str(m.target),
                )


@functools.lru_cache(maxsize=1)
def shipped_frameworks() -> dict[str, Framework]:
    """The packaged frameworks by id, crosswalks checked (loaded once)."""
    out = {}
    for name in SHIPPED:
        text = resources.files(DATA).joinpath(name).read_text(encoding="utf-8")
        fw = load_framework(text)
        out[fw.id] = fw
    check_crosswalks(out.values())
    return out
