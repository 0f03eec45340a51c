"""Fixtures of the audit tests: a database with the audit tables, a log with a pinned clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from nucsec.audit.log import AuditLog
from nucsec.audit.tables import create_audit_schema
from nucsec.store.db import make_engine
from tests.audit.helpers import ORIGIN, Clock


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A fresh database (SQLite file or PostgreSQL schema) holding the audit tables."""
    eng = make_engine(db_url)
    with eng.begin() as conn:
        create_audit_schema(conn)
    yield eng
    eng.dispose()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log(key: Ed25519PrivateKey, clock: Clock) -> AuditLog:
    return AuditLog(ORIGIN, key, checkpoint_every=100, checkpoint_seconds=60, clock=clock)
