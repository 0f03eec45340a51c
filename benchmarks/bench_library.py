"""Nuclear forensics library: time per match against 10,000 and 1,000,000 entries × 30
signatures, beside a naive per-entry Python loop and scikit-learn's NearestNeighbors on the
same data in the same run, and the error rates on held-out synthetic samples.

- **ours**: :func:`nucsec.forensics.library.match.match` (every test, ranked candidates with
  coincidence probabilities, next measurement; per-candidate texts are rendered lazily and
  timed separately as "+ JSON").
- **1 thread**: the same match with its stages kept on the calling thread (the match splits
  the univariate stage, the multivariate stage and the coincidence estimate over 2 threads);
  CPU time summed over threads is printed beside it (less sensitive to other jobs' load).
- **NumPy path**: the same match with the compiled kernels switched off
  (``_kernels.ENABLED = False``: the reference path), matched sample by sample alternately
  with the kernels in one process, so both see the same load; wall and CPU time.
- **naive loop**: the same univariate exclusion rule written as a per-entry Python loop over
  per-entry lists (stops at an entry's first failing signature); decides exclusions only.
- **NearestNeighbors**: scikit-learn's k-nearest-neighbour search (k = 20) on the entries'
  standardised comparison-space values, missing values imputed with the column mean (it
  cannot take NaN); brute force, k-d tree and ball tree are all timed and the fastest
  shown. It answers a different, closed-set question (the nearest entries, whatever their
  distance): its top-1 hit rate is printed beside our error rates, and for a
  source outside the library it always names someone.

Samples are held out: drawn from the entries' true production lines (not their recorded
values) or from new lines. Timings are medians over the samples (each matched once after a
warm-up); the machine is 2 cores shared with other jobs, whose load is printed.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from benchmarks._table import Table, fmt_s
from nucsec.forensics.library import _kernels, parallel
from nucsec.forensics.library.cascade import Prepared, prepare
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.model import Sample
from nucsec.forensics.library.synthetic import (
    SyntheticLibrary,
    draw_sample,
    generate_library,
    novel_sample,
)

SIZES = tuple(
    int(x) for x in os.environ.get("NUCSEC_BENCH_LIBRARY_SIZES", "10000,1000000").split(",")
)
TIMED_SAMPLES = 20
RATE_SAMPLES = 300
GOAL_1M_S = 0.050


def _median_time(
    fn: Callable[[Sample], Any],
    samples: list[Sample],
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[float, float]:
    fn(samples[0])  # warm-up
    times = []
    for s in samples:
        t0 = clock()
        fn(s)
        times.append(clock() - t0)
    return statistics.median(times), max(times)


def _one_thread(index: LibraryIndex, samples: list[Sample]) -> float:
    """Time per match with the stages kept on the calling thread."""
    threads = parallel.THREADS
    parallel.THREADS = 1
    try:
        return _median_time(lambda s: match(index, s), samples)[0]
    finally:
        parallel.THREADS = threads


def _kernels_vs_numpy(index: LibraryIndex, samples: list[Sample]) -> dict[tuple[bool, str], float]:
    """Median wall and CPU time per match with the kernels (True) and the NumPy path (False),
    alternating sample by sample."""
    times: dict[tuple[bool, str], list[float]] = {
        (k, c): [] for k in (True, False) for c in ("wall", "cpu")
    }
    enabled = _kernels.ENABLED
    try:
        for s in samples:
            for k in (False, True):
                _kernels.ENABLED = k
                w0, c0 = time.perf_counter(), time.process_time()
                match(index, s)
                times[(k, "wall")].append(time.perf_counter() - w0)
                times[(k, "cpu")].append(time.process_time() - c0)
    finally:
        _kernels.ENABLED = enabled
    return {key: statistics.median(v) for key, v in times.items()}


def _naive(index: LibraryIndex, mu_rows: list[list[float]], var_rows: list[list[float]],
           material: list[int], prep: Prepared) -> list[int]:  # fmt: skip
    """The univariate rule, one entry at a time, in Python (the baseline)."""
    items = [(i.j, i.x, i.u2) for i in prep.items if i.j >= 0 and not i.below]
    k2 = prep.th.k**2
    want = prep.material
    keep = []
    for e in range(index.n):
        if want is not None and material[e] != want:
            continue
        mu, var = mu_rows[e], var_rows[e]
        for j, x, u2 in items:
            m = mu[j]
            if m == m and (m - x) ** 2 > k2 * (var[j] + u2):
                break
        else:
            keep.append(e)
    return keep


def _features(index: LibraryIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised comparison-space values, NaN imputed with the column mean; mean, sd."""
    mu = index.mu.T.astype(np.float64)
    mean = np.nanmean(mu, axis=0)
    sd = np.nanstd(mu, axis=0)
    sd[sd == 0] = 1.0
    mu = np.where(np.isnan(mu), mean, mu)
    return (mu - mean) / sd, mean, sd


def _naive_time(index: LibraryIndex, samples: list[Sample]) -> float:
    mu_rows, var_rows = index.mu.T.tolist(), index.var.T.tolist()
    material = index.material.tolist()
    t, _ = _median_time(
        lambda s: _naive(index, mu_rows, var_rows, material, prepare(index, s, 0.01)), samples
    )
    return t


def _sample_features(
    index: LibraryIndex, sample: Sample, mean: np.ndarray, sd: np.ndarray
) -> np.ndarray:
    x = mean.copy()
    for item in prepare(index, sample, 0.01).items:
        if item.j >= 0 and not item.below:
            x[item.j] = item.x
    return ((x - mean) / sd)[None, :]


def _rates(lib: SyntheticLibrary, index: LibraryIndex, knn: NearestNeighbors,
           mean: np.ndarray, sd: np.ndarray) -> dict[str, float]:  # fmt: skip
    rng = np.random.default_rng(2024)
    own_excluded = own_none = knn_top1 = 0
    for _ in range(RATE_SAMPLES):
        i = int(rng.integers(index.n))
        s = draw_sample(rng, lib, i)
        r = match(index, s)
        own_excluded += i in set(r.excluded_positions.tolist())
        own_none += r.conclusion == "none"
        nearest = knn.kneighbors(_sample_features(index, s, mean, sd), 1, return_distance=False)
        knn_top1 += int(nearest[0, 0]) == i
    novel = Counter(match(index, novel_sample(rng)).conclusion for _ in range(RATE_SAMPLES))
    n = RATE_SAMPLES
    return {
        "false_exclusion": own_excluded / n,
        "false_none": own_none / n,
        "knn_top1": knn_top1 / n,
        "novel_none": novel["none"] / n,
        "novel_inconclusive": novel["inconclusive"] / n,
        "novel_consistent": novel["consistent"] / n,
    }


def _one_size(table: Table, n: int) -> None:
    rng = np.random.default_rng(n)
    t0 = time.perf_counter()
    lib = generate_library(rng, n)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = LibraryIndex.from_columns(lib.columns)
    t_index = time.perf_counter() - t0
    samples = [draw_sample(rng, lib, int(rng.integers(n))) if k % 2 else novel_sample(rng)
               for k in range(TIMED_SAMPLES)]  # fmt: skip
    ours, ours_max = _median_time(lambda s: match(index, s), samples)
    cpu, _ = _median_time(lambda s: match(index, s), samples, time.process_time)
    one = _one_thread(index, samples)
    versus = _kernels_vs_numpy(index, samples)
    with_json, _ = _median_time(lambda s: match(index, s).to_dict(max_excluded=20), samples)

    naive_samples = samples[:1] if n > 100_000 else samples[:5]
    naive = _naive_time(index, naive_samples)
    feats, mean, sd = _features(index)
    knn_times: dict[str, tuple[float, float, NearestNeighbors]] = {}
    for algorithm in ("brute", "kd_tree", "ball_tree"):
        t0 = time.perf_counter()
        nn = NearestNeighbors(n_neighbors=20, algorithm=algorithm).fit(feats)
        fit_s = time.perf_counter() - t0
        query_s, _ = _median_time(
            lambda s, nn=nn: nn.kneighbors(_sample_features(index, s, mean, sd)), samples
        )
        knn_times[algorithm] = (query_s, fit_s, nn)
    best = min(knn_times, key=lambda a: knn_times[a][0])
    knn_s, t_fit, knn = knn_times[best]
    others = ", ".join(f"{a} {fmt_s(q)}" for a, (q, _, _) in knn_times.items() if a != best)
    label = f"{n:,} entries × 30"
    goal = "<= 50 ms" if n == 1_000_000 else ""
    table.add(f"{label}: time per match (p50)", fmt_s(ours), "naive Python loop", fmt_s(naive),
              goal, f"max {fmt_s(ours_max)}; naive: {len(naive_samples)} sample(s)")  # fmt: skip
    table.add(f"{label}: match on {parallel.THREADS} thread(s) vs 1", fmt_s(ours),
              "the same match on 1 thread", fmt_s(one), "",
              f"CPU time (all threads) {fmt_s(cpu)}; threads help only on idle cores")  # fmt: skip
    table.add(f"{label}: compiled kernels vs NumPy path", fmt_s(versus[(True, "wall")]),
              "the same match, NumPy path (interleaved)", fmt_s(versus[(False, "wall")]), "",
              f"CPU time {fmt_s(versus[(True, 'cpu')])} vs {fmt_s(versus[(False, 'cpu')])}; "
              "same answers")  # fmt: skip
    table.add(f"{label}: match + JSON (20 excluded)", fmt_s(with_json), "", "", "", "")
    table.add(f"{label}: vs nearest neighbours", fmt_s(ours),
              f"sklearn NearestNeighbors k=20 ({best})", fmt_s(knn_s), "",
              f"fit {fmt_s(t_fit)}; {others}; closed set")  # fmt: skip
    table.add(f"{label}: build (generate, index)", f"{fmt_s(t_gen)}, {fmt_s(t_index)}", "", "",
              "", f"index {index.nbytes / 1e6:,.0f} MB")  # fmt: skip
    rates = _rates(lib, index, knn, mean, sd)
    table.add(f"{label}: false exclusion of the own entry", f"{rates['false_exclusion']:.1%}",
              "kNN top-1 is the own entry", f"{rates['knn_top1']:.1%}", "<= 1 %",
              f"{RATE_SAMPLES} held-out samples")  # fmt: skip
    table.add(f"{label}: false 'none' (source in library)", f"{rates['false_none']:.1%}", "", "",
              "<= 1 %", "")  # fmt: skip
    table.add(f"{label}: new source -> none / inconclusive / consistent",
              f"{rates['novel_none']:.0%} / {rates['novel_inconclusive']:.0%} / "
              f"{rates['novel_consistent']:.0%}", "kNN", "always names one", "",
              "realistic missing data")  # fmt: skip


def run() -> Table:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(
        f"nuclear forensics library: match (load average {load} on {os.cpu_count()} cores)"
    )
    for n in SIZES:
        _one_size(table, n)
    return table
