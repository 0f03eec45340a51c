"""Errors of the radiochronometry domain.

Every error is an :class:`nucsec.errors.InputError` (a ``ValueError``): the caller sent a
chronometer, ratio, date or data-set name that cannot give a model age. Each carries
``field`` and ``value`` so the CLI, the API and tests can tell what was wrong.
"""

from __future__ import annotations

from nucsec.errors import InputError

__all__ = [
    "ChronometryError",
    "HalfLifeDataError",
    "RatioOutOfRangeError",
    "UnknownChronometerError",
]


class ChronometryError(InputError):
    """Bad input to a model-age calculation."""

    code = "chronometry"


class UnknownChronometerError(ChronometryError):
    """A daughter/parent pair that is not a known chronometer."""

    code = "unknown_chronometer"


class RatioOutOfRangeError(ChronometryError):
    """A ratio no age can produce: negative, or at or beyond equilibrium."""

    code = "ratio_out_of_range"


class HalfLifeDataError(ChronometryError):
    """An unknown half-life set, or a set that lacks a nuclide the chronometer needs."""

    code = "half_life_data"
