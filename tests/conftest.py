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
