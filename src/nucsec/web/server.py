"""Running the web service: uvicorn on the node in ``$NUCSEC_HOME``.

:func:`serve` is what ``nucsec serve`` (and the demo) call; :func:`startup_lines` is what
they print first: the URL and, on a demo node only, the demo logins.
"""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI

from nucsec.assembly import open_node
from nucsec.node import Node

__all__ = ["app_from_env", "for_serving", "serve", "serving_app", "startup_lines"]

log = logging.getLogger(__name__)


#: database connections per server process (measured under the web bench: see below)
SQLITE_CONNECTIONS = 2
POSTGRES_CONNECTIONS = 4


def for_serving(node: Node) -> Node:
    """The node with the connection pool a server process wants: a fixed number of
    connections, which the request threads share.

    On SQLite, reads run in WAL snapshots without the write lock, and the audit events of
    concurrent reads are appended in one shared write transaction
    (:mod:`nucsec.audit.group`), so few write transactions queue on SQLite's busy
    handler, whose sleeps make the tail latency. Two connections per process let one
    thread read while another appends; more only add threads contending for the
    interpreter and the write lock (the web bench, 16 clients on 2 workers: 1 connection
    366-404 requests/s, 2 connections 497-527, 4 erratic at 211-415, 8 at 177).

    On PostgreSQL, SQLAlchemy's default pool (5, and 10 more "overflow" connections
    opened for a burst and closed after it) opened and closed server connections all the
    time under load, each a new server process: 242-255 list requests/s. A fixed pool of
    four served 429 (and 480-535 without a test of every checkout: connections are now
    tested only after sitting idle, :func:`nucsec.store.db.make_engine`). A request holds
    one of them from its first statement until its response starts
    (:mod:`nucsec.web.dbscope`); the database serves 2 cores, so more connections per
    process only queue there.
    """
    from nucsec.store.db import is_sqlite, make_engine

    size = SQLITE_CONNECTIONS if is_sqlite(node.engine) else POSTGRES_CONNECTIONS
    node.engine.dispose()
    node.engine = make_engine(node.settings.db_url, pool_size=size, max_overflow=0, pool_timeout=60)
    return node


def serving_app(node: Node) -> FastAPI:
    """The application of one server process, which starts loading the data first
    requests would load (:func:`nucsec.web.warm.warm_in_background`). The objects built
    so far (modules, marking data, the app) live as long as the process: they are moved
    out of the collector's generations (``gc.freeze``), so full collections under load do
    not walk them."""
    from nucsec.web.app import create_app
    from nucsec.web.warm import warm_in_background

    app = create_app(for_serving(node))
    gc.collect()
    gc.freeze()
    warm_in_background()
    return app


def app_from_env() -> FastAPI:
    """Application factory for uvicorn workers (each opens the node in ``$NUCSEC_HOME``)."""
    return serving_app(open_node())


def startup_lines(node: Node, host: str, port: int) -> list[str]:
    """What to print when the service starts: the URL, and the demo logins on a demo node."""
    shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - display only
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    lines = [f"nucsec {node.nation} node serving at http://{shown_host}:{port}/"]
    if node.demo:
        from nucsec.demo import DEMO_PASSWORD
        from nucsec.service.users import list_users

        with node.engine.connect() as conn:
            users = [u for u in list_users(conn) if u.active and u.has_password]
        lines.append(f"DEMO node - every demo user signs in with the password: {DEMO_PASSWORD}")
        for u in users:
            roles = ", ".join(u.roles)
            lines.append(f"  {u.username:14} {u.nation}.{u.agency:5} {u.clearance:17} {roles}")
    return lines


def serve(
    node: Node,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Serve ``node`` with uvicorn until interrupted (several workers: one node each).

    The serving process also pulls from the node's federation peers every
    ``sync_seconds`` (0: never), in one background thread with its own connections —
    once per node, whatever the number of workers.
    """
    import threading

    import uvicorn

    from nucsec.federation.sync import run_periodic

    host = host or node.settings.host
    port = port or node.settings.port
    common = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "server_header": False,
        "proxy_headers": False,
    }
    stop = threading.Event()
    sync_node = open_node(node.settings)
    puller = threading.Thread(
        target=run_periodic, args=(sync_node, stop), name="nucsec-sync", daemon=True
    )
    puller.start()
    try:
        if workers > 1:
            node.close()
            uvicorn.run("nucsec.web.server:app_from_env", factory=True, workers=workers, **common)  # type: ignore[arg-type]
            return
        uvicorn.run(serving_app(node), **common)  # type: ignore[arg-type]
    finally:
        stop.set()
        puller.join(timeout=10)
        sync_node.close()
