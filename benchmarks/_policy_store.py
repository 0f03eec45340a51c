"""A node database with 1,000,000 labelled documents, built once and reused.

Labels go through the real path (:func:`nucsec.store.labels.intern_label`); records and
their first versions are bulk-loaded (SQLAlchemy ``executemany`` on SQLite, ``COPY`` on
PostgreSQL) in the shape :class:`nucsec.store.records.RecordStore` writes them. The SQLite
file lives in ``bench-work/`` and the PostgreSQL copy in its own schema, both keyed by
:data:`DATA_VERSION`; a build that did not finish leaves no marker and is redone. Every
open runs the migrations, so a cached database picks up new indexes like a node would.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, insert, text

from benchmarks._policy_data import LISTING_SEED, listing_labels
from nucsec.markings import MarkingContext
from nucsec.store.db import make_engine
from nucsec.store.labels import intern_label
from nucsec.store.migrate import upgrade
from nucsec.store.schema import record_versions, records

__all__ = ["DATA_VERSION", "KIND", "N_DOCUMENTS", "BuiltStore", "postgres_store", "sqlite_store"]

#: bump when the listing mix, the row shape or N_DOCUMENTS changes (invalidates caches)
DATA_VERSION = 2  # 2: records index covers (kind, pk, recalled, label_id)
N_DOCUMENTS = 1_000_000
KIND = "document"
CHUNK = 50_000
_EPOCH = dt.datetime(2011, 1, 1, tzinfo=dt.UTC)
_AUTHORS = [str(uuid.UUID(int=i, version=4)) for i in range(1, 41)]
_RECORD_COLS = (
    "pk",
    "id",
    "kind",
    "label_id",
    "head_version",
    "title",
    "search_text",
    "created_at",
    "updated_at",
    "created_by",
    "origin",
    "recalled",
)
_VERSION_COLS = ("record_pk", "version", "label_id", "author_id", "created_at", "content", "note")
_TABLES = ("labels", "label_rel_to", "label_compartments", "records", "record_versions")


@dataclass(frozen=True)
class BuiltStore:
    """An open benchmark database and how it came to be."""

    engine: Engine
    where: str  # file path or schema name
    build_s: float  # wall time of the build (of the cached build when reused)
    cached: bool


def _intern_all(conn: Connection, ctx: MarkingContext) -> tuple[list[int], list[float]]:
    mix = listing_labels(ctx)
    return [intern_label(conn, w.label, ctx) for w in mix], [w.weight for w in mix]


def _chunks(
    label_ids: list[int], weights: list[float], n: int
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Deterministic (records, versions) rows in chunks; pk 1..n is creation order."""
    rng = random.Random(LISTING_SEED + DATA_VERSION)
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        chosen = rng.choices(label_ids, weights=weights, k=size)
        recs, vers = [], []
        for offset, label_id in enumerate(chosen):
            pk = start + offset + 1
            when = _EPOCH + dt.timedelta(minutes=pk)
            author = _AUTHORS[pk % len(_AUTHORS)]
            title = f"Document {pk}: field report"
            rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            body = {"body": {"value": f"{title.lower()} text", "label_id": label_id}}
            recs.append(
                (pk, rid, KIND, label_id, 1, title, title.lower(), when, when, author, None, False)
            )
            vers.append((pk, 1, label_id, author, when, json.dumps(body, sort_keys=True), ""))
        yield recs, vers


def _load_sqlalchemy(conn: Connection, label_ids: list[int], weights: list[float]) -> None:
    for recs, vers in _chunks(label_ids, weights, N_DOCUMENTS):
        conn.execute(insert(records), [dict(zip(_RECORD_COLS, r, strict=True)) for r in recs])
        conn.execute(
            insert(record_versions), [dict(zip(_VERSION_COLS, v, strict=True)) for v in vers]
        )


def sqlite_store(work_dir: Path, ctx: MarkingContext) -> BuiltStore:
    """Open (building on first use) ``work_dir/policy-listing-v<DATA_VERSION>.sqlite``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"policy-listing-v{DATA_VERSION}.sqlite"
    marker = path.with_suffix(".json")
    if marker.exists() and path.exists():
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        return BuiltStore(engine, str(path), json.loads(marker.read_text())["build_s"], True)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), marker):
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        label_ids, weights = _intern_all(conn, ctx)
        _load_sqlalchemy(conn, label_ids, weights)
    build_s = time.perf_counter() - t0
    marker.write_text(json.dumps({"build_s": build_s, "documents": N_DOCUMENTS}))
    return BuiltStore(engine, str(path), build_s, False)


def _copy(conn: Connection, table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def postgres_store(url: str, ctx: MarkingContext) -> BuiltStore:
    """Open (building on first use) schema ``bench_policy_v<DATA_VERSION>`` on ``url``."""
    schema = f"bench_policy_v{DATA_VERSION}"
    admin = make_engine(url)
    with admin.begin() as conn:
        done = conn.execute(
            text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"{schema}.bench_meta"}
        ).scalar()
        meta = (
            conn.execute(text(f"SELECT build_s FROM {schema}.bench_meta")).scalar()
            if done
            else None
        )
        if meta is None:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    sep = "&" if "?" in url else "?"
    engine = make_engine(f"{url}{sep}options={quote(f'-csearch_path={schema}')}")
    if meta is not None:
        upgrade(engine)
        return BuiltStore(engine, schema, float(meta), True)
    t0 = time.perf_counter()
    upgrade(engine)
    with engine.begin() as conn:
        label_ids, weights = _intern_all(conn, ctx)
        for recs, vers in _chunks(label_ids, weights, N_DOCUMENTS):
            _copy(conn, "records", _RECORD_COLS, recs)
            _copy(conn, "record_versions", _VERSION_COLS, vers)
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('records', 'pk'), "
                "(SELECT max(pk) FROM records))"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {', '.join(_TABLES)}"))  # as autovacuum would
    build_s = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_meta (build_s double precision NOT NULL)"))
        conn.execute(text("INSERT INTO bench_meta VALUES (:s)"), {"s": build_s})
    return BuiltStore(engine, schema, build_s, False)
