"""Errors of the incident register, each naming the field that is wrong.

All are :class:`nucsec.errors.InputError` (so also ``ValueError``): the caller sent
something that must change. ``field`` uses a path such as ``items[2].mass_g`` so a form or
an import report can point at the exact cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucsec.errors import FileFormatError, InputError

__all__ = ["CsvImportError", "IncidentError", "RowError", "UnitError"]


class IncidentError(InputError):
    """An incident, item or categorisation input that is not valid."""

    code = "invalid_incident"


class UnitError(IncidentError):
    """A quantity without a unit, or with a unit we do not know."""

    code = "bad_unit"


@dataclass(frozen=True)
class RowError:
    """One bad row of an import: file line, incident reference, field and message."""

    line: int
    reference: str
    field: str | None
    message: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"line": self.line, "reference": self.reference}
        out["field"] = self.field
        out["message"] = self.message
        if self.value is not None:
            out["value"] = (
                self.value if isinstance(self.value, int | float | str) else repr(self.value)
            )
        return out

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.reference:
            where += f" ({self.reference})"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class CsvImportError(FileFormatError):
    """An import with bad rows; :attr:`errors` lists every problem of every one of them
    (a row may have several, each naming its field)."""

    code = "bad_import"

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors: tuple[RowError, ...] = tuple(errors)
        rows = len({e.line for e in self.errors})
        problems = f" ({len(self.errors)} problems)" if len(self.errors) > rows else ""
        first = "; ".join(str(e) for e in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        super().__init__(
            f"{rows} bad row(s){problems}, nothing imported: {first}{more}",
            field=self.errors[0].field if self.errors else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["rows"] = [e.to_dict() for e in self.errors]
        return out
