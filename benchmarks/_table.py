"""Shared helpers for benchmarks: timing and the printed comparison table.

Each ``bench_<name>.py`` module defines ``run() -> Table``; a table row compares our
measurement with a named baseline measured in the same run. Benchmarks never fail on a
timing: goals are printed beside results, not asserted.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    what: str
    ours: str
    baseline_name: str = ""
    baseline: str = ""
    goal: str = ""
    note: str = ""


@dataclass
class Table:
    title: str
    rows: list[Row] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))

    def render(self) -> str:
        heads = ("measurement", "nucsec", "baseline", "baseline value", "goal", "note")
        cells = [(r.what, r.ours, r.baseline_name, r.baseline, r.goal, r.note) for r in self.rows]
        widths = [
            max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
            for i, h in enumerate(heads)
        ]
        line = "  ".join("-" * w for w in widths)
        head = "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))
        out = [f"== {self.title}", head, line]
        out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in cells]
        return "\n".join(out)


def best_time(fn: Callable[[], Any], repeat: int = 5, number: int = 1) -> float:
    """Best wall time of ``number`` calls, over ``repeat`` trials, per call (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) of a list of durations."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def fmt_s(seconds: float) -> str:
    """Human duration: µs, ms or s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_rate(per_s: float, unit: str = "/s") -> str:
    return f"{per_s:,.0f} {unit}"
