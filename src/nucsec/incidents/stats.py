"""Trends: incident counts by year, ITDB group, material class, type, country, detection mode.

Pure functions over plain rows (mappings with the keys of :data:`DIMENSIONS`), which the
caller has already filtered by policy: a statistic must count only what its reader may
see. :func:`incident_stats` takes rows (one pass per dimension, in C via ``Counter``);
:func:`incident_stats_columns` takes columns (NumPy arrays) for millions of incidents.
Both give the same :class:`IncidentStats`; every code of a vocabulary and every year
between the first and the last appear, with 0 where nothing happened (charts need them).

>>> rows = [{"year": 2005, "itdb_group": "III", "material_class": "nuclear",
...          "incident_type": "loss", "country": "JP", "detection_mode": "unknown"}]
>>> s = incident_stats(rows)
>>> s.total, s.counts["itdb_group"]
(1, {'I': 0, 'II': 0, 'III': 1})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from nucsec.incidents.countries import country_name
from nucsec.incidents.errors import IncidentError
from nucsec.incidents.model import Incident
from nucsec.incidents.vocabulary import (
    DETECTION_MODES,
    INCIDENT_TYPES,
    ITDB_GROUPS,
    MATERIAL_CLASSES,
    Vocabulary,
)

__all__ = [
    "DIMENSIONS",
    "IncidentStats",
    "display_name",
    "incident_stats",
    "incident_stats_columns",
    "incident_stats_from_counts",
    "stats_row",
]

#: row key -> JSON name of its count table
DIMENSIONS: dict[str, str] = {
    "year": "by_year",
    "itdb_group": "by_group",
    "material_class": "by_material_class",
    "incident_type": "by_type",
    "country": "by_country",
    "detection_mode": "by_detection_mode",
}
_VOCABULARIES: dict[str, Vocabulary] = {
    "itdb_group": ITDB_GROUPS,
    "material_class": MATERIAL_CLASSES,
    "incident_type": INCIDENT_TYPES,
    "detection_mode": DETECTION_MODES,
}


@dataclass(frozen=True)
class IncidentStats:
    """Counts per dimension (value -> count) and the year x group table for trend charts."""

    total: int
    counts: dict[str, dict[str, int]]
    by_year_and_group: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        """The ``nucsec incident stats --json`` shape."""
        out: dict[str, Any] = {"total": self.total}
        for dim, name in DIMENSIONS.items():
            out[name] = self.counts[dim]
        out["by_year_and_group"] = self.by_year_and_group
        return out


def stats_row(incident: Incident) -> dict[str, Any]:
    """The plain row of an incident that the statistics count (year of its event date)."""
    return {
        "year": incident.event_date.year,
        "itdb_group": incident.itdb_group,
        "material_class": incident.material_class,
        "incident_type": incident.incident_type,
        "country": incident.country,
        "detection_mode": incident.detection_mode,
    }


def display_name(dimension: str, code: str, lang: str = "en") -> str:
    """Display name of a code for charts (``lang`` ``"en"`` or ``"ja"``)."""
    if dimension == "country":
        return country_name(code)
    vocabulary = _VOCABULARIES.get(dimension)
    if vocabulary is None:
        return code
    term = vocabulary.term(code)
    return term.ja if lang == "ja" else term.en


def _complete(dim: str, counter: Mapping[Any, int]) -> dict[str, int]:
    """Order and fill a raw count table; refuse values outside the vocabulary."""
    vocabulary = _VOCABULARIES.get(dim)
    if vocabulary is not None:
        extra = set(counter) - set(vocabulary.codes)
        if extra:
            raise IncidentError(f"unknown {dim} value(s): {sorted(map(str, extra))}", field=dim)
        return {code: int(counter.get(code, 0)) for code in vocabulary.codes}
    if dim == "year":
        if not all(isinstance(y, int | np.integer) and not isinstance(y, bool) for y in counter):
            raise IncidentError("year must be an integer", field="year")
        years = [int(y) for y in counter]
        span = range(min(years), max(years) + 1) if years else range(0)
        return {str(y): int(counter.get(y, 0)) for y in span}
    return {str(k): int(v) for k, v in sorted(counter.items(), key=lambda kv: str(kv[0]))}


def _crosstab(pairs: Counter[tuple[Any, Any]], years: Iterable[str]) -> dict[str, dict[str, int]]:
    return {y: {g: int(pairs.get((int(y), g), 0)) for g in ITDB_GROUPS.codes} for y in years}


def incident_stats(rows: Iterable[Mapping[str, Any]]) -> IncidentStats:
    """Counts from plain rows (each needs every key of :data:`DIMENSIONS`)."""
    data = rows if isinstance(rows, Sequence) else list(rows)
    try:
        raw = {dim: Counter(map(itemgetter(dim), data)) for dim in DIMENSIONS}
        pairs = Counter(map(itemgetter("year", "itdb_group"), data))
    except KeyError as exc:
        raise IncidentError(f"row without {exc.args[0]!r}", field=str(exc.args[0])) from None
    except TypeError as exc:  # a row that is not a mapping, or an unhashable value
        raise IncidentError(f"bad statistics row: {exc}", field="rows") from None
    counts = {dim: _complete(dim, raw[dim]) for dim in DIMENSIONS}
    return IncidentStats(len(data), counts, _crosstab(pairs, counts["year"]))


def _count_column(values: npt.NDArray[Any], codes: Sequence[str] = ()) -> dict[Any, int]:
    """Value -> count; with ``codes``, integer values index them, strings are compared."""
    if values.size == 0:
        return {}
    if codes and np.issubdtype(values.dtype, np.integer):
        if values.min() < 0 or values.max() >= len(codes):
            raise IncidentError("code index out of range", field="columns")
        return dict(zip(codes, np.bincount(values, minlength=len(codes)).tolist(), strict=True))
    if codes:
        by_code = {c: int(np.count_nonzero(values == c)) for c in codes}
        if sum(by_code.values()) == values.size:
            return by_code  # else an unknown value: counted below, refused by _complete
    if np.issubdtype(values.dtype, np.integer):
        low = int(values.min())
        return {low + i: c for i, c in enumerate(np.bincount(values - low).tolist()) if c}
    uniques, counts = np.unique(values.astype(str), return_counts=True)
    return {str(u): int(c) for u, c in zip(uniques, counts, strict=True)}


def incident_stats_columns(columns: Mapping[str, npt.ArrayLike]) -> IncidentStats:
    """Counts from columns: ``columns[dim]`` is an array with one value per incident.

    ``year`` must be integers; ``country`` strings; the other dimensions strings (their
    codes) or, fastest, integers indexing the vocabulary's ``codes`` (as a categorical
    column from a columnar store). The work is done in NumPy.
    """
    missing = [d for d in DIMENSIONS if d not in columns]
    if missing:
        raise IncidentError(f"missing column {missing[0]!r}", field=missing[0])
    arrays = {d: np.asarray(columns[d]) for d in DIMENSIONS}
    sizes = {a.shape for a in arrays.values()}
    if len(sizes) != 1 or len(next(iter(sizes))) != 1:
        raise IncidentError("columns must be 1-D and of one length", field="columns")
    if not np.issubdtype(arrays["year"].dtype, np.integer):
        raise IncidentError("year must be an integer column", field="year")
    counts = {}
    for dim in DIMENSIONS:
        vocabulary = _VOCABULARIES.get(dim)
        codes = vocabulary.codes if vocabulary is not None else ()
        counts[dim] = _complete(dim, _count_column(arrays[dim], codes))
    pairs: Counter[tuple[Any, Any]] = Counter()
    years = arrays["year"]
    groups = arrays["itdb_group"]
    for i, g in enumerate(ITDB_GROUPS.codes):
        mask = groups == (i if np.issubdtype(groups.dtype, np.integer) else g)
        for y, c in _count_column(years[mask]).items():
            pairs[(y, g)] = c
    return IncidentStats(int(years.size), counts, _crosstab(pairs, counts["year"]))


def incident_stats_from_counts(counts: Iterable[tuple[int, str, str, int]]) -> IncidentStats:
    """Counts from pre-aggregated ``(year, dimension, value, n)`` rows, one set of rows per
    dimension other than ``year`` (each incident counted once in each dimension), as the
    store keeps them. The year totals are the sums of the ITDB-group rows of each year.
    """
    raw: dict[str, Counter[Any]] = {dim: Counter() for dim in DIMENSIONS}
    pairs: Counter[tuple[Any, Any]] = Counter()
    for year, dim, value, n in counts:
        if dim not in raw or dim == "year":
            raise IncidentError(f"unknown statistics dimension {dim!r}", field="dimension")
        raw[dim][value] += int(n)
        if dim == "itdb_group":
            raw["year"][int(year)] += int(n)
            pairs[(int(year), value)] += int(n)
    raw = {dim: Counter({k: v for k, v in c.items() if v}) for dim, c in raw.items()}
    table = {dim: _complete(dim, raw[dim]) for dim in DIMENSIONS}
    total = sum(raw["itdb_group"].values())
    return IncidentStats(total, table, _crosstab(pairs, table["year"]))
