"""Activity with a unit: ``"555 TBq"``, ``"0.19TBq"``, ``"15000 Ci"``, ``"5±0.2 GBq"``.

Everything is converted to becquerel. Prefixes are case-sensitive where it matters
(``mBq`` is milli, ``MBq`` mega); an otherwise unambiguous case slip (``tbq``) is accepted.
1 Ci = 3.7e10 Bq exactly.

>>> parse_activity("555TBq").value_bq
555000000000000.0
>>> parse_activity("15 mCi").value_bq
555000000.0
>>> a = parse_activity("2.5 +- 0.1 TBq")
>>> (a.value_bq, a.uncertainty_bq)
(2500000000000.0, 100000000000.0)
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from nucsec.incidents.errors import IncidentError, UnitError

__all__ = ["ACTIVITY_UNITS_BQ", "Activity", "format_activity", "parse_activity", "to_bq"]

#: unit symbol -> becquerel per unit
ACTIVITY_UNITS_BQ: dict[str, float] = {
    "PBq": 1e15,
    "TBq": 1e12,
    "GBq": 1e9,
    "MBq": 1e6,
    "kBq": 1e3,
    "Bq": 1.0,
    "mBq": 1e-3,
    "kCi": 3.7e13,
    "Ci": 3.7e10,
    "mCi": 3.7e7,
    "µCi": 3.7e4,
    "μCi": 3.7e4,  # Greek mu as well as the micro sign
    "uCi": 3.7e4,
    "nCi": 37.0,
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ACTIVITY = re.compile(
    rf"^\s*(?P<value>{_NUMBER})\s*(?:(?:±|\+-|\+/-)\s*(?P<unc>{_NUMBER}))?\s*(?P<unit>\S*)\s*$"
)


class Activity(NamedTuple):
    """An activity in Bq with its standard uncertainty (k=1), or ``None`` if not given."""

    value_bq: float
    uncertainty_bq: float | None = None


def to_bq(value: float, unit: str, *, field: str = "activity") -> float:
    """Convert ``value`` in ``unit`` to becquerel; raise :class:`UnitError` for a bad unit."""
    return value * _unit_factor(unit, field)


def _unit_factor(unit: str, field: str) -> float:
    if not unit:
        raise UnitError(
            f"activity without a unit; use one of {', '.join(ACTIVITY_UNITS_BQ)}", field=field
        )
    if unit in ACTIVITY_UNITS_BQ:
        return ACTIVITY_UNITS_BQ[unit]
    folded = [u for u in ACTIVITY_UNITS_BQ if u.lower() == unit.lower()]
    if len(folded) == 1:
        return ACTIVITY_UNITS_BQ[folded[0]]
    why = "ambiguous (milli or mega?)" if folded else "unknown"
    raise UnitError(
        f"{why} activity unit {unit!r}; use one of {', '.join(ACTIVITY_UNITS_BQ)}",
        field=field,
        value=unit,
    )


def parse_activity(text: str, *, field: str = "activity") -> Activity:
    """Parse ``"<value>[±<unc>] <unit>"`` into becquerel.

    Raises
    ------
    UnitError
        Missing or unknown unit.
    IncidentError
        Not a number, negative, or not finite.
    """
    m = _ACTIVITY.match(text) if isinstance(text, str) else None
    if m is None:
        raise IncidentError(
            f"not an activity: {text!r} (expected e.g. '555 TBq')", field=field, value=text
        )
    factor = _unit_factor(m["unit"], field)
    value = float(m["value"]) * factor
    unc = float(m["unc"]) * factor if m["unc"] is not None else None
    if not math.isfinite(value) or value < 0:
        raise IncidentError(f"activity must be a finite number >= 0: {text!r}", field=field)
    if unc is not None and (not math.isfinite(unc) or unc < 0):
        raise IncidentError(f"uncertainty must be finite and >= 0: {text!r}", field=field)
    return Activity(value, unc)


def format_activity(value_bq: float, unit: str = "TBq") -> str:
    """``format_activity(5.55e14) == '555 TBq'`` (4 significant digits)."""
    return f"{value_bq / ACTIVITY_UNITS_BQ[unit]:.4g} {unit}"
