"""Compiled kernels (numba) for the two hot loops of a library match.

Both loops do, per entry, a few arithmetic operations on many small arrays; in NumPy they
are dominated by temporaries and gathers, not by arithmetic. The kernels do the same
arithmetic in one compiled pass, with ``nogil=True`` so the threads of :mod:`.parallel` run
them side by side:

- :func:`cascade_positions`: the univariate stage over the entries that passed the exact
  checks (one contiguous range of them): per entry, the sample's tests in the cascade's
  order until the first one that excludes it (the same ``float32`` arithmetic as
  ``cascade.column_bad`` and the same ``float64`` detection-limit test as
  ``cascade._below_bad``), writing that test's code into ``why``;
- :func:`univariate_bound`: the coincidence estimate's univariate pass probabilities,
  folded into the minimum within a vocabulary group and the product across groups, per
  candidate and reference, without the (candidates × references) temporaries per signature.

The NumPy code they replace stays the reference (``ENABLED = False``, or
``NUCSEC_LIBRARY_KERNELS=0``); ``tests/library/test_kernels.py`` compares both.

Compiled with ``cache=True`` (see :mod:`nucsec.forensics.spectra._kernels`); :func:`warm_up`
loads them before the first match (``make install`` and the web server's warm-up call it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

__all__ = ["ENABLED", "cascade_positions", "ndtr", "univariate_bound", "warm_up"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: use the compiled kernels (else the NumPy reference path); ``NUCSEC_LIBRARY_KERNELS=0``
ENABLED = os.environ.get("NUCSEC_LIBRARY_KERNELS", "1") != "0"

#: the test modes of :func:`cascade_positions`
TWO_SIDED, SAMPLE_BELOW, ONE_SIDED = 0, 1, 2

_SQRT1_2 = 1.0 / math.sqrt(2.0)


def _jit(fn: _F) -> _F:
    """``numba.njit`` (cached, GIL released, NumPy float semantics: ``1/0`` is ``inf``),
    typed for mypy as the function it compiles."""
    return cast(_F, numba.njit(cache=True, nogil=True, error_model="numpy")(fn))


@_jit
def ndtr(a: float) -> float:
    """The standard normal CDF, as Cephes' ``ndtr`` (SciPy) computes it from erf/erfc."""
    if math.isnan(a):
        return math.nan
    x = a * _SQRT1_2
    z = abs(x)
    if z < _SQRT1_2:
        return 0.5 + 0.5 * math.erf(x)
    y = 0.5 * math.erfc(z)
    return 1.0 - y if x > 0 else y


@_jit
def cascade_positions(
    mu: np.ndarray, var: np.ndarray, member_code: np.ndarray, positions: np.ndarray,
    cols: np.ndarray, x32: np.ndarray, u2_32: np.ndarray, modes: np.ndarray,
    k2: np.ndarray, codes: np.ndarray, below_row: np.ndarray, below_at: np.ndarray,
    below_offset: np.ndarray, below_limit: np.ndarray, below_spread: np.ndarray,
    x64: np.ndarray, u2_64: np.ndarray, k1_sq: float, why: np.ndarray, out: np.ndarray,
) -> int:  # fmt: skip
    """Survivors of the univariate tests among ``positions`` into ``out``; their count.

    Per test ``t`` (cascade order): column ``cols[t]``, the sample's value and variance
    (``x32``, ``u2_32`` as ``float32``; ``x64``, ``u2_64`` for detection limits), its mode,
    ``k2[t, member level]`` and its code for ``why``. ``below_row[t]`` is the row of
    ``below_at`` (an entry's position among the column's detection limits, -1 none) or -1
    when the test has no entry-side limits; ``below_offset[t]`` where the column's limits
    start in ``below_limit`` / ``below_spread``. An excluded entry gets the code of its
    first failing test in ``why``; comparisons with ``NaN`` are false (never exclude).
    """
    n_out = 0
    n_tests = cols.size
    for p in range(positions.size):
        e = positions[p]
        level = member_code[e]
        failed = -1
        for t in range(n_tests):
            j = cols[t]
            d = mu[j, e] - x32[t]
            d2 = d * d
            mode = modes[t]
            if mode == SAMPLE_BELOW:
                bad = d > 0 and d2 > var[j, e] * k2[t, level]
            elif mode == ONE_SIDED:
                bad = d < 0 and d2 > (var[j, e] + u2_32[t]) * k2[t, level]
            else:
                bad = d2 > (var[j, e] + u2_32[t]) * k2[t, level]
            row = below_row[t]
            if not bad and row >= 0:
                k = below_at[row, e]
                if k >= 0:
                    excess = x64[t] - below_limit[below_offset[t] + k]
                    s = below_spread[below_offset[t] + k]
                    bad = excess > 0 and excess * excess > k1_sq * (u2_64[t] + s * s)
            if bad:
                failed = t
                break
        if failed >= 0:
            why[e] = codes[failed]
        else:
            out[n_out] = e
            n_out += 1
    return n_out


@_jit
def univariate_bound(
    lo: np.ndarray, hi: np.ndarray, mu_r: np.ndarray, var_r: np.ndarray,
    group: np.ndarray, bound: np.ndarray, p: np.ndarray, group_min: np.ndarray,
) -> None:  # fmt: skip
    """Per candidate ``k`` and reference ``r``: the product over vocabulary groups of the
    smallest univariate pass probability within the group, into ``bound`` (K, R).

    ``lo``, ``hi`` (K, q): the candidate's acceptance interval per signature (NaN where the
    candidate lacks it: probability 1); ``mu_r`` (R, q), ``var_r`` (q, R): the references'
    values and variances plus the sample's; ``group`` (q,): the signatures' group codes,
    each group contiguous; ``p``, ``group_min`` (R,): work space. A reference without a finite
    probability gets the mean over those with one (1 when none has one).
    """
    n_k, n_q = lo.shape
    n_r = mu_r.shape[0]
    for k in range(n_k):
        for r in range(n_r):
            bound[k, r] = 1.0
        for c in range(n_q):
            first = c == 0 or group[c] != group[c - 1]
            last = c == n_q - 1 or group[c + 1] != group[c]
            if math.isnan(lo[k, c]) or math.isnan(hi[k, c]):
                for r in range(n_r):
                    p[r] = 1.0
            else:
                total = 0.0
                count = 0
                for r in range(n_r):
                    inv_sd = 1.0 / math.sqrt(var_r[c, r])
                    v = ndtr((hi[k, c] - mu_r[r, c]) * inv_sd)
                    v -= ndtr((lo[k, c] - mu_r[r, c]) * inv_sd)
                    p[r] = v
                    if math.isfinite(v):
                        total += v
                        count += 1
                if count < n_r:
                    share = total / count if count > 0 else 1.0
                    for r in range(n_r):
                        if not math.isfinite(p[r]):
                            p[r] = share
            if first:
                for r in range(n_r):
                    group_min[r] = p[r]
            else:
                for r in range(n_r):
                    group_min[r] = min(group_min[r], p[r])
            if last:
                for r in range(n_r):
                    bound[k, r] *= group_min[r]


def warm_up() -> None:
    """Load (or compile, on a machine's first run) the kernels with one tiny call each."""
    mu = np.array([[1.0, np.nan]], np.float32)
    var = np.ones((1, 2), np.float32)
    why = np.full(2, -1, np.int16)
    out = np.empty(2, np.int64)
    cascade_positions(
        mu, var, np.zeros(2, np.int16), np.arange(2, dtype=np.int64), np.zeros(1, np.int64),
        np.zeros(1, np.float32), np.zeros(1, np.float32), np.zeros(1, np.int8),
        np.ones((1, 1), np.float32), np.zeros(1, np.int16), np.full(1, -1, np.int64),
        np.full((1, 2), -1, np.int32), np.zeros(1, np.int64), np.zeros(1), np.zeros(1),
        np.zeros(1), np.zeros(1), 1.0, why, out,
    )  # fmt: skip
    univariate_bound(
        np.zeros((1, 1)), np.ones((1, 1)), np.zeros((2, 1)), np.ones((1, 2)),
        np.zeros(1, np.int64), np.empty((1, 2)), np.empty(2), np.empty(2),
    )  # fmt: skip
