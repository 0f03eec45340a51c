"""The vectorised univariate stage of a match: exclude entries column by column.

A sample's signatures become :class:`Item` values in the comparison space. Entries are
excluded first by the exact checks (material type, chemical form: their outcome over the
whole library is kept on the index per material code and form bits, :func:`_start`), then
one numeric signature at a time, the column that excludes most of a reference sample of the
library first, so most of a large library is gone after a few columns. While many entries remain
a column is tested over the whole array with a boolean mask; once fewer than 40 % remain,
only the survivors' positions are gathered. ``why`` keeps, for each excluded entry,
the code of the first test that excluded it; ``tests`` names the codes.

Per numeric signature, with ``x`` the sample's value, ``u`` its standard uncertainty and
``μ``, ``v`` the entry's value and variance (spread² + u_μ²), an entry is excluded when

- both have values: ``|x − μ| > k sqrt(u² + v)`` (two-sided);
- the sample is below its limit L: ``μ − L > k1 sqrt(v)`` (the entry's material would have
  been seen);
- the entry is below its limit L: ``x − L > k1 sqrt(u² + s²)`` (the sample shows more than
  the source ever does);
- the sample's model date comes from incompletely purified material: ``x − μ > k1 sqrt(u² +
  v)`` only (the true purification date is at or after the model date);
- both are below limits, or one side lacks the signature: never (inconclusive).

The date against an entry's production history is :func:`date_excluded`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nucsec.forensics.library import _kernels, parallel
from nucsec.forensics.library.columns import FORM_BITS
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.model import Sample
from nucsec.forensics.library.thresholds import Thresholds, thresholds
from nucsec.forensics.library.vocabulary import signature

__all__ = ["Cascade", "Item", "Prepared", "date_excluded", "prepare", "run_cascade"]

_GATHER_BELOW = 0.4
_START_KEYS = 16
_START_LOCK = threading.Lock()
#: libraries smaller than this run the cascade on the calling thread
SPLIT_ABOVE = 50_000
MATERIAL_TEST = "material type"


@dataclass(frozen=True)
class Item:
    """One numeric sample signature in the comparison space."""

    name: str
    j: int  # index column, -1 when no entry has the signature
    x: float  # value, or the detection limit when ``below``
    u2: float  # variance of x (0 for a limit)
    below: bool
    one_sided: bool  # model date of incompletely purified material
    date: bool


@dataclass(frozen=True)
class Prepared:
    """A sample ready to compare: numeric items, chemical forms, thresholds."""

    items: tuple[Item, ...]
    forms: tuple[tuple[str, int], ...]
    material: int | None
    th: Thresholds

    @property
    def continuous(self) -> tuple[Item, ...]:
        """Items with a value (not a limit, not a date) and a library column."""
        return tuple(i for i in self.items if not i.below and not i.date and i.j >= 0)

    @property
    def date(self) -> Item | None:
        """The model-date item, if the sample has one."""
        return next((i for i in self.items if i.date), None)


def prepare(index: LibraryIndex, sample: Sample, alpha: float) -> Prepared:
    """Translate a validated sample into comparison-space items and thresholds."""
    items: list[Item] = []
    forms: list[tuple[str, int]] = []
    for m in sample.signatures:
        sig = signature(m.name)
        if isinstance(m.value, tuple):
            forms.append((m.name, FORM_BITS[m.value[0]]))
            continue
        log = sig.transform == "log"
        raw = m.below if m.below is not None else m.value
        if raw is None:
            continue
        x = float(np.log(raw)) if log else float(raw)
        u = m.u / raw if log else m.u
        items.append(
            Item(
                m.name,
                index.column.get(m.name, -1),
                x,
                0.0 if m.below is not None else float(u * u),
                m.below is not None,
                m.purification == "incomplete",
                sig.kind == "date",
            )
        )
    th = thresholds(alpha, index.n_tests, multivariate=index.n_continuous >= 2)
    material = None if sample.material_type is None else index.material_code(sample.material_type)
    return Prepared(tuple(items), tuple(forms), material, th)


@dataclass
class Cascade:
    """Survivors of the univariate stage and why the others went."""

    survivors: np.ndarray
    why: np.ndarray  # int16 per entry: -1 = not excluded, else a code into ``tests``
    tests: list[str] = field(default_factory=list)

    def code(self, test: str) -> int:
        """The code of a test (added on first use)."""
        if test not in self.tests:
            self.tests.append(test)
        return self.tests.index(test)

    def exclude(self, positions: np.ndarray, test: str) -> None:
        """Mark ``positions`` (all still alive) as excluded by ``test``."""
        if positions.size:
            self.why[positions] = self.code(test)

    def exclude_mask(self, mask: np.ndarray, test: str) -> None:
        """Mark the entries where ``mask`` is true (all still alive) as excluded by ``test``."""
        if mask.any():
            np.putmask(self.why, mask, self.code(test))


def _k2_table(index: LibraryIndex, th: Thresholds, one_sided: bool) -> np.ndarray:
    """k² per member level (an entry summarised from n members uses Student-t quantiles)."""
    key = (th.k1 if one_sided else th.k, one_sided)
    table = index.k2_cache.get(key)
    if table is None:
        table = np.array(
            [th.k_for(int(n), one_sided=one_sided) ** 2 for n in index.member_levels], np.float32
        )
        index.k2_cache[key] = table
    return table


def _k2(index: LibraryIndex, th: Thresholds, sel: np.ndarray | slice, one_sided: bool) -> Any:
    if not index.has_members:
        k = th.k1 if one_sided else th.k
        return np.float32(k * k)
    return _k2_table(index, th, one_sided)[index.member_code[sel]]


def column_bad(
    index: LibraryIndex, item: Item, th: Thresholds, sel: np.ndarray | slice
) -> np.ndarray:
    """Which of the entries at ``sel`` the item excludes (``NaN`` never excludes)."""
    mu, var = index.mu[item.j, sel], index.var[item.j, sel]
    k2 = _k2(index, th, sel, item.below or item.one_sided)
    d = np.subtract(mu, item.x, dtype=np.float32)
    if item.below:  # sample below L: excluded when the entry's value sits clearly above L
        bad = d > 0
        np.square(d, out=d)
        return bad & (d > var * k2)
    if item.one_sided:  # entry's date earlier than the earliest possible purification
        bad = d < 0
        np.square(d, out=d)
        return bad & (d > (var + np.float32(item.u2)) * k2)
    np.square(d, out=d)
    t = np.add(var, np.float32(item.u2), dtype=np.float32)
    t *= k2
    return d > t


def _below_bad(
    index: LibraryIndex, item: Item, th: Thresholds, positions: np.ndarray | None
) -> np.ndarray:
    """Entries known only as below a limit that the sample's value clearly exceeds.

    ``positions`` ``None``: over every such entry, returns their positions; else a boolean
    array over ``positions``.
    """
    bl = index.below.get(item.j)
    if positions is None:
        if bl is None or item.below or item.date:
            return np.zeros(0, np.int64)
        excess = item.x - bl.limit
        bad = (excess > 0) & (excess**2 > th.k1**2 * (item.u2 + bl.spread**2))
        return bl.entry[bad]
    if bl is None or item.below or item.date:
        return np.zeros(positions.size, bool)
    hit, k = index.below_lookup(item.j, positions)
    excess = item.x - bl.limit[k]
    return hit & (excess > 0) & (excess**2 > th.k1**2 * (item.u2 + bl.spread[k] ** 2))


def _order(index: LibraryIndex, prep: Prepared) -> list[Item]:
    """The sample's columns, most selective for *this* sample first.

    Selectivity is the share of the material group's reference entries the column's test
    excludes (cheap: a few hundred entries), so the first full passes remove the most.
    """
    group = len(index.reference) - 1 if prep.material is None else prep.material
    ref = index.reference[group]
    items = [i for i in prep.items if i.j >= 0]
    if ref.size == 0:
        return items
    share = [float(column_bad(index, i, prep.th, ref).mean()) for i in items]
    return [items[k] for k in np.argsort(share, kind="stable")[::-1]]


@dataclass(frozen=True)
class _Start:
    """The exact checks' outcome over the whole library (cached per library and key)."""

    why: np.ndarray  # int16: material (code 0) and chemical-form codes, -1 = alive
    alive: np.ndarray  # bool per entry
    positions: np.ndarray  # int64 positions of the alive entries, ascending


def _start(index: LibraryIndex, prep: Prepared, same_material: bool) -> _Start:
    """Material type and chemical forms over every entry, once per (material, forms).

    They depend on the sample only through its material code and form bits, so the result
    is kept on the index (a few recent keys) and the univariate stage starts from it.
    """
    material = prep.material if same_material else None
    key = (material, prep.forms)
    cached = index.start_cache.get(key)
    if isinstance(cached, _Start):
        return cached
    codes = list(dict.fromkeys([MATERIAL_TEST, *(name for name, _ in prep.forms)]))
    why = np.full(index.n, -1, np.int16)
    alive = np.ones(index.n, bool)
    if material is not None:
        alive = index.material == material
        np.putmask(why, ~alive, codes.index(MATERIAL_TEST))
    for name, bit in prep.forms:
        mask = index.forms.get(name)
        if mask is not None:
            bad = alive & (mask != 0) & ((mask & bit) == 0)
            np.putmask(why, bad, codes.index(name))
            alive &= ~bad
    start = _Start(why, alive, np.flatnonzero(alive))
    with _START_LOCK:  # concurrent matches share the index
        while len(index.start_cache) >= _START_KEYS:
            index.start_cache.pop(next(iter(index.start_cache)))
        index.start_cache[key] = start
    return start


def run_cascade(index: LibraryIndex, prep: Prepared, *, same_material: bool = True) -> Cascade:
    """Apply the exact checks and every univariate test; return the survivors.

    Every entry is judged on its own, so the library is cut into contiguous ranges run on
    separate threads (:mod:`.parallel`); each range writes its own part of ``why``.
    """
    order = _order(index, prep)
    names = [MATERIAL_TEST, *(name for name, _ in prep.forms), *(i.name for i in order)]
    date = prep.date
    if date is not None:
        names.append(date.name)
    start = _start(index, prep, same_material)
    cas = Cascade(np.zeros(0, np.int64), start.why.copy(), list(dict.fromkeys(names)))
    n_ranges = parallel.THREADS if index.n >= SPLIT_ABOVE else 1
    bounds = np.linspace(0, index.n, n_ranges + 1).astype(np.int64)
    ranges = np.arange(n_ranges)
    plan = _plan(index, prep, order, cas) if _kernels.ENABLED else None

    def run(chunk: np.ndarray) -> list[np.ndarray]:
        spans = [(int(bounds[r]), int(bounds[r + 1])) for r in chunk]
        if plan is not None:
            return [_run_compiled(index, plan, cas, start, lo, hi) for lo, hi in spans]
        return [_run_range(index, prep, order, cas, start, lo, hi) for lo, hi in spans]

    parts = parallel.chunked(run, ranges, min_chunk=1)
    survivors = np.concatenate([s for part in parts for s in part])
    if date is not None and index.window_entry.size:
        gone = date_excluded(index, date, prep.th, survivors)
        cas.exclude(gone, date.name)
        survivors = survivors[~np.isin(survivors, gone, assume_unique=True)]
    cas.survivors = survivors
    return cas


@dataclass(frozen=True)
class _Plan:
    """The sample's tests in cascade order, as the arrays of ``_kernels.cascade_positions``."""

    cols: np.ndarray
    x32: np.ndarray
    u2_32: np.ndarray
    modes: np.ndarray
    k2: np.ndarray  # (tests, member levels) float32
    codes: np.ndarray
    below_row: np.ndarray
    below_offset: np.ndarray
    x64: np.ndarray
    u2_64: np.ndarray
    k1_sq: float


def _plan(index: LibraryIndex, prep: Prepared, order: list[Item], cas: Cascade) -> _Plan:
    """The arrays the compiled cascade needs, with the same constants as :func:`column_bad`
    (``float32`` k², per member level) and :func:`_below_bad` (``float64``)."""
    th, levels = prep.th, index.member_levels.size
    k2 = np.empty((len(order), levels), np.float32)
    below = np.full((len(order), 2), -1, np.int64)
    for t, item in enumerate(order):
        one_sided = item.below or item.one_sided
        if index.has_members:
            k2[t] = _k2_table(index, th, one_sided)
        else:
            k = th.k1 if one_sided else th.k
            k2[t] = np.float32(k * k)
        if item.j in index.below_row and not (item.below or item.date):
            below[t] = index.below_row[item.j]
    modes = [
        _kernels.SAMPLE_BELOW if i.below else _kernels.ONE_SIDED if i.one_sided else 0
        for i in order
    ]
    x, u2 = np.array([i.x for i in order]), np.array([i.u2 for i in order])
    return _Plan(
        np.array([i.j for i in order], np.int64), x.astype(np.float32), u2.astype(np.float32),
        np.array(modes, np.int8), k2, np.array([cas.tests.index(i.name) for i in order], np.int16),
        below[:, 0].copy(), below[:, 1].copy(), x, u2, th.k1**2,
    )  # fmt: skip


def _run_compiled(
    index: LibraryIndex, plan: _Plan, cas: Cascade, start: _Start, lo: int, hi: int
) -> np.ndarray:
    """:func:`_run_range` by the compiled kernel: one pass over the range's entries that
    passed the exact checks, each tested until its first failing test."""
    first, last = np.searchsorted(start.positions, [lo, hi])
    positions = start.positions[first:last]
    out = np.empty(positions.size, np.int64)
    n = _kernels.cascade_positions(
        index.mu, index.var, index.member_code, positions, plan.cols, plan.x32, plan.u2_32,
        plan.modes, plan.k2, plan.codes, plan.below_row, index.below_rows, plan.below_offset,
        index.below_limit_all, index.below_spread_all, plan.x64, plan.u2_64, plan.k1_sq,
        cas.why, out,
    )  # fmt: skip
    return out[:n]


def _run_range(
    index: LibraryIndex,
    prep: Prepared,
    order: list[Item],
    cas: Cascade,
    start: _Start,
    lo: int,
    hi: int,
) -> np.ndarray:
    """The cascade over entries ``lo`` to ``hi``: marks ``cas.why[lo:hi]``, returns survivors."""
    n, whole = hi - lo, slice(lo, hi)
    why = cas.why[whole]  # a view: this range's part only
    first, last = np.searchsorted(start.positions, [lo, hi])
    count = int(last - first)
    idx: np.ndarray | None = None
    alive = start.alive[whole]
    if count < _GATHER_BELOW * n:
        idx = start.positions[first:last]
    else:
        alive = alive.copy()
    for item in order:
        code = cas.tests.index(item.name)
        if idx is None and count < _GATHER_BELOW * n:
            idx = np.flatnonzero(alive) + lo
        if idx is None:
            bad = column_bad(index, item, prep.th, whole)
            limit = _below_bad(index, item, prep.th, None)
            bad[limit[(limit >= lo) & (limit < hi)] - lo] = True
            bad &= alive
            np.putmask(why, bad, code)
            alive &= ~bad
            count = int(np.count_nonzero(alive))
        else:
            bad_i = column_bad(index, item, prep.th, idx) | _below_bad(index, item, prep.th, idx)
            why[idx[bad_i] - lo] = code
            idx = idx[~bad_i]
    return np.flatnonzero(alive) + lo if idx is None else idx


def date_excluded(
    index: LibraryIndex, date: Item, th: Thresholds, survivors: np.ndarray
) -> np.ndarray:
    """Entries among ``survivors`` whose production windows contradict the model date.

    Complete purification: the interval ``x ± k u`` must meet a window of a step that
    resets the chronometer. Incomplete purification: the model date is the earliest the
    last purification can have been, so a window must end at or after ``x − k1 u``.
    """
    with_window = survivors[index.has_window[survivors]]
    if with_window.size == 0:
        return with_window
    u = float(np.sqrt(date.u2))
    lo = date.x - (th.k1 if date.one_sided else th.k) * u
    hi = np.inf if date.one_sided else date.x + th.k * u
    start = np.searchsorted(index.window_entry, with_window, side="left")
    stop = np.searchsorted(index.window_entry, with_window, side="right")
    counts = stop - start
    owner = np.repeat(np.arange(with_window.size), counts)
    rows = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    meets = (index.window_end[rows] >= lo) & (index.window_start[rows] <= hi)
    ok = np.bincount(owner[meets], minlength=with_window.size) > 0
    return with_window[~ok]
