"""A node database with 1,000,000 stored incidents, built once and reused.

Each incident has the rows the register writes (:mod:`nucsec.service.incidents`): a
``records`` row of kind ``incident``, one ``record_versions`` row whose portions are
``facts`` (the incident record without its narrative) and ``narrative.0``, and its
``incident_facts`` row. Dimension values come from
:func:`nucsec.incidents.demo.synthetic_columns`; labels from the policy benchmark's listing
mix (:func:`benchmarks._policy_data.listing_labels`), reweighted for an incident register
(see :data:`CATEGORY_SHARES`) and interned through the real
:func:`nucsec.store.labels.intern_label`. Rows are bulk-loaded (``executemany`` on
SQLite, ``COPY`` on PostgreSQL). The SQLite file lives in ``bench-work/`` and the
PostgreSQL copy in its own schema, both keyed by :data:`DATA_VERSION`; a build that did not
finish leaves no marker and is redone. Every open runs the migrations.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from sqlalchemy import Connection, Engine, insert, text

from benchmarks._policy_data import WeightedLabel, listing_labels
from benchmarks._policy_store import BuiltStore, _copy
from nucsec.incidents import incident_from_record
from nucsec.incidents.countries import country_name
from nucsec.incidents.demo import synthetic_columns
from nucsec.markings import MarkingContext, rollup
from nucsec.service.incident_tables import COUNTED_DIMENSIONS, incident_counts, incident_facts
from nucsec.store.db import make_engine
from nucsec.store.labels import intern_label
from nucsec.store.migrate import upgrade
from nucsec.store.schema import record_versions, records

__all__ = [
    "CATEGORY_SHARES",
    "DATA_VERSION",
    "KIND",
    "N_INCIDENTS",
    "incident_labels",
    "postgres_incidents",
    "sqlite_incidents",
]

#: bump when the label mix, the row shape or N_INCIDENTS changes (invalidates caches)
DATA_VERSION = 2  # 2: facts carry label_id/counted; incident_counts maintained
N_INCIDENTS = 1_000_000
KIND = "incident"
CHUNK = 50_000
SEED = 2010_11_08  # the working group was agreed in November 2010
#: share of incidents per listing-mix category: many register entries are public ITDB-style
#: cases; most of the rest are shared with the partner; a few are national or controlled
CATEGORY_SHARES = {
    "unclassified": 0.35,
    "rel-to-partners": 0.35,
    "national-only": 0.10,
    "agency-restricted": 0.05,
    "noforn": 0.05,
    "orcon": 0.04,
    "compartmented": 0.04,
    "top-secret": 0.02,
}
_EPOCH = dt.datetime(2011, 1, 1, tzinfo=dt.UTC)
_AUTHORS = [str(uuid.UUID(int=i, version=4)) for i in range(101, 141)]
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
_FACT_COLS = tuple(c.name for c in incident_facts.columns)
_TABLES = (
    "labels",
    "label_rel_to",
    "label_compartments",
    "records",
    "record_versions",
    "incident_facts",
)
Rows = list[tuple[Any, ...]]


def incident_labels(ctx: MarkingContext) -> list[WeightedLabel]:
    """The listing mix's ~400 labels, each category's weight scaled to its incident share
    (the long tail inside a category is kept)."""
    mix = listing_labels(ctx)
    totals: dict[str, float] = {}
    for w in mix:
        totals[w.category] = totals.get(w.category, 0.0) + w.weight
    return [
        WeightedLabel(
            w.label, w.category, CATEGORY_SHARES[w.category] * w.weight / totals[w.category]
        )
        for w in mix
    ]


def _intern_all(conn: Connection, ctx: MarkingContext) -> tuple[list[int], list[int], list[float]]:
    """(portion label ids, banner label ids, weights): the banner is the portions' roll-up."""
    mix = incident_labels(ctx)
    portion = [intern_label(conn, w.label, ctx) for w in mix]
    banner = [intern_label(conn, rollup([w.label, w.label], ctx), ctx) for w in mix]
    return portion, banner, [w.weight for w in mix]


def _facts(reference: str, day: dt.date, dims: dict[str, Any]) -> dict[str, Any]:
    """The ``facts`` portion: what ``incident_to_record`` gives, less the narrative."""
    return {
        "reference": reference,
        "report_date": (day + dt.timedelta(days=3)).isoformat(),
        "country": dims["country"],
        "incident_type": dims["incident_type"],
        "itdb_group": dims["itdb_group"],
        "detection_mode": dims["detection_mode"],
        "status": "closed",
        "material_class": dims["material_class"],
        "incident_date": day.isoformat(),
        "incident_date_precision": "day",
        "discovery_date": None,
        "place": "",
        "items": [],
        "links": [],
        "attachments": [],
        "support_requests": [],
    }


def _check_shape(facts: dict[str, Any], narrative: str) -> None:
    """The stored shape must read back as an incident (IncidentError otherwise)."""
    incident_from_record({**facts, "narrative": [{"label": "UNCLASSIFIED", "text": narrative}]})


def _chunks(
    portion_ids: list[int], banner_ids: list[int], weights: list[float], n: int
) -> Iterator[tuple[Rows, Rows, Rows]]:
    """Deterministic (records, versions, incident_facts) rows; pk 1..n is creation order."""
    gen = np.random.default_rng(SEED + DATA_VERSION)
    columns = {k: v.tolist() for k, v in synthetic_columns(n, gen).items()}
    p = np.asarray(weights) / sum(weights)
    which = gen.choice(len(weights), size=n, p=p).tolist()
    day_of_year = gen.integers(0, 365, n).tolist()
    ids = random.Random(SEED + DATA_VERSION)
    for start in range(0, n, CHUNK):
        recs, vers, facts = [], [], []
        for i in range(start, min(start + CHUNK, n)):
            pk = i + 1
            dims = {k: v[i] for k, v in columns.items()}
            day = dt.date(dims["year"], 1, 1) + dt.timedelta(days=day_of_year[i])
            ref = f"SYN-{dims['country']}-{dims['year']}-{pk:07d}"
            fact = _facts(ref, day, dims)
            story = f"Synthetic benchmark incident {ref}: {dims['incident_type']}."
            if i == start:
                _check_shape(fact, story)
            label_id, banner_id = portion_ids[which[i]], banner_ids[which[i]]
            content = {
                "facts": {"label_id": label_id, "value": fact},
                "narrative.0": {"label_id": label_id, "value": story},
            }
            when = _EPOCH + dt.timedelta(minutes=pk)
            author = _AUTHORS[pk % len(_AUTHORS)]
            rid = str(uuid.UUID(int=ids.getrandbits(128), version=4))
            title = f"{ref}: {country_name(dims['country'])}"
            recs.append(
                (pk, rid, KIND, banner_id, 1, title, story.lower(), when, when, author, None, False)
            )
            vers.append((pk, 1, banner_id, author, when, json.dumps(content, sort_keys=True), ""))
            extra = {
                "record_pk": pk,
                "reference": ref,
                "event_date": day,
                "label_id": banner_id,
                "counted": True,
            }
            facts.append(tuple(extra.get(c, dims.get(c)) for c in _FACT_COLS))
        yield recs, vers, facts


def _insert(conn: Connection, table: Any, cols: tuple[str, ...], rows: Rows) -> None:
    conn.execute(insert(table), [dict(zip(cols, r, strict=True)) for r in rows])


def _counts(facts: Rows, into: Counter[tuple[Any, ...]]) -> None:
    """Accumulate what the register's after-write hook keeps in ``incident_counts``."""
    where = {c: i for i, c in enumerate(_FACT_COLS)}
    for f in facts:
        for dim in COUNTED_DIMENSIONS:
            into[(f[where["label_id"]], f[where["year"]], dim, f[where[dim]])] += 1


def _load(conn: Connection, ctx: MarkingContext, copy: bool) -> None:
    portion, banner, weights = _intern_all(conn, ctx)
    counts: Counter[tuple[Any, ...]] = Counter()
    for recs, vers, facts in _chunks(portion, banner, weights, N_INCIDENTS):
        _counts(facts, counts)
        if copy:
            _copy(conn, "records", _RECORD_COLS, recs)
            _copy(conn, "record_versions", _VERSION_COLS, vers)
            _copy(conn, "incident_facts", _FACT_COLS, facts)
        else:
            _insert(conn, records, _RECORD_COLS, recs)
            _insert(conn, record_versions, _VERSION_COLS, vers)
            _insert(conn, incident_facts, _FACT_COLS, facts)
    count_rows = [(*k, n) for k, n in counts.items()]
    conn.execute(
        insert(incident_counts),
        [
            dict(zip(("label_id", "year", "dimension", "value", "n"), r, strict=True))
            for r in count_rows
        ],
    )


def sqlite_incidents(work_dir: Path, ctx: MarkingContext) -> BuiltStore:
    """Open (building on first use) ``work_dir/incidents-v<DATA_VERSION>.sqlite``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"incidents-v{DATA_VERSION}.sqlite"
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
        _load(conn, ctx, copy=False)
    build_s = time.perf_counter() - t0
    marker.write_text(json.dumps({"build_s": build_s, "incidents": N_INCIDENTS}))
    return BuiltStore(engine, str(path), build_s, False)


def _schema_engine(url: str, schema: str) -> Engine:
    sep = "&" if "?" in url else "?"
    return make_engine(f"{url}{sep}options={quote(f'-csearch_path={schema}')}")


def _cached_build_s(url: str, schema: str) -> float | None:
    """The recorded build time of a finished build, else None (and a fresh empty schema)."""
    admin = make_engine(url)
    try:
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
    finally:
        admin.dispose()
    return None if meta is None else float(meta)


def postgres_incidents(url: str, ctx: MarkingContext) -> BuiltStore:
    """Open (building on first use) schema ``bench_incidents_v<DATA_VERSION>`` on ``url``."""
    schema = f"bench_incidents_v{DATA_VERSION}"
    meta = _cached_build_s(url, schema)
    engine = _schema_engine(url, schema)
    upgrade(engine)
    if meta is not None:
        return BuiltStore(engine, schema, meta, True)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        _load(conn, ctx, copy=True)
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('records', 'pk'), "
                "(SELECT max(pk) FROM records))"
            )
        )
    _autocommit(engine, f"VACUUM ANALYZE {', '.join(_TABLES)}")  # as autovacuum would
    build_s = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_meta (build_s double precision NOT NULL)"))
        conn.execute(text("INSERT INTO bench_meta VALUES (:s)"), {"s": build_s})
    return BuiltStore(engine, schema, build_s, False)


def _autocommit(engine: Engine, sql: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(sql))
