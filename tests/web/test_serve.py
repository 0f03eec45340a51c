"""Serving: what `nucsec serve` prints (demo logins only on a demo node), no default
credentials elsewhere, and the federation hook that mounts the TAXII routes."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import iter_route_contexts

from nucsec import settings
from nucsec.assembly import init_node
from nucsec.demo import DEMO_PASSWORD
from nucsec.node import Node
from nucsec.service.users import create_user, list_users
from nucsec.web import app as web_app
from nucsec.web.passwords import hash_password
from nucsec.web.server import startup_lines
from tests.web.conftest import client_of, fresh_db_url


def test_demo_node_prints_url_and_logins(demo_node: Node) -> None:
    lines = startup_lines(demo_node, "0.0.0.0", 8700)
    assert lines[0].endswith("serving at http://127.0.0.1:8700/")
    assert any(DEMO_PASSWORD in line for line in lines)
    with demo_node.engine.connect() as conn:
        names = [u.username for u in list_users(conn)]
    assert all(any(name in line for line in lines) for name in names)
    assert "doe.analyst" in client_of(demo_node).get("/login").text


def test_a_production_node_has_no_default_credentials(tmp_path: Path) -> None:
    with fresh_db_url(tmp_path) as url:
        node = init_node(settings.load(env={}, home=tmp_path / "h", database_url=url), "JPN")
        with node.engine.begin() as conn:
            assert list_users(conn) == []
            spec = {
                "username": "jpn.officer",
                "nation": "JPN",
                "agency": "MOFA",
                "clearance": "KIMITSU",
                "roles": ["security_officer"],
            }
            create_user(node, conn, spec, actor="operator", password_hash=hash_password("x" * 16))
        lines = startup_lines(node, "127.0.0.1", 8701)
        assert lines == ["nucsec JPN node serving at http://127.0.0.1:8701/"]
        client = client_of(node)
        page = client.get("/login").text
        assert "jpn.officer" not in page and "Demo" not in page
        client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": "jpn.officer",
                "password": DEMO_PASSWORD,
                "login_token": client.cookies.get("nucsec_login") or "",
            },
        )
        assert r.status_code == 401
        node.close()


def test_taxii_routes_are_mounted(demo_node: Node) -> None:
    app = web_app.create_app(demo_node)
    paths = {rc.path for rc in iter_route_contexts(app.routes)}
    assert {"/taxii2/", "/taxii2/api/collections/"} <= paths
