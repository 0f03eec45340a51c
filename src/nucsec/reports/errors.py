"""Typed errors of the report engine."""

from __future__ import annotations

from nucsec.errors import InputError, NotFoundError

__all__ = ["ReportError", "ReportWithheld"]


class ReportError(InputError):
    """A report that cannot be built or rendered as given (a table row of the wrong width,
    an SVG figure with markup outside the safe subset, pagination that does not settle);
    ``field`` names the part at fault."""

    code = "bad_report"


class ReportWithheld(NotFoundError):
    """Nothing of the report may be shown to this reader or partner (its title portion is
    not readable or releasable): answered as "not found", like a hidden record."""
