"""One pooled connection for a request's reads on PostgreSQL (nucsec.web.dbscope), and
each read still audited through the reference monitor."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, QueuePool, event, func, select

from nucsec.audit.tables import audit_events
from nucsec.node import Node
from tests.conftest import ON_POSTGRES
from tests.web.conftest import bearer, client_of


def _counter(node: Node) -> Callable[[], int]:
    seen: list[int] = []
    event.listen(node.engine, "checkout", lambda *_: seen.append(1))
    return lambda: len(seen)


def _in_use(engine: Engine) -> int:
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def _events(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar() or 0)


def test_a_read_request_checks_out_once_and_is_audited(demo_node: Node) -> None:
    client: TestClient = client_of(demo_node)
    headers = bearer(demo_node, "doe.analyst", ("read",))
    first = client.get("/api/v1/documents", headers=headers)
    assert first.status_code == 200 and first.json()["items"]
    doc_id = first.json()["items"][0]["id"]
    checkouts = _counter(demo_node)
    for path in ("/api/v1/documents", f"/api/v1/documents/{doc_id}", "/api/v1/documents/nope"):
        before, events = checkouts(), _events(demo_node)
        response = client.get(path, headers=headers)
        assert response.status_code == (404 if path.endswith("nope") else 200)
        used = checkouts() - before - 1  # less the count of events just above
        # PostgreSQL: token and monitor query on one connection, given back before the
        # audit append (which this thread, alone, commits on a second checkout); SQLite
        # checks out for the token, the read and the append (WAL snapshots, web.server)
        assert used == 2 if ON_POSTGRES else used == 3
        assert _events(demo_node) > events  # the read was audited (a 404 too)
    assert _in_use(demo_node.engine) == 0
