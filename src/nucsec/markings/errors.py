"""Typed errors of the markings domain."""

from __future__ import annotations

from nucsec.errors import InputError


class LabelError(InputError):
    """A label or banner that is malformed or uses a marking this node does not know.

    ``field`` names the part of the label at fault (``level``, ``authority``, ``rel_to``,
    ``noforn``, ``compartments``, ``originator``, ``banner``...). Unknown markings are
    always refused: nucsec fails closed.
    """

    code = "bad_label"


class SchemeError(LabelError):
    """A national scheme or equivalence-table data file that is inconsistent."""

    code = "bad_scheme"
