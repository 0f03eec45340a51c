"""Pages (issue 18): p50 and p95 of every page analysts work in, warm, on the demo node.

A joint demo node (the browser tests' node: ``init_node(..., demo=True, joint=True)``
and the demo seed, SQLite unless ``NUCSEC_DATABASE_URL`` names a PostgreSQL server, then
a fresh schema) is served by ``nucsec serve`` (one worker) and the bench waits until the
worker's start-up loading is done (``/api/health`` says ``"warming": "done"``). Each user
of the browser tests' page list (``tests/web/test_browser_widths.PAGES``: pages added
there are measured here too) signs in through the form; each user reads pages in their
nation's default language (Japanese for the JPN users of the list). After
``NUCSEC_BENCH_PAGES_WARMUP`` rounds (default 3) of every page, ``NUCSEC_BENCH_PAGES_N``
rounds (default 40) request every page once, one request at a time, and between two
pages the baseline: ``GET /static/app.css``, a static file served by the same app
(Starlette's ``StaticFiles``, no session, policy or audit), so that the baseline sees the
same machine load as the pages, interleaved. Times are wall times on loopback, client
side (httpx), body read in full; a page answers 200 (or 422: the typed error page of a
bad list filter, which the page list holds on purpose); any other or changing status is
reported as missed.

Goal: p95 <= 300 ms for every page (issue 18, "warm on the demo nodes").
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks._table import Table

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench-work" / "pages"
ROUNDS = int(os.environ.get("NUCSEC_BENCH_PAGES_N", "40"))
WARMUP = int(os.environ.get("NUCSEC_BENCH_PAGES_WARMUP", "3"))
GOAL_MS = 300.0
STATIC = "/static/app.css"


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank) of ``samples``.

    >>> p95([float(i) for i in range(1, 101)])
    95.0
    """
    ordered = sorted(samples)
    rank = max(1, -(-95 * len(ordered) // 100))  # ceil(0.95 n)
    return ordered[rank - 1]


def _pages() -> list[tuple[str, str]]:
    """The browser tests' (user, path) list: one list of every page, kept there."""
    from tests.web.test_browser_widths import PAGES

    return list(PAGES)


@contextmanager
def _database() -> Iterator[tuple[str, str]]:
    """(name, URL): SQLite in the work directory, or a fresh PostgreSQL schema."""
    pg = os.environ.get("NUCSEC_DATABASE_URL", "")
    if not pg.startswith("postgresql"):
        yield "SQLite", f"sqlite:///{WORK / 'home' / 'nucsec.db'}"
        return
    from benchmarks.bench_web import fresh_schema

    with fresh_schema(pg, "bench_pages") as url:
        yield "PostgreSQL", url


def _build_node(home: Path, db_url: str) -> None:
    from nucsec import settings
    from nucsec.assembly import init_node
    from nucsec.demo import DEMO_PASSWORD, seed
    from nucsec.web.passwords import hash_password

    node = init_node(
        settings.load(env={}, home=home, database_url=db_url), "USA", demo=True, joint=True
    )
    seed(node, password_hash=hash_password(DEMO_PASSWORD))
    node.close()


def _signed_in(root: str, user: str) -> object:
    """An httpx client with a session of ``user`` (through the sign-in form)."""
    import httpx

    from nucsec.demo import DEMO_PASSWORD

    client = httpx.Client(base_url=root, timeout=60)
    client.get("/login")
    form = {
        "username": user,
        "password": DEMO_PASSWORD,
        "login_token": client.cookies.get("nucsec_login") or "",
        "next": "/",
    }
    answer = client.post("/login", data=form)
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in of {user} answered {answer.status_code}")
    return client


def _timed(client: object, path: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    response = client.get(path)  # type: ignore[attr-defined]
    _ = response.content
    return time.perf_counter() - t0, int(response.status_code)


Samples = dict[int, list[float]]


def _measure(
    root: str, pages: list[tuple[str, str]]
) -> tuple[Samples, dict[int, list[int]], list[float]]:
    """(page index -> seconds of its answers, page index -> statuses, static seconds).

    A page's answer is the status of its first request (200; a typed error page of the
    list, e.g. a bad filter, answers 422): answers with another status are not timed."""
    import httpx

    clients = {user: _signed_in(root, user) for user in sorted({u for u, _ in pages})}
    static = httpx.Client(base_url=root, timeout=60)
    times: dict[int, list[float]] = {i: [] for i in range(len(pages))}
    status: dict[int, list[int]] = {i: [] for i in range(len(pages))}
    expected: dict[int, int] = {}
    base: list[float] = []
    for n in range(WARMUP + ROUNDS):
        for i, (user, path) in enumerate(pages):
            seconds, code = _timed(clients[user], path)
            s_seconds, s_code = _timed(static, STATIC)
            expected.setdefault(i, code)
            if n < WARMUP:
                continue
            status[i].append(code)
            if code == expected[i]:
                times[i].append(seconds)
            if s_code == 200:
                base.append(s_seconds)
    for c in (*clients.values(), static):
        c.close()  # type: ignore[attr-defined]
    return times, status, base


def _ms(seconds: list[float]) -> str:
    if not seconds:
        return "no answer timed"
    return f"p50 {statistics.median(seconds) * 1e3:.0f} ms, p95 {p95(seconds) * 1e3:.0f} ms"


def run() -> Table:
    from benchmarks.bench_web import _free_port, _serving

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    pages = _pages()
    with _database() as (db_name, db):
        _build_node(WORK / "home", db)
        env = {**os.environ, "NUCSEC_HOME": str(WORK / "home"), "NUCSEC_DATABASE_URL": db}
        port = _free_port()
        cmd = [sys.executable, "-m", "nucsec", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "--log-level", "warning"]
        load_before = os.getloadavg()[0]
        with _serving(cmd, env, port, WORK / "nucsec.log", workers=1) as root:
            times, status, base = _measure(root, pages)
        load_after = os.getloadavg()[0]
    table = Table(
        f"pages: every page, warm, {ROUNDS} sequential requests each after {WARMUP} rounds"
        f" ({db_name}, demo node, 1 worker; load average {load_before:.1f} -> {load_after:.1f}"
        f" on {os.cpu_count()} cores)"
    )
    missed = 0
    for i, (user, path) in enumerate(pages):
        codes = sorted(set(status[i]))
        ok = bool(times[i]) and p95(times[i]) * 1e3 <= GOAL_MS and len(codes) == 1
        ok = ok and codes[0] in (200, 422)  # a page, or a typed error page of the list
        missed += not ok
        note = "met" if ok else "MISSED"
        if codes != [200]:
            note += f"; answered {codes}"
        table.add(
            f"GET {path} as {user}",
            _ms(times[i]),
            f"GET {STATIC}",
            _ms(base),
            f"p95 <= {GOAL_MS:.0f} ms",
            note,
        )
    table.add(f"pages over the goal: {missed} of {len(pages)}", "", goal="0")
    return table
