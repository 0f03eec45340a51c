"""Portions of a record on the wire (pure): received names and values checked against a
record kind's :class:`~nucsec.portions.PortionRule` rows, and the ``portions`` list layout
of record kinds whose portions are dynamic.

Two layouts exist (see ``docs/federation.md``):

- ``properties`` (documents, wire format 1.0): each portion is a top-level string property
  of the object, selected by its granular marking (``"selectors": ["title"]``);
- ``list`` (incidents, analyses): one ``portions`` property, a list of ``{"name", "value"}``
  objects in portion order, entry ``i`` selected by exactly one granular marking
  ``"selectors": ["portions.[i]"]`` (the whole entry: name and value are under the
  portion's label). Values are strings or JSON objects, carried as they are stored.

>>> rules = (PortionRule("facts", "object", required=True), PortionRule("narrative.N", "string"))
>>> check_names(rules, ["facts", "narrative.0"])
>>> check_names(rules, ["narrative.01"])
Traceback (most recent call last):
...
nucsec.federation.portions.PortionError: unknown portion 'narrative.01'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nucsec.errors import InputError
from nucsec.portions import PortionRule, portion_order

__all__ = [
    "MAX_PORTIONS",
    "PortionError",
    "check_names",
    "check_values",
    "describe",
    "list_portions",
    "parse_list",
]

#: most portions one record version may carry on the wire
MAX_PORTIONS = 1000


class PortionError(InputError):
    """Portions that do not follow the record type's rules."""

    code = "bad_stix"


def _rule(rules: Sequence[PortionRule], name: str) -> PortionRule:
    for rule in rules:
        if rule.matches(name):
            return rule
    raise PortionError(f"unknown portion {name!r}", field="portions", value=name[:64])


def check_names(rules: Sequence[PortionRule], names: Iterable[str]) -> None:
    """PortionError unless every name follows a rule and every required one is present."""
    seen = list(names)
    if len(seen) > MAX_PORTIONS:
        raise PortionError(f"more than {MAX_PORTIONS} portions", field="portions")
    for name in seen:
        _rule(rules, name)
    for rule in rules:
        if rule.required and rule.name not in seen:
            raise PortionError(f"portion `{rule.name}` is required", field=rule.name)


def check_values(rules: Sequence[PortionRule], values: Mapping[str, Any]) -> None:
    """PortionError naming the first portion whose value has the wrong JSON type."""
    check_names(rules, values)
    for name, value in values.items():
        rule = _rule(rules, name)
        if not rule.accepts(value):
            raise PortionError(f"portion `{name}` must be a JSON {rule.value}", field=name)


def describe(rules: Sequence[PortionRule]) -> str:
    """The rules in words, for an extension definition's schema text."""
    parts = []
    for rule in rules:
        need = "required" if rule.required else "optional"
        parts.append(f"{rule.name} ({rule.value}, {need})")
    return "; ".join(parts)


def list_portions(
    rules: Sequence[PortionRule], portions: Mapping[str, tuple[Any, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``portions`` list and its granular markings from ``name -> (value, marking)``."""
    check_values(rules, {name: value for name, (value, _) in portions.items()})
    names = sorted(portions, key=portion_order)
    entries = [{"name": n, "value": portions[n][0]} for n in names]
    granular = [
        {"marking_ref": portions[n][1], "selectors": [f"portions.[{i}]"]}
        for i, n in enumerate(names)
    ]
    return entries, granular


def _selected_index(entry: Any, count: int) -> tuple[int, str]:
    if not isinstance(entry, Mapping) or set(entry) != {"marking_ref", "selectors"}:
        raise PortionError("malformed granular marking", field="granular_markings")
    selectors, ref = entry["selectors"], entry["marking_ref"]
    if not isinstance(ref, str) or not isinstance(selectors, list) or len(selectors) != 1:
        raise PortionError("a granular marking selects one portion", field="granular_markings")
    found = re.fullmatch(r"portions\.\[(0|[1-9][0-9]{0,5})\]", str(selectors[0]))
    if found is None or int(found[1]) >= count:
        raise PortionError(
            f"granular marking selects {str(selectors[0])[:64]!r}", field="granular_markings"
        )
    return int(found[1]), ref


def parse_list(
    rules: Sequence[PortionRule], entries: Any, granular: Any
) -> dict[str, tuple[Any, str]]:
    """``name -> (value, marking id)`` of a received ``portions`` list; PortionError naming
    the first problem (names, order, value types, one marking per entry)."""
    if not isinstance(entries, list) or not entries:
        raise PortionError("`portions` must be a non-empty list", field="portions")
    if len(entries) > MAX_PORTIONS:
        raise PortionError(f"more than {MAX_PORTIONS} portions", field="portions")
    if not isinstance(granular, list):
        raise PortionError("every portion needs a granular marking", field="granular_markings")
    refs: dict[int, str] = {}
    for entry in granular:
        index, ref = _selected_index(entry, len(entries))
        if index in refs:
            raise PortionError(f"portion {index} has two markings", field="granular_markings")
        refs[index] = ref
    out: dict[str, tuple[Any, str]] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or set(entry) != {"name", "value"}:
            raise PortionError("a portion is an object {name, value}", field=f"portions[{i}]")
        name = entry["name"]
        if not isinstance(name, str) or name in out:
            raise PortionError(f"portion {i} has a bad or repeated name", field=f"portions[{i}]")
        if i not in refs:
            raise PortionError(f"portion `{name}` has no marking", field=name[:64])
        out[name] = (entry["value"], refs[i])
    if list(out) != sorted(out, key=portion_order):
        raise PortionError("portions are not in portion order", field="portions")
    check_values(rules, {name: value for name, (value, _) in out.items()})
    return out
