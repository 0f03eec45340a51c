"""What a framework node or a practice applies to, and whether it applies to a facility.

An :class:`Applicability` is a set of tags (see :mod:`~nucsec.practices.vocabulary`). Tags
of one dimension are alternatives; dimensions must all match: ``{"cat:I", "cat:II",
"theft"}`` applies to a facility holding Category I or II material that must be protected
against theft. A dimension with no tag does not restrict. The facility side is a set of
tags too, computed from its holdings and type (:meth:`Facility.profile`).

>>> a = Applicability.parse(["cat:I", "cat:II", "theft"])
>>> a.applies_to(frozenset({"cat:II", "theft", "facility:research_reactor"}))
True
>>> a.applies_to(frozenset({"cat:III", "theft"}))
False
>>> Applicability.parse(["cat:IV"], field="nodes[3].applicability")
Traceback (most recent call last):
...
nucsec.practices.errors.FrameworkError: unknown applicability tag 'cat:IV' (known: ...)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nucsec.errors import InputError
from nucsec.practices.errors import FrameworkError
from nucsec.practices.vocabulary import TAGS, tag_dimension

__all__ = ["ANY", "Applicability"]

_DIMENSIONS = ("holding", "purpose", "facility")


@dataclass(frozen=True)
class Applicability:
    """A validated set of applicability tags (empty: applies to everything)."""

    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = sorted(t for t in self.tags if t not in TAGS)
        if unknown:
            raise FrameworkError(_unknown(unknown[0]), field="applicability", value=unknown[0])

    @classmethod
    def parse(
        cls,
        tags: object,
        *,
        field: str = "applicability",
        error: type[InputError] = FrameworkError,
    ) -> Applicability:
        """Tags from a list of strings; ``error`` names ``field[i]`` of the first bad one."""
        if tags is None:
            return cls()
        if isinstance(tags, str) or not isinstance(tags, Iterable):
            raise error("applicability must be a list of tags", field=field, value=repr(tags))
        out: set[str] = set()
        for i, tag in enumerate(tags):
            if not isinstance(tag, str) or tag not in TAGS:
                raise error(_unknown(tag), field=f"{field}[{i}]", value=repr(tag))
            out.add(tag)
        return cls(frozenset(out))

    def dimension(self, name: str) -> frozenset[str]:
        """The tags of one dimension (``holding``, ``purpose`` or ``facility``)."""
        return frozenset(t for t in self.tags if tag_dimension(t) == name)

    def applies_to(self, profile: frozenset[str]) -> bool:
        """True if every dimension this names shares a tag with ``profile``."""
        return all(not (mine := self.dimension(d)) or bool(mine & profile) for d in _DIMENSIONS)

    def to_list(self) -> list[str]:
        """Sorted tags (JSON-ready)."""
        return sorted(self.tags)


def _unknown(tag: object) -> str:
    return f"unknown applicability tag {tag!r} (known: {', '.join(sorted(TAGS))})"


ANY = Applicability()
