"""Decay correction of an activity from its reference date to another date.

Half-lives come from the nuclear data set packaged with ``radioactivedecay``
(ICRP-107 decay data with AME2020/NUBASE2020 masses); nothing is fetched. The loader is
explicit and cached; the correction itself is a pure function of its arguments.

Only the parent decays: a source whose D-value already counts its daughter in equilibrium
(``Sr-90 (Y-90)``) is corrected with the parent's half-life, which is what the D-value
refers to. The half-life uncertainty is not propagated (it is far below the activity's).

>>> round(decay_factor(5.2713 * YEAR_S, half_life_s=5.2713 * YEAR_S), 6)
0.5
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from nucsec.incidents.errors import IncidentError
from nucsec.nuclides import NuclideError, canonical

__all__ = [
    "DAY_S",
    "YEAR_S",
    "HalfLives",
    "activity_at",
    "decay_factor",
    "elapsed_s",
    "half_life_s",
    "load_half_lives",
]

DAY_S = 86400.0
#: Julian year, the year radioactivedecay uses for "y"
YEAR_S = 365.25 * DAY_S


class HalfLives:
    """Half-lives in seconds by canonical nuclide name, with the data set's name."""

    def __init__(self, half_lives_s: Mapping[str, float], dataset: str) -> None:
        self.half_lives_s = MappingProxyType(dict(half_lives_s))
        self.dataset = dataset

    def get(self, nuclide: str) -> float:
        """Half-life (s, ``inf`` if stable); :class:`NuclideError` if not in the data set."""
        name = canonical(nuclide)
        try:
            return self.half_lives_s[name]
        except KeyError:
            raise NuclideError(
                f"{name} is not in the nuclear data set ({self.dataset})",
                field="nuclide",
                value=nuclide,
            ) from None


@functools.lru_cache(maxsize=1)
def load_half_lives() -> HalfLives:
    """Half-lives of every nuclide of radioactivedecay's default data set (loaded once)."""
    import radioactivedecay  # heavy import (SymPy, Matplotlib): only when needed

    data = radioactivedecay.DEFAULTDATA
    table = {str(n): float(data.half_life(str(n), "s")) for n in data.nuclides}
    return HalfLives(table, f"radioactivedecay {radioactivedecay.__version__} {data.dataset_name}")


def half_life_s(nuclide: str, half_lives: HalfLives | None = None) -> float:
    """Half-life in seconds of a nuclide (``inf`` if stable)."""
    return (half_lives or load_half_lives()).get(nuclide)


def elapsed_s(reference_date: date, target_date: date) -> float:
    """Seconds from ``reference_date`` to ``target_date`` (negative if target is earlier)."""
    return (target_date - reference_date).days * DAY_S


def decay_factor(elapsed: float, *, half_life_s: float) -> float:
    """``A(t)/A(0)`` after ``elapsed`` seconds; 1 for a stable nuclide."""
    if math.isinf(half_life_s):
        return 1.0
    try:
        return math.exp(-math.log(2.0) * elapsed / half_life_s)
    except OverflowError:
        raise IncidentError(
            f"decay correction over {-elapsed / half_life_s:.3g} half-lives back is out of range",
            field="date",
        ) from None


def activity_at(
    activity_bq: float,
    nuclide: str,
    reference_date: date,
    target_date: date,
    half_lives: HalfLives | None = None,
) -> float:
    """Activity on ``target_date`` of ``activity_bq`` measured on ``reference_date``.

    Examples
    --------
    >>> from datetime import date
    >>> hl = HalfLives({"Co-60": 5.2713 * YEAR_S}, "test")
    >>> a = activity_at(100.0, "Co-60", date(2000, 1, 1), date(2000, 1, 1), hl)
    >>> a
    100.0
    """
    factor = decay_factor(
        elapsed_s(reference_date, target_date), half_life_s=half_life_s(nuclide, half_lives)
    )
    return activity_bq * factor
