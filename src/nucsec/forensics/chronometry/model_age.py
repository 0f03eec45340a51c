"""Model ages and model dates: the public entry point :func:`model_age`.

>>> r = model_age("Th-230/U-234", 1.41148e-4, 7.06e-7, measured_on=date(2024, 5, 1))
>>> round(r.age_years, 2), round(r.u_age_years, 2), r.model_date.isoformat()
(50.0, 0.28, '1974-05-02')
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from nucsec.forensics.chronometry.chronometers import Chronometer, get_chronometer
from nucsec.forensics.chronometry.errors import ChronometryError, RatioOutOfRangeError
from nucsec.forensics.chronometry.halflives import (
    DAYS_PER_YEAR,
    HalfLifeSet,
    load_half_life_set,
)
from nucsec.forensics.chronometry.inputs import (
    check_date,
    check_initial,
    check_monte_carlo,
    check_ratio,
    check_relative,
)
from nucsec.forensics.chronometry.measurement import RatioModel
from nucsec.forensics.chronometry.uncertainty import BudgetRow, GumResult, MonteCarloResult
from nucsec.forensics.chronometry.uncertainty import gum as _gum
from nucsec.forensics.chronometry.uncertainty import monte_carlo as _monte_carlo

__all__ = ["AgeResult", "InitialDaughter", "json_safe", "model_age"]

NONLINEARITY_WARNING = 0.05  # relative departure from linear at ±2u(Q) that triggers a warning


@dataclass(frozen=True)
class InitialDaughter:
    """Residual daughter left by purification: ratio (same kind as the measurement), u k=1."""

    ratio: float
    u_ratio: float


@dataclass(frozen=True)
class AgeResult:
    """A model age with its uncertainty budget; ``to_dict()`` is the CLI's ``--json``."""

    chronometer: Chronometer
    ratio: float
    u_ratio: float
    ratio_kind: str
    half_life_set: HalfLifeSet
    gum: GumResult
    equilibrium_ratio: float
    monte_carlo: MonteCarloResult | None = None
    measured_on: date | None = None
    reference_date: date | None = None
    initial_daughter: InitialDaughter | None = None
    age_bounds_years: tuple[float, float] | None = None
    relative_terms: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def age_years(self) -> float:
        """Model age at the measurement date (years)."""
        return self.gum.age_years

    @property
    def uncertainty_method(self) -> str:
        """``"gum"``, or ``"monte-carlo"`` when Monte Carlo ran and did not validate GUM."""
        if self.monte_carlo is not None and not self.monte_carlo.gum_validated:
            return "monte-carlo"
        return "gum"

    @property
    def u_age_years(self) -> float:
        """Standard uncertainty (k=1) of the age, from :attr:`uncertainty_method`.

        For Monte Carlo it is half the width of the 68.27 % probabilistically symmetric
        interval (inf when that interval reaches equilibrium).
        """
        if self.uncertainty_method == "monte-carlo" and self.monte_carlo is not None:
            lo, hi = self.monte_carlo.interval_k1
            return (hi - lo) / 2.0
        return self.gum.u_age_years

    @property
    def interval_k1_years(self) -> tuple[float, float]:
        """The k=1 interval of the age, cut at 0 (see :func:`_physical`)."""
        if self.uncertainty_method == "monte-carlo" and self.monte_carlo is not None:
            return _physical(self.monte_carlo.interval_k1)
        return _physical(self.gum.interval_k1)

    @property
    def interval_k2_years(self) -> tuple[float, float]:
        """The k=2 interval of the age, cut at 0 (see :func:`_physical`)."""
        if self.uncertainty_method == "monte-carlo" and self.monte_carlo is not None:
            return _physical(self.monte_carlo.interval_k2)
        return _physical(self.gum.interval_k2)

    @property
    def budget(self) -> tuple[BudgetRow, ...]:
        return self.gum.budget

    @property
    def model_date(self) -> date | None:
        """Calendar date of the last purification (needs ``measured_on``)."""
        if self.measured_on is None or not math.isfinite(self.age_years):
            return None
        return _shift(self.measured_on, -self.age_years)

    @property
    def u_model_date_days(self) -> float | None:
        """Standard uncertainty (k=1) of the model date, in days."""
        if self.measured_on is None:
            return None
        return self.u_age_years * DAYS_PER_YEAR

    def age_on(self, day: date) -> float:
        """The age this material has on another date (same uncertainty)."""
        if self.measured_on is None:
            raise ChronometryError(
                "re-referencing an age needs the measurement date", field="measured_on"
            )
        return self.age_years + (day - self.measured_on).days / DAYS_PER_YEAR

    def rereferenced(self, day: date) -> AgeResult:
        """A copy that also reports the age on ``day`` (the model date does not move)."""
        self.age_on(day)  # validates
        return dataclasses.replace(self, reference_date=day)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result: the shape of ``nucsec age --json``."""
        out: dict[str, Any] = {
            "chronometer": self.chronometer.name,
            "daughter": self.chronometer.numerator,
            "parent": self.chronometer.denominator,
            "chain": list(self.chronometer.chain),
            "ratio": self.ratio,
            "u_ratio": self.u_ratio,
            "ratio_kind": self.ratio_kind,
            "age_years": self.age_years,
            "u_age_years": self.u_age_years,
            "coverage": "k=1",
            "U_age_years_k2": 2.0 * self.u_age_years,
            "interval_years_k1": list(self.interval_k1_years),
            "interval_years_k2": list(self.interval_k2_years),
            "uncertainty_method": self.uncertainty_method,
            "solution": "closed-form" if self.chronometer.generation == 1 else "bateman-numerical",
            "equilibrium_ratio": _json_float(self.equilibrium_ratio),
        }
        out.update(self._date_dict())
        out["budget"] = [row.to_dict() for row in self.budget]
        out["gum"] = {
            "u_age_years": self.gum.u_age_years,
            "coverage": "k=1",
            "nonlinearity": self.gum.nonlinearity,
        }
        out["monte_carlo"] = self.monte_carlo.to_dict() if self.monte_carlo else None
        if self.initial_daughter is not None and self.age_bounds_years is not None:
            out["initial_daughter"] = {
                "ratio": self.initial_daughter.ratio,
                "u_ratio": self.initial_daughter.u_ratio,
                "age_bounds_years": list(self.age_bounds_years),
                "bounds_note": "lower: residual at its k=2 upper limit; upper: no residual",
            }
        out["half_life_set"] = self.half_life_set.name
        out["half_life_set_version"] = self.half_life_set.version
        out["half_lives"] = {n: self.half_life_set[n].to_dict() for n in self.chronometer.chain}
        out["branching"] = [
            {"parent": p, "daughter": d, "fraction": self.half_life_set.branching_fraction(p, d)}
            for p, d in self.chronometer.links
        ]
        out["warnings"] = list(self.warnings)
        return json_safe(out)

    def _date_dict(self) -> dict[str, Any]:
        if self.measured_on is None:
            return {}
        out: dict[str, Any] = {"measured_on": self.measured_on.isoformat()}
        model_date = self.model_date
        if model_date is not None:
            lo, hi = self.interval_k2_years
            out["model_date"] = model_date.isoformat()
            out["u_model_date_days"] = self.u_model_date_days
            out["model_date_coverage"] = "k=1"
            out["model_date_interval_k2"] = [
                _iso(_shift(self.measured_on, -hi)) if math.isfinite(hi) else None,
                _iso(_shift(self.measured_on, -lo)),
            ]
        elif math.isfinite(self.age_years):
            # before year 1: no calendar date, but an astronomical decimal year
            out["model_date"] = None
            out["model_year"] = _decimal_year(self.measured_on, -self.age_years)
            out["u_model_date_days"] = self.u_model_date_days
        if self.reference_date is not None:
            out["reference_date"] = self.reference_date.isoformat()
            out["age_at_reference_years"] = self.age_on(self.reference_date)
            out["u_age_at_reference_years"] = self.u_age_years
        return out


def model_age(
    chronometer: str | Chronometer,
    ratio: float,
    u_ratio: float | None,
    *,
    kind: str = "atom",
    measured_on: date | None = None,
    half_lives: HalfLifeSet | str | None = None,
    monte_carlo: int = 0,
    rng: np.random.Generator | None = None,
    initial_daughter: InitialDaughter | None = None,
    relative_uncertainties: Mapping[str, float] | None = None,
    reference_date: date | None = None,
) -> AgeResult:
    """Model age of a material from one measured daughter/parent ratio.

    Parameters
    ----------
    chronometer
        ``"daughter/parent"`` in any nuclide spelling, e.g. ``"230Th/234U"``.
    ratio, u_ratio
        Measured ratio and its standard uncertainty (k=1). ``u_ratio`` is required.
    kind
        ``"atom"`` (amount ratio, mass spectrometry) or ``"activity"`` (alpha/gamma).
    measured_on
        Measurement date; gives the model date (purification date).
    half_lives
        A :class:`HalfLifeSet` or a set name; default NUBASE2020.
    monte_carlo
        Number of Monte Carlo samples (0: GUM only). Needs ``rng``.
    rng
        Seeded :class:`numpy.random.Generator` for Monte Carlo.
    initial_daughter
        Known residual daughter ratio at purification (first-generation chronometers).
    relative_uncertainties
        Extra relative standard uncertainties on the ratio (spike, mass bias, ...), by name.
    reference_date
        Also report the age on this date.

    Returns
    -------
    AgeResult
    """
    chrono = get_chronometer(chronometer)
    hl_set = _half_life_set(half_lives)
    model = RatioModel(chrono, hl_set, kind)
    ratio, u_ratio = check_ratio(ratio, u_ratio)
    relative = check_relative(relative_uncertainties)
    n_mc = check_monte_carlo(monte_carlo, rng)
    r0, u_r0 = (0.0, None)
    if initial_daughter is not None:
        r0, u_r0 = check_initial(chrono, initial_daughter.ratio, initial_daughter.u_ratio, ratio)
    equilibrium = model.equilibrium_ratio()
    if ratio >= equilibrium:
        raise RatioOutOfRangeError(
            f"{kind} ratio {ratio:g} is at or beyond the equilibrium value {equilibrium:.6g} of "
            f"{chrono.name}: no age produces it (incomplete purification, contamination, or "
            "the wrong ratio kind?)",
            field="ratio",
            value=ratio,
        )
    gum_result = _gum(model, ratio, u_ratio, relative=relative, r0=r0, u_r0=u_r0)
    mc_result = None
    if n_mc and rng is not None:
        mc_result = _monte_carlo(
            model,
            ratio,
            u_ratio,
            n_mc,
            rng,
            relative=relative,
            r0=r0,
            u_r0=u_r0,
            gum_result=gum_result,
        )
    bounds = None
    if initial_daughter is not None:
        high_r0 = min(ratio, r0 + 2.0 * (u_r0 or 0.0))
        bounds = (float(model.age(ratio, r0=high_r0)), float(model.age(ratio)))
    result = AgeResult(
        chronometer=chrono,
        ratio=ratio,
        u_ratio=u_ratio,
        ratio_kind=kind,
        half_life_set=hl_set,
        gum=gum_result,
        equilibrium_ratio=equilibrium,
        monte_carlo=mc_result,
        measured_on=check_date(measured_on, "measured_on"),
        initial_daughter=initial_daughter,
        age_bounds_years=bounds,
        relative_terms=relative,
        warnings=_warnings(model, gum_result, mc_result),
    )
    if reference_date is not None:
        day = check_date(reference_date, "reference_date")
        result = result.rereferenced(day) if day is not None else result
    return result


def json_safe(data: Any) -> Any:
    """Replace non-finite floats (an open interval end, an undefined mean) by ``None``."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    return data


def _shift(day: date, years: float) -> date | None:
    """``day`` moved by ``years``; None outside the calendar (years 1..9999)."""
    try:
        return day + timedelta(days=round(years * DAYS_PER_YEAR))
    except (OverflowError, ValueError):
        return None


def _decimal_year(day: date, years: float) -> float:
    """Astronomical decimal year of ``day`` moved by ``years`` (works before year 1)."""
    start = date(day.year, 1, 1)
    return day.year + (day - start).days / DAYS_PER_YEAR + years


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _json_float(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _half_life_set(half_lives: HalfLifeSet | str | None) -> HalfLifeSet:
    if half_lives is None:
        return load_half_life_set()
    if isinstance(half_lives, HalfLifeSet):
        return half_lives
    return load_half_life_set(half_lives)


def _physical(interval: tuple[float, float]) -> tuple[float, float]:
    """An age interval cut at 0: material cannot have been purified after it was measured.

    A ratio near zero gives a symmetric GUM interval (or Monte Carlo draws) below zero; the
    part below zero is not a possible age, so it is cut, and :func:`_warnings` says so.
    """
    lo, hi = interval
    return (max(lo, 0.0), max(hi, 0.0))


def _warnings(model: RatioModel, g: GumResult, mc: MonteCarloResult | None) -> tuple[str, ...]:
    out: list[str] = []
    low_k2 = mc.interval_k2[0] if mc is not None and not mc.gum_validated else g.interval_k2[0]
    if low_k2 < 0.0:
        out.append(
            "the k=2 interval reached below zero: it is cut at 0 (a model age cannot be "
            "negative; the model date cannot follow the measurement)"
        )
    for entry in model.entries:
        if entry.status != "verified":
            out.append(f"half-life of {entry.nuclide} from {entry.source} is {entry.status}")
        if entry.u_half_life_y is None:
            out.append(
                f"{entry.source} gives no uncertainty for the {entry.nuclide} "
                "half-life: the budget omits it"
            )
        if entry.note and "outdated" in entry.note:
            out.append(f"{entry.nuclide} half-life in {entry.source}: {entry.note}")
    if g.nonlinearity > NONLINEARITY_WARNING and mc is None:
        out.append(
            f"the age is non-linear in the ratio over ±2u ({g.nonlinearity:.0%} "
            "departure): prefer Monte Carlo (--monte-carlo)"
        )
    if mc is not None and mc.n_beyond_equilibrium:
        out.append(
            f"{mc.n_beyond_equilibrium} of {mc.n_samples} Monte Carlo samples fell at or "
            "beyond equilibrium (infinite age)"
        )
    return tuple(out)
