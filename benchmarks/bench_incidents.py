"""Incident register: categorise 1,000,000 items; statistics over 1,000,000 incidents.

Each row sets our path beside a naive per-row Python loop measured in the same run on the
same data: first in memory (categorisation, the statistics core), then over 1,000,000
incidents stored in a node database - ``incident_statistics`` (policy filter and GROUP BY in
SQL, one audit event per call) against fetching every row and deciding in Python - for
three readers of different visibility, on SQLite and, when ``NUCSEC_DATABASE_URL`` names
one, PostgreSQL (``eval "$(.ci/postgres.sh)"``). The databases are built once and cached
(``bench-work/``, schema ``bench_incidents_v<N>``). See docs/benchmarks.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.exc import OperationalError

from benchmarks._incidents_db import bench_node, compare, stats_principals
from benchmarks._incidents_store import N_INCIDENTS as N_STORED
from benchmarks._incidents_store import postgres_incidents, sqlite_incidents
from benchmarks._policy_store import BuiltStore
from benchmarks._table import Table, best_time, fmt_rate, fmt_s
from nucsec.incidents.batch import categorize_batch
from nucsec.incidents.categorize import categorize_sources
from nucsec.incidents.decay import DAY_S, load_half_lives
from nucsec.incidents.demo import synthetic_columns
from nucsec.incidents.items import SourceItem
from nucsec.incidents.reference import load_reference
from nucsec.incidents.stats import DIMENSIONS, incident_stats, incident_stats_columns
from nucsec.markings import MarkingContext, default_context

N_ITEMS = 1_000_000
N_HOLDINGS = 250_000
N_INCIDENTS = 1_000_000
WORK_DIR = Path(__file__).resolve().parent.parent / "bench-work"
REPEATS, NAIVE_REPEATS = 3, 1  # ours: median of 3 after a warm-up; naive: ~10 s a call


def _items(rng: np.random.Generator) -> dict[str, Any]:
    ref = load_reference()
    names = sorted(ref.d_values)  # includes unverified rows: some holdings are unknown
    weights = np.array([20.0 if ref.d_values[k].d_value_tbq else 0.05 for k in names])
    keys = [names[i] for i in rng.choice(len(names), N_ITEMS, p=weights / weights.sum())]
    return {
        "keys": keys,
        "activity_tbq": rng.lognormal(mean=-3.0, sigma=3.0, size=N_ITEMS),
        "holding": rng.integers(0, N_HOLDINGS, N_ITEMS),
        "elapsed_days": rng.integers(0, 3650, N_ITEMS).astype(float),
    }


def _naive_categorize(data: dict[str, Any]) -> list[int]:
    """Per-row baseline: dict lookups, math.exp, a Python sum per holding, a band loop."""
    ref, hl = load_reference(), load_half_lives()
    bands = [(b.category, b.lo) for b in ref.source_bands]
    t_half_d = {
        k: hl.get(r.nuclide) / DAY_S if r.nuclide else math.inf for k, r in ref.d_values.items()
    }
    sums = [0.0] * N_HOLDINGS
    unknown = [False] * N_HOLDINGS
    keys, acts = data["keys"], data["activity_tbq"].tolist()
    groups, days = data["holding"].tolist(), data["elapsed_days"].tolist()
    for key, a, h, t in zip(keys, acts, groups, days, strict=True):
        row = ref.d_values[key]
        if row.d_value_tbq is None:
            unknown[h] = True
            continue
        sums[h] += a * math.exp(-math.log(2.0) * t / t_half_d[key]) / row.d_value_tbq
    out = []
    for s, u in zip(sums, unknown, strict=True):
        if u:
            out.append(0)
            continue
        out.append(next(c for c, lo in bands if lo is None or s * (1 + 1e-12) >= lo))
    return out


def _scalar_api(data: dict[str, Any], n_holdings: int) -> None:
    """Our per-record path (categorize_sources) on the first holdings."""
    on = date(2020, 1, 1)
    by_holding: dict[int, list[SourceItem]] = {}
    for key, a, h, t in zip(
        data["keys"], data["activity_tbq"], data["holding"], data["elapsed_days"], strict=True
    ):
        if h < n_holdings:
            ref_date = on - timedelta(days=int(t))
            by_holding.setdefault(int(h), []).append(SourceItem(key, a * 1e12, None, ref_date))
    for items in by_holding.values():
        categorize_sources(items, on_date=on)


def _rows(columns: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    lists = {d: columns[d].tolist() for d in DIMENSIONS}
    return [
        dict(zip(DIMENSIONS, values, strict=True)) for values in zip(*lists.values(), strict=True)
    ]


def _naive_stats(rows: Sequence[dict[str, Any]]) -> dict[str, dict[Any, int]]:
    counts: dict[str, dict[Any, int]] = {d: {} for d in DIMENSIONS}
    for row in rows:
        for dim in DIMENSIONS:
            table = counts[dim]
            table[row[dim]] = table.get(row[dim], 0) + 1
    return counts


def run() -> Table:
    rng = np.random.default_rng(20101108)
    table = Table("incidents: IAEA categorisation and statistics (in memory, then stored)")
    data = _items(rng)
    load_half_lives()  # load once, outside the timings

    def ours() -> None:
        categorize_batch(
            data["keys"], data["activity_tbq"], data["holding"], elapsed_days=data["elapsed_days"]
        )

    result = categorize_batch(
        data["keys"], data["activity_tbq"], data["holding"], elapsed_days=data["elapsed_days"]
    )
    naive = _naive_categorize(data)
    same = result.category.tolist() == naive
    t_ours, t_naive = (
        best_time(ours, repeat=3),
        best_time(lambda: _naive_categorize(data), repeat=2),
    )
    table.add(
        f"categorise {N_ITEMS:,} items in {N_HOLDINGS:,} holdings (decay + sum A/D)",
        f"{fmt_s(t_ours)} ({fmt_rate(N_ITEMS / t_ours, 'items/s')})",
        "naive per-row Python loop",
        fmt_s(t_naive),
        "< 1 s",
        f"x{t_naive / t_ours:.1f}; categories identical: {same}",
    )
    n_small = 5_000
    n_small_items = int((data["holding"] < n_small).sum())
    t_scalar = best_time(lambda: _scalar_api(data, n_small), repeat=1)
    table.add(
        f"categorize_sources per holding ({n_small:,} holdings, {n_small_items:,} items)",
        fmt_s(t_scalar),
        "(per-record API, for reference)",
        "",
        "",
        f"~{fmt_s(t_scalar * N_HOLDINGS / n_small)} if used for all {N_HOLDINGS:,} holdings",
    )

    columns = synthetic_columns(N_INCIDENTS, rng)
    coded = synthetic_columns(N_INCIDENTS, np.random.default_rng(1), coded=True)
    rows = _rows(columns)
    t_cols = best_time(lambda: incident_stats_columns(columns), repeat=3)
    t_coded = best_time(lambda: incident_stats_columns(coded), repeat=3)
    t_rows = best_time(lambda: incident_stats(rows), repeat=3)
    t_naive_stats = best_time(lambda: _naive_stats(rows), repeat=2)
    agree = incident_stats(rows) == incident_stats_columns(columns)
    table.add(
        f"stats over {N_INCIDENTS:,} incident rows (6 dimensions + year x group)",
        fmt_s(t_rows),
        "naive per-row dict loop",
        fmt_s(t_naive_stats),
        "< 1 s",
        f"x{t_naive_stats / t_rows:.1f}; incident_stats (Counter over rows)",
    )
    table.add(
        f"stats over {N_INCIDENTS:,} incidents as string columns",
        fmt_s(t_cols),
        "naive per-row dict loop",
        fmt_s(t_naive_stats),
        "< 1 s",
        f"x{t_naive_stats / t_cols:.1f}; incident_stats_columns (NumPy); agrees: {agree}",
    )
    table.add(
        f"stats over {N_INCIDENTS:,} incidents as coded columns",
        fmt_s(t_coded),
        "naive per-row dict loop",
        fmt_s(t_naive_stats),
        "< 1 s",
        f"x{t_naive_stats / t_coded:.1f}; vocabulary columns as integer codes (categorical)",
    )
    _stored_rows(table, default_context())
    return table


def _database_rows(table: Table, backend: str, built: BuiltStore, ctx: MarkingContext) -> None:
    state = "cached (time of the original build)" if built.cached else "built in this run"
    table.add(
        f"build {N_STORED:,} incidents: records, versions, incident_facts [{backend}]",
        fmt_s(built.build_s),
        note=f"{state}; {built.where}",
    )
    node = bench_node(built.engine, WORK_DIR / "incidents-node", ctx)
    for name, principal in stats_principals(ctx).items():
        c = compare(node, principal, REPEATS, NAIVE_REPEATS)
        table.add(
            f"stats over {N_STORED:,} stored incidents: {name} "
            f"({c.visible / N_STORED:.0%} visible) [{backend}]",
            f"p50 {fmt_s(c.ours_p50_s)} (min {fmt_s(c.ours_min_s)})",
            "naive: fetch all rows, decide per row, count",
            fmt_s(c.naive_p50_s),
            "not set",
            f"x{c.naive_p50_s / c.ours_p50_s:.1f}; n={c.repeats}/{c.naive_repeats}; "
            + ("counts identical" if c.same else "COUNTS DIFFER"),
        )


def _stored_rows(table: Table, ctx: MarkingContext) -> None:
    _database_rows(table, "SQLite", sqlite_incidents(WORK_DIR, ctx), ctx)
    url = os.environ.get("NUCSEC_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        table.add(
            "stats over stored incidents [PostgreSQL]",
            "not measured",
            note='enable: eval "$(.ci/postgres.sh)" (sets NUCSEC_DATABASE_URL), then rerun',
        )
        return
    try:
        built = postgres_incidents(url, ctx)
    except OperationalError as exc:
        table.add("stats over stored incidents [PostgreSQL]", "not measured", note=f"{exc.orig}")
        return
    _database_rows(table, "PostgreSQL", built, ctx)
