"""Running the web service: uvicorn on the node in ``$NUCSEC_HOME``.

:func:`serve` is what ``nucsec serve`` (and the demo) call; :func:`startup_lines` is what
they print first: the URL and, on a demo node only, the demo logins.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from nucsec.node import Node, open_node

__all__ = ["app_from_env", "for_serving", "serve", "startup_lines"]

log = logging.getLogger(__name__)


def for_serving(node: Node) -> Node:
    """The node with the connection pool a server process wants.

    On SQLite every nucsec transaction takes the write lock at BEGIN (almost every
    request appends an audit event), so threads of one worker holding several
    connections only wait on SQLite's busy handler, whose sleeps make the tail latency.
    One connection per worker queues them in the pool instead (p99 measured 1.46 s ->
    0.52 s under the same load). Other databases keep their pool.
    """
    from nucsec.store.db import is_sqlite, make_engine

    if is_sqlite(node.engine):
        node.engine.dispose()
        node.engine = make_engine(
            node.settings.db_url, pool_size=1, max_overflow=0, pool_timeout=60
        )
    return node


def app_from_env() -> FastAPI:
    """Application factory for uvicorn workers (each opens the node in ``$NUCSEC_HOME``)."""
    from nucsec.web.app import create_app

    return create_app(for_serving(open_node()))


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

    from nucsec.exchange.sync import run_periodic

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
        from nucsec.web.app import create_app

        uvicorn.run(create_app(for_serving(node)), **common)  # type: ignore[arg-type]
    finally:
        stop.set()
        puller.join(timeout=10)
        sync_node.close()
