"""Validation of model-age inputs: every bad value becomes a typed error with its field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import numpy as np

from nucsec.forensics.chronometry.chronometers import Chronometer
from nucsec.forensics.chronometry.errors import ChronometryError, RatioOutOfRangeError

__all__ = [
    "MAX_MONTE_CARLO",
    "MAX_RATIO",
    "check_date",
    "check_initial",
    "check_monte_carlo",
    "check_ratio",
    "check_relative",
]

MAX_MONTE_CARLO = 10_000_000
#: Largest ratio or uncertainty accepted (no material gives more: Am-241/Pu-241 reaches
#: 1e12 only after ~600 years, when the Pu-241 has gone).
MAX_RATIO = 1e12


def _finite(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ChronometryError(
            f"{name} must be a number, not {value!r}", field=name, value=value
        ) from None
    if not math.isfinite(x):
        raise ChronometryError(f"{name} must be finite, not {value!r}", field=name, value=value)
    return x


def check_ratio(ratio: Any, u_ratio: Any) -> tuple[float, float]:
    r = _finite(ratio, "ratio")
    if r < 0:
        raise RatioOutOfRangeError(f"a ratio cannot be negative ({r:g})", field="ratio", value=r)
    if r > MAX_RATIO:
        raise RatioOutOfRangeError(
            f"a ratio above {MAX_RATIO:g} is not physical ({r:g})", field="ratio", value=r
        )
    if u_ratio is None:
        raise ChronometryError(
            "the ratio's standard uncertainty (k=1) is required: an age without an "
            "uncertainty cannot be defended",
            field="u_ratio",
        )
    u = _finite(u_ratio, "u_ratio")
    if u > MAX_RATIO:
        raise ChronometryError(
            f"an uncertainty above {MAX_RATIO:g} is not physical ({u:g})", field="u_ratio", value=u
        )
    if u < 0:
        raise ChronometryError(
            f"an uncertainty cannot be negative ({u:g})", field="u_ratio", value=u
        )
    return r, u


def check_relative(terms: Mapping[str, float] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in (terms or {}).items():
        u = _finite(value, f"relative uncertainty {name!r}")
        if u < 0 or u >= 1:
            raise ChronometryError(
                f"relative uncertainty {name!r} must be in [0, 1), not {u:g}",
                field="relative_uncertainties",
                value=name,
            )
        out[str(name)] = u
    return out


def check_monte_carlo(n: Any, rng: np.random.Generator | None) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 0 <= n <= MAX_MONTE_CARLO:
        raise ChronometryError(
            f"monte_carlo must be an integer from 0 to {MAX_MONTE_CARLO}, not {n!r}",
            field="monte_carlo",
            value=n,
        )
    if n and n < 100:
        raise ChronometryError(
            "monte_carlo needs at least 100 samples", field="monte_carlo", value=int(n)
        )
    if n and not isinstance(rng, np.random.Generator):
        raise ChronometryError(
            "Monte Carlo needs a seeded numpy.random.Generator (rng=...)", field="rng"
        )
    return int(n)


def check_initial(
    chrono: Chronometer, ratio0: Any, u_ratio0: Any, ratio: float
) -> tuple[float, float]:
    """Validate a residual daughter ratio at purification; return ``(r0, u(r0))``."""
    if chrono.generation != 1:
        raise ChronometryError(
            f"an initial daughter residual is supported for first-generation chronometers "
            f"only; {chrono.name} is second generation",
            field="initial_daughter",
            value=chrono.name,
        )
    r0 = _finite(ratio0, "initial_daughter")
    u0 = _finite(u_ratio0, "initial_daughter_unc")
    if r0 < 0 or u0 < 0 or u0 > MAX_RATIO:
        raise ChronometryError(
            "the initial daughter ratio and its uncertainty must be >= 0 and at most "
            f"{MAX_RATIO:g}",
            field="initial_daughter",
            value=r0,
        )
    if r0 > ratio:
        raise RatioOutOfRangeError(
            f"the initial daughter ratio {r0:g} exceeds the measured ratio {ratio:g}",
            field="initial_daughter",
            value=r0,
        )
    return r0, u0


def check_date(day: Any, name: str) -> date | None:
    if day is None:
        return None
    if isinstance(day, datetime):
        return day.date()
    if isinstance(day, date):
        return day
    if isinstance(day, str):
        try:
            return date.fromisoformat(day)
        except ValueError:
            pass
    raise ChronometryError(
        f"{name} must be an ISO date (YYYY-MM-DD), not {day!r}", field=name, value=str(day)
    )
