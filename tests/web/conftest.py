"""Fixtures of the web tests: demo nodes, in-process clients, signed-in sessions, tokens.

A demo node (15 users of both nations, 12 documents) takes a few seconds to build, so the
read-mostly tests share one per module; tests that change state build their own.

The pages' words are checked in English by most tests, so the demo users of these nodes
have chosen English (``interface_language="en"``); the language tests
(``test_languages.py``) build nodes where each user has the default of their nation.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text
from starlette.exceptions import StarletteDeprecationWarning

from nucsec import settings
from nucsec.assembly import init_node
from nucsec.demo import DEMO_PASSWORD, seed
from nucsec.node import Node
from nucsec.service.users import get_user
from nucsec.store.db import make_engine
from nucsec.web.app import create_app
from nucsec.web.passwords import hash_password
from nucsec.web.tokens import issue_token
from tests.conftest import ON_POSTGRES, PG_URL

with warnings.catch_warnings():
    # Starlette asks for `httpx2`; the pinned httpx works (the warning is at import time)
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@cache
def demo_hash() -> str:
    """One argon2id hash of the demo password, shared by every demo user of the run."""
    return hash_password(DEMO_PASSWORD)


@contextmanager
def fresh_db_url(directory: Path) -> Iterator[str]:
    """An empty database for any fixture scope (SQLite file, or a PostgreSQL schema)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{directory / 'nucsec.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_demo_node(
    home: Path, db_url: str, *, interface_language: str | None = "en", **overrides: Any
) -> Node:
    """A joint demo node with the demo users and documents; every user has chosen
    ``interface_language`` (None: each has their nation's default, ``ja`` for JPN)."""
    s = settings.load(env={}, home=home, database_url=db_url, **overrides)
    node = init_node(s, "USA", demo=True, joint=True)
    seed(node, password_hash=demo_hash())
    if interface_language is not None:
        with node.engine.begin() as conn:
            conn.execute(text("UPDATE users SET language = :l"), {"l": interface_language})
    return node


def client_of(node: Node) -> TestClient:
    return TestClient(create_app(node), base_url="http://127.0.0.1:8700")


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign ``client`` in through the form; return the session's anti-forgery token."""
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "login_token": client.cookies.get("nucsec_login") or "",
            "next": "/",
        },
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise AssertionError(f"sign-in of {username} failed: {response.status_code}")
    return csrf_of(client.get("/account").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    if found is None:
        raise AssertionError("page has no CSRF token")
    return found.group(1)


def bearer(
    node: Node, username: str, scopes: tuple[str, ...] = ("read", "write")
) -> dict[str, str]:
    """Authorization header of a fresh API token for ``username``."""
    with node.engine.begin() as conn:
        secret, _ = issue_token(
            node, conn, get_user(conn, username), scopes=list(scopes), actor="test"
        )
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def demo_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A demo node shared by the tests of one module (do not change its state)."""
    home = tmp_path_factory.mktemp("node")
    with fresh_db_url(home) as url:
        node = make_demo_node(home / "home", url)
        yield node
        node.close()


@pytest.fixture
def fresh_node(tmp_path: Path) -> Iterator[Node]:
    """A demo node of one's own (for tests that change state)."""
    with fresh_db_url(tmp_path) as url:
        node = make_demo_node(tmp_path / "home", url)
        yield node
        node.close()


@pytest.fixture(scope="module")
def session_of(demo_node: Node) -> Callable[[str], tuple[TestClient, str]]:
    """``session_of(user) -> (client, csrf)``: a signed-in browser per demo user."""
    clients: dict[str, tuple[TestClient, str]] = {}

    def get(username: str) -> tuple[TestClient, str]:
        if username not in clients:
            client = client_of(demo_node)
            clients[username] = (client, sign_in(client, username))
        return clients[username]

    return get


@pytest.fixture(scope="module")
def api_of(demo_node: Node) -> Callable[..., tuple[TestClient, dict[str, str]]]:
    """``api_of(user, scopes) -> (client, headers)``: an API client with a bearer token."""
    client = client_of(demo_node)
    tokens: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}

    def get(
        username: str, scopes: tuple[str, ...] = ("read", "write")
    ) -> tuple[TestClient, dict[str, str]]:
        key = (username, scopes)
        if key not in tokens:
            tokens[key] = bearer(demo_node, username, scopes)
        return client, tokens[key]

    return get
