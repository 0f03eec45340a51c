"""Entries with members: robust summaries, shrinkage, Hotelling and Q-residual tests."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.covariance import ledoit_wolf as sklearn_ledoit_wolf

from nucsec.forensics.library.coincidence import noncentral_chi2_cdf
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.members import ledoit_wolf, summarise_members
from nucsec.forensics.library.model import Entry, Measurement, Member, Sample
from nucsec.forensics.library.multivariate import jackson_mudholkar

NAMES = ("w(V)", "w(Mo)", "w(Zr)", "w(Th)", "w(La)", "w(Ce)")
MEAN = np.log([200.0, 300.0, 50.0, 40.0, 30.0, 60.0])
SD = np.array([0.3, 0.3, 0.25, 0.3, 0.2, 0.2])
CORR = np.full((6, 6), 0.6) + 0.4 * np.eye(6)
COV = CORR * np.outer(SD, SD)


def _member_entry(rng: np.random.Generator, n: int, entry_id: str = "M") -> Entry:
    logs = rng.multivariate_normal(MEAN, COV, n)
    members = tuple(
        Member(f"b{k}", tuple(sorted(zip(NAMES, np.exp(row).tolist(), strict=True))))
        for k, row in enumerate(logs)
    )
    return Entry(entry_id, "uoc", (), members=members)


def _sample(rng: np.random.Generator, shift: np.ndarray | None = None) -> Sample:
    logs = rng.multivariate_normal(MEAN, COV) + (0 if shift is None else shift)
    sigs = tuple(Measurement(n, float(np.exp(v)), u=float(np.exp(v)) * 0.02, unit="µg/g U")
                 for n, v in zip(NAMES, logs, strict=True))  # fmt: skip
    return Sample("s", "uoc", sigs)


def test_ledoit_wolf_matches_scikit_learn() -> None:
    x = np.random.default_rng(1).normal(size=(15, 6)) @ np.linalg.cholesky(CORR).T
    x -= x.mean(axis=0)
    ours, shrink = ledoit_wolf(x)
    theirs, their_shrink = sklearn_ledoit_wolf(x, assume_centered=True)
    assert shrink == pytest.approx(their_shrink, rel=1e-10)
    assert np.allclose(ours, theirs, rtol=1e-10)


def test_summary_is_robust_to_one_odd_batch() -> None:
    rng = np.random.default_rng(2)
    entry = _member_entry(rng, 30)
    odd = Member("odd", tuple((n, 1e6) for n in NAMES))
    summary = summarise_members(Entry("M", "uoc", (), members=(*entry.members, odd)))
    assert summary is not None and summary.n_members == 31
    v, s = summary.values["w(V)"]
    assert 150 < v < 260 and 0.2 < s / v < 0.45  # the odd batch barely moves them
    assert summary.model is not None and summary.model.n_pc > 0
    off = summary.model.r[~np.eye(6, dtype=bool)]
    assert 0.35 < off.mean() < 0.8  # the shared 0.6 correlation, somewhat shrunk


def test_too_few_members_give_no_summary() -> None:
    assert summarise_members(_member_entry(np.random.default_rng(3), 2)) is None


def test_batches_of_a_member_entry_pass_at_the_stated_rate_and_shifts_are_caught() -> None:
    rng = np.random.default_rng(4)
    index = LibraryIndex.build([_member_entry(rng, 25)])
    n = 300
    false_excl = sum(match(index, _sample(rng)).conclusion == "none" for _ in range(n))
    assert false_excl / n <= 0.01 + 3 * np.sqrt(0.01 * 0.99 / n)
    # a pattern break: V up, Mo down by 3 sd each (each alone within its univariate band)
    shift = np.array([3.0, -3.0, 0, 0, 0, 0]) * SD
    caught = [match(index, _sample(rng, shift)) for _ in range(100)]
    assert sum(r.conclusion == "none" for r in caught) >= 90
    assert {e.by for r in caught for e in r.excluded()} <= {"multivariate", "Q-residual",
                                                            "w(V)", "w(Mo)"}  # fmt: skip
    assert any(e.by in ("multivariate", "Q-residual") for r in caught for e in r.excluded())


def test_patnaik_approximation_is_close_to_scipy() -> None:
    lam = np.array([0.0, 0.5, 2.0, 10.0, 50.0, 200.0])
    for k in (1, 2, 5, 14, 30):
        x = float(stats.chi2.isf(0.005, k))
        assert np.max(np.abs(noncentral_chi2_cdf(x, k, lam) - stats.ncx2.cdf(x, k, lam))) < 0.015


def test_jackson_mudholkar_limit_against_simulation() -> None:
    lam = np.array([0.3, 0.2, 0.1, 0.05])
    draws = np.random.default_rng(5).normal(size=(400_000, 4)) ** 2 @ lam
    for alpha in (0.05, 0.005):
        limit = jackson_mudholkar(lam, alpha)
        # close, and on the safe side at small rates (fewer false exclusions than stated)
        assert 0.6 * alpha <= np.mean(draws > limit) <= 1.1 * alpha
