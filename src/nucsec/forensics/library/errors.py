"""Errors of the nuclear forensics library, each naming the field (and row) that is wrong.

All are :class:`nucsec.errors.InputError` (so also ``ValueError``): the caller sent an entry,
a sample or a file that must change. ``field`` is a path such as ``signatures[2].value`` so a
form, an import report or a test can point at the exact cell. An import collects every
problem before it raises (:class:`LibraryImportError`): nothing is half-imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucsec.errors import FileFormatError, InputError

__all__ = ["LibraryError", "LibraryImportError", "Problem", "UnknownSignatureError"]


class LibraryError(InputError):
    """An entry, sample or comparison setting that is not valid."""

    code = "invalid_library_input"


class UnknownSignatureError(LibraryError):
    """A signature name that is not in the vocabulary (``field`` says where it was)."""

    code = "unknown_signature"


@dataclass(frozen=True)
class Problem:
    """One bad value of an import: where (file line or JSON path), entry id, field, message."""

    where: str
    entry: str
    field: str | None
    message: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"where": self.where, "entry": self.entry, "field": self.field}
        out["message"] = self.message
        if self.value is not None:
            out["value"] = (
                self.value if isinstance(self.value, int | float | str) else repr(self.value)
            )
        return out

    def __str__(self) -> str:
        entry = f" ({self.entry})" if self.entry else ""
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}{entry}:{field} {self.message}"


class LibraryImportError(FileFormatError):
    """An import with bad values; :attr:`problems` lists every one, nothing was imported."""

    code = "bad_library_import"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(
            f"{len(self.problems)} problem(s), nothing imported: {first}{more}",
            field=self.problems[0].field if self.problems else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The base description plus ``problems``: one object per bad value."""
        out = super().to_dict()
        out["problems"] = [p.to_dict() for p in self.problems]
        return out
