"""Web service (issue 4): the REST API under load on loopback, against 100,000 documents.

A node with the demo users and 100,000 documents (seeded in bulk through the store
tables, a realistic mix of labels of both nations) is served by ``nucsec serve`` (two
uvicorn workers) on SQLite, and on PostgreSQL too when ``NUCSEC_DATABASE_URL`` names one
(a fresh schema, dropped afterwards). ``wrk`` (Debian's package) drives it over loopback
as the DOE analyst with an API token:

* list:   ``GET /api/v1/documents`` (first page, 50 summaries);
* detail: ``GET /api/v1/documents/{id}`` over 1,000 random documents the analyst may read.

Each request authenticates the token, asks the reference monitor (the SQL twin for the
list), renders both schemes' banners and appends an audit event. The baseline is the same
two endpoints in a minimal FastAPI app on the same database, with the same uvicorn
workers and connection pool, but without authentication, policy or audit: the ceiling of
this stack.

Goal: >= 500 requests/s and p99 <= 100 ms for each endpoint on 2 cores. Set
``NUCSEC_BENCH_WEB_DOCS`` for another size, ``NUCSEC_BENCH_WEB_SECONDS`` for longer runs,
``NUCSEC_BENCH_WEB_ONLY=sqlite`` or ``postgresql`` for one database only (PostgreSQL runs
when ``NUCSEC_DATABASE_URL`` names a server).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._table import Table

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench-work" / "web"
DOCS = int(os.environ.get("NUCSEC_BENCH_WEB_DOCS", "100000"))
SECONDS = int(os.environ.get("NUCSEC_BENCH_WEB_SECONDS", "10"))
WORKERS = 2
CONNECTIONS = 16
GOAL = ">= 500 req/s, p99 <= 100 ms"

#: (author, banner, share of documents): what a working-group node holds
MIX = [
    ("doe.analyst", "SECRET//REL TO USA, JPN", 0.35),
    ("dhs.chief", "CUI//REL TO USA, JPN", 0.20),
    ("dos.chief", "CONFIDENTIAL//NOFORN", 0.10),
    ("doe.chief", "TOP SECRET//FORENSICS//NOFORN", 0.10),
    ("npa.analyst", "GOKUHI//REL TO JPN, USA", 0.15),
    ("mofa.chief", "HI//NOFORN", 0.10),
]

LUA = """
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, os.getenv("BENCH_PREFIX") .. ids[(n * 7919) % #ids + 1])
end
"""


# -- the node ------------------------------------------------------------------------------
def _seed_documents(node: Any, n: int) -> list[str]:
    """Insert ``n`` documents in bulk through the store tables; return the ids the bench
    user (doe.analyst) may read."""
    from sqlalchemy import func, insert, select, text

    from nucsec.markings import parse_banner
    from nucsec.service.users import get_user
    from nucsec.store.labels import intern_label
    from nucsec.store.schema import record_versions, records

    rng = random.Random(20101101)
    t0 = datetime(2010, 11, 1, tzinfo=UTC)
    readable = {"doe.analyst", "dhs.chief", "dos.chief", "npa.analyst"}
    visible: list[str] = []
    with node.engine.begin() as conn:
        kinds = []
        for author, banner, share in MIX:
            user = get_user(conn, author)
            label = parse_banner(banner, node.ctx).with_(
                originator=f"{user.nation}.{user.agency}", legal_basis=node.ctx.default_basis
            )
            kinds.append((user.id, intern_label(conn, label, node.ctx), share, author in readable))
        pk = int(conn.execute(select(func.coalesce(func.max(records.c.pk), 0))).scalar() or 0)
        weights = [k[2] for k in kinds]
        for start in range(0, n, 10_000):
            recs, vers = [], []
            for i in range(start, min(n, start + 10_000)):
                pk += 1
                author_id, label_id, _share, ok = rng.choices(kinds, weights)[0]
                doc_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                title = f"Field report {i:06d}: gamma survey, sample Q-{i % 977}"
                body = f"HPGe survey {i}; Cs-137 and Co-60 lines; no SNM signature."
                now = t0 + timedelta(minutes=i)
                recs.append(
                    {
                        "pk": pk,
                        "id": doc_id,
                        "kind": "document",
                        "label_id": label_id,
                        "head_version": 1,
                        "title": title,
                        "search_text": f"{title} {body}".lower(),
                        "created_at": now,
                        "updated_at": now,
                        "created_by": author_id,
                        "origin": None,
                        "recalled": False,
                    }
                )
                content = {
                    "body": {"label_id": label_id, "value": body},
                    "title": {"label_id": label_id, "value": title},
                }
                vers.append(
                    {
                        "record_pk": pk,
                        "version": 1,
                        "label_id": label_id,
                        "author_id": author_id,
                        "created_at": now,
                        "content": json.dumps(content, sort_keys=True),
                        "note": "",
                    }
                )
                if ok:
                    visible.append(doc_id)
            conn.execute(insert(records), recs)
            conn.execute(insert(record_versions), vers)
    with node.engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # what an operator does after a bulk load
    return visible


def _build_node(home: Path, db_url: str) -> tuple[str, list[str], float]:
    """A demo node with ``DOCS`` documents; returns (token, readable ids, seed seconds)."""
    from nucsec import settings
    from nucsec.assembly import init_node
    from nucsec.demo import DEMO_PASSWORD, seed
    from nucsec.service.users import get_user
    from nucsec.web.passwords import hash_password
    from nucsec.web.tokens import issue_token

    node = init_node(
        settings.load(env={}, home=home, database_url=db_url), "USA", demo=True, joint=True
    )
    seed(node, password_hash=hash_password(DEMO_PASSWORD))
    t0 = time.perf_counter()
    visible = _seed_documents(node, DOCS)
    seconds = time.perf_counter() - t0
    with node.engine.begin() as conn:
        token, _ = issue_token(
            node, conn, get_user(conn, "doe.analyst"), scopes=["read"], name="bench", actor="bench"
        )
    node.close()
    return token, visible, seconds


# -- the baseline: the same endpoints without auth, policy or audit --------------------------
def baseline_app() -> Any:
    """Minimal FastAPI app over the same tables (uvicorn factory; BENCH_WEB_DB names the DB)."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from sqlalchemy import create_engine, text

    from nucsec.web.server import POSTGRES_CONNECTIONS, SQLITE_CONNECTIONS

    url = os.environ["BENCH_WEB_DB"]
    size = SQLITE_CONNECTIONS if url.startswith("sqlite") else POSTGRES_CONNECTIONS
    engine = create_engine(url, pool_size=size, max_overflow=0, pool_timeout=60)  # as ours
    app = FastAPI()
    worker = uuid.uuid4().hex[:12]

    @app.get("/api/health")
    def health() -> JSONResponse:  # nothing to warm: the same answer as a warm worker's
        return JSONResponse({"status": "ok", "warming": "done", "worker": worker})

    page = text(
        "SELECT r.id, r.title, l.banner, r.head_version, r.updated_at, r.origin FROM records r "
        "JOIN labels l ON l.id = r.label_id WHERE r.kind = 'document' "
        "ORDER BY r.pk DESC LIMIT 51"
    )
    one = text(
        "SELECT r.id, v.content, l.banner, l.json, r.head_version, r.created_at, r.updated_at "
        "FROM records r JOIN record_versions v ON v.record_pk = r.pk AND v.version = "
        "r.head_version JOIN labels l ON l.id = r.label_id WHERE r.id = :id"
    )

    @app.get("/api/v1/documents")
    def documents() -> JSONResponse:
        with engine.connect() as conn:
            rows = conn.execute(page).all()
        items = [
            {
                "id": r[0],
                "title": r[1],
                "banner": r[2],
                "version": r[3],
                "updated_at": str(r[4]),
                "origin": r[5],
            }
            for r in rows[:50]
        ]
        return JSONResponse({"items": items, "next": items[-1]["id"] if len(rows) > 50 else None})

    @app.get("/api/v1/documents/{doc_id}")
    def document(doc_id: str) -> JSONResponse:
        with engine.connect() as conn:
            r = conn.execute(one, {"id": doc_id}).first()
        if r is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        content = json.loads(r[1])
        return JSONResponse(
            {
                "id": r[0],
                "title": content["title"]["value"],
                "body": content["body"]["value"],
                "banner": r[2],
                "label": json.loads(r[3]),
                "version": r[4],
                "created_at": str(r[5]),
                "updated_at": str(r[6]),
            }
        )

    return app


# -- serving and loading ---------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_warm(root: str, proc: subprocess.Popen[bytes], log: Path, workers: int = WORKERS) -> None:
    """Return once every worker has answered ``/api/health`` with its warming done.

    A worker loads reference data in a background thread as it starts
    (:mod:`nucsec.web.warm`: seconds of SymPy holding the interpreter), and the kernel
    hands each new connection to any worker that is accepting: the first answer says
    nothing of the others. So poll on fresh connections until ``workers`` distinct
    workers said ``done``. Both up and warm can take minutes on a loaded machine."""
    import httpx

    deadline = time.monotonic() + 600
    warm: set[str] = set()
    states: dict[str, str] = {}
    while len(warm) < workers:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"workers not warm after 600 s ({states}): {log.read_text()[-2000:]}"
            )
        try:
            body = httpx.get(f"{root}/api/health", timeout=5).json()
        except httpx.HTTPError:
            time.sleep(0.3)
            continue
        states[body["worker"]] = body["warming"]
        if body["warming"] == "failed":
            raise RuntimeError(f"warming failed in a worker: {log.read_text()[-2000:]}")
        if body["warming"] == "done":
            warm.add(body["worker"])
        else:
            time.sleep(0.1)


@contextmanager
def _serving(
    args: list[str], env: dict[str, str], port: int, log: Path, workers: int = WORKERS
) -> Iterator[str]:
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        root = f"http://127.0.0.1:{port}"
        try:
            _wait_warm(root, proc, log, workers)
            yield root
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int

    def __str__(self) -> str:
        bad = f", {self.errors} errors" if self.errors else ""
        return f"{self.rate:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms{bad}"


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def _wrk(
    url: str, headers: dict[str, str], seconds: int, script: Path | None, env: dict[str, str]
) -> Load:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    if script is not None:
        args += ["-s", str(script)]
    done = subprocess.run([*args, url], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout} {done.stderr}")
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in re.findall(r"\d+", socket_errors.group(0)))
    return Load(rate, p50, p99, errors)


def _measure(root: str, headers: dict[str, str], ids_file: Path, script: Path) -> dict[str, Load]:
    env = {**os.environ, "BENCH_IDS": str(ids_file), "BENCH_PREFIX": "/api/v1/documents/"}
    _wrk(f"{root}/api/v1/documents", headers, 2, None, env)  # warm up
    return {
        "list": _wrk(f"{root}/api/v1/documents", headers, SECONDS, None, env),
        "detail": _wrk(f"{root}/api/v1/documents/x", headers, SECONDS, script, env),
    }


@contextmanager
def _databases() -> Iterator[list[tuple[str, str]]]:
    """(name, URL) of the databases to run on: SQLite, and a fresh PostgreSQL schema when
    ``NUCSEC_DATABASE_URL`` names a server."""
    only = os.environ.get("NUCSEC_BENCH_WEB_ONLY", "").lower()  # "sqlite" or "postgresql"
    out = [("SQLite", f"sqlite:///{WORK / 'sqlite' / 'home' / 'nucsec.db'}")]
    if only == "postgresql":
        out = []
    pg = os.environ.get("NUCSEC_DATABASE_URL", "")
    if not pg.startswith("postgresql") or only == "sqlite":
        yield out
        return
    with fresh_schema(pg, "bench_web") as url:
        yield [*out, ("PostgreSQL", url)]


@contextmanager
def fresh_schema(pg: str, prefix: str) -> Iterator[str]:
    """The URL of server ``pg`` with its search path set to a new schema
    (``prefix_`` + 8 hex), dropped with everything in it afterwards."""
    from urllib.parse import quote

    from sqlalchemy import text

    from nucsec.store.db import make_engine

    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg else "?"
    try:
        yield f"{pg}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _run_on(table: Table, name: str, db: str, work: Path) -> None:
    work.mkdir(parents=True)
    token, visible, seed_s = _build_node(work / "home", db)
    ids_file = work / "ids.txt"
    ids_file.write_text("\n".join(random.Random(7).sample(visible, min(1000, len(visible)))) + "\n")
    script = work / "detail.lua"
    script.write_text(LUA)
    env = {
        **os.environ,
        "NUCSEC_HOME": str(work / "home"),
        "NUCSEC_DATABASE_URL": db,
        "BENCH_WEB_DB": db,
    }
    port = _free_port()
    ours_cmd = [
        sys.executable,
        "-m",
        "nucsec",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--log-level",
        "warning",
    ]
    with _serving(ours_cmd, env, port, work / "nucsec.log") as root:
        ours = _measure(root, {"Authorization": f"Bearer {token}"}, ids_file, script)
    port = _free_port()
    base_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.bench_web:baseline_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--log-level",
        "warning",
    ]
    with _serving(base_cmd, env, port, work / "baseline.log") as root:
        base = _measure(root, {}, ids_file, script)
    labels = {"list": "GET /api/v1/documents (50 per page)", "detail": "GET /api/v1/documents/{id}"}
    for what in ("list", "detail"):
        table.add(
            f"{name}: {labels[what]}",
            str(ours[what]),
            "minimal FastAPI, no auth/policy/audit",
            str(base[what]),
            GOAL,
            f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s",
        )
    table.add(
        f"{name}: seed {DOCS:,} documents (bulk, store tables)",
        f"{seed_s:.1f} s",
        note=f"{len(visible):,} readable by doe.analyst",
    )


def run() -> Table:
    table = Table(f"web: REST API under load on loopback ({DOCS:,} documents, {WORKERS} workers)")
    if shutil.which("wrk") is None:
        for what in ("list", "detail"):
            table.add(
                f"{what}: requests/s, p50, p99", "skipped", note="wrk missing: apt-get install wrk"
            )
        return table
    shutil.rmtree(WORK, ignore_errors=True)
    with _databases() as databases:
        for name, db in databases:
            _run_on(table, name, db, WORK / name.lower())
    return table
