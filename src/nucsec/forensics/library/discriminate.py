"""Which measurement would best tell the remaining candidates apart.

For every signature the sample lacks, each candidate's source is modelled as a normal in the
comparison space (its value and within-source variance; a production history as a uniform
window, i.e. its midpoint and width/√12). Two candidates are told apart by a measurement to
the extent their distributions do not overlap: ``1 − BC`` with BC the Bhattacharyya
coefficient of the two normals (disjoint chemical-form sets: 1, overlapping: 0). The
*separation* of a signature is the likelihood-weighted mean of ``1 − BC`` over all pairs of
the (at most ``top``) best candidates; a candidate without a value for the signature
separates from nobody. The measurement's own uncertainty is taken as small against the
spreads (the usual case for the signatures of a library); the separation is therefore an
upper bound on what a real measurement achieves.
"""

from __future__ import annotations

import math

import numpy as np

from nucsec.forensics.library.cascade import Prepared
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.result import NextMeasurement
from nucsec.forensics.library.vocabulary import signature

__all__ = ["bhattacharyya_separation", "next_measurement"]

_FLOOR_VAR = 1e-18


def bhattacharyya_separation(mu: np.ndarray, var: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean over pairs of ``1 − BC``; ``NaN`` values separate from nobody."""
    v = np.maximum(var, _FLOOR_VAR)
    vsum = v[:, None] + v[None, :]
    with np.errstate(invalid="ignore"):
        bc = np.sqrt(2 * np.sqrt(v[:, None] * v[None, :]) / vsum) * np.exp(
            -((mu[:, None] - mu[None, :]) ** 2) / (4 * vsum)
        )
    bc = np.where(np.isfinite(bc), bc, 1.0)
    return _pairwise(1 - bc, weights)


def _pairwise(sep: np.ndarray, weights: np.ndarray) -> float:
    w = np.outer(weights, weights)
    np.fill_diagonal(w, 0.0)
    total = w.sum()
    return float((w * sep).sum() / total) if total > 0 else 0.0


def _window_normal(index: LibraryIndex, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = np.full(positions.size, np.nan)
    var = np.full(positions.size, np.nan)
    for k, e in enumerate(positions):
        windows = index.windows_of(int(e))
        lo = min((a for a, _ in windows), default=math.nan)
        hi = max((b for _, b in windows), default=math.nan)
        if math.isfinite(lo) and math.isfinite(hi):
            mu[k], var[k] = (lo + hi) / 2, (hi - lo) ** 2 / 12
    return mu, var


def next_measurement(
    index: LibraryIndex, prep: Prepared, positions: np.ndarray, weights: np.ndarray
) -> NextMeasurement | None:
    """The unmeasured signature with the largest separation, or ``None`` (under 2 candidates)."""
    if positions.size < 2:
        return None
    measured = {i.name for i in prep.items} | {n for n, _ in prep.forms}
    scores: list[tuple[float, str, int]] = []
    for j, name in enumerate(index.names):
        if name in measured:
            continue
        mu = index.mu[j, positions].astype(float)
        var = index.var[j, positions].astype(float)
        if name == "model date":
            wmu, wvar = _window_normal(index, positions)
            mu, var = np.where(np.isnan(mu), wmu, mu), np.where(np.isnan(var), wvar, var)
        have = int(np.isfinite(mu).sum())
        if have >= 2:
            scores.append((bhattacharyya_separation(mu, var, weights), name, have))
    if "model date" not in measured and "model date" not in index.column:
        mu, var = _window_normal(index, positions)
        if int(np.isfinite(mu).sum()) >= 2:
            sep = bhattacharyya_separation(mu, var, weights)
            scores.append((sep, "model date", int(np.isfinite(mu).sum())))
    for name, mask in index.forms.items():
        if name in measured:
            continue
        m = mask[positions]
        overlap = (m[:, None] & m[None, :]) != 0
        missing = (m[:, None] == 0) | (m[None, :] == 0)
        apart = np.where(missing | overlap, 0.0, 1.0)
        scores.append((_pairwise(apart, weights), name, int((m != 0).sum())))
    scores = [s for s in scores if s[0] > 0]
    if not scores:
        return None
    scores.sort(key=lambda s: (-s[0], s[1]))
    best, name, have = scores[0]
    reason = (
        f"{have} of {positions.size} candidates have a value; their spreads overlap least on "
        f"this signature (weighted pairwise 1 − Bhattacharyya coefficient {best:.2f})"
    )
    return NextMeasurement(
        name,
        signature(name).unit,
        best,
        have,
        reason,
        tuple((n, s) for s, n, _ in scores[1:4]),
    )
