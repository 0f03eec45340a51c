"""Portions of a labelled record (pure): the names a record kind has and their values.

A record is a set of named portions, each a value under its own label. A record kind
declares its portions as :class:`PortionRule` rows: a fixed name (``facts``) or a
numbered family (``narrative.N``: ``narrative.0``, ``narrative.1``, ...), the JSON type
of the value (``string`` or ``object``) and whether it is required. Federation carries
the portions a kind declares and checks received ones against the same rules
(:mod:`nucsec.federation.portions`).

>>> rule = PortionRule("narrative.N", "string")
>>> rule.matches("narrative.2"), rule.matches("narrative.02"), rule.accepts("text")
(True, False, True)
>>> sorted(["narrative.10", "narrative.2", "facts"], key=portion_order)
['facts', 'narrative.2', 'narrative.10']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["VALUE_TYPES", "PortionRule", "numbered", "portion_order"]

_NUMBERED = re.compile(r"^(?P<stem>[a-z][a-z0-9_]*)\.(?P<n>0|[1-9][0-9]{0,5})$")
#: the JSON type a portion rule names, as the Python type of a parsed value
VALUE_TYPES: dict[str, type] = {"string": str, "object": dict}


@dataclass(frozen=True)
class PortionRule:
    """One portion name (``facts``) or numbered family (``narrative.N``) of a record kind."""

    name: str
    value: str  # "string" or "object"
    required: bool = False

    def matches(self, portion: str) -> bool:
        """Whether ``portion`` is this rule's name (or one of its numbered family)."""
        if not self.name.endswith(".N"):
            return portion == self.name
        found = _NUMBERED.match(portion)
        return found is not None and found["stem"] == self.name[:-2]

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has the JSON type the rule names."""
        return isinstance(value, VALUE_TYPES[self.value])


def numbered(name: str) -> tuple[str, int] | None:
    """``("narrative", 2)`` for ``narrative.2``; None for a fixed name.

    >>> numbered("attachment.0"), numbered("facts")
    (('attachment', 0), None)
    """
    found = _NUMBERED.match(name)
    return (found["stem"], int(found["n"])) if found else None


def portion_order(name: str) -> tuple[str, int]:
    """Sort key: by stem, numbered portions by number (``narrative.2`` < ``narrative.10``)."""
    return numbered(name) or (name, -1)
