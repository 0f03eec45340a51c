"""Per-request CPU and SQL statements of the web bench's two requests, in process.

``python -m benchmarks._web_profile sqlite|postgresql [REQUESTS] [--profile OUT]`` seeds
the web bench's node (:func:`benchmarks.bench_web._build_node`, ``NUCSEC_BENCH_WEB_DOCS``
documents; PostgreSQL in a fresh schema of ``NUCSEC_DATABASE_URL``), builds the serving
app as a worker does (:func:`nucsec.web.server.for_serving`, warming done first), and
sends REQUESTS serial list and detail requests through the ASGI app (httpx's
ASGITransport). It prints the statements per request (a ``before_cursor_execute``
listener) and the process CPU per request. The thread pool that FastAPI runs sync
dependencies and endpoints in is replaced by inline calls, so that ``--profile`` (cProfile,
one file per request kind) sees their work; serial requests need no threads. CPU time on
a shared VM is inflated by other jobs: compare two builds in the same minutes only (run
one under ``PYTHONPATH`` of the other's ``src``).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote


def _inline_thread_pool() -> None:
    import anyio.to_thread
    import fastapi.dependencies.utils
    import fastapi.routing
    import starlette.concurrency

    async def run_sync(func: Any, *args: Any, **_: Any) -> Any:
        return func(*args)

    async def run_in_threadpool(func: Any, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    for module in (starlette.concurrency, fastapi.routing, fastapi.dependencies.utils):
        module.run_in_threadpool = run_in_threadpool  # type: ignore[attr-defined]


def _schema(action: str, schema: str) -> None:
    from sqlalchemy import text

    from nucsec.store.db import make_engine

    admin = make_engine(os.environ["NUCSEC_DATABASE_URL"])
    with admin.begin() as conn:
        conn.execute(text(f'{action} SCHEMA "{schema}"{" CASCADE" if action == "DROP" else ""}'))
    admin.dispose()


def main(argv: list[str]) -> None:
    """See the module docstring."""
    _inline_thread_pool()

    kind, n = argv[0], int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1000
    out = argv[argv.index("--profile") + 1] if "--profile" in argv else None
    work = Path(tempfile.mkdtemp(prefix="web-profile-"))
    home = work / "home"
    url = f"sqlite:///{home / 'nucsec.db'}"
    schema = f"web_profile_{uuid.uuid4().hex[:8]}"
    if kind == "postgresql":
        base = os.environ["NUCSEC_DATABASE_URL"]
        _schema("CREATE", schema)
        url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    try:
        _run(home, url, n, out)
    finally:
        if kind == "postgresql":
            _schema("DROP", schema)
        shutil.rmtree(work, ignore_errors=True)


def _run(home: Path, url: str, n: int, out: str | None) -> None:
    import httpx
    from sqlalchemy import event

    from benchmarks.bench_web import _build_node
    from nucsec import settings
    from nucsec.assembly import open_node
    from nucsec.web.app import create_app
    from nucsec.web.server import for_serving
    from nucsec.web.warm import warm

    token, visible, _ = _build_node(home, url)
    node = for_serving(open_node(settings.load(env={}, home=home, database_url=url)))
    app = create_app(node)
    warm()
    statements: list[str] = []

    @event.listens_for(node.engine, "before_cursor_execute")
    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    ids = random.Random(7).sample(visible, min(1000, len(visible)))
    headers = {"Authorization": f"Bearer {token}"}

    async def send(what: str, count: int) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for i in range(count):
                path = "" if what == "list" else f"/{ids[i % len(ids)]}"
                r = await client.get(f"/api/v1/documents{path}", headers=headers)
                assert r.status_code == 200, r.text

    for what in ("list", "detail"):
        asyncio.run(send(what, 50))  # warm the caches and the pool
        statements.clear()
        asyncio.run(send(what, 20))
        print(f"{what}: {len(statements) / 20:.2f} statements per request")
        for first_line, k in Counter(s.split("\n")[0][:100] for s in statements).most_common():
            print(f"  {k / 20:5.2f}  {first_line}")
        profile = cProfile.Profile() if out else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        asyncio.run(send(what, n))
        if profile is not None:
            profile.disable()
            profile.dump_stats(f"{out}.{what}")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        note = " (under cProfile)" if profile else ""
        print(f"{what}: CPU {1e3 * cpu / n:.2f} ms/request, wall {1e3 * wall / n:.2f} ms{note}")
    node.close()


if __name__ == "__main__":
    main(sys.argv[1:])
