"""Refused requests are audit events, and refusals anyone can send without signing in
cannot flood the log.

- Every page-level or role refusal (403: an analyst opening ``/admin/users`` or
  ``/audit``, a token without the scope) is an event naming who, the route and why.
- Repeated refusals from one source (throttled sign-ins, TAXII requests without a valid
  signature, forbidden pages) are logged once per window and counted: the log grows by a
  couple of events, not one per request, the counted events (first, last, count) account
  for every refusal, and the log still verifies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.audit.verify import verify_log
from nucsec.node import Node
from nucsec.service.refusals import WINDOW, flush_due
from nucsec.web.auth import MAX_USER_FAILURES
from tests.web.conftest import bearer, client_of, sign_in


def _size(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar() or 0)


def _events(node: Node, action: str, since: int = 0) -> list[dict[str, Any]]:
    e = audit_events.c
    with node.engine.connect() as conn:
        bodies = conn.execute(
            select(e.body).where(e.action == action, e.seq >= since).order_by(e.seq)
        ).scalars()
        return [json.loads(b) for b in bodies]


def _refusals_counted(events: list[dict[str, Any]]) -> int:
    """How many refusals a list of events accounts for (a counted event for its count)."""
    return sum(int(e["details"].get("count", 1)) for e in events)


def test_a_forbidden_page_is_an_audit_event(fresh_node: Node) -> None:
    """An analyst opening the administration and audit pages gets 403 and an event each
    (the review found none); so does a role refusal on the API."""
    client = client_of(fresh_node)
    sign_in(client, "npa.analyst")
    start = _size(fresh_node)
    for path in ("/admin/users", "/audit"):
        assert client.get(path).status_code == 403
    headers = bearer(fresh_node, "npa.analyst")
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    denied = _events(fresh_node, "policy.deny", start)
    from nucsec.service.users import principal_of

    npa = principal_of(fresh_node, "npa.analyst").id
    routes = [(e["actor"], e["outcome"], e["details"]["route"]) for e in denied]
    assert (npa, "denied", "/admin/users") in routes
    assert (npa, "denied", "/audit") in routes
    assert (npa, "denied", "/api/v1/users") in routes


def test_throttled_sign_ins_cannot_flood_the_log(fresh_node: Node) -> None:
    """200 sign-ins from one address after the throttle closed: at most two events in the
    window, and once the window has passed every refusal is accounted for."""
    t0 = fresh_node.clock()
    fresh_node.clock = lambda: t0
    client = client_of(fresh_node)

    def attempt(username: str) -> int:
        client.get("/login")
        form = {"username": username, "password": "guess"}
        form["login_token"] = client.cookies.get("nucsec_login") or ""
        return client.post("/login", data=form).status_code

    for _ in range(MAX_USER_FAILURES):
        assert attempt("npa.analyst") == 401
    start = _size(fresh_node)
    assert [attempt("npa.analyst") for _ in range(200)] == [429] * 200
    assert _size(fresh_node) - start <= 2  # the review saw one event per request
    fresh_node.clock = lambda: t0 + WINDOW + timedelta(seconds=1)
    with fresh_node.engine.begin() as conn:
        flush_due(fresh_node, conn)
    throttled = [
        e for e in _events(fresh_node, "auth.login_failed", start)
        if e["details"]["reason"] == "throttled"
    ]  # fmt: skip
    assert _refusals_counted(throttled) == 200
    counted = [e for e in throttled if "count" in e["details"]]
    assert counted and counted[0]["details"]["first"] <= counted[0]["details"]["last"]
    with fresh_node.engine.connect() as conn:
        assert verify_log(
            conn, origin=fresh_node.origin, public_keys=[fresh_node.key.public_key()]
        ).ok


def test_unsigned_taxii_requests_cannot_flood_the_log(fresh_node: Node) -> None:
    """300 TAXII requests without a signature from one client: a couple of events, and
    the auditor's page of the 50 newest events still shows what happened before."""
    client = client_of(fresh_node)
    sign_in(client, "doe.analyst")
    client.get("/documents")  # an event the flood must not push off the auditor's page
    start = _size(fresh_node)
    statuses = {client.get("/taxii2/").status_code for _ in range(300)}
    assert statuses == {401}
    assert _size(fresh_node) - start <= 2
    later = fresh_node.clock() + WINDOW + timedelta(seconds=1)
    fresh_node.clock = lambda: later
    with fresh_node.engine.begin() as conn:
        flush_due(fresh_node, conn)
    refused = [e for e in _events(fresh_node, "auth.login_failed", start) if e["object"] == "taxii"]
    assert _refusals_counted(refused) == 300
