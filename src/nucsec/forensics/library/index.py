"""The columnar in-memory index a match runs on, built once from entries or columns.

Every numeric signature becomes two ``float32`` rows over entries in the *comparison space*
(natural log for ``log`` signatures, else the value): ``mu`` (the entry's value) and ``var``
(the variance a sample from that source shows about ``mu``, before the sample's own
uncertainty: within-source spread² plus the entry value's uncertainty², spread² × (1 + 1/n)
for an entry summarised from n members). ``NaN`` marks a missing value, and comparisons with
``NaN`` are false, so missing data never excludes. Detection limits are sparse per column.
Chemical forms are ``int32`` bit masks. Production windows (steps that reset the
chronometers) are a CSR list per entry. ``float32`` keeps a million entries × 30 signatures
in 240 MB; its relative precision (6e-8) is far below any measurement uncertainty, and the
verdicts of surviving candidates are recomputed in ``float64``.

For log signatures the spread and uncertainty enter as relative values (``s/μ``, ``u/x``),
the first-order propagation to log space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nucsec.forensics.library.columns import (
    MATERIAL_CODES,
    LibraryColumns,
    columns_from_entries,
)
from nucsec.forensics.library.members import CorrelationModel
from nucsec.forensics.library.model import Entry
from nucsec.forensics.library.vocabulary import signature

__all__ = ["REFERENCE_SIZE", "BelowLimits", "IndexedModel", "LibraryIndex"]

REFERENCE_SIZE = 500


@dataclass(frozen=True)
class BelowLimits:
    """Entries of one column known only as below a limit (comparison space)."""

    entry: np.ndarray  # int64 entry positions
    limit: np.ndarray  # float64
    spread: np.ndarray  # float64 (0 when not stated)


@dataclass(frozen=True)
class IndexedModel:
    """A correlation model with its signatures as index columns."""

    cols: np.ndarray  # int64 column positions
    r: np.ndarray
    n_members: int
    n_pc: int
    where: np.ndarray  # per index column: its position in ``cols``, or -1
    #: no correlation between signatures of different vocabulary groups: the covariance of
    #: an entry is block diagonal by group, so each group is factorised on its own
    block_diagonal: bool = False


def _to_space(values: np.ndarray, log: bool) -> np.ndarray:
    if not log:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(values), np.nan)


class LibraryIndex:
    """A library ready to match against: build with :meth:`build` or :meth:`from_columns`."""

    def __init__(self, cols: LibraryColumns, entries: Sequence[Entry] | None = None) -> None:
        n = cols.n
        self.n = n
        self.ids: list[str] = list(cols.ids)
        self.position: dict[str, int] = {e: i for i, e in enumerate(self.ids)}
        self.material = np.asarray(cols.material, np.int8)
        self.entries: tuple[Entry, ...] | None = tuple(entries) if entries is not None else None
        self.n_members = (
            np.zeros(n, np.int32) if cols.n_members is None else np.asarray(cols.n_members)
        )
        levels, code = np.unique(self.n_members, return_inverse=True)
        self.member_levels = levels.astype(np.int64)  # distinct member counts (0: summary)
        self.member_code = code.astype(np.int16)  # per entry: position in member_levels
        self.names: tuple[str, ...] = tuple(cols.numeric)
        self.column: dict[str, int] = {name: j for j, name in enumerate(self.names)}
        self.log = np.array([signature(nm).transform == "log" for nm in self.names], bool)
        group_names = [signature(nm).group for nm in self.names]
        #: per index column: a code of its vocabulary group (the blocks of a covariance)
        self.group_code = np.array(
            [list(dict.fromkeys(group_names)).index(g) for g in group_names], np.int64
        )
        m = len(self.names)
        self.mu = np.full((m, n), np.nan, np.float32)
        self.var = np.full((m, n), np.nan, np.float32)
        self.spread = np.full((m, n), np.nan, np.float32)
        self.below: dict[int, BelowLimits] = {}
        has_window = np.zeros(n, bool)
        has_window[cols.window_entry] = True
        self.has_window = has_window
        inflate = np.where(self.n_members > 0, 1 + 1 / np.maximum(self.n_members, 1), 1.0)
        for j, name in enumerate(self.names):
            self._fill(j, cols.numeric[name], inflate, has_window if name == "model date" else None)
        self.forms: dict[str, np.ndarray] = dict(cols.forms)
        order = np.argsort(cols.window_entry, kind="stable")
        self.window_entry = np.asarray(cols.window_entry)[order]
        self.window_start = np.asarray(cols.window_start, float)[order]
        self.window_end = np.asarray(cols.window_end, float)[order]
        self.corr_id = (
            np.full(n, -1, np.int32) if cols.corr_id is None else np.asarray(cols.corr_id)
        )
        self.models = [self._indexed(model) for model in cols.corr_models]
        self.unverified = frozenset(cols.unverified)
        self._population()
        dated = self.window_entry.size > 0 and "model date" not in self.column
        #: univariate tests an entry can face: every numeric column (+ the dated history);
        #: thresholds depend on the library, never on which signatures a sample has
        self.n_tests = len(self.names) + int(dated)
        continuous = np.array(
            [j for j, nm in enumerate(self.names) if signature(nm).kind != "date"], np.int64
        )
        self.n_continuous = int(continuous.size)
        #: the multivariate tests: all continuous columns, then each vocabulary group with
        #: at least two of them (U isotopes, REE, ...), as (name, index columns)
        self.mv_tests: list[tuple[str, np.ndarray]] = [("all", continuous)]
        groups: dict[str, list[int]] = {}
        for j in continuous:
            groups.setdefault(signature(self.names[j]).group, []).append(int(j))
        for name, members in groups.items():
            if len(members) >= 2 and len(members) < continuous.size:
                self.mv_tests.append((name, np.array(members, np.int64)))
        self.group_size = np.bincount(self.material, minlength=len(MATERIAL_CODES))
        self.reference = [self._reference(g) for g in range(len(MATERIAL_CODES) + 1)]
        self.has_members = bool(self.n_members.any())
        #: k² per member level, by (k, one-sided) (see ``cascade._k2_table``)
        self.k2_cache: dict[tuple[float, bool], np.ndarray] = {}
        #: the exact checks' outcome per (material, chemical forms) (see ``cascade._start``)
        self.start_cache: dict[object, object] = {}
        #: per column with detection limits: each entry's position in it, -1 = none (rows
        #: of one array, ``below_rows``, so a compiled kernel takes them all at once)
        self.below_position: dict[int, np.ndarray] = {}
        self.below_rows = np.full((len(self.below), n), -1, np.int32)
        #: per column with detection limits: its row of ``below_rows`` and where its limits
        #: start in ``below_limit_all`` / ``below_spread_all`` (all columns' limits end to end)
        self.below_row: dict[int, tuple[int, int]] = {}
        offset = 0
        for row, (j, bl) in enumerate(self.below.items()):
            self.below_rows[row, bl.entry] = np.arange(bl.entry.size, dtype=np.int32)
            self.below_position[j] = self.below_rows[row]
            self.below_row[j] = (row, offset)
            offset += bl.entry.size
        limits = [(bl.limit, bl.spread) for bl in self.below.values()]
        self.below_limit_all = np.concatenate([np.zeros(0), *(lim for lim, _ in limits)])
        self.below_spread_all = np.concatenate([np.zeros(0), *(s for _, s in limits)])

    def _fill(self, j: int, col: object, inflate: np.ndarray, drop: np.ndarray | None) -> None:
        value, u, spread, below = (
            np.asarray(getattr(col, k), float) for k in ("value", "u", "spread", "below")
        )
        log = bool(self.log[j])
        scale = np.where(np.isfinite(value) & (value != 0), np.abs(value), 1.0) if log else 1.0
        mu = _to_space(value, log)
        s = np.nan_to_num(spread) / scale
        var = s * s * inflate + (np.nan_to_num(u) / scale) ** 2
        if drop is not None:  # an entry's dated history takes precedence over its own date
            mu = np.where(drop, np.nan, mu)
        self.mu[j] = mu
        self.var[j] = np.where(np.isfinite(mu), var, np.nan)
        self.spread[j] = np.where(np.isfinite(mu), s * np.sqrt(inflate), np.nan)
        where = np.flatnonzero(np.isfinite(below))
        if where.size:
            lim = _to_space(below[where], log)
            lim_s = np.nan_to_num(spread[where]) / (below[where] if log else 1.0)
            self.below[j] = BelowLimits(where.astype(np.int64), lim, lim_s)

    def _indexed(self, model: CorrelationModel) -> IndexedModel:
        cols = np.array([self.column.get(nm, -1) for nm in model.names], np.int64)
        keep = cols >= 0
        r = model.r[np.ix_(keep, keep)]
        lam, vec = np.linalg.eigh(r)
        if lam.min() < 1e-6:  # a stated matrix that is not a correlation matrix: nearest one
            r = (vec * np.maximum(lam, 1e-6)) @ vec.T
            d = np.sqrt(np.diag(r))
            r = r / np.outer(d, d)
        where = np.full(len(self.names), -1, np.int64)
        where[cols[keep]] = np.arange(int(keep.sum()))
        groups = np.array([signature(self.names[j]).group for j in cols[keep]], object)
        across = groups[:, None] != groups[None, :]
        block = not bool(np.any(r[across] != 0))
        return IndexedModel(cols[keep], r, model.n_members, model.n_pc, where, block)

    def _population(self) -> None:
        """Per material type (last row: all) and column: population mean and sd; power.

        The population is the "random source" of the score and of the coincidence
        probability: a normal with the mean of the entries' values and their between-entry
        variance plus the median within-entry variance.
        """
        m, groups = len(self.names), len(MATERIAL_CODES)
        self.pop_mu = np.zeros((groups + 1, m))
        self.pop_sd = np.ones((groups + 1, m))
        self.power = np.zeros(m)
        for g in (groups, *range(groups)):  # all entries first: the fallback of empty groups
            rows = slice(None) if g == groups else self.material == g
            for j in range(m):
                mu_all, var_all = self.mu[j][rows], self.var[j][rows]
                ok = np.isfinite(mu_all)
                if not ok.any():
                    self.pop_mu[g, j] = self.pop_mu[groups, j]
                    self.pop_sd[g, j] = self.pop_sd[groups, j]
                    continue
                mu = mu_all[ok].astype(float)
                step = max(1, mu.size // 20_000)  # the median of an even subsample suffices
                within = float(np.median(var_all[ok][::step]))
                between = float(mu.var()) if mu.size > 1 else 0.0
                self.pop_mu[g, j] = float(mu.mean())
                self.pop_sd[g, j] = float(np.sqrt(between + within)) or 1.0
                if g == groups:
                    self.power[j] = np.sqrt(between / within) if within > 0 else np.inf

    def _reference(self, group: int) -> np.ndarray:
        """Up to ``REFERENCE_SIZE`` evenly spaced entries of a material group (last: all).

        The population of "other sources" the coincidence probability is measured on.
        """
        members = (
            np.arange(self.n)
            if group == len(MATERIAL_CODES)
            else np.flatnonzero(self.material == group)
        )
        if members.size <= REFERENCE_SIZE:
            return members
        return members[np.linspace(0, members.size - 1, REFERENCE_SIZE).astype(np.int64)]

    @classmethod
    def build(cls, entries: Sequence[Entry]) -> LibraryIndex:
        """The index of a list of entries (kept for :func:`explain` and reasons)."""
        return cls(columns_from_entries(entries), entries)

    @classmethod
    def from_columns(cls, cols: LibraryColumns) -> LibraryIndex:
        """The index of a columnar library (the synthetic generator's output)."""
        return cls(cols)

    def material_code(self, code: str) -> int:
        """The int8 code of a material type."""
        return MATERIAL_CODES.index(code)

    def below_at(self, j: int, e: int) -> int:
        """Position of entry ``e`` in column ``j``'s detection limits, or -1."""
        bl = self.below.get(j)
        if bl is None:
            return -1
        k = int(np.searchsorted(bl.entry, e))
        return k if k < bl.entry.size and int(bl.entry[k]) == e else -1

    def below_lookup(self, j: int, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For entries at ``positions``: whether column ``j`` holds only a limit for them,
        and where in :class:`BelowLimits` (valid where true)."""
        at = self.below_position.get(j)
        if at is None or positions.size == 0:
            return np.zeros(positions.size, bool), np.zeros(positions.size, np.int64)
        k = at[positions]
        hit = k >= 0
        return hit, np.where(hit, k, 0)

    def windows_of(self, i: int) -> list[tuple[float, float]]:
        """The production windows (decimal years) of entry ``i``."""
        lo, hi = np.searchsorted(self.window_entry, [i, i + 1])
        return list(zip(self.window_start[lo:hi], self.window_end[lo:hi], strict=True))

    @property
    def nbytes(self) -> int:
        """Approximate memory of the arrays (bytes)."""
        arrays: list[np.ndarray] = [
            self.mu,
            self.var,
            self.spread,
            self.material,
            self.n_members,
            self.corr_id,
            self.below_rows,
        ]
        return int(sum(a.nbytes for a in arrays) + sum(f.nbytes for f in self.forms.values()))
