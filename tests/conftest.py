"""Shared fixtures: a fresh database per test on the backend the run targets.

Without ``NUCSEC_DATABASE_URL`` the suite runs on SQLite files in ``tmp_path``. With a
PostgreSQL URL (``.ci/run`` sets one) every test gets its own schema on that server,
dropped afterwards, so pytest-xdist workers never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text

from nucsec.store.db import make_engine

PG_URL = os.environ.get("NUCSEC_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgresql")


def pytest_report_header(config: pytest.Config) -> str:
    return f"nucsec database backend: {'PostgreSQL' if ON_POSTGRES else 'SQLite'}"


requires_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: set NUCSEC_DATABASE_URL=postgresql+psycopg://..."
)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (SQLite file, or a fresh PostgreSQL schema)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'nucsec.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def node_factory(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    """Make nodes in tmp_path: ``node_factory("USA", demo=True)``; all closed afterwards."""
    from nucsec import settings
    from nucsec.assembly import init_node
    from nucsec.demo import DEMO_PASSWORD, seed
    from nucsec.web.passwords import hash_password

    made = []

    def make(
        nation: str = "USA",
        *,
        demo: bool = True,
        joint: bool = True,
        name: str = "node",
        url: str | None = None,
    ):  # type: ignore[no-untyped-def]
        home = tmp_path / name
        node = init_node(
            settings.load(home=home, database_url=url or db_url), nation, demo=demo, joint=joint
        )
        if demo:
            seed(node, password_hash=_demo_hash(hash_password, DEMO_PASSWORD))
        made.append(node)
        return node

    yield make
    for node in made:
        node.close()


_HASHES: dict[str, str] = {}


def _demo_hash(hasher, password: str) -> str:  # type: ignore[no-untyped-def]
    if password not in _HASHES:
        _HASHES[password] = hasher(password)
    return _HASHES[password]


@pytest.fixture
def demo_node(node_factory):  # type: ignore[no-untyped-def]
    """A joint demo node (both nations' users, the demo documents) on the run's backend."""
    return node_factory()
