"""Practice search over 100,000 stored practices (part of ``bench_practices``).

A node (SQLite file, or a fresh PostgreSQL schema when ``NUCSEC_DATABASE_URL`` names a
server) holds 100,000 synthetic practices under three labels (unclassified, SECRET//REL
TO USA, JPN, SECRET//NOFORN), English titles and bodies and, for a third of them,
Japanese summaries; the texts are made-up words with 5 % domain words (each domain word
in a few % of the practices, the rare ones in 0.5 %). They are written in bulk
(``RecordStore.create_many`` and the index's own ``index_rows``, the code path of the
after-write hook). Ours is
``search_practices`` (full text, ranked, total and facets, policy-filtered in SQL, one
audit event per call); the baseline is the generic listing search of every record kind
(``labelled.page`` and ``labelled.count``: ``search_text LIKE '%term%'``, newest first,
same policy filter, same audit), measured in the same run on the same queries. Each is
called for every query of a fixed list, p50 and p99 over all calls.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import text

from benchmarks._table import percentiles
from nucsec import settings
from nucsec.assembly import init_node
from nucsec.markings import parse_banner
from nucsec.node import Node
from nucsec.practices.vocabulary import topics
from nucsec.service import labelled
from nucsec.service.practice_index import index_rows
from nucsec.service.practice_search import PracticeFilter, search_practices
from nucsec.service.practices import PRACTICE
from nucsec.service.users import principal_of
from nucsec.store.db import make_engine
from nucsec.store.labels import intern_label
from nucsec.store.records import NewRecord, Portion, RecordStore

N_PRACTICES = 100_000
CHUNK = 5_000
BANNERS = ("UNCLASSIFIED", "SECRET//REL TO USA, JPN", "SECRET//NOFORN")
WORDS = [
    "access",
    "alarm",
    "audit",
    "badge",
    "barrier",
    "camera",
    "card",
    "control",
    "delay",
    "detection",
    "door",
    "escort",
    "fence",
    "guard",
    "inventory",
    "key",
    "lock",
    "material",
    "monitor",
    "patrol",
    "portal",
    "protection",
    "response",
    "seal",
    "search",
    "shipment",
    "storage",
    "tamper",
    "training",
    "transport",
    "vault",
    "vehicle",
    "visitor",
    "accounting",
    "balance",
    "container",
    "custody",
    "drill",
    "exercise",
    "cyber",
    "network",
    "password",
    "records",
    "review",
    "screening",
    "sabotage",
    "theft",
    "threat",
    "trust",
    "vetting",
    "worker",
]
RARE = ("insider", "plutonium", "enrichment", "reprocessing")  # 1 practice in 200 each
JA = (
    "施設の防護区域", "核物質の計量管理", "内部脅威への対策", "輸送中の警備", "警報の確認",
    "侵入検知", "出入管理", "職員の信頼性確認", "情報の保護", "対応部隊との連携",
)  # fmt: skip
QUERIES = (
    "insider", "vault", "alarm response", "tamper seal", "plutonium", "transport",
    "核物質", "内部脅威", "侵入検知", "防護", "guard", "cyber network",
)  # fmt: skip


def _filler(rng: random.Random, n: int = 3000) -> list[str]:
    """Made-up words (syllables), the bulk of every text."""
    syllables = [
        "ka",
        "ri",
        "to",
        "mu",
        "ne",
        "sa",
        "lo",
        "vi",
        "de",
        "pa",
        "ru",
        "ko",
        "mi",
        "ta",
        "ze",
        "bo",
    ]
    return sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(n)})


def _words(rng: random.Random, filler: list[str], k: int) -> list[str]:
    """``k`` words, 5 % of them domain words (each in a few % of the practices)."""
    return [rng.choice(WORDS) if rng.random() < 0.05 else rng.choice(filler) for _ in range(k)]


def _practice(i: int, rng: random.Random, codes: list[str], filler: list[str]) -> dict[str, Any]:
    words = _words(rng, filler, 6)
    if rng.random() < 0.02:
        words[rng.randrange(6)] = rng.choice(RARE)
    title = " ".join(words).capitalize()
    summary = (
        "。".join(rng.sample(JA, 2)) + "。"
        if i % 3 == 0
        else " ".join(_words(rng, filler, 14)).capitalize() + "."
    )
    body = " ".join(_words(rng, filler, 40))
    topic = codes[i % len(codes)]
    meta = {
        "code": f"BP-{i:06d}",
        "topic": topic,
        "applicability": ["theft", "cat:I" if i % 2 else "cat:III"],
        "nodes": [],
        "citations": [],
        "owner_agency": "USA.DOE",
        "status": ("draft", "proposed")[i % 2],
        "endorsement": None,
        "superseded_by": None,
    }
    return {"title": title, "summary": summary, "body": body, "meta": meta}


def load(node: Node, n: int = N_PRACTICES) -> float:
    """Write ``n`` practices in bulk; returns the seconds it took."""
    rng = random.Random(15)
    codes = sorted(topics())
    filler = _filler(rng)
    t0 = time.perf_counter()
    with node.engine.begin() as conn:
        ids = [intern_label(conn, parse_banner(b, node.ctx), node.ctx) for b in BANNERS]
    now = node.clock()
    for start in range(0, n, CHUNK):
        with node.engine.begin() as conn:
            batch = [_practice(i, rng, codes, filler) for i in range(start, min(n, start + CHUNK))]
            labels = [ids[(start + j) % 7 % 3] for j in range(len(batch))]
            new = [
                NewRecord(
                    "practice",
                    {k: Portion(v, label) for k, v in values.items()},
                    label,
                    values["title"],
                    now,
                    now,
                )
                for values, label in zip(batch, labels, strict=True)
            ]
            rows = RecordStore(conn, node.ctx).create_many(new)
            index_rows(
                conn,
                [(r.pk, r.label_id, values) for r, values in zip(rows, batch, strict=True)],
            )
    if node.engine.dialect.name == "postgresql":  # as autovacuum would, after a bulk load
        with node.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in ("records", "record_versions", "practice_index", "practice_tags"):
                conn.execute(text(f"VACUUM ANALYZE {name}"))  # this schema's tables only
    return time.perf_counter() - t0


@contextmanager
def bench_node(pg_url: str | None) -> Iterator[Node]:
    """A demo-user node on SQLite (temporary file) or in a fresh PostgreSQL schema."""
    from nucsec.demo import seed

    with tempfile.TemporaryDirectory() as tmp:
        url, schema = f"sqlite:///{Path(tmp) / 'bench.db'}", None
        if pg_url:
            schema = f"bench_practices_{uuid.uuid4().hex[:10]}"
            with make_engine(pg_url).begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in pg_url else "?"
            url = f"{pg_url}{sep}options={quote(f'-csearch_path={schema}')}"
        node = init_node(
            settings.load(env={}, home=Path(tmp) / "node", database_url=url), "USA", joint=True
        )
        try:
            seed(node, password_hash=None)
            yield node
        finally:
            node.close()
            if pg_url and schema:
                with make_engine(pg_url).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def measure(node: Node, rounds: int = 8) -> dict[str, Any]:
    """p50/p99 (seconds) of ours and of the LIKE scan, and the mean totals found."""
    reader = principal_of(node, "doe.analyst")
    ours, naive, found, scanned = [], [], [], []
    t0 = time.perf_counter()  # the first search loads this process's mirror of the index
    search_practices(node, reader, PracticeFilter(QUERIES[0]))
    first = time.perf_counter() - t0
    for q in QUERIES:  # warm-up
        search_practices(node, reader, PracticeFilter(q))
    for _ in range(rounds):
        for q in QUERIES:
            t0 = time.perf_counter()
            r = search_practices(node, reader, PracticeFilter(q), limit=25)
            ours.append(time.perf_counter() - t0)
            found.append(r.total)
            t0 = time.perf_counter()
            labelled.page(node, reader, PRACTICE, query=q, limit=25)
            n = labelled.count(node, reader, PRACTICE, q)
            naive.append(time.perf_counter() - t0)
            scanned.append(n)
    p50, p99 = percentiles(ours)
    n50, n99 = percentiles(naive)
    return {
        "p50": p50,
        "p99": p99,
        "naive_p50": n50,
        "naive_p99": n99,
        "calls": len(ours),
        "first": first,
        "found": sum(found) / len(found),
        "like_found": sum(scanned) / len(scanned),
    }
