"""ASGI middleware: one database connection per request (PostgreSQL).

The statements of a request - the caller's token or session, the reference monitor's
query - run on one pooled connection, checked out on first use (:mod:`nucsec.store.scope`)
and returned to the pool before the request waits for its audit events to be committed
(the thread that commits a batch for everyone checks out once more) and at the latest when
the response starts, so that neither waiting nor rendering holds it.
On SQLite the middleware is not installed: reads there run in WAL snapshots on a
two-connection pool tuned for it (:mod:`nucsec.web.server`).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from nucsec.store.scope import connection_scope
from nucsec.web.security import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestConnection"]


class RequestConnection:
    """Opens a :func:`nucsec.store.scope.connection_scope` of ``engine`` around each HTTP
    request."""

    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with connection_scope(self.engine) as db:

            async def send_and_release(message: Message) -> None:
                if message["type"] == "http.response.start":
                    db.release()
                await send(message)

            await self.app(scope, receive, send_and_release)
