"""Verifiable audit log (issue 3): append rate, tree updates, proofs and verify at 1,000,000 events.

Every row compares nucsec with ``pymerkle`` 7 (an independent RFC 9162 implementation)
on the same canonical event bytes, measured in this run:

* events appended per second, batched 1,000 per transaction, including storage and
  checkpoints (SQLite; PostgreSQL too when ``NUCSEC_DATABASE_URL`` names one) - pymerkle's
  ``SqliteTree.append_entries`` stores and hashes the same entries;
* tree updates per second in memory - pymerkle ``InmemoryTree.append_entry``;
* inclusion proof at 1,000,000 events, from the database - pymerkle ``SqliteTree``;
* ``verify`` of 1,000,000 events - pymerkle rebuilding the root from the same entries.

Goals: >= 50,000 events/s, tree updates at least as fast as pymerkle, proof <= 1 ms.
Set ``NUCSEC_BENCH_AUDIT_EVENTS`` to run at another size (default 1,000,000).
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymerkle
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymerkle import InmemoryTree, SqliteTree
from sqlalchemy import Engine, text

from benchmarks._table import Table, fmt_rate, fmt_s, percentiles
from nucsec.audit import queries
from nucsec.audit.events import AuditEvent, canonical_bytes, digest
from nucsec.audit.log import AuditLog
from nucsec.audit.merkle import Frontier, leaf_hash, verify_inclusion
from nucsec.audit.tables import create_audit_schema
from nucsec.audit.verify import verify_log
from nucsec.store.db import make_engine

ORIGIN = "nucsec.bench/audit"
BATCH = 1000
T0 = datetime(2024, 5, 1, tzinfo=UTC)
LABELS = [digest(f"label {i}".encode()) for i in range(16)]


def _inputs(start: int, n: int) -> list[tuple[datetime, str, str, dict[str, str]]]:
    """What a service has at hand: time, pseudonymous user, document reference, label hash."""
    return [
        (
            T0 + timedelta(milliseconds=i),
            f"u-{i % 500:04d}",
            f"document:{uuid.UUID(int=i)}",
            {"kind": "document", "label": LABELS[i % 16], "via": "api"},
        )
        for i in range(start, start + n)
    ]


def _events(inputs: list[tuple[datetime, str, str, dict[str, str]]]) -> list[AuditEvent]:
    return [AuditEvent(t, actor, "record.read", ref, "success", d) for t, actor, ref, d in inputs]


@dataclass
class _Spent:
    """Wall and CPU seconds (CPU time is what "one core" means on a shared machine)."""

    wall: float = 0.0
    cpu: float = 0.0

    def rate(self, n: int) -> str:
        return f"{n / self.wall:,.0f}/s wall, {n / self.cpu:,.0f}/s CPU"


@contextmanager
def _timed(spent: _Spent) -> Iterator[None]:
    w, c = time.perf_counter(), time.process_time()
    yield
    spent.wall += time.perf_counter() - w
    spent.cpu += time.process_time() - c


def _fill(engine: Engine, log: AuditLog, n: int) -> tuple[_Spent, _Spent]:
    """Append ``n`` events in batches; time spent (building events, appending)."""
    build, append = _Spent(), _Spent()
    for start in range(0, n, BATCH):
        inputs = _inputs(start, min(BATCH, n - start))
        with _timed(build):
            batch = _events(inputs)
        with _timed(append), engine.begin() as conn:
            log.append(conn, batch)
    return build, append


def _bodies(engine: Engine, chunk: int = 100_000) -> Iterator[list[bytes]]:
    with engine.connect() as conn:
        for start in range(0, queries.tree_size(conn), chunk):
            rows = conn.execute(
                text("SELECT body FROM audit_events WHERE seq >= :a AND seq < :b ORDER BY seq"),
                {"a": start, "b": start + chunk},
            )
            yield [bytes(b) for (b,) in rows]


def _pymerkle_sqlite(engine: Engine, path: Path) -> tuple[SqliteTree, _Spent]:
    """The same entries into pymerkle's SQLite tree, in the same batches (one transaction
    each)."""
    tree = SqliteTree(str(path))
    spent = _Spent()
    for bodies in _bodies(engine):
        for i in range(0, len(bodies), BATCH):
            with _timed(spent):
                tree.append_entries(bodies[i : i + BATCH])
    return tree, spent


def _append_rows(
    table: Table, n: int, backend: str, spent: tuple[_Spent, _Spent], pym: str
) -> None:
    """``pym``: pymerkle's SQLite rate, already formatted (it has no PostgreSQL backend)."""
    build, append = spent
    both = _Spent(build.wall + append.wall, build.cpu + append.cpu)
    server = "; CPU is this process only (not the server)" if backend == "PostgreSQL" else ""
    table.add(
        f"append {n:,} events, {backend} (batches of {BATCH})",
        append.rate(n),
        "pymerkle SqliteTree.append_entries",
        pym,
        ">= 50,000 events/s",
        f"storage, tree nodes, head, checkpoints; events built beforehand{server}",
    )
    table.add(
        f"build + encode + append, {backend}",
        both.rate(n),
        "pymerkle SqliteTree.append_entries",
        pym,
        ">= 50,000 events/s",
        f"including AuditEvent validation and RFC 8785 encoding{server}",
    )


def _tree_rows(table: Table, n: int) -> None:
    entries = [canonical_bytes(e) for e in _events(_inputs(0, n))]
    t0 = time.perf_counter()
    frontier = Frontier()
    for entry in entries:
        frontier.append(leaf_hash(entry))
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    reference = InmemoryTree()
    for entry in entries:
        reference.append_entry(entry)
    theirs = time.perf_counter() - t0
    same = "same root" if frontier.root() == reference.get_root() else "ROOTS DIFFER"
    table.add(
        f"tree updates in memory ({n:,} leaves)",
        fmt_rate(n / ours, "leaves/s"),
        "pymerkle InmemoryTree.append_entry",
        fmt_rate(n / theirs, "leaves/s"),
        ">= pymerkle",
        f"leaf hash + new interior nodes; {same}",
    )


def _proof_rows(table: Table, engine: Engine, pym: SqliteTree, n: int) -> None:
    rng = random.Random(3)
    with engine.connect() as conn:
        size = queries.tree_size(conn)
        root = queries.root(conn, size)
        ours, ok = [], True
        for seq in [rng.randrange(size) for _ in range(300)]:
            t0 = time.perf_counter()
            proof = queries.prove_inclusion(conn, seq, size)
            ours.append(time.perf_counter() - t0)
            ok &= verify_inclusion(queries.get_event(conn, seq)[1], seq, size, proof, root)
    theirs = []
    for seq in [rng.randrange(size) for _ in range(30)]:
        t0 = time.perf_counter()
        pym.prove_inclusion(seq + 1, size)
        theirs.append(time.perf_counter() - t0)
    p50, p99 = percentiles(ours)
    t50, t99 = percentiles(theirs)
    same = "same root" if pym.get_root(size) == root else "ROOTS DIFFER"
    table.add(
        f"inclusion proof at {n:,} events (p50 / p99)",
        f"{fmt_s(p50)} / {fmt_s(p99)}",
        "pymerkle SqliteTree.prove_inclusion",
        f"{fmt_s(t50)} / {fmt_s(t99)}",
        "<= 1 ms",
        f"from SQLite, random events; proofs verify: {ok}; {same}",
    )


def _verify_rows(
    table: Table, engine: Engine, log_key: Ed25519PrivateKey, db: Path, n: int
) -> None:
    t0 = time.perf_counter()
    with engine.begin() as conn:
        report = verify_log(conn, origin=ORIGIN, public_keys=[log_key.public_key()])
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    with sqlite3.connect(db) as con:
        entries = [row[0] for row in con.execute("SELECT entry FROM leaf ORDER BY id")]
    rebuilt = InmemoryTree.init_from_entries(entries)
    theirs = time.perf_counter() - t0
    same = "same root" if rebuilt.get_root() == report.root_hash else "ROOTS DIFFER"
    table.add(
        f"verify {n:,} events",
        fmt_s(ours),
        "pymerkle: read entries + rebuild root",
        fmt_s(theirs),
        "(none set)",
        f"ok={report.ok}, {report.checkpoints} checkpoint signatures + consistency, "
        f"columns, every stored node; {same}",
    )


def _query_rows(table: Table, engine: Engine, n: int) -> None:
    """The auditors' query by user: no actor index (it would cost 2.7x the append)."""
    with engine.connect() as conn:
        t0 = time.perf_counter()
        found, _ = queries.query_events(conn, actor="u-0042", limit=10_000)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute(text("SELECT count(*) FROM audit_events WHERE length(body) > 0")).scalar()
        scan = time.perf_counter() - t0
        since = T0 + timedelta(milliseconds=n - n // 100)
        t0 = time.perf_counter()
        recent, _ = queries.query_events(conn, actor="u-0042", since=since, limit=10_000)
        narrowed = time.perf_counter() - t0
    table.add(
        f"audit log --user at {n:,} events",
        fmt_s(ours),
        "SQLite full scan of the table",
        fmt_s(scan),
        "(none set)",
        f"{len(found)} events decoded; with --since over the "
        f"last 1%: {fmt_s(narrowed)} ({len(recent)} events)",
    )


def _postgres_rows(table: Table, n: int, pym: str) -> None:
    url = os.environ.get("NUCSEC_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        table.add("append, PostgreSQL", "skipped", note="set NUCSEC_DATABASE_URL to run")
        return
    schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        with engine.begin() as conn:
            create_audit_schema(conn)
        log = AuditLog(ORIGIN, Ed25519PrivateKey.generate(), checkpoint_every=1000)
        _append_rows(table, n, "PostgreSQL", _fill(engine, log, n), pym)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run() -> Table:
    n = int(os.environ.get("NUCSEC_BENCH_AUDIT_EVENTS", "1000000"))
    table = Table(f"audit log: nucsec vs pymerkle {pymerkle.__version__} (same events, same run)")
    with tempfile.TemporaryDirectory(prefix="nucsec-bench-audit-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'audit.db'}")
        with engine.begin() as conn:
            create_audit_schema(conn)
        key = Ed25519PrivateKey.generate()
        spent = _fill(engine, AuditLog(ORIGIN, key, checkpoint_every=1000), n)
        pym, pym_spent = _pymerkle_sqlite(engine, Path(tmp) / "pymerkle.db")
        pym_rate = pym_spent.rate(n)
        _append_rows(table, n, "SQLite", spent, pym_rate)
        _tree_rows(table, min(n, 200_000))
        _proof_rows(table, engine, pym, n)
        _verify_rows(table, engine, key, Path(tmp) / "pymerkle.db", n)
        _query_rows(table, engine, n)
        pym.close()
        engine.dispose()
    # PostgreSQL (when configured) at 200,000 events, beside pymerkle's SQLite rate above
    _postgres_rows(table, min(n, 200_000), pym_rate)
    return table
