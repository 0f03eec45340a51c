"""Review round 2: every state-changing route refuses a browser session without its
anti-forgery token (found from the application's route table, so new routes are covered).

A signed-in security officer (the user with the most rights) sends each POST, PUT, PATCH
and DELETE route, as a form, as multipart and as JSON, without ``csrf_token`` or
``X-CSRF-Token``; nothing may succeed and the audit log must not grow with a write.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from nucsec.audit.tables import audit_events
from nucsec.node import Node
from nucsec.web.app import create_app
from tests.web.conftest import TestClient, sign_in

#: routes a session without a CSRF token may legitimately use
EXEMPT = {"/login"}  # protected by its own login token (test_auth)
ID = "00000000-0000-4000-8000-000000000000"


def _unsafe_routes(node: Node) -> list[tuple[str, str]]:
    out = []
    for rc in iter_route_contexts(create_app(node).routes):
        route = rc.original_route
        if not isinstance(route, APIRoute) or not rc.path or rc.path in EXEMPT:
            continue
        if rc.path.startswith("/taxii2/"):
            continue  # peers sign their requests (tests/federation)
        for method in sorted((rc.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            out.append((method, rc.path))
    return out


def _writes(node: Node) -> int:
    with node.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(audit_events)
                .where(  # reads, and the refusal itself (policy.deny), are not writes
                    audit_events.c.action.not_in(
                        ["record.read", "record.list", "record.search", "policy.deny"]
                    )
                )
            ).scalar()
            or 0
        )


def test_no_state_changing_route_accepts_a_session_without_csrf(demo_node: Node) -> None:
    routes = _unsafe_routes(demo_node)
    assert len(routes) >= 15, "the route table is where the probe finds its targets"
    client = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    sign_in(client, "usa.security")
    for method, path in routes:
        url = path.replace("{doc_id}", ID).replace("{username}", "doe.analyst")
        url = url.replace("{token_id}", ID).replace("{incident_id}", ID)
        for kwargs in (
            {"data": {"title": "x", "level": "UNCLASSIFIED"}},
            {"files": {"file": ("a.csv", b"x")}, "data": {"title": "x"}},
            {"json": {"title": "x"}},
        ):
            before = _writes(demo_node)
            r = client.request(method, url, follow_redirects=False, **kwargs)
            where = f"{method} {url} {list(kwargs)}"
            assert r.status_code >= 400, where
            assert r.status_code not in (500,), where
            assert _writes(demo_node) == before, where


@pytest.mark.parametrize("path", ["/logout"])
def test_the_probe_can_see_a_missing_check(demo_node: Node, path: str) -> None:
    """The probe's own control: with the token, sign-out succeeds (303)."""
    client = TestClient(create_app(demo_node), base_url="http://127.0.0.1:8700")
    csrf = sign_in(client, "doe.analyst")
    r = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
