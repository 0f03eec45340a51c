"""Vectorised source categorisation for large inputs (NumPy): millions of items at once.

The same rule as :func:`nucsec.incidents.categorize.categorize_sources`, on arrays:
decay-correct, divide by D, sum per holding (items held together), look the sums up in
the category bands. Category ``0`` means unknown (some item of the holding has no
D-value), with a NaN sum, exactly as the scalar path answers ``None``.

>>> r = categorize_batch(["Cs-137"] * 6 + ["Co-60"], np.array([0.19] * 6 + [555.0]),
...                      holding=np.array([0] * 6 + [1]))
>>> r.category.tolist(), r.sum_a_over_d.round(2).tolist()
([2, 1], [11.4, 18500.0])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nucsec.incidents.categorize import REL_TOL
from nucsec.incidents.decay import DAY_S, HalfLives, load_half_lives
from nucsec.incidents.errors import IncidentError
from nucsec.incidents.reference import ReferenceData, load_reference, source_key

__all__ = ["BatchResult", "categorize_batch", "encode_keys"]


@dataclass(frozen=True)
class BatchResult:
    """Per holding: sum of A/D (NaN if unknown) and category 1-5 (0 if unknown)."""

    sum_a_over_d: npt.NDArray[np.float64]
    category: npt.NDArray[np.int8]


def encode_keys(
    keys: Sequence[str] | npt.NDArray[np.str_],
) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Integer codes and the list of distinct names (first-seen order), in one pass."""
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(k, len(index)) for k in keys), dtype=np.intp, count=len(keys)
    )
    return codes, list(index)


def _per_key(
    names: list[str], ref: ReferenceData, need_half_life: bool, hl: HalfLives | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """D-values in TBq (NaN if none) and half-lives in days for each distinct name."""
    d = np.full(len(names), np.nan)
    t_half_d = np.full(len(names), np.inf)
    for i, name in enumerate(names):
        key = source_key(name)
        row = ref.d_values.get(key)
        if row is not None and row.d_value_tbq is not None:
            d[i] = row.d_value_tbq
        nuclide = row.nuclide if row is not None else key.partition("/")[0]
        if need_half_life and nuclide is not None:
            t_half_d[i] = (hl or load_half_lives()).get(nuclide) / DAY_S
    return d, t_half_d


def categorize_batch(
    keys: Sequence[str] | npt.NDArray[np.str_],
    activity_tbq: npt.ArrayLike,
    holding: npt.ArrayLike | None = None,
    *,
    elapsed_days: npt.ArrayLike | None = None,
    ref: ReferenceData | None = None,
    half_lives: HalfLives | None = None,
) -> BatchResult:
    """Categorise many items, aggregated by ``holding``.

    Parameters
    ----------
    keys
        Source names (``"Co-60"``, ``"Am-241/Be"``), one per item.
    activity_tbq
        Activities in TBq on their reference dates.
    holding
        Integer holding id per item, ``0 .. n-1`` (default: every item on its own).
    elapsed_days
        Days from each item's reference date to the date asked for (0 or NaN: no
        correction); scalar or one per item.
    """
    ref = ref or load_reference()
    codes, names = encode_keys(keys)
    activity = np.asarray(activity_tbq, dtype=np.float64)
    if activity.shape != codes.shape:
        raise IncidentError("one activity per item", field="activity_tbq")
    if not np.all(np.isfinite(activity) & (activity >= 0)):
        raise IncidentError("activities must be finite and >= 0", field="activity_tbq")
    d, t_half_d = _per_key(names, ref, elapsed_days is not None, half_lives)
    aod = activity / d[codes]
    if elapsed_days is not None:
        days = np.nan_to_num(np.asarray(elapsed_days, dtype=np.float64), nan=0.0)
        with np.errstate(over="ignore"):
            factor = np.exp(-math.log(2.0) * days / t_half_d[codes])
        if not np.all(np.isfinite(factor)):
            raise IncidentError("decay correction too far back in time", field="elapsed_days")
        aod *= factor
    if holding is None:
        sums = aod
    else:
        group = np.asarray(holding)
        if group.shape != codes.shape or (group.size and group.min() < 0):
            raise IncidentError("one holding id >= 0 per item", field="holding")
        sums = np.asarray(np.bincount(group, weights=aod), dtype=np.float64)
    return BatchResult(sums, _categories(sums, ref))


def _categories(sums: npt.NDArray[np.float64], ref: ReferenceData) -> npt.NDArray[np.int8]:
    bands = ref.source_bands  # category 1 first; lower bounds ascending when reversed
    lows = np.array([b.lo for b in reversed(bands) if b.lo is not None])
    index = np.searchsorted(lows, sums * (1.0 + REL_TOL), side="right")
    category = (len(bands) - index).astype(np.int8)
    category[np.isnan(sums)] = 0
    return category
