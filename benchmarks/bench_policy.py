"""Reference monitor speed and policy-filtered listing at 1,000,000 documents.

Goals (foundation issue): the reference monitor decides >= 300,000 reads per second on one
core, ahead of the Cedar policy engine's Python binding; listing the first 50 documents a
user may see out of 1,000,000 takes <= 50 ms on SQLite and PostgreSQL. Each result is
printed beside a baseline measured in the same run: Cedar (``cedarpy``) for decisions, a
naive fetch-then-filter listing for the database. See docs/benchmarks.md.

Run: ``python -m benchmarks policy`` (PostgreSQL too when ``NUCSEC_DATABASE_URL`` names
one: ``eval "$(.ci/postgres.sh)"``). The SQLite database is cached under ``bench-work/``.
"""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from benchmarks._policy_data import listing_principals
from benchmarks._policy_decisions import measure_decisions
from benchmarks._policy_listing import PAGE, compare, cursor_after
from benchmarks._policy_store import N_DOCUMENTS, BuiltStore, postgres_store, sqlite_store
from benchmarks._table import Table, fmt_rate, fmt_s
from nucsec.markings import MarkingContext, default_context
from nucsec.policy import Resource, decide
from nucsec.store.labels import load_label
from nucsec.store.schema import records

WORK_DIR = Path(__file__).resolve().parent.parent / "bench-work"
DECISION_GOAL = "≥ 300,000/s"
LISTING_GOAL = "≤ 50 ms"
DEEP_PAGES = 20  # the deep page starts after 20 pages of 50 visible documents
REPEATS, NAIVE_REPEATS = 21, 7


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def _decision_rows(table: Table, ctx: MarkingContext) -> None:
    r = measure_decisions(ctx)
    cedar = f"Cedar {version('cedarpy')}"
    table.add(
        f"read decisions/s, 1,000 principals x 1,000 labels, one core (CPU {r.cpu})",
        fmt_rate(r.ours_per_s),
        f"{cedar}: cedarpy.is_authorized_batch, parsed handles, 1,000/call",
        fmt_rate(r.cedar_per_s),
        DECISION_GOAL,
        f"{r.ours_per_s / r.cedar_per_s:.1f}x; answers equal on {r.agree:,}/{r.cedar_pairs:,} "
        f"sampled pairs; {r.allowed_share:.0%} allowed; issue quoted Cedar ~272,000/s",
    )
    table.add(
        f"read decisions/s, Cedar's {r.cedar_pairs:,} sampled pairs in its order",
        fmt_rate(r.ours_sample_per_s),
        f"{cedar}, same call",
        fmt_rate(r.cedar_per_s),
        DECISION_GOAL,
        f"{r.ours_sample_per_s / r.cedar_per_s:.1f}x",
    )
    if r.cedar_raw_per_s is not None:
        table.add(
            "read decisions/s (as above)",
            fmt_rate(r.ours_sample_per_s),
            f"{cedar} evaluation only: _internal.is_authorized_batch",
            fmt_rate(r.cedar_raw_per_s),
            note=f"{r.ours_sample_per_s / r.cedar_raw_per_s:.1f}x; results left as JSON text",
        )


def _visible_shares(built: BuiltStore, ctx: MarkingContext) -> dict[str, float]:
    """Share of the stored documents each listing principal may read (from label counts)."""
    with built.engine.connect() as conn:
        counts = conn.execute(select(records.c.label_id, func.count()).group_by(records.c.label_id))
        by_label = [(load_label(conn, label_id), n) for label_id, n in counts]
    total = sum(n for _, n in by_label)
    return {
        name: sum(n for lb, n in by_label if decide(p, "read", Resource(lb), ctx).allowed) / total
        for name, p in listing_principals(ctx).items()
    }


def _listing_rows(table: Table, backend: str, built: BuiltStore, ctx: MarkingContext) -> None:
    state = "cached (time of the original build)" if built.cached else "built in this run"
    table.add(
        f"build {N_DOCUMENTS:,} documents + versions, ~400 labels [{backend}]",
        fmt_s(built.build_s),
        note=f"{state}; {built.where}",
    )
    shares = _visible_shares(built, ctx)
    for name, principal in listing_principals(ctx).items():
        for page, skipped in (("first page", 0), (f"page {DEEP_PAGES + 1}", DEEP_PAGES)):
            cursor = cursor_after(built.engine, ctx, principal, skipped) if skipped else None
            c = compare(built.engine, ctx, principal, cursor, REPEATS, NAIVE_REPEATS)
            table.add(
                f"list {PAGE} of {N_DOCUMENTS:,}: {name} ({shares[name]:.0%} visible), "
                f"{page} [{backend}]",
                f"p50 {fmt_s(c.ours_p50_s)} (p99 {fmt_s(c.ours_p99_s)})",
                "naive fetch-then-filter",
                f"p50 {fmt_s(c.naive_p50_s)}",
                LISTING_GOAL,
                f"{c.naive_p50_s / c.ours_p50_s:.1f}x; n={c.repeats}/{c.naive_repeats}; "
                + ("same page" if c.same_page else "PAGES DIFFER"),
            )


def run() -> Table:
    ctx = default_context()
    table = Table(f"Reference monitor and listing - {_machine()}")
    _decision_rows(table, ctx)
    _listing_rows(table, "SQLite", sqlite_store(WORK_DIR, ctx), ctx)
    url = os.environ.get("NUCSEC_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        table.add(
            "listing [PostgreSQL]",
            "not measured",
            note='enable: eval "$(.ci/postgres.sh)" (sets NUCSEC_DATABASE_URL), then rerun',
        )
        return table
    try:
        built = postgres_store(url, ctx)
    except OperationalError as exc:
        table.add("listing [PostgreSQL]", "not measured", note=f"cannot connect: {exc.orig}")
        return table
    _listing_rows(table, "PostgreSQL", built, ctx)
    return table
