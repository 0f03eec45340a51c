"""Summaries of an entry's members (batches): robust location, spread and shrunk correlations.

When a library entry carries its individual batches, the comparison uses statistics of the
batches instead of the holder's stated summary, in the comparison space (log for
compositions). Location and spread are the mean and standard deviation after winsorising
each signature at median ± 3 × 1.4826 MAD, so one odd batch cannot drag them. The
correlation matrix is Ledoit–Wolf shrunk towards the identity (Ledoit & Wolf 2004, the
estimator of ``sklearn.covariance.ledoit_wolf``, written out here) from the batches complete
on the correlated signatures, so it is well conditioned even with few batches. With at least
``max(10, 2p)`` complete batches on ``p >= 3`` signatures the model also enables the PCA
Q-residual test, with the principal components that explain 90 % of the variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nucsec.forensics.library.model import Entry
from nucsec.forensics.library.vocabulary import signature

__all__ = ["CorrelationModel", "MemberSummary", "ledoit_wolf", "summarise_members"]

_MAD_TO_SD = 1.4826
_MIN_VALUES = 3
_PCA_SHARE = 0.9


@dataclass(frozen=True)
class CorrelationModel:
    """Within-source correlations among ``names`` (matrix ``r``), shared by several entries.

    ``n_members`` is the number of batches the matrix was estimated from (``0``: stated by
    the holder, taken as known). ``n_pc`` > 0 enables the PCA Q-residual test with that many
    principal components.
    """

    names: tuple[str, ...]
    r: np.ndarray
    n_members: int = 0
    n_pc: int = 0


@dataclass(frozen=True)
class MemberSummary:
    """Per signature ``(value, spread)`` in natural units, the member count, correlations."""

    values: dict[str, tuple[float, float]]
    n_members: int
    model: CorrelationModel | None


def ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit–Wolf shrunk covariance of centred rows ``x`` (n × p) and the shrinkage used."""
    n, p = x.shape
    s = x.T @ x / n
    mu = np.trace(s) / p
    delta = np.sum((s - mu * np.eye(p)) ** 2) / p
    beta = sum(np.sum((np.outer(row, row) - s) ** 2) for row in x) / (n * n * p)
    shrink = 0.0 if delta == 0 else min(beta, delta) / delta
    return (1 - shrink) * s + shrink * mu * np.eye(p), float(shrink)


def _winsorised(v: np.ndarray) -> np.ndarray:
    med = float(np.median(v))
    mad = _MAD_TO_SD * float(np.median(np.abs(v - med)))
    return v if mad == 0 else np.clip(v, med - 3 * mad, med + 3 * mad)


def summarise_members(entry: Entry) -> MemberSummary | None:
    """Robust summary of ``entry.members``; ``None`` when there are fewer than 3 batches."""
    if len(entry.members) < _MIN_VALUES:
        return None
    names = list(dict.fromkeys(name for m in entry.members for name, _ in m.values))
    table = np.full((len(entry.members), len(names)), np.nan)
    for i, member in enumerate(entry.members):
        for name, value in member.values:
            table[i, names.index(name)] = value
    logs = [signature(nm).transform == "log" for nm in names]
    space = np.where(logs, np.log(np.where(table > 0, table, np.nan)), table)
    values: dict[str, tuple[float, float]] = {}
    used: list[int] = []
    centre = np.full(len(names), np.nan)
    scale = np.full(len(names), np.nan)
    for j, name in enumerate(names):
        ok = np.isfinite(space[:, j])
        col = space[ok, j]
        if col.size < _MIN_VALUES:
            continue
        w = _winsorised(col)
        space[ok, j] = w  # correlations come from the winsorised batches too
        centre[j], scale[j] = float(w.mean()), float(w.std(ddof=1))
        value = math.exp(centre[j]) if logs[j] else centre[j]
        values[name] = (value, scale[j] * value if logs[j] else scale[j])
        used.append(j)
    return MemberSummary(values, len(entry.members), _model(space, names, used, centre, scale))


def _model(
    space: np.ndarray, names: list[str], used: list[int], centre: np.ndarray, scale: np.ndarray
) -> CorrelationModel | None:
    cols = [j for j in used if scale[j] > 0]
    if len(cols) < 2:
        return None
    z = (space[:, cols] - centre[cols]) / scale[cols]
    z = z[np.all(np.isfinite(z), axis=1)]
    n, p = z.shape
    if n < _MIN_VALUES:
        return None
    cov, _ = ledoit_wolf(z)
    d = np.sqrt(np.diag(cov))
    r = cov / np.outer(d, d)
    n_pc = 0
    if p >= 3 and n >= max(10, 2 * p):
        share = np.cumsum(np.sort(np.linalg.eigvalsh(r))[::-1]) / p
        n_pc = int(np.searchsorted(share, _PCA_SHARE) + 1)
        n_pc = n_pc if n_pc < p else 0
    return CorrelationModel(tuple(names[j] for j in cols), r, n_members=n, n_pc=n_pc)
