"""Entries as columns: one array per signature, the form both the index and the generator use.

:class:`LibraryColumns` holds a library in natural units (the units of the vocabulary): for
every numeric signature the value, its standard uncertainty, the within-source spread and a
detection limit, each an array over entries with ``NaN`` where the entry has nothing;
chemical forms as bit masks; production windows of the steps that reset the chronometers;
within-source correlation models shared by many entries. The synthetic generator writes
this form directly (a million entries never become Python objects);
:func:`columns_from_entries` builds it from :class:`~nucsec.forensics.library.model.Entry`
objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nucsec.forensics.library.members import CorrelationModel, summarise_members
from nucsec.forensics.library.model import Entry, decimal_year
from nucsec.forensics.library.vocabulary import (
    CHEMICAL_FORMS,
    MATERIAL_TYPES,
    STEP_KINDS,
    signature,
)

__all__ = [
    "FORM_BITS",
    "MATERIAL_CODES",
    "LibraryColumns",
    "NumericColumn",
    "columns_from_entries",
]

MATERIAL_CODES: tuple[str, ...] = tuple(MATERIAL_TYPES)
FORM_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(CHEMICAL_FORMS)}


@dataclass
class NumericColumn:
    """One numeric signature over all entries, natural units, ``NaN`` where absent."""

    value: np.ndarray
    u: np.ndarray
    spread: np.ndarray
    below: np.ndarray

    @classmethod
    def empty(cls, n: int) -> NumericColumn:
        """A column of ``n`` absent values."""
        return cls(*(np.full(n, np.nan) for _ in range(4)))


@dataclass
class LibraryColumns:
    """A whole library as arrays over entries (see the module docstring)."""

    ids: list[str]
    material: np.ndarray  # int8 index into MATERIAL_CODES
    numeric: dict[str, NumericColumn] = field(default_factory=dict)
    forms: dict[str, np.ndarray] = field(default_factory=dict)  # int32 bit masks, 0 = absent
    window_entry: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    window_start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    window_end: np.ndarray = field(default_factory=lambda: np.zeros(0))
    corr_id: np.ndarray | None = None  # int32 per entry, -1 = none
    corr_models: list[CorrelationModel] = field(default_factory=list)
    n_members: np.ndarray | None = None  # int32 per entry, 0 = summary values
    unverified: set[tuple[int, str]] = field(default_factory=set)

    @property
    def n(self) -> int:
        """Number of entries."""
        return len(self.ids)


def _windows(entries: Sequence[Entry]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [
        (
            i,
            decimal_year(s.start) if s.start else -np.inf,
            decimal_year(s.end) + 1 / 365.2422 if s.end else np.inf,
        )
        for i, e in enumerate(entries)
        for s in e.history
        if STEP_KINDS[s.step].resets_clock
    ]
    arr = np.array(rows, dtype=float).reshape(-1, 3)
    return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2]


def _correlation_model(entry: Entry) -> CorrelationModel | None:
    names = tuple(dict.fromkeys(n for c in entry.correlations for n in (c.a, c.b) if entry.get(n)))
    if len(names) < 2:
        return None
    r = np.eye(len(names))
    for c in entry.correlations:
        i, j = names.index(c.a), names.index(c.b)
        r[i, j] = r[j, i] = c.r
    return CorrelationModel(names, r)


def columns_from_entries(entries: Sequence[Entry]) -> LibraryColumns:
    """The columns of a list of entries; an entry's members replace its stated summary."""
    n = len(entries)
    cols = LibraryColumns(
        ids=[e.id for e in entries],
        material=np.array([MATERIAL_CODES.index(e.material_type) for e in entries], np.int8),
    )
    corr_id = np.full(n, -1, np.int32)
    n_members = np.zeros(n, np.int32)
    for i, entry in enumerate(entries):
        for m in entry.signatures:
            if isinstance(m.value, tuple):
                mask = cols.forms.setdefault(m.name, np.zeros(n, np.int32))
                mask[i] = sum(FORM_BITS[f] for f in m.value)
                continue
            col = cols.numeric.get(m.name) or cols.numeric.setdefault(
                m.name, NumericColumn.empty(n)
            )
            if m.below is not None:
                col.below[i] = m.below
            else:
                col.value[i], col.u[i], col.spread[i] = m.value, m.u, m.spread
            if m.status == "unverified":
                cols.unverified.add((i, m.name))
        model = _correlation_model(entry)
        summary = summarise_members(entry) if entry.members else None
        if summary is not None:
            n_members[i] = summary.n_members
            model = summary.model or model
            for name, (value, spread) in summary.values.items():
                col = cols.numeric.get(name) or cols.numeric.setdefault(
                    name, NumericColumn.empty(n)
                )
                col.value[i], col.u[i], col.spread[i], col.below[i] = value, 0.0, spread, np.nan
        if model is not None:
            corr_id[i] = len(cols.corr_models)
            cols.corr_models.append(model)
    cols.corr_id, cols.n_members = corr_id, n_members
    cols.window_entry, cols.window_start, cols.window_end = _windows(entries)
    for name in list(cols.numeric):
        signature(name)  # every column is a vocabulary name (entries were validated)
    return cols
