"""Incident statistics over a stored register: the service against a naive per-row loop.

*Ours* is :func:`nucsec.service.incidents.incident_statistics` on a minimal
:class:`nucsec.node.Node` over the benchmark database: the policy's SQL twin filters and the
database groups by the six dimensions; the service expands the groups for the statistics
core and appends one audit event per call (part of the measured cost). The *naive*
baseline is what one writes without the SQL twin: stream every incident row with its
record's label id, load each label once per call, ``decide`` per row in Python and count in
dictionaries. Both must give identical counts (checked on every run).
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, select

from benchmarks._incidents_store import KIND
from nucsec.audit.keys import key_id
from nucsec.incidents import IncidentStats
from nucsec.incidents.stats import DIMENSIONS
from nucsec.markings import Label, MarkingContext
from nucsec.node import Node
from nucsec.policy import Principal, Resource, decide
from nucsec.service.incident_tables import incident_facts
from nucsec.service.incidents import incident_statistics
from nucsec.service.registry import RECORD_KINDS
from nucsec.settings import load
from nucsec.store.labels import load_label
from nucsec.store.schema import records

__all__ = [
    "Comparison",
    "NaiveCounts",
    "bench_node",
    "compare",
    "naive_statistics",
    "same_counts",
    "stats_principals",
]

NAIVE_BATCH = 10_000  # rows fetched per round trip (server-side cursor on PostgreSQL)
T = TypeVar("T")


def stats_principals(ctx: MarkingContext) -> dict[str, Principal]:
    """Three readers of the register, from wide to narrow visibility."""
    specs = {
        "US section chief": ("USA", "DOS", "TOP SECRET", sorted(ctx.compartments), "officer"),
        "JP analyst": ("JPN", "NPA", "HI", ["ITDB"], "analyst"),
        "low-cleared": ("USA", "DHS", "UNCLASSIFIED", [], "viewer"),
    }
    return {
        name: Principal.create(
            id=f"bench-{name.replace(' ', '-').lower()}",
            nation=nation,
            agency=agency,
            clearance=clearance,
            compartments=comps,
            roles=[role],
        ).validate(ctx)
        for name, (nation, agency, clearance, comps, role) in specs.items()
    }


def bench_node(engine: Engine, home: Path, ctx: MarkingContext) -> Node:
    """A USA node over ``engine`` with a fixed signing key (no files are written)."""
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"nucsec bench incidents").digest())
    origin = f"nucsec.bench/{key_id('bench', key.public_key()).hex()}"
    settings = load(env={}, home=home, database_url=engine.url.render_as_string(False))
    return Node(settings, engine, "USA", "bench", origin, key, ctx, kinds=RECORD_KINDS)


@dataclass
class NaiveCounts:
    """Raw counts (only values that occur) as the naive loop makes them."""

    total: int = 0
    counts: dict[str, dict[Any, int]] = field(default_factory=lambda: {d: {} for d in DIMENSIONS})
    pairs: dict[tuple[int, str], int] = field(default_factory=dict)


def naive_statistics(conn: Connection, ctx: MarkingContext, principal: Principal) -> NaiveCounts:
    """Fetch every incident row and its label, decide per row in Python, count in dicts."""
    labels: dict[int, Label] = {}
    out = NaiveCounts()
    dims = list(DIMENSIONS)
    query = (
        select(
            records.c.label_id,
            records.c.id,
            records.c.recalled,
            *(incident_facts.c[d] for d in dims),
        )
        .join_from(incident_facts, records, records.c.pk == incident_facts.c.record_pk)
        .where(records.c.kind == KIND)
        .execution_options(yield_per=NAIVE_BATCH)
    )
    for label_id, ref, recalled, *values in conn.execute(query):
        label = labels.get(label_id)
        if label is None:
            label = labels[label_id] = load_label(conn, label_id)
        resource = Resource(label, kind=KIND, ref=ref, recalled=recalled)
        if not decide(principal, "read", resource, ctx).allowed:
            continue
        out.total += 1
        for dim, value in zip(dims, values, strict=True):
            table = out.counts[dim]
            table[value] = table.get(value, 0) + 1
        pair = (values[0], values[1])  # (year, itdb_group)
        out.pairs[pair] = out.pairs.get(pair, 0) + 1
    return out


def same_counts(ours: IncidentStats, naive: NaiveCounts) -> bool:
    """Equal total, every dimension's non-zero counts and the year x group table."""
    if ours.total != naive.total:
        return False
    for dim in DIMENSIONS:
        mine = {k: v for k, v in ours.counts[dim].items() if v}
        if mine != {str(k): v for k, v in naive.counts[dim].items()}:
            return False
    cells = {(y, g): v for y, row in ours.by_year_and_group.items() for g, v in row.items() if v}
    return cells == {(str(y), g): v for (y, g), v in naive.pairs.items()}


@dataclass(frozen=True)
class Comparison:
    visible: int
    ours_p50_s: float
    ours_min_s: float
    naive_p50_s: float
    repeats: int
    naive_repeats: int
    same: bool


def _timed(fn: Callable[[], T], repeats: int) -> tuple[list[float], T]:
    samples, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    if result is None:
        raise ValueError("repeats must be at least 1")
    return samples, result


def compare(
    node: Node, principal: Principal, repeats: int, naive_repeats: int, **years: int
) -> Comparison:
    """Time ``incident_statistics`` (after one warm-up call) and the naive loop; check both
    count the same. ``years``: ``year_from``/``year_to`` for ours (the naive loop counts
    everything, so give none when comparing)."""
    incident_statistics(node, principal, **years)  # warm: statement cache, compiled principal

    def naive() -> NaiveCounts:
        with node.engine.connect() as conn:
            return naive_statistics(conn, node.ctx, principal)

    ours_s, stats = _timed(lambda: incident_statistics(node, principal, **years), repeats)
    naive_s, counts = _timed(naive, naive_repeats) if naive_repeats else ([0.0], NaiveCounts())
    return Comparison(
        visible=stats.total,
        ours_p50_s=statistics.median(ours_s),
        ours_min_s=min(ours_s),
        naive_p50_s=statistics.median(naive_s),
        repeats=repeats,
        naive_repeats=naive_repeats,
        same=bool(naive_repeats) and same_counts(stats, counts),
    )
